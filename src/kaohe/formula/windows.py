"""``prev(code[, K])``, ``period_start(k)`` and ``period_end(k)`` (spec §7), before the allow-list.

Both are rewritten into nodes the allow-list already knows, so that every other rule (names,
kinds, nesting) still applies to what they become:
- ``prev(code, K)`` → a column named ``hidden_key(code, K)``, which the compiler resolves to the
  value of ``code`` with its offset increased by K (``PrevRef`` says which);
- ``period_start(k)`` / ``period_end(k)`` → ``CAST('YYYY-MM-DD' AS DATE)``, the date for the
  instance being compiled (the run's period shifted back by its offset, then by k periods).
A misused one (not a literal, out of range, prev in a source formula or of an unknown code) is
a FormulaError naming the scheme, the indicator and the part.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date

from sqlglot import exp

from kaohe.errors import FormulaError

MAX_PREV = 36
MAX_PERIOD_SHIFT = 48
PREV, PERIOD_START, PERIOD_END = "prev", "period_start", "period_end"


def _fail(scheme: str, code: str, message: str, node: exp.Expr) -> FormulaError:
    text = node.sql(dialect="duckdb", normalize_functions="lower")
    return FormulaError(scheme, code, message, text if len(text) <= 80 else text[:77] + "…")


def _name(node: exp.Expr) -> str:
    return str(node.name).lower() if type(node) is exp.Anonymous else ""


def _int_literal(node: exp.Expression | None) -> int | None:
    """An integer literal, optionally negated; None for anything else."""
    sign = 1
    if node is not None and type(node) is exp.Neg:
        sign, node = -1, node.this
    if node is None:
        return None
    if type(node) is exp.Paren:
        return _int_literal(node.this) if sign == 1 else None
    if type(node) is not exp.Literal or node.is_string or not node.is_int:
        return None
    return sign * int(node.this)


def hidden_key(code: str, shift: int) -> str:
    """The name under which ``code`` with its offset increased by ``shift`` is computed."""
    return code if shift == 0 else f"{code}__o{shift}"


@dataclass(frozen=True)
class PrevRef:
    code: str
    shift: int
    text: str  # as written, for errors


def prev_refs(tree: exp.Expression, codes: Collection[str], scheme: str, code: str
              ) -> tuple[exp.Expression, dict[str, PrevRef]]:
    """A derived formula with each ``prev(c[, K])`` replaced by a column named
    ``hidden_key(c, K)``; returns the tree and those names → PrevRef."""
    refs: dict[str, PrevRef] = {}

    def swap(node: exp.Expression) -> exp.Expression:
        if _name(node) != PREV:
            return node
        args = list(node.expressions)
        if not 1 <= len(args) <= 2:
            raise _fail(scheme, code, "prev 需要一或两个参数 prev(code) or prev(code, K)", node)
        target = args[0]
        if type(target) is not exp.Column or target.table or target.name not in codes:
            raise _fail(scheme, code, "prev 的第一个参数应为本方案的指标代码 prev needs an "
                        "indicator code of this scheme; codes: " + ", ".join(codes), node)
        k = 1 if len(args) == 1 else _int_literal(args[1])
        if k is None or not 1 <= k <= MAX_PREV:
            raise _fail(scheme, code, f"prev 的期数应为 1 到 {MAX_PREV} 的整数字面量 K must be "
                        f"an integer literal from 1 to {MAX_PREV}", node)
        name = hidden_key(target.name, k)
        refs[name] = PrevRef(target.name, k,
                             node.sql(dialect="duckdb", normalize_functions="lower"))
        return exp.column(name)

    return tree.transform(swap), refs


def refuse_prev(tree: exp.Expression, scheme: str, code: str) -> None:
    """prev reads another indicator: a source formula (over rows) has none to read."""
    for node in tree.walk():
        if _name(node) == PREV:
            raise _fail(scheme, code, "prev 只能用于派生指标 prev is allowed in derived "
                        "formulas only (an indicator without source); use offset: K on a "
                        "source-based indicator", node)


def period_date_calls(tree: exp.Expression, scheme: str, code: str) -> None:
    """Check every period_start/period_end call: at most one argument, an integer literal
    within ±MAX_PERIOD_SHIFT."""
    for node in tree.walk():
        if _name(node) in (PERIOD_START, PERIOD_END):
            _period_arg(node, scheme, code)


def _period_arg(node: exp.Expr, scheme: str, code: str) -> int:
    args = list(node.expressions)
    k = 0 if not args else _int_literal(args[0])
    if len(args) > 1 or k is None or abs(k) > MAX_PERIOD_SHIFT:
        raise _fail(scheme, code, f"{_name(node)}(k) 的 k 应为 -{MAX_PERIOD_SHIFT} 到 "
                    f"{MAX_PERIOD_SHIFT} 的整数字面量 k must be an integer literal from "
                    f"-{MAX_PERIOD_SHIFT} to {MAX_PERIOD_SHIFT}", node)
    return k


def period_dates(tree: exp.Expression, day_of: Callable[[int, bool], date], scheme: str,
                 code: str) -> exp.Expression:
    """Replace period_start(k) / period_end(k) by date literals: ``day_of(k, is_end)``."""

    def swap(node: exp.Expression) -> exp.Expression:
        name = _name(node)
        if name not in (PERIOD_START, PERIOD_END):
            return node
        k = _period_arg(node, scheme, code)
        day = day_of(k, name == PERIOD_END)
        return exp.Cast(this=exp.Literal.string(day.isoformat()),
                        to=exp.DataType.build("DATE"))

    return tree.copy().transform(swap)
