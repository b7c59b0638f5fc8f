"""Re-rank and re-grade a run's results after adjustments (spec §4, the same rules as the
engine): total = max(0, engine total + adjustment), except that a vetoed total stays 0;
competition ranks within the peer group, highest first; grade = the first [min, label] with
total >= min, and the last grade for a vetoed entity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal


@dataclass
class Ranked:
    key: str  # entity id
    group: str
    total: Decimal
    vetoed: bool = False
    rank: int = 0
    grade: str = ""


def grade_of(total: Decimal, vetoed: bool, grades: Sequence[Sequence[object]]) -> str:
    if not grades:
        return ""
    if vetoed:
        return str(grades[-1][1])
    for minimum, label in grades:
        if total >= Decimal(str(minimum)):
            return str(label)
    return ""


def rerank(rows: list[Ranked], grades: Sequence[Sequence[object]]) -> list[Ranked]:
    """Set ``rank`` and ``grade`` on every row, in place; returns the rows."""
    by_group: dict[str, list[Ranked]] = {}
    for r in rows:
        by_group.setdefault(r.group, []).append(r)
    for members in by_group.values():
        for r in members:
            r.rank = 1 + sum(1 for o in members if o.total > r.total)
            r.grade = grade_of(r.total, r.vetoed, grades)
    return rows


def adjusted_total(total: Decimal, adjustment: Decimal, vetoed: bool) -> Decimal:
    if vetoed:
        return Decimal("0.00")
    return max(Decimal("0.00"), total + adjustment).quantize(Decimal("0.01"))
