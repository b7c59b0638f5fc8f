"""``wavg(x1, w1, x2, w2, …)`` (spec §11): Σ wᵢ·xᵢ ÷ Σ wᵢ over the pairs whose x is not missing.

Rewritten at parse time into nodes the allow-list knows:
``(COALESCE(x1 * w1, 0) + …) / ((CASE WHEN x1 IS NULL THEN 0 ELSE w1 END) + …)``; the division
becomes safe division like any other, so that every x missing (Σ w = 0) gives missing.
Sums are built as balanced trees: a long wavg stays shallow for the renderers.
Weights are number literals > 0; an x may not hold an aggregate (wavg is for derived formulas
and payout amounts, over indicator codes).
"""

from __future__ import annotations

from sqlglot import exp

from kaohe.errors import FormulaError

WAVG = "wavg"


def _fail(scheme: str, code: str, message: str, node: exp.Expression) -> FormulaError:
    text = node.sql(dialect="duckdb", normalize_functions="lower")
    return FormulaError(scheme, code, message, text if len(text) <= 80 else text[:77] + "…")


def _weight(node: exp.Expression) -> float | None:
    if type(node) is exp.Paren:
        return _weight(node.this)
    if type(node) is not exp.Literal or node.is_string:
        return None
    try:
        w = float(node.this)
    except ValueError:
        return None
    return w if w > 0 else None


def _balanced(terms: list[exp.Expression]) -> exp.Expression:
    if len(terms) == 1:
        return terms[0]
    mid = len(terms) // 2
    return exp.paren(exp.Add(this=_balanced(terms[:mid]), expression=_balanced(terms[mid:])),
                     copy=False)


def _aggregate_inside(node: exp.Expression) -> bool:
    from kaohe.formula.check import AGGREGATES

    return any(type(n) in AGGREGATES or type(n) in (exp.Star, exp.Filter) for n in node.walk())


def _aggregate_around(node: exp.Expression) -> bool:
    from kaohe.formula.check import AGGREGATES

    cur = node.parent
    while cur is not None:
        if type(cur) in AGGREGATES or type(cur) is exp.Filter:
            return True
        cur = cur.parent
    return False


def expand_wavg(tree: exp.Expression, scheme: str, code: str) -> exp.Expression:
    """Every wavg call rewritten (innermost first); a misused one is a FormulaError."""

    def swap(node: exp.Expression) -> exp.Expression:
        if type(node) is not exp.Anonymous or str(node.name).lower() != WAVG:
            return node
        args = list(node.expressions)
        if not args or len(args) % 2:
            raise _fail(scheme, code, "wavg 需要成对的参数 wavg(x1, w1, x2, w2, …) takes pairs "
                        "of a value and a weight", node)
        if _aggregate_around(node) or any(_aggregate_inside(a) for a in args):
            raise _fail(scheme, code, "wavg 只能用于派生公式 wavg is allowed in derived "
                        "formulas (over indicator codes), not over rows", node)
        nums: list[exp.Expression] = []
        dens: list[exp.Expression] = []
        for x0, w in zip(args[0::2], args[1::2], strict=True):
            x = expand_wavg(x0.copy(), scheme, code)  # a wavg inside an x (not visited)
            if _weight(w) is None:
                raise _fail(scheme, code, "wavg 的权重应为大于 0 的数字字面量 each weight must "
                            "be a number literal > 0", w)
            nums.append(exp.Coalesce(this=exp.Mul(this=exp.paren(x.copy()), expression=w.copy()),
                                     expressions=[exp.Literal.number(0)]))
            dens.append(exp.paren(exp.Case(
                ifs=[exp.If(this=exp.Is(this=exp.paren(x.copy()), expression=exp.Null()),
                            true=exp.Literal.number(0))], default=w.copy())))
        return exp.paren(exp.Div(this=_balanced(nums), expression=_balanced(dens)), copy=False)

    if not any(type(n) is exp.Anonymous and str(n.name).lower() == WAVG for n in tree.walk()):
        return tree
    return tree.transform(swap)
