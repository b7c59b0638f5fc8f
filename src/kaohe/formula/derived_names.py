"""More names in derived formulas (spec §15): the entity's attributes, ``peer_mean``,
``peer_min``, ``peer_max``, ``peer_count`` of an indicator code, and ``group_size``.

The checker sees a copy in which each peer statistic is a plain numeric name, so the allow-list
of check.py stays as it is; the statistic itself may take exactly one bare indicator code.
Compiled, a statistic is a window over the peer group ``_g`` of the level before (the code it
reads is always computed in an earlier level: levels follow the codes a formula names), and
``group_size`` is ``COUNT(*)`` over the same window. Attributes are columns of ``k_pop``:
``a_NAME`` (a number) or ``s_NAME`` (text).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlglot import exp

from kaohe.errors import FormulaError
from kaohe.formula.check import NUM, check_scalar_formula
from kaohe.formula.compile import compile_scalar

PEER_STATS = ("peer_mean", "peer_min", "peer_max", "peer_count")
_WINDOW_FN: dict[str, type[exp.Func]] = {
    "peer_mean": exp.Avg, "peer_min": exp.Min, "peer_max": exp.Max, "peer_count": exp.Count}
GROUP_SIZE = "group_size"
_GROUP_SIZE_COL = "\x00group_size"  # a marker between compile_scalar and the window
NAMES = ("指标代码、实体属性、peer_mean/peer_min/peer_max/peer_count(代码)、group_size "
         "indicator codes, attributes, peer statistics of codes, group_size")


def attribute_col(name: str, kind: str) -> str:
    """The k_pop column of an attribute used in a derived formula."""
    return ("a_" if kind == NUM else "s_") + name


def _stat(node: exp.Expression) -> str | None:
    """The statistic's name when ``node`` is a call of one (any letter case)."""
    if type(node) is exp.Anonymous and str(node.this).lower() in PEER_STATS:
        return str(node.this).lower()
    return None


def _fail(scheme: str, code: str, message: str, node: exp.Expression) -> FormulaError:
    text = node.sql(dialect="duckdb")
    return FormulaError(scheme, code, message, text[:77] + "…" if len(text) > 80 else text)


def check_derived(tree: exp.Expression, codes: Collection[str], attr_kinds: Mapping[str, str],
                  scheme: str, code: str) -> None:
    """Check a derived formula that may use attributes, peer statistics and group_size."""
    copy = tree.copy()
    kinds: dict[str, str] = {a: k for a, k in attr_kinds.items()}
    kinds[GROUP_SIZE] = NUM
    kinds.update({c: NUM for c in codes})  # an indicator code wins over an attribute's name
    n = 0

    def peer(node: exp.Expression) -> exp.Expression:
        nonlocal n
        stat = _stat(node)
        if stat is None:
            return node
        args = node.expressions
        arg = args[0] if len(args) == 1 else None
        if arg is None or type(arg) is not exp.Column or arg.args.get("table") is not None \
                or arg.name not in codes:
            raise _fail(scheme, code, f"{stat} 需要一个指标代码 takes exactly one indicator code, "
                        "e.g. peer_mean(volume)", node)
        n += 1
        name = f"\x00peer{n}"
        kinds[name] = NUM
        return exp.column(name, quoted=True)

    check_scalar_formula(copy.transform(peer), kinds, scheme, code, NAMES)


def peer_codes(tree: exp.Expression) -> list[str]:
    """The codes a formula reads through peer statistics."""
    return [node.expressions[0].name for node in tree.find_all(exp.Anonymous)
            if _stat(node) is not None]


def uses_peers(tree: exp.Expression) -> bool:
    return any(_stat(node) is not None for node in tree.find_all(exp.Anonymous))


def check_peer_nesting(scheme: str, trees: Mapping[str, exp.Expression]) -> list[FormulaError]:
    """A derived indicator using peer statistics cannot itself be read by one (spec §15)."""
    problems: list[FormulaError] = []
    for code, tree in trees.items():
        for node in tree.find_all(exp.Anonymous):
            if _stat(node) is None:
                continue
            inner = node.expressions[0].name
            if inner in trees and uses_peers(trees[inner]):
                problems.append(_fail(
                    scheme, code, f"{inner} 本身用了同组统计 uses peer statistics itself, so it "
                    "cannot be read by a peer statistic", node))
                break
    return problems


def attributes_used(tree: exp.Expression, codes: Collection[str],
                    attr_kinds: Mapping[str, str]) -> list[str]:
    """Attribute names a checked derived formula reads (codes win over attributes)."""
    return sorted({c.name for c in tree.find_all(exp.Column)
                   if c.name not in codes and c.name in attr_kinds})


def compile_derived(tree: exp.Expression, codes: Collection[str], attr_kinds: Mapping[str, str],
                    value_col: object) -> exp.Expression:
    """A checked derived formula over v_CODE columns, attribute columns and peer windows."""
    assert callable(value_col)

    def rename(name: str) -> str:
        if name in codes:
            return str(value_col(name))
        if name in attr_kinds:
            return attribute_col(name, attr_kinds[name])
        assert name == GROUP_SIZE, name
        return _GROUP_SIZE_COL

    group = exp.column("_g", quoted=True)

    def window(node: exp.Expression) -> exp.Expression:
        stat = _stat(node)
        if stat is not None:
            fn = _WINDOW_FN[stat](this=node.expressions[0].copy())
            return exp.Window(this=fn, partition_by=[group.copy()])
        if type(node) is exp.Column and node.name == _GROUP_SIZE_COL:
            return exp.Window(this=exp.Count(this=exp.Star()), partition_by=[group.copy()])
        return node

    return compile_scalar(tree, rename).transform(window)

