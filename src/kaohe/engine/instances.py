"""Which earlier-period values a scheme needs (spec §7, ``prev``), found before anything runs.

An *instance* is an indicator with its offset increased by a shift: ``prev(x, K)`` in a derived
formula computed at shift s reads x at shift s + K. A source indicator at shift s > 0 is a new
set of parts (its window moved back); a derived one is its formula again over shifted codes.
Instances are computed under ``hidden_key(code, shift)`` (``x__o1``) and never shown.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from sqlglot import exp

from kaohe.errors import FormulaError, SchemeError
from kaohe.formula.windows import PrevRef, hidden_key
from kaohe.scheme.windows import MAX_SHIFTED_OFFSET


@dataclass
class Instances:
    sources: set[tuple[str, int]] = field(default_factory=set)  # (code, shift > 0)
    derived: set[tuple[str, int]] = field(default_factory=set)  # (code, shift >= 0)


def needed(scheme: str, offsets: Mapping[str, int], derived: Mapping[str, exp.Expression],
           marks: Mapping[str, PrevRef]) -> Instances:
    """Every instance the derived formulas need. ``offsets``: source code → its offset;
    ``derived``: code → formula with prev calls as columns named by ``marks``. A prev chain
    that reaches back more than MAX_SHIFTED_OFFSET periods, or returns to the indicator it
    starts from, is an error naming the indicator and the prev."""
    out = Instances()

    def visit(code: str, shift: int, root: str, via: str | None, stack: list[str]) -> None:
        if code in offsets:
            total = offsets[code] + shift
            if total > MAX_SHIFTED_OFFSET:
                raise FormulaError(scheme, root, f"prev 使指标 {code} 的偏移达到 {total}，超过 "
                                   f"{MAX_SHIFTED_OFFSET} / the resulting offset of {code} is "
                                   f"{total}, more than {MAX_SHIFTED_OFFSET}", via or "")
            if shift:
                out.sources.add((code, shift))
            return
        if code not in derived or (code, shift) in out.derived:
            return
        if code in stack:
            cycle = " → ".join([*stack[stack.index(code):], code])
            raise SchemeError(scheme, f"indicator {root}.value", "派生指标经 prev 循环引用 "
                              f"derived indicators form a cycle through prev: {cycle}")
        for name in _names(derived[code]):
            if name in marks:
                ref = marks[name]
                visit(ref.code, shift + ref.shift, root, via or ref.text, [*stack, code])
            else:
                visit(name, shift, root, via, [*stack, code])
        out.derived.add((code, shift))

    for code in derived:
        visit(code, 0, code, None, [])
    return out


def _names(tree: exp.Expression) -> list[str]:
    return list(dict.fromkeys(c.name for c in tree.find_all(exp.Column)))


def shifted(tree: exp.Expression, shift: int, codes: Collection[str],
            marks: Mapping[str, PrevRef]) -> exp.Expression:
    """A derived formula at ``shift``: each code → its instance's key, each prev mark → the
    key of the code it reads at shift + K. Other names (attributes) stay."""

    def rename(node: exp.Expression) -> exp.Expression:
        if type(node) is not exp.Column:
            return node
        if node.name in marks:
            ref = marks[node.name]
            return exp.column(hidden_key(ref.code, shift + ref.shift))
        if node.name in codes:
            return exp.column(hidden_key(node.name, shift))
        return node

    return tree.transform(rename)
