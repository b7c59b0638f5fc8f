"""Regression tests for engine bugs found by these tests and since fixed (see the report).

1. Spark averaged DECIMAL(18,4) into DECIMAL(22,8): avg 1/3 → 0.33333333, points 0.125 → 0.12.
2. vs_mean averaged doubles: 0.1 + 0.2 − 0.3 gave a mean of 1.85e-17, not 0 (m = 0 → W missed).
3. YAML `{unit: 0101}` was read as the octal integer 65: an empty population, silently.
4. Saving a run with an empty population and peers raised a pandas ValueError.
5. Values were binary doubles: avg(0.3, 0.6) = 0.44999999999999996 missed a 0.45 step, equal
   averages of decimals did not tie, 19.95 / 3 missed a 6.65 step (values now to 12 decimals).
"""

from __future__ import annotations

import pandas as pd
import pytest

from wsbuilder import ENGINES, MONTH_DAY, WsBuilder, col, person_scheme, role, scored

Table = pd.DataFrame


@pytest.fixture(params=ENGINES)
def avg_third(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
              ) -> Table:
    b = WsBuilder(tmp_path_factory.mktemp("avg")).standard_org().standard_sources()
    b.scheme("s", person_scheme([
        scored("a", "avg(n)", 3, {"rule": "linear", "floor": 0, "target": 8}),
        scored("b", "avg(n)", 15, {"rule": "linear", "floor": 0, "target": 8})]))
    b.facts("tx", [{"person_id": "P1", "at": MONTH_DAY, "n": v} for v in (1, 0, 0)])
    return b.run("s", "2026-10", request.param, save=False)


def test_avg_of_a_decimal_column_is_exact(avg_third: Table) -> None:
    # avg(n) over the decimal values 1, 0, 0 = 1/3; points 3 × (1/3)/8 = 0.125 → 0.13.
    # Spark's avg of DECIMAL(18,4) was a DECIMAL(22,8): 0.33333333, so the points were
    # 3 × 0.33333333/8 = 0.12499999875 → 0.12 on Spark (DuckDB: 0.13).
    assert col(avg_third, "v_a")["P1"] == pytest.approx(1 / 3, abs=1e-9)
    assert col(avg_third, "p_a")["P1"] == 0.13
    # 15 × (1/3)/8 = 0.625 → 0.63; with the value cut to 9 decimals (0.333333333) it would be
    # 0.624999999375 → 0.62. Total 0.125 + 0.625 = 0.75.
    assert col(avg_third, "p_b")["P1"] == 0.63
    assert col(avg_third, "total")["P1"] == 0.75


@pytest.fixture(scope="module", params=ENGINES)
def mean_zero(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
              ) -> Table:
    b = WsBuilder(tmp_path_factory.mktemp("mean0")).standard_org().standard_sources()
    b.scheme("s", person_scheme([
        scored("hi", "sum(n)", 10, {"rule": "vs_mean"}),
        scored("lo", "sum(n)", 10, {"rule": "vs_mean", "direction": "lower"})], peers=["unit"]))
    b.facts("tx", [{"person_id": p, "at": MONTH_DAY, "n": v}
                   for p, v in (("P1", "0.1"), ("P2", "0.2"), ("P3", "-0.3"))])
    return b.run("s", "2026-10", request.param, save=False)


def test_vs_mean_zero_mean_of_decimals(mean_zero: Table) -> None:
    # H1: 0.1, 0.2, −0.3 (exact decimals) → m = 0 exactly → W for everyone, both directions.
    # The engine averaged doubles: m = 1.85e-17, so higher gave P3 0 (−0.3/m clamped) and
    # lower gave 0 to all three (m/v ≈ 0) instead of 10.
    h1 = {"P1": 10.0, "P2": 10.0, "P3": 10.0}
    assert {p: col(mean_zero, "p_hi")[p] for p in h1} == h1
    assert {p: col(mean_zero, "p_lo")[p] for p in h1} == h1



