"""Small org relations for the v2 names in formulas (spec §15), built in Python from the org.

- ``k_oa``: each person's assignment as an interval relation (person_id, d_from, d_to, unit_id,
  position) whose intervals do not overlap: on every day at most one row matches, the one
  ``Org.positions_on`` would pick (the latest start; for equal starts the later file row). So a
  fact joins it on person and date range and keeps exactly one row or none.
- ``k_op``: people's own attributes (person_id, c0, c1, …), ``k_ou``: units' attributes and
  nearest ancestors of a kind (unit_id, c0, c1, …), only those some formula names; columns are
  numbered because attribute names are free text (Chinese headers).
- ``attribute_kinds`` / ``with_attributes``: attributes in derived formulas, as columns of
  ``k_pop`` looked up as for peers (``inputs.attribute_column``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date, timedelta

import pyarrow as pa

from kaohe.engine.inputs import Population, attribute_column
from kaohe.formula.check import NUM, STR
from kaohe.formula.derived_names import attribute_col
from kaohe.formula.org_refs import ANCESTOR, OrgNames, org_names_of
from kaohe.workspace.org import Org

ASSIGNMENTS, PEOPLE, UNITS = "k_oa", "k_op", "k_ou"
OPEN_END = date(9999, 12, 31)
_ALWAYS_TEXT = {"unit", "position", "parent", "kind", "name", "parent_id"}


def org_names(org: Org) -> OrgNames:
    return org_names_of(org.units, org.people)


def assignment_intervals(org: Org) -> pa.Table:
    """k_oa: per person, maximal day ranges over which the same assignment applies."""
    by_person: dict[str, list[tuple[date, int, date | None, str, str | None]]] = {}
    a = org.assignments
    for i, (p, u, pos, start, end) in enumerate(zip(
            a["person_id"], a["unit_id"], a["position"], a["start"], a["end"], strict=True)):
        end_day = end if isinstance(end, date) else None
        by_person.setdefault(str(p), []).append((start, i, end_day, str(u),
                                                 pos if isinstance(pos, str) else None))
    cols: dict[str, list[object]] = {"person_id": [], "d_from": [], "d_to": [], "unit_id": [],
                                     "position": []}
    for person, rows in by_person.items():
        for d_from, d_to, unit, position in _segments(rows):
            for k, v in zip(cols, (person, d_from, d_to, unit, position), strict=True):
                cols[k].append(v)
    return pa.table({
        "person_id": pa.array(cols["person_id"], pa.string()),
        "d_from": pa.array(cols["d_from"], pa.date32()),
        "d_to": pa.array(cols["d_to"], pa.date32()),
        "unit_id": pa.array(cols["unit_id"], pa.string()),
        "position": pa.array(cols["position"], pa.string())})


def _segments(rows: list[tuple[date, int, date | None, str, str | None]]
              ) -> list[tuple[date, date, str, str | None]]:
    """The winning assignment between consecutive change days (a start, or the day after an
    end); adjacent ranges with the same unit and position merged."""
    days = sorted({r[0] for r in rows} | {r[2] + timedelta(days=1) for r in rows
                                          if r[2] is not None and r[2] < OPEN_END})
    out: list[tuple[date, date, str, str | None]] = []
    for k, day in enumerate(days):
        on = [r for r in rows if r[0] <= day and (r[2] is None or r[2] >= day)]
        last = days[k + 1] - timedelta(days=1) if k + 1 < len(days) else OPEN_END
        if not on:
            continue
        _s, _i, _e, unit, position = max(on, key=lambda r: (r[0], r[1]))
        if out and out[-1][2:] == (unit, position) and out[-1][1] + timedelta(days=1) == day:
            out[-1] = (out[-1][0], last, unit, position)
        else:
            out.append((day, last, unit, position))
    return out


def attribute_table(key: str, records: Mapping[str, Mapping[str, str | None]],
                    columns: Iterable[tuple[str, object]]) -> pa.Table:
    """``key`` plus one numbered text column per (name, getter) in ``columns``."""
    ids = list(records)
    data: dict[str, pa.Array] = {key: pa.array(ids, pa.string())}
    for i, (_name, get) in enumerate(columns):
        assert callable(get)
        data[f"c{i}"] = pa.array([get(x) for x in ids], pa.string())
    return pa.table(data)


def person_table(org: Org, attrs: list[str]) -> pa.Table:
    return attribute_table("person_id", org.people, [
        (a, lambda pid, _a=a: org.people[pid].get(_a)) for a in attrs])


def unit_table(org: Org, attrs: list[str]) -> pa.Table:
    def getter(attr: str) -> object:
        if attr.startswith(ANCESTOR):
            kind = attr[len(ANCESTOR):]
            return lambda uid: org.ancestor_of_kind(uid, kind)
        return lambda uid: org.units[uid].get(attr)

    return attribute_table("unit_id", org.units, [(a, getter(a)) for a in attrs])


def org_inputs(org: Org, person_attrs: list[str], unit_attrs: list[str],
               as_of_row: bool) -> dict[str, pa.Table]:
    """The relations enrich.py joins, only those the scheme's formulas need."""
    out: dict[str, pa.Table] = {}
    if as_of_row:
        out[ASSIGNMENTS] = assignment_intervals(org)
    if person_attrs:
        out[PEOPLE] = person_table(org, person_attrs)
    if unit_attrs:
        out[UNITS] = unit_table(org, unit_attrs)
    return out


# ---- attributes in derived formulas ----------------------------------------------------------

def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def attribute_kinds(org: Org, names: Collection[str]) -> dict[str, str]:
    """Each attribute's kind for derived formulas: a number when every value it has (in
    people.csv or units.csv) reads as a number, else text."""
    out: dict[str, str] = {}
    for name in names:
        if name in _ALWAYS_TEXT or not name.isidentifier():
            out[name] = STR
            continue
        values = [r.get(name) for recs in (org.people, org.units) for r in recs.values()]
        present = [v for v in values if v not in (None, "")]
        out[name] = NUM if present and all(_is_number(str(v)) for v in present) else STR
    return out


def with_attributes(pop: pa.Table, org: Org, entities: Population,
                    attrs: tuple[tuple[str, str], ...]) -> pa.Table:
    """k_pop with the attribute columns derived formulas read (a_NAME numbers, s_NAME text)."""
    for name, kind in attrs:
        column = attribute_col(name, kind)
        if column in pop.column_names:
            continue
        values = attribute_column(org, entities, name)
        if kind == NUM:
            arr = pa.array([float(v) if v not in (None, "") else None for v in values],
                           pa.float64())
        else:
            arr = pa.array(values, pa.string())
        pop = pop.append_column(column, arr)
    return pop
