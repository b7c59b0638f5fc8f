"""Warnings (spec §12): the entities whose grade is one of the scheme's ``alerts``, most severe
first (the order of ``alerts``), then by rank (1 first), then by id; each with the indicators
that cost it points (a scored indicator below its weight, a penalty, a veto), most lost first.

``from_result`` reads a run just computed; ``from_store`` the latest completed run of a period
in the store (what ``kaohe alerts`` lists), with the scheme as it was when that run was made.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kaohe.errors import InputError
from kaohe.periods import parse_period
from kaohe.results import RunResult, _clean
from kaohe.scheme.loader import parse_scheme
from kaohe.scheme.model import Indicator, Scheme

EPS = 0.005  # points are stored to the cent: a scored indicator at W − 0.001 lost nothing


@dataclass(frozen=True)
class AlertRow:
    id: str
    name: str | None
    person: str | None
    unit: str | None
    grade: str
    total: float
    rank: int
    costs: tuple[str, ...]  # "工单及时率 −6（24/30）", "重大投诉 否决", …


@dataclass(frozen=True)
class _Ind:
    code: str
    name: str
    role: str
    weight: float | None


def costs(indicators: Iterable[_Ind], values: Mapping[str, tuple[Any, Any]]) -> tuple[str, ...]:
    """What cost points: (lost, text) per indicator, vetoes first, then most points lost."""
    found: list[tuple[float, str]] = []
    for ind in indicators:
        value, points = values.get(ind.code, (None, None))
        value, points = _clean(value), _clean(points)
        if ind.role == "veto" and value is not None and float(value) > 0:
            found.append((float("inf"), f"{ind.name} 否决 veto"))
        elif ind.role == "penalty" and points is not None and float(points) < -EPS:
            found.append((-float(points), f"{ind.name} {float(points):.2f}"))
        elif ind.role == "scored" and ind.weight is not None:
            got = 0.0 if points is None else float(points)
            if got < ind.weight - EPS:
                found.append((ind.weight - got,
                              f"{ind.name} −{ind.weight - got:.2f}（{got:.2f}/{ind.weight:g}）"))
    found.sort(key=lambda x: -x[0])
    return tuple(text for _lost, text in found)


def ordered(rows: Iterable[AlertRow], alerts: tuple[str, ...]) -> list[AlertRow]:
    return sorted(rows, key=lambda r: (alerts.index(r.grade), r.rank, r.id))


def _inds(indicators: Iterable[Indicator]) -> list[_Ind]:
    return [_Ind(i.code, i.name, i.role, i.weight) for i in indicators]


def from_result(result: RunResult) -> list[AlertRow]:
    """The alerted entities of a computed run."""
    if not result.alerts:
        return []
    inds = [_Ind(i.code, i.name, i.role, i.weight) for i in result.indicators]
    rows = []
    for row in result.table.to_dict("records"):
        if not bool(row.get("alert")):
            continue
        values = {i.code: (row.get(f"v_{i.code}"), row.get(f"p_{i.code}")) for i in inds}
        person = _clean(row.get("person"))
        if person is None and result.entity == "person":
            person = _clean(row.get("name"))
        rows.append(AlertRow(
            id=str(row["id"]), name=_clean(row.get("name")), person=person,
            unit=_clean(row.get("unit")) or _clean(row.get("unit_name")),
            grade=str(row["grade"]), total=float(row["total"]), rank=int(row["rank"]),
            costs=costs(inds, values)))
    return ordered(rows, result.alerts)


@dataclass(frozen=True)
class StoredAlerts:
    scheme: Scheme  # as it was when the run was made
    period: str
    run_id: str
    rows: list[AlertRow]


def from_store(ws: Any, code: str, period_text: str) -> StoredAlerts:
    """The alerted entities of the latest completed run of ``code`` for a period (a
    Workspace ``ws``). An InputError when the period was never run."""
    from kaohe.engine.history import LATEST_RUNS

    current = ws.scheme(code)
    period = parse_period(period_text, current.period)
    store = ws.store
    found = None
    entities: list[Any] = []
    values: list[Any] = []
    scheme = current
    if store.path.exists():
        with store.connect(read_only=True) as con:
            has = con.execute("SELECT count(*) FROM information_schema.tables "
                              "WHERE table_name = 'runs'").fetchone()
            if has and has[0]:
                found = con.execute(
                    f"SELECT r.run_id, r.run_no, x.scheme_yaml FROM ({LATEST_RUNS}) r "
                    "JOIN runs x ON x.run_id = r.run_id WHERE r.period = ?",
                    [code, str(period)]).fetchone()
                if found is not None:
                    scheme = parse_scheme(found[2], code) if found[2] else current
                    # only the alerted entities and their values: an item scheme's run can
                    # hold millions of rows
                    levels = list(scheme.alerts) or [""]
                    marks = ", ".join("?" for _ in levels)
                    entities = con.execute(
                        "SELECT entity_no, entity_id, name, grade, total, rank, person_id, "
                        f"unit_id FROM run_entities WHERE run_id = ? AND grade IN ({marks})",
                        [found[0], *levels]).fetchall()
                    values = con.execute(
                        "SELECT v.entity_no, c.code, v.value, v.points FROM run_values v "
                        "JOIN run_codes c ON c.run_no = v.run_no AND c.code_no = v.code_no "
                        "JOIN run_entities e ON e.run_id = ? AND e.entity_no = v.entity_no "
                        f"WHERE v.run_no = ? AND e.grade IN ({marks})",
                        [found[0], found[1], *levels]).fetchall()
    if found is None:
        raise InputError(f"方案 {code} 在 {period} 没有已完成的运行 has no completed run for "
                         f"this period; run it first: kaohe run {code} --period {period}")
    run_id = found[0]
    by_entity: dict[int, dict[str, tuple[Any, Any]]] = {}
    for entity_no, c, value, points in values:
        by_entity.setdefault(int(entity_no), {})[str(c)] = (value, points)
    inds = _inds(scheme.indicators)
    if scheme.item is not None:  # items: the person and unit stored with each (spec §8)
        org = ws.org
        rows = [AlertRow(id=str(eid), name=name, person=person,
                         unit=(org.unit_name(unit) or unit) if unit else None, grade=str(grade),
                         total=float(total), rank=int(rank),
                         costs=costs(inds, by_entity.get(int(no), {})))
                for no, eid, name, grade, total, rank, person, unit in entities]
    else:
        units = _units(ws, scheme, period)
        rows = [AlertRow(id=str(eid), name=name,
                         person=(name if scheme.entity == "person" else None),
                         unit=units.get(str(eid)), grade=str(grade), total=float(total),
                         rank=int(rank), costs=costs(inds, by_entity.get(int(no), {})))
                for no, eid, name, grade, total, rank, _p, _u in entities]
    return StoredAlerts(scheme, str(period), str(run_id), ordered(rows, scheme.alerts))


def _units(ws: Any, scheme: Scheme, period: Any) -> dict[str, str]:
    """Entity id → the name of its unit as of the period's last day (a person's unit, a
    unit's parent), as the result's 所属单位 reads."""
    org = ws.org
    if scheme.entity == "person":
        on = org.positions_on(period.last_day)
        return {str(p): org.unit_name(u) or str(u)
                for p, u in zip(on["person_id"], on["unit_id"], strict=True) if u}
    out = {}
    for u, attrs in org.units.items():
        parent = attrs.get("parent_id")
        if parent:
            out[str(u)] = org.unit_name(parent) or str(parent)
    return out
