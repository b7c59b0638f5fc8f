"""The reference for spec §13–15, in plain Python beside reference.py (no SQL, no kaohe).

- ``with_sequences``: rows (in import order: earlier imports first, each file's rows in file
  order) with their sequence columns added, computed by sorting, not by window functions;
- ``org_columns``: rows with ``person.ATTR`` / ``unit.ATTR`` / ``unit.ancestor:KIND`` added from
  a RefOrg, the person's unit and position as of the row's date;
- ``peer``: peer statistics for reference.evaluate's ``peer_fn``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from fractions import Fraction as F
from typing import Any

from reference import RefOrg, Value

Row = dict[str, Any]


def elapsed(unit: str, a: date | datetime, b: date | datetime) -> int:
    """Whole units from a to b, truncated toward zero (date_diff, spec §3)."""
    def moment(x: date | datetime) -> datetime:
        return x if isinstance(x, datetime) else datetime(x.year, x.month, x.day)

    seconds = (moment(b) - moment(a)).total_seconds()
    size = {"day": 86400, "hour": 3600, "minute": 60}[unit]
    whole = int(abs(seconds) // size)
    return whole if seconds >= 0 else -whole


def with_sequences(rows: Sequence[Mapping[str, Any]], time: str,
                   sequences: Mapping[str, Mapping[str, Any]]) -> list[Row]:
    """Each row with every sequence column of ``sequences`` ({name: {since, by, unit}})."""
    out = [dict(r) for r in rows]
    for name, spec in sequences.items():
        by = list(spec["by"])
        groups: dict[tuple[Any, ...], list[int]] = {}
        for i, r in enumerate(out):
            r[name] = None
            key = tuple(r.get(b) for b in by)
            if any(k is None for k in key):
                continue
            groups.setdefault(key, []).append(i)
        for members in groups.values():
            ordered = sorted(members, key=lambda i: (out[i][time], i))  # time, then import order
            for k, i in enumerate(ordered):
                if spec["since"] == "previous" and k > 0:
                    out[i][name] = elapsed(spec["unit"], out[ordered[k - 1]][time], out[i][time])
                if spec["since"] == "next" and k + 1 < len(ordered):
                    out[i][name] = elapsed(spec["unit"], out[i][time], out[ordered[k + 1]][time])
    return out


def org_columns(org: RefOrg, rows: Sequence[Mapping[str, Any]], time: str, person: str | None,
                unit: str | None, names: Sequence[str]) -> list[Row]:
    """Each row with the org columns ``names`` ("person.position", "unit.ancestor:county", …)."""
    out = []
    for r in rows:
        row = dict(r)
        t = r[time]
        day = t.date() if isinstance(t, datetime) else t
        for name in names:
            entity, attr = name.split(".", 1)
            value = None
            if entity == "person" and person and r.get(person):
                pid = r[person]
                if attr in ("unit", "position"):
                    on = org.on(pid, day)
                    value = None if on is None else (on[0] if attr == "unit" else on[1])
                else:
                    value = org.people[pid].get(attr) or None
            elif entity == "unit" and unit and r.get(unit):
                uid = r[unit]
                if attr.startswith("ancestor:"):
                    kind = attr.split(":", 1)[1]
                    value = next((u for u in org.chain(uid) if org.units[u]["kind"] == kind),
                                 None)
                else:
                    value = org.units[uid].get(attr) or None
            row[name] = value
        out.append(row)
    return out


def peer(stat: str, code: str) -> Callable[[Callable[[str], list[Value]]], Value]:
    """peer_mean/min/max/count of ``code`` over the group's values that are not missing."""
    def fn(group_values: Callable[[str], list[Value]]) -> Value:
        xs = [x for x in group_values(code) if x is not None]
        if stat == "peer_count":
            return F(len(xs))
        if not xs:
            return None
        if stat == "peer_mean":
            return sum(xs, F(0)) / len(xs)
        return min(xs) if stat == "peer_min" else max(xs)
    return fn