def test_population_value_written_like_an_id(tmp_path_factory: pytest.TempPathFactory) -> None:
    # Ids keep their leading zeros (hall 0101), but the scheme's YAML `{unit: 0101}` was read
    # as the YAML 1.1 octal integer 65, so the population filter compared "65" and silently
    # selected nobody. Expected: the clerks of hall 0101.
    b = WsBuilder(tmp_path_factory.mktemp("ids")).standard_sources()
    b.units([("R", "市公司", "city", ""), ("0101", "一厅", "hall", "R")])
    b.people([("P1", "张三"), ("P2", "李四")])
    b.assignments([("P1", "0101", "营业员", "2026-01-01", ""),
                   ("P2", "R", "营业员", "2026-01-01", "")])
    b.scheme("s", "entity: person\nperiod: month\npopulation: {unit: 0101}\nindicators:\n"
                  "  - {code: n, source: tx, value: count(*), role: info}\n")
    assert list(b.run("s", "2026-10", save=False)["id"]) == ["P1"]



@pytest.fixture(scope="module", params=ENGINES)
def decimals(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
             ) -> Table:
    b = WsBuilder(tmp_path_factory.mktemp("dec")).standard_org().standard_sources()
    b.scheme("s", person_scheme([
        scored("st", "avg(n)", 10, {"rule": "steps", "steps": [[0.45, 1.0]]}),
        scored("pc", "avg(n)", 10, {"rule": "percentile"}),
        scored("dv", "sum(n) / count(*)", 10, {"rule": "steps", "steps": [[6.65, 1.0]]}),
    ], peers=["unit"]))
    rows = [("P1", "0.3"), ("P1", "0.6"), ("P2", "0.45"),        # H1: avg 0.45 and 0.45
            ("P4", "0.1"), ("P4", "0.2"), ("P5", "0.15"),        # H2: avg 0.15 and 0.15
            ("P6", "6.65"), ("P6", "6.65"), ("P6", "6.65")]      # H3: 19.95 / 3 = 6.65
    b.facts("tx", [{"person_id": p, "at": MONTH_DAY, "n": v} for p, v in rows])
    return b.run("s", "2026-10", request.param, save=False)


def test_avg_of_decimals_meets_an_exact_threshold(decimals: Table) -> None:
    # avg(0.3, 0.6) = 0.45 exactly: steps [[0.45, 1]] → 10. Averaging in DOUBLE (the first fix
    # of Spark's DECIMAL(22,8) avg) summed 0.3 + 0.6 = 0.8999999999999999 → 0.44999999999999996
    assert col(decimals, "p_st")["P1"] == 10.0
    assert col(decimals, "v_st")["P1"] == 0.45


def test_equal_averages_of_decimals_tie(decimals: Table) -> None:
    # H1: P1 avg(0.3, 0.6) = P2 avg(0.45) → a tie, n = 2, both r = 1 → 0 points each
    # H2: P4 avg(0.1, 0.2) = P5 avg(0.15) → 0 each. Was: 0.15000000000000002 > 0.15 → 10.
    assert {p: col(decimals, "p_pc")[p] for p in ("P1", "P2", "P4", "P5")} == {
        "P1": 0.0, "P2": 0.0, "P4": 0.0, "P5": 0.0}


def test_decimal_division_meets_an_exact_threshold(decimals: Table) -> None:
    # sum(n) / count(*) = 19.95 / 3 = 6.65 exactly ("/ is real division"): steps 6.65 → 10.
    # Was: CAST(19.95 AS DOUBLE) / 3 = 6.6499999999999995 < 6.65 → 0.
    assert col(decimals, "p_dv")["P6"] == 10.0
def test_saving_a_run_with_an_empty_population(tmp_path_factory: pytest.TempPathFactory) -> None:
    # A month in which nobody matches the population (here: no such position) with peers set:
    # history.save_run built the group key with DataFrame.agg("/".join, axis=1), which on an
    # empty frame returns a DataFrame, and pandas raised "ValueError: Buffer has wrong number
    # of dimensions". Without peers, or with save=False, the same run worked.
    b = WsBuilder(tmp_path_factory.mktemp("empty")).standard_org().standard_sources()
    b.scheme("s", person_scheme([role("n", "count(*)", "info")],
                                population={"position": "稽核员"}, peers=["unit"]))
    assert b.run("s", "2026-10").empty
    assert b.run("s", "2026-10").empty  # and again, with the first run in the history
