"""Item results (spec §8) read from the engine's store, never copied into Django rows.

An item scheme can assess millions of customers, cards or meters, so the web keeps only the
``Run`` (status, publishing, counts) and reads its items from ``run_entities`` (and, for one
item, ``run_values`` and ``run_payout_lines``) by the engine run id: read-only connections
under ``store_lock`` and the store's shared lock, one page (``LIMIT``/``OFFSET``) at a time.

Scope goes through an item's owners (its ``person`` and ``unit`` columns as stored):

- admins: every item;
- assessors: items whose unit is in their subtree, or, for an item without a unit, whose person
  worked in that subtree on the period's last day (the engine's rule for ``unit`` of items);
- heads and partners: the same with their outlet instead of a subtree (a partner runs their
  hall and serves its customers);
- staff: items whose person is them;
- inspectors: none (they judge outlets by mystery visits, not customers): 403.

Every query carries that condition in SQL; an item outside it is simply not found (404).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from kaohe.periods import parse_period
from kaohe.web.core.querysets import Scope
from kaohe.web.core.roles import Role
from kaohe.web.core.workspace import store_lock, workspace

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000
COLUMNS = ("entity_id", "name", "person_id", "unit_id", "group_key", "total", "rank",
           "group_size", "grade", "vetoed", "eliminate", "payout")


@dataclass
class ItemRow:
    id: str
    name: str | None
    person: str | None
    unit: str | None
    group: str | None
    total: float | None
    rank: int
    group_size: int
    grade: str | None
    vetoed: bool
    eliminate: bool
    payout: float | None
    alert: bool = False
    person_name: str = ""
    unit_name: str = ""


@dataclass(frozen=True)
class ItemFilter:
    q: str = ""  # part of the id or the name
    grade: str = ""
    alert: bool = False
    owner: str = ""  # a person id or a unit id (exact)


@dataclass(frozen=True)
class ItemScope:
    """Which items a viewer reaches: ``everything``, or a ``person`` (staff), or ``units``
    with ``people`` (the persons in those units on the period's last day, for items without a
    unit)."""

    everything: bool = False
    person: str | None = None
    units: frozenset[str] = frozenset()
    people: frozenset[str] = frozenset()


@dataclass
class ItemDetail:
    row: ItemRow
    values: list[dict[str, Any]] = field(default_factory=list)  # run.indicators + value/points
    lines: list[tuple[str, float | None]] = field(default_factory=list)


def sees_items(role: str | None) -> bool:
    return role not in (None, "", Role.INSPECTOR)


def item_scope(scope: Scope, period: str, period_kind: str) -> ItemScope:
    """The items ``scope`` reaches in a run of ``period`` (see the module docstring)."""
    from kaohe.web.org.models import Unit

    if scope.everything:
        return ItemScope(everything=True)
    if scope.person_id:
        return ItemScope(person=scope.person_id)
    if scope.role == Role.STAFF or not sees_items(scope.role):
        return ItemScope()
    units = Unit.objects.filter(scope.units_q()).values_list("pk", flat=True)
    unit_ids = frozenset(str(u) for u in units)
    if not unit_ids:
        return ItemScope()
    last_day = parse_period(period, period_kind).last_day
    on = workspace().org.positions_on(last_day)
    people = frozenset(str(p) for p, u in zip(on["person_id"], on["unit_id"], strict=True)
                       if str(u) in unit_ids)
    return ItemScope(units=unit_ids, people=people)


@contextmanager
def _reading() -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A read-only connection to the store (None when there is no store yet)."""
    with store_lock:
        store = workspace().store
        if not store.path.exists():
            yield None
            return
        with store.connect(read_only=True) as con:
            yield con


