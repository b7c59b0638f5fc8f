"""Reference for items (spec §8), independent of the engine (no SQL, no kaohe): which items a
scheme assesses, each item's latest row, the rows an indicator reads, and roll-up.

Rows are dicts in the order imported (a list's order: earlier files first, each file's rows in
file order), so "the one imported last" is simply the later index.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from reference import RefOrg, previous_start

Row = Mapping[str, Any]


def _day(t: Any) -> datetime:
    return t if isinstance(t, datetime) else datetime.combine(t, datetime.min.time())


def entity_window(kind: str, run_start: date, window: int, offset: int) -> tuple[date, date]:
    """[start, end) of ``window`` periods ending ``offset`` periods before the run's."""
    last = previous_start(kind, run_start, offset)
    return previous_start(kind, last, window - 1), previous_start(kind, last, -1)


def latest_rows(rows: Sequence[Row], key: str, time: str, start: date, end: date,
                period_end: date) -> dict[str, Row]:
    """Item → its latest row before ``period_end`` (largest time, then imported last), for
    every item with a row in [start, end)."""
    lo, hi, stop = _day(start), _day(end), _day(period_end)
    items = {str(r[key]) for r in rows if r[key] is not None and lo <= _day(r[time]) < hi}
    best: dict[str, tuple[datetime, int, Row]] = {}
    for i, r in enumerate(rows):
        k = str(r[key]) if r[key] is not None else None
        if k not in items or not _day(r[time]) < stop:
            continue
        cand = (_day(r[time]), i, r)
        if k not in best or cand[:2] > best[k][:2]:
            best[k] = cand
    return {k: v[2] for k, v in best.items()}


def rows_of_item(rows: Sequence[Row], column: str, item: str, time: str, start: date,
                 end: date) -> list[Row]:
    lo, hi = _day(start), _day(end)
    return [r for r in rows if r[column] is not None and str(r[column]) == item
            and lo <= _day(r[time]) < hi]


def rollup_person(owners: Mapping[str, tuple[str | None, str | None]], person: str) -> list[str]:
    """Items (id → (stored person, stored unit)) that belong to ``person``."""
    return sorted(i for i, (p, _u) in owners.items() if p == person)


def rollup_unit(org: RefOrg, owners: Mapping[str, tuple[str | None, str | None]], unit: str,
                last_day: date) -> list[str]:
    """Items whose stored unit is ``unit`` or below it, or with no unit, whose person's unit
    as of ``last_day`` is."""
    out = []
    for i, (p, u) in owners.items():
        if u is None and p is not None:
            on = org.on(p, last_day)
            u = on[0] if on else None
        if u is not None and unit in org.chain(u):
            out.append(i)
    return sorted(out)
