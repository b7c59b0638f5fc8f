"""``results:SCHEME`` (spec §4): a quarterly scheme built from the stored monthly runs.

Monthly scheme m: total = sum(n) (linear 0..100, W 100), grades [[80, A], [0, B]].
Monthly totals (the latest run of each month counts; Sep is outside Q4):
    P1  Oct 90, Nov 30 → corrected to 60, Dec 30     P2 from Nov: Nov 40, Dec 80
    P3  100 every month                              P4 0 every month
    P5  Sep 100, then 0                              P6 starts on Dec 31: Dec 70
M1 (a manager) is in the quarterly population but in no monthly run.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from wsbuilder import (
    ENGINES, STANDARD_ASSIGNMENTS, WsBuilder, col, person_scheme, role, scored,
)

Table = pd.DataFrame
LIN100 = {"rule": "linear", "floor": 0, "target": 100}
MONTHLY = person_scheme([scored("vol", "sum(n)", 100, LIN100, source="pz")],
                        grades=[[80, "A"], [0, "B"]])
QUARTERLY = {"entity": "person", "period": "quarter", "indicators": [
    scored("avg_total", "avg(total)", 100, LIN100, source="results:m"),
    role("months", "count(*)", "info", source="results:m"),
    role("best", "max(p_vol)", "info", source="results:m"),
    role("top", "count(*) filter (where rank = 1)", "info", source="results:m"),
    role("graded", "count(*) filter (where grade = 'A')", "info", source="results:m"),
]}


def _pz(month: str, values: dict[str, float]) -> list[dict[str, Any]]:
    return [{"person_id": p, "at": f"2026-{month}-15 10:00:00", "n": v} for p, v in values.items()]


@pytest.fixture(scope="module")
def months(tmp_path_factory: pytest.TempPathFactory) -> WsBuilder:
    b = WsBuilder(tmp_path_factory.mktemp("results")).standard_org().standard_sources()
    late = {"P2": "2026-11-01", "P6": "2026-12-31"}
    b.assignments([(p, u, pos, late.get(p, start), end)
                   for p, u, pos, start, end in STANDARD_ASSIGNMENTS])
    b.scheme("m", MONTHLY).scheme("q", QUARTERLY)
    b.facts("pz", _pz("09", {"P5": 100}) + _pz("10", {"P1": 90, "P3": 100})
            + _pz("11", {"P1": 30, "P2": 40, "P3": 100})
            + _pz("12", {"P1": 30, "P2": 80, "P3": 100, "P6": 70}))
    for month in ("2026-09", "2026-10", "2026-11"):
        b.run("m", month)
    b.facts("pz", _pz("11", {"P1": 30}))  # November corrected: P1 60
    for month in ("2026-11", "2026-12"):
        b.run("m", month)
    return b


@pytest.fixture(scope="module", params=ENGINES)
def q4(request: pytest.FixtureRequest, months: WsBuilder) -> Table:
    return months.run("q", "2026-Q4", request.param, save=False)


def test_quarter_from_monthly_totals(q4: Table) -> None:
    # P1 (90 + 60 + 30)/3 = 60 (the first November run, 30, does not count)
    # P2 (40 + 80)/2 = 60; P3 100; P4 0; P5 0 (September is not in Q4); P6 70
    assert col(q4, "v_avg_total") == {
        "P1": 60.0, "P2": 60.0, "P3": 100.0, "P4": 0.0, "P5": 0.0, "P6": 70.0, "M1": None}
    assert col(q4, "total") == {
        "P1": 60.0, "P2": 60.0, "P3": 100.0, "P4": 0.0, "P5": 0.0, "P6": 70.0, "M1": 0.0}
    assert col(q4, "m_avg_total")["M1"] is True


def test_result_columns(q4: Table) -> None:
    assert col(q4, "v_months") == {"P1": 3, "P2": 2, "P3": 3, "P4": 3, "P5": 3, "P6": 1, "M1": 0}
    assert col(q4, "v_best") == {
        "P1": 90.0, "P2": 80.0, "P3": 100.0, "P4": 0.0, "P5": 0.0, "P6": 70.0, "M1": None}
    assert col(q4, "v_top") == {"P1": 0, "P2": 0, "P3": 3, "P4": 0, "P5": 0, "P6": 0, "M1": 0}
    # A: P1 in Oct (90), P2 in Dec (80), P3 every month
    assert col(q4, "v_graded") == {
        "P1": 1, "P2": 1, "P3": 3, "P4": 0, "P5": 0, "P6": 0, "M1": 0}


# The run tables of kaohe before run_values: every indicator row keyed by three strings.
OLD_LAYOUT = """
CREATE TABLE imports (
    import_id VARCHAR PRIMARY KEY, source VARCHAR, file VARCHAR, rows BIGINT,
    replaced_period VARCHAR, deleted BIGINT, imported_at TIMESTAMP);
CREATE TABLE runs (
    run_id VARCHAR PRIMARY KEY, scheme VARCHAR, period VARCHAR, period_start DATE,
    status VARCHAR, engine VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP,
    scheme_yaml VARCHAR, entities BIGINT);
