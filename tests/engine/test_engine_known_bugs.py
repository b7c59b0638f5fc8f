"""Engine bugs found by the correctness tests, each reduced to a minimal case.

These tests state what the spec requires; they fail until the engine is fixed.
"""

from __future__ import annotations

import pandas as pd
import pytest

from wsbuilder import ENGINES, MONTH_DAY, WsBuilder, col, person_scheme, scored

Table = pd.DataFrame


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
    # avg(0.3, 0.6) = 0.45 exactly: steps [[0.45, 1]] → 10. Averaging in DOUBLE (the fix for
    # Spark's DECIMAL(22,8) avg) sums 0.3 + 0.6 = 0.8999999999999999 → 0.44999999999999996 < 0.45
    assert col(decimals, "p_st")["P1"] == 10.0
    assert col(decimals, "v_st")["P1"] == 0.45


def test_equal_averages_of_decimals_tie(decimals: Table) -> None:
    # H1: P1 avg(0.3, 0.6) = P2 avg(0.45) → a tie, n = 2, both r = 1 → 0 points each
    # H2: P4 avg(0.1, 0.2) = P5 avg(0.15) → 0 each. Engine: 0.15000000000000002 > 0.15 → 10.
    assert {p: col(decimals, "p_pc")[p] for p in ("P1", "P2", "P4", "P5")} == {
        "P1": 0.0, "P2": 0.0, "P4": 0.0, "P5": 0.0}


def test_decimal_division_meets_an_exact_threshold(decimals: Table) -> None:
    # sum(n) / count(*) = 19.95 / 3 = 6.65 exactly ("/ is real division"): steps 6.65 → 10.
    # Engine: CAST(19.95 AS DOUBLE) / 3 = 6.6499999999999995 < 6.65 → 0.
    assert col(decimals, "p_dv")["P6"] == 10.0