def _where(con: duckdb.DuckDBPyConnection, run_id: str, scope: ItemScope, flt: ItemFilter,
           alerts: list[str]) -> tuple[str, list[Any]]:
    """The WHERE clause (and its parameters) of a run's items in scope, filtered."""
    sql = ["e.run_id = ?"]
    params: list[Any] = [run_id]
    if not scope.everything:
        if scope.person:
            sql.append("e.person_id = ?")
            params.append(scope.person)
        elif scope.units:
            con.register("_scope_units", pa.table({"u": sorted(scope.units)}))
            con.register("_scope_people", pa.table({"p": pa.array(sorted(scope.people),
                                                                  pa.string())}))
            sql.append("(e.unit_id IN (SELECT u FROM _scope_units) OR (e.unit_id IS NULL AND "
                       "e.person_id IN (SELECT p FROM _scope_people)))")
        else:
            sql.append("FALSE")
    if flt.q:
        pattern = "%" + flt.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        sql.append("(e.entity_id ILIKE ? ESCAPE '\\' OR e.name ILIKE ? ESCAPE '\\')")
        params += [pattern, pattern]
    if flt.grade:
        sql.append("e.grade = ?")
        params.append(flt.grade)
    if flt.alert:
        if alerts:
            sql.append("e.grade IN (" + ", ".join("?" for _a in alerts) + ")")
            params += alerts
        else:
            sql.append("FALSE")
    if flt.owner:
        sql.append("(e.person_id = ? OR e.unit_id = ?)")
        params += [flt.owner, flt.owner]
    return " AND ".join(sql), params


def _row(values: tuple[Any, ...], alerts: list[str]) -> ItemRow:
    (eid, name, person, unit, group, total, rank, size, grade, vetoed, eliminate,
     payout) = values
    return ItemRow(id=str(eid), name=name, person=person, unit=unit, group=group,
                   total=None if total is None else float(total), rank=int(rank or 0),
                   group_size=int(size or 0), grade=grade, vetoed=bool(vetoed),
                   eliminate=bool(eliminate), payout=None if payout is None else float(payout),
                   alert=grade in alerts)


def _select(where: str, alerts: list[str] | None = None) -> tuple[str, list[Any]]:
    """The page query; ``alerts``: most severe first (their order), then rank and id."""
    cols = ", ".join(f"e.{c}" for c in COLUMNS)
    if not alerts:
        return f"SELECT {cols} FROM run_entities e WHERE {where} ORDER BY e.entity_no", []
    severity = "CASE " + " ".join("WHEN e.grade = ? THEN " + str(i)
                                  for i in range(len(alerts))) + f" ELSE {len(alerts)} END"
    return (f"SELECT {cols} FROM run_entities e WHERE {where} "
            f"ORDER BY {severity}, e.rank, e.entity_id", list(alerts))


def count(run_id: str, scope: ItemScope, flt: ItemFilter, alerts: list[str]) -> int:
    with _reading() as con:
        if con is None:
            return 0
        where, params = _where(con, run_id, scope, flt, alerts)
        row = con.execute(f"SELECT count(*) FROM run_entities e WHERE {where}",
                          params).fetchone()
    return int(row[0]) if row else 0