CREATE TABLE run_entities (
    run_id VARCHAR, entity_id VARCHAR, name VARCHAR, group_key VARCHAR, total DOUBLE,
    rank BIGINT, group_size BIGINT, grade VARCHAR, vetoed BOOLEAN, bottom BOOLEAN,
    eliminate BOOLEAN, payout DOUBLE);
CREATE TABLE run_indicators (
    run_id VARCHAR, entity_id VARCHAR, code VARCHAR, value DOUBLE, points DOUBLE,
    missing BOOLEAN);
"""
RUN_COLUMNS = ("run_id, scheme, period, period_start, status, engine, started_at, finished_at, "
               "scheme_yaml, entities")
ENTITY_COLUMNS = ("run_id, entity_id, name, group_key, total, rank, group_size, grade, vetoed, "
                  "bottom, eliminate, payout")
INDICATOR_ORDER = "ORDER BY run_id, entity_id, code"


def _old_store(new: Path, old: Path) -> None:
    """An old-layout copy of store ``new``: its facts, imports and runs."""
    import duckdb

    old.unlink()
    con = duckdb.connect(str(old))
    try:
        con.execute(OLD_LAYOUT)
        con.execute(f"ATTACH '{new}' AS new (READ_ONLY)")
        facts = con.execute("SELECT table_name FROM information_schema.tables WHERE "
                            "table_catalog = 'new' AND table_name NOT LIKE 'run%' "
                            "AND table_name <> 'imports'").fetchall()
        for (table,) in facts:
            con.execute(f'CREATE TABLE "{table}" AS SELECT * FROM new."{table}"')
        con.execute("INSERT INTO imports SELECT * FROM new.imports")
        con.execute(f"INSERT INTO runs SELECT {RUN_COLUMNS} FROM new.runs")
        con.execute(f"INSERT INTO run_entities SELECT {ENTITY_COLUMNS} FROM new.run_entities")
        con.execute("INSERT INTO run_indicators SELECT * FROM new.run_indicators")
        con.execute("DETACH new")
    finally:
        con.close()


def test_an_old_store_is_migrated_on_open(months: WsBuilder, tmp_path: Path) -> None:
    """A store of the old layout (run_indicators a table) reads back the same: its rows move to
    run_values on the first open, run_indicators becomes a view with the same rows, the
    quarterly scheme reads the same monthly results, and a new run gets a new number."""
    import duckdb

    copy = WsBuilder(tmp_path / "ws")
    shutil.copytree(months.root, copy.root, dirs_exist_ok=True)
    new_path = months.workspace().store.path
    old_path = copy.root / new_path.relative_to(months.root)
    _old_store(new_path, old_path)
    with duckdb.connect(str(new_path), read_only=True) as con:
        rows = con.execute(f"SELECT * FROM run_indicators {INDICATOR_ORDER}").fetchall()
        entities = con.execute(f"SELECT {ENTITY_COLUMNS} FROM run_entities "
                               "ORDER BY run_id, entity_id").fetchall()
    with duckdb.connect(str(old_path), read_only=True) as con:
        kinds = con.execute("SELECT table_name, table_type FROM information_schema.tables "
                            "WHERE table_name LIKE 'run%' ORDER BY 1").fetchall()
    assert ("run_indicators", "BASE TABLE") in kinds and len(rows) > 20

    q = copy.run("q", "2026-Q4", save=False)  # opens the old store read-only first
    assert q.equals(months.run("q", "2026-Q4", save=False))
    ws = copy.workspace()
    with ws.store.connect(read_only=True) as con:
        kinds = con.execute("SELECT table_name, table_type FROM information_schema.tables "
                            "WHERE table_name LIKE 'run%' ORDER BY 1").fetchall()
        assert con.execute(f"SELECT * FROM run_indicators {INDICATOR_ORDER}").fetchall() == rows
        assert con.execute(f"SELECT {ENTITY_COLUMNS} FROM run_entities "
                           "ORDER BY run_id, entity_id").fetchall() == entities
        numbers = con.execute("SELECT run_no FROM runs ORDER BY run_no").fetchall()
    assert kinds == [("run_adjustments", "BASE TABLE"), ("run_codes", "BASE TABLE"), ("run_entities", "BASE TABLE"),
                     ("run_indicators", "VIEW"), ("run_line_names", "BASE TABLE"),
                     ("run_lines", "BASE TABLE"), ("run_payout_lines", "VIEW"),
                     ("run_values", "BASE TABLE"), ("runs", "BASE TABLE")]
    assert [n for (n,) in numbers] == list(range(1, len(numbers) + 1))

    out = copy.run_output("m", "2026-12")
    with ws.store.connect(read_only=True) as con:
        ((no,),) = con.execute("SELECT run_no FROM runs WHERE run_id = ?",
                               [out.result.run_id]).fetchall()
        ((n,),) = con.execute("SELECT count(*) FROM run_indicators WHERE run_id = ?",
                              [out.result.run_id]).fetchall()
    assert no == len(numbers) + 1 and n == len(out.result.table)
