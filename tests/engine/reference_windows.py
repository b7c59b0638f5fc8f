"""The reference evaluator's windows, prev, period dates, wavg and working days (spec §7, §11,
§17), independent of the engine: exact Fractions, rows picked by date, days counted one by one.

An indicator dict may carry ``window`` and ``offset``; a source indicator's ``fn(rows)`` may
instead be ``fn(rows, dates)`` when the function has ``fn.dated = True`` (``dates(k)`` =
(start, end) of period_start(k)/period_end(k) for that instance); a derived ``fn(values)`` reads
``values[code]`` and ``values.prev(code, K)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, timedelta
from fractions import Fraction as F
from typing import Any

from reference import Entity, RefOrg, Row, SourceMeta, period_bounds, previous_start, rows_of

Value = F | None


def instance_bounds(kind: str, pstart: date, window: int, offset: int) -> tuple[date, date]:
    """[first day of the window's first period, first day after its last period)."""
    last = previous_start(kind, pstart, offset) if offset >= 0 else pstart
    first = previous_start(kind, last, window - 1)
    return first, period_bounds(kind, last)[1]


def shifted_start(kind: str, pstart: date, k: int) -> date:
    """The start of the period k periods after ``pstart`` (k may be negative)."""
    if k <= 0:
        return previous_start(kind, pstart, -k)
    out = pstart
    for _ in range(k):
        out = period_bounds(kind, out)[1]
    return out


class Values(Mapping[str, Value]):
    """One entity's values at one shift, computed on demand (prev goes to shift + K)."""

    def __init__(self, get: Callable[[str, int], Value], shift: int) -> None:
        self._get, self._shift = get, shift

    def __getitem__(self, code: str) -> Value:
        return self._get(code, self._shift)

    def prev(self, code: str, k: int = 1) -> Value:
        return self._get(code, self._shift + k)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def entity_values(org: RefOrg, sources: Mapping[str, SourceMeta],
                  facts: Mapping[str, Sequence[Row]], scheme: Mapping[str, Any], kind: str,
                  pstart: date, e: Entity, last_day: date) -> dict[str, Value]:
    """Every indicator's value for ``e`` in the period starting ``pstart``."""
    inds = {i["code"]: i for i in scheme["indicators"]}
    memo: dict[tuple[str, int], Value] = {}

    def get(code: str, shift: int) -> Value:
        if (code, shift) in memo:
            return memo[(code, shift)]
        ind = inds[code]
        if ind.get("source"):
            offset = ind.get("offset", 0) + shift
            start, end = instance_bounds(kind, pstart, ind.get("window", 1), offset)
            src = ind["source"]
            rows = rows_of(org, scheme, sources[src], facts.get(src, ()), e, start, end,
                           last_day)
            if getattr(ind["fn"], "dated", False):
                def dates(k: int, _o: int = offset) -> tuple[date, date]:
                    return period_bounds(kind, shifted_start(kind, pstart, k - _o))
                v = ind["fn"](rows, dates)
            else:
                v = ind["fn"](rows)
        else:
            v = ind["fn"](Values(get, shift))
        memo[(code, shift)] = v
        return v

    return {code: get(code, 0) for code in inds}


def wavg(*pairs: tuple[Value, F]) -> Value:
    """Σ w·x ÷ Σ w over the pairs whose x is present; None when none is."""
    present = [(x, w) for x, w in pairs if x is not None]
    if not present:
        return None
    return sum((x * w for x, w in present), F(0)) / sum((w for _x, w in present), F(0))


def workdays(a: date, b: date, working: Callable[[date], bool]) -> int:
    """Working days d with a < d <= b; negative when b < a (counted day by day)."""
    lo, hi, sign = (a, b, 1) if a <= b else (b, a, -1)
    return sign * sum(1 for i in range(1, (hi - lo).days + 1)
                      if working(lo + timedelta(days=i)))
