"""Build a small kaohe workspace in a folder from Python data, import facts, run schemes.

    b = WsBuilder(tmp_path).standard_org().standard_sources()
    b.scheme("s", {"entity": "person", "period": "month", "indicators": [...]})
    b.facts("tx", [{"person_id": "P1", "at": "2026-10-05 10:00", "n": 3}])
    t = b.run("s", "2026-10", engine)     # the result table, indexed by entity id

Org, sources and schemes are files (as a user writes them); facts go through ``import_file``.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from kaohe.engine.run import RunOutput, run_scheme
from kaohe.workspace.importer import import_file
from kaohe.workspace.workspace import Workspace

ENGINES = ["duckdb", pytest.param("spark", marks=pytest.mark.spark)]
MONTH_DAY = "2026-10-10 10:00:00"

# A city with two counties; county C1 has halls H1 and H2, county C2 has hall H3.
STANDARD_UNITS: list[tuple[str, str, str, str]] = [
    ("R", "市公司", "city", ""),
    ("C1", "东县", "county", "R"),
    ("C2", "西县", "county", "R"),
    ("H1", "城东厅", "hall", "C1"),
    ("H2", "城西厅", "hall", "C1"),
    ("H3", "西县厅", "hall", "C2"),
]
# H1: P1 P2 P3 (clerks) and M1 (manager); H2: P4 P5; H3: P6.
STANDARD_PEOPLE: list[tuple[str, str, str]] = [
    ("P1", "张三", "A"), ("P2", "李四", "A"), ("P3", "王五", "B"), ("M1", "赵经理", "A"),
    ("P4", "钱七", "B"), ("P5", "孙八", ""), ("P6", "周九", "A"),
]
STANDARD_ASSIGNMENTS: list[tuple[str, str, str, str, str]] = [
    ("P1", "H1", "营业员", "2026-01-01", ""),
    ("P2", "H1", "营业员", "2026-01-01", ""),
    ("P3", "H1", "营业员", "2026-01-01", ""),
    ("M1", "H1", "店长", "2026-01-01", ""),
    ("P4", "H2", "营业员", "2026-01-01", ""),
    ("P5", "H2", "营业员", "2026-01-01", ""),
    ("P6", "H3", "营业员", "2026-01-01", ""),
]

# tx: person facts (with the hall as well); hall: unit-only facts; pz: person-only facts
STANDARD_SOURCES: dict[str, dict[str, Any]] = {
    "tx": {"time": "at", "person": "person_id", "unit": "unit_id", "columns": {
        "person_id": {"type": "string"}, "unit_id": {"type": "string"},
        "at": {"type": "datetime"}, "n": {"type": "decimal"}, "c": {"type": "string"},
        "end_at": {"type": "datetime"}}},
    "hall": {"time": "day", "unit": "unit_id", "columns": {
        "unit_id": {"type": "string"}, "day": {"type": "date"}, "n": {"type": "decimal"},
        "c": {"type": "string"}}},
    "pz": {"time": "at", "person": "person_id", "columns": {
        "person_id": {"type": "string"}, "at": {"type": "datetime"}, "n": {"type": "integer"},
        "c": {"type": "string"}}},
}


HALL_OF = {p: u for p, u, *_ in STANDARD_ASSIGNMENTS}


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for r in rows:
            w.writerow(["" if v is None else v for v in r])


def dump_yaml(data: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False,
                          default_flow_style=None, width=1000)


class WsBuilder:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        (root / "kaohe.yaml").write_text("engine: duckdb\n", encoding="utf-8")
        for d in ("org", "sources", "schemes"):
            (root / d).mkdir(exist_ok=True)
        self._ws: Workspace | None = None
        self._n_files = 0

    # --- org -------------------------------------------------------------------------------
    def units(self, rows: Sequence[Sequence[Any]], extra: Sequence[str] = ()) -> WsBuilder:
        """rows: (id, name, kind, parent_id, *extra attribute values)."""
        write_csv(self.root / "org/units.csv", ["id", "name", "kind", "parent_id", *extra], rows)
        self._ws = None
        return self

    def people(self, rows: Sequence[Sequence[Any]], extra: Sequence[str] = ()) -> WsBuilder:
        """rows: (id, name, *extra attribute values)."""
        write_csv(self.root / "org/people.csv", ["id", "name", *extra], rows)
        self._ws = None
        return self

    def assignments(self, rows: Sequence[Sequence[Any]]) -> WsBuilder:
        """rows: (person_id, unit_id, position, start, end); end '' = still there."""
        write_csv(self.root / "org/assignments.csv",
                  ["person_id", "unit_id", "position", "start", "end"], rows)
        self._ws = None
        return self

    def standard_org(self) -> WsBuilder:
        self.units(STANDARD_UNITS)
        self.people(STANDARD_PEOPLE, extra=["level"])
        return self.assignments(STANDARD_ASSIGNMENTS)

    # --- sources, schemes --------------------------------------------------------------------
    def source(self, name: str, spec: Mapping[str, Any]) -> WsBuilder:
        text = dump_yaml({"name": name, **spec})
        (self.root / "sources" / f"{name}.yaml").write_text(text, encoding="utf-8")
        self._ws = None
        return self

    def standard_sources(self) -> WsBuilder:
        for name, spec in STANDARD_SOURCES.items():
            self.source(name, spec)
        return self

    def scheme(self, code: str, spec: Mapping[str, Any] | str) -> WsBuilder:
        if not isinstance(spec, str):
            spec = dump_yaml({"name": code, **spec})
        (self.root / "schemes" / f"{code}.yaml").write_text(spec, encoding="utf-8")
        return self

    # --- facts -------------------------------------------------------------------------------
    def facts(self, source: str, rows: Sequence[Mapping[str, Any]]) -> WsBuilder:
        """Import rows (dicts by column name; missing keys are empty cells) with import_file."""
        ws = self.workspace()
        src = ws.source(source)
        header = [c.name for c in src.columns]
        self._n_files += 1
        path = self.root / "incoming" / f"{self._n_files:03d}_{source}.csv"
        write_csv(path, header, [[r.get(h) for h in header] for r in rows])
        import_file(ws.store, ws.org, src, path)
        return self

    # --- running -----------------------------------------------------------------------------
    def workspace(self) -> Workspace:
        if self._ws is None:
            self._ws = Workspace.open(self.root)
        return self._ws

    def run_output(self, code: str, period: str, engine: str = "duckdb",
                   save: bool = True) -> RunOutput:
        return run_scheme(self.workspace(), code, period, engine=engine, save=save)

    def run(self, code: str, period: str, engine: str = "duckdb", save: bool = True
            ) -> pd.DataFrame:
        """The result table indexed by entity id (the ``id`` column is kept)."""
        return by_id(self.run_output(code, period, engine, save).result.table)


def by_id(table: pd.DataFrame) -> pd.DataFrame:
    return table.set_index(table["id"].astype(str), drop=False)


def row(t: pd.DataFrame, entity: str) -> dict[str, Any]:
    """One entity's row as plain Python values (NaN/NA → None)."""
    out: dict[str, Any] = {}
    for k, v in t.loc[entity].to_dict().items():
        if v is None or v is pd.NA or (isinstance(v, float) and v != v):
            out[k] = None
        elif hasattr(v, "item"):
            out[k] = v.item()
        else:
            out[k] = v
    return out


