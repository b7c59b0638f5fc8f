"""``results:SCHEME`` (spec §4): a quarterly scheme built from the stored monthly runs.

Monthly scheme m: total = sum(n) (linear 0..100, W 100), grades [[80, A], [0, B]].
Monthly totals (the latest run of each month counts; Sep is outside Q4):
    P1  Oct 90, Nov 30 → corrected to 60, Dec 30     P2 from Nov: Nov 40, Dec 80
    P3  100 every month                              P4 0 every month
    P5  Sep 100, then 0                              P6 starts on Dec 31: Dec 70
M1 (a manager) is in the quarterly population but in no monthly run.
"""

from __future__ import annotations

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