def alert_owners(run_id: str, alerts: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    """How many alerted items of the run each person and each unit owns (notifications)."""
    if not alerts:
        return {}, {}
    marks = ", ".join("?" for _ in alerts)
    with _reading() as con:
        if con is None:
            return {}, {}
        rows = con.execute(
            f"SELECT person_id, unit_id, count(*) FROM run_entities WHERE run_id = ? "
            f"AND grade IN ({marks}) GROUP BY ALL", [run_id, *alerts]).fetchall()
    people: dict[str, int] = {}
    units: dict[str, int] = {}
    for person, unit, n in rows:
        if person:
            people[str(person)] = people.get(str(person), 0) + int(n)
        if unit:
            units[str(unit)] = units.get(str(unit), 0) + int(n)
    return people, units


def page(run_id: str, scope: ItemScope, flt: ItemFilter, alerts: list[str], offset: int,
         limit: int = PAGE_SIZE, by_alert: bool = False) -> list[ItemRow]:
    """One page of the run's items in scope, in the result's order (group, rank, id), or
    ``by_alert``: the alerts page's order."""
    with _reading() as con:
        if con is None:
            return []
        where, params = _where(con, run_id, scope, flt, alerts)
        sql, order = _select(where, alerts if by_alert else None)
        rows = con.execute(f"{sql} LIMIT ? OFFSET ?",
                           [*params, *order, int(limit), int(offset)]).fetchall()
    return [_row(r, alerts) for r in rows]


def detail(run_id: str, scope: ItemScope, item_id: str, indicators: list[dict[str, Any]],
           alerts: list[str]) -> ItemDetail | None:
    """One item with its indicators' values and points and its payout lines; None when the
    item is not in the run or not in scope."""
    with _reading() as con:
        if con is None:
            return None
        where, params = _where(con, run_id, scope, ItemFilter(), alerts)
        cols = ", ".join(f"e.{c}" for c in COLUMNS)
        found = con.execute(f"SELECT {cols}, e.entity_no, r.run_no FROM run_entities e "
                            f"JOIN runs r ON r.run_id = e.run_id WHERE {where} "
                            "AND e.entity_id = ?", [*params, item_id]).fetchone()
        if found is None:
            return None
        entity_no, run_no = found[-2], found[-1]
        values = {str(c): (v, p, m) for c, v, p, m in con.execute(
            "SELECT c.code, v.value, v.points, v.missing FROM run_values v JOIN run_codes c "
            "ON c.run_no = v.run_no AND c.code_no = v.code_no "
            "WHERE v.run_no = ? AND v.entity_no = ?", [run_no, entity_no]).fetchall()}
        lines = _lines(con, int(run_no), int(entity_no))
    out = ItemDetail(row=_row(tuple(found[:-2]), alerts), lines=lines)
    for ind in indicators:
        value, points, missing = values.get(str(ind.get("code")), (None, None, False))
        out.values.append({**ind, "value": value, "points": points, "missing": bool(missing)})
    return out


def _lines(con: duckdb.DuckDBPyConnection, run_no: int, entity_no: int
           ) -> list[tuple[str, float | None]]:
    has = con.execute("SELECT count(*) FROM information_schema.tables "
                      "WHERE table_name = 'run_lines'").fetchone()
    if not has or not has[0]:
        return []
    rows = con.execute("SELECT n.name, l.amount FROM run_lines l JOIN run_line_names n "
                       "ON n.run_no = l.run_no AND n.line_no = l.line_no "
                       "WHERE l.run_no = ? AND l.entity_no = ? ORDER BY l.line_no",
                       [run_no, entity_no]).fetchall()
    return [(str(n), None if a is None else float(a)) for n, a in rows]


def values_of(run_id: str, item_ids: list[str]) -> dict[str, dict[str, tuple[Any, Any]]]:
    """{item: {code: (value, points)}} for a few items of a run (an alerts page)."""
    if not item_ids:
        return {}
    with _reading() as con:
        if con is None:
            return {}
        con.register("_wanted", pa.table({"id": item_ids}))
        rows = con.execute(
            "SELECT e.entity_id, c.code, v.value, v.points FROM run_entities e "
            "JOIN runs r ON r.run_id = e.run_id "
            "JOIN run_values v ON v.run_no = r.run_no AND v.entity_no = e.entity_no "
            "JOIN run_codes c ON c.run_no = v.run_no AND c.code_no = v.code_no "
            "WHERE e.run_id = ? AND e.entity_id IN (SELECT id FROM _wanted)",
            [run_id]).fetchall()
    out: dict[str, dict[str, tuple[Any, Any]]] = {}
    for eid, code, value, points in rows:
        out.setdefault(str(eid), {})[str(code)] = (value, points)
    return out


def name_owners(rows: list[ItemRow]) -> None:
    """Fill the person and unit names of a page of items (from the web's org copy)."""
    from kaohe.web.org.models import Person, Unit

    people = dict(Person.objects.filter(pk__in={r.person for r in rows if r.person})
                  .values_list("pk", "name"))
    units = dict(Unit.objects.filter(pk__in={r.unit for r in rows if r.unit})
                 .values_list("pk", "name"))
    for r in rows:
        r.person_name = str(people.get(r.person, r.person or ""))
        r.unit_name = str(units.get(r.unit, r.unit or ""))