def col(t: pd.DataFrame, name: str) -> dict[str, Any]:
    """One column as {entity id: plain value}."""
    return {e: row(t, e)[name] for e in t.index}


def scored(code: str, value: str, weight: float, score: Mapping[str, Any],
           source: str | None = "tx", **more: Any) -> dict[str, Any]:
    """A scored indicator spec (source None = derived)."""
    ind: dict[str, Any] = {"code": code, "value": value, "weight": weight, "score": dict(score)}
    if source is not None:
        ind["source"] = source
    ind.update(more)
    return ind


def role(code: str, value: str, role_name: str, source: str | None = "tx",
         **more: Any) -> dict[str, Any]:
    """A bonus/penalty/veto/info indicator spec."""
    ind: dict[str, Any] = {"code": code, "value": value, "role": role_name}
    if source is not None:
        ind["source"] = source
    ind.update(more)
    return ind


def person_scheme(indicators: Sequence[Mapping[str, Any]], **more: Any) -> dict[str, Any]:
    """A monthly clerk scheme (position 营业员) over the given indicators."""
    spec: dict[str, Any] = {"entity": "person", "period": "month",
                            "population": {"position": "营业员"},
                            "indicators": [dict(i) for i in indicators]}
    spec.update(more)
    return spec


def avg_of(code: str, source_col: str = "n") -> str:
    """The formula reading the value planted by ``value_rows`` for ``code``."""
    return f"avg({source_col}) filter (where c = '{code}')"


def value_rows(values: Mapping[str, Mapping[str, Any]], at: str = MONTH_DAY
               ) -> list[dict[str, Any]]:
    """tx rows planting one value per person and code ({person: {code: v}}); None = no row,
    so ``avg_of(code)`` is missing for that person."""
    out: list[dict[str, Any]] = []
    for person, codes in values.items():
        for code, v in codes.items():
            if v is not None:
                out.append({"person_id": person, "unit_id": HALL_OF.get(person), "at": at,
                            "c": code, "n": v})
    return out
