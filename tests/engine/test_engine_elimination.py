"""Bottom n and elimination over stored runs of previous periods (spec §4).

Peers: unit; total = sum(n) of the month (linear 0..100, W 100). One workspace, months
2026-08, 09, 10 run (and saved) on DuckDB; October is then run on each engine.

    H1          Aug  Sep      Oct      H2            Aug  Sep run 1 → run 2  Oct
    P1          10   10       10       P4            10   10 → 70           10
    P2          10   50       10       P5            10   50 → 50           10
    P3          10   (absent) 10       H3: P6 alone, always bottom
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from wsbuilder import (
    ENGINES, STANDARD_ASSIGNMENTS, WsBuilder, col, person_scheme, scored,
)

Table = pd.DataFrame
SUM = [scored("t", "sum(n)", 100, {"rule": "linear", "floor": 0, "target": 100},
              source="pz")]


def _rows(month: str, totals: dict[str, float]) -> list[dict[str, Any]]:
    return [{"person_id": p, "at": f"2026-{month}-15 12:00:00", "n": v}
            for p, v in totals.items()]


def _assignments() -> list[tuple[str, str, str, str, str]]:
    # P3 leaves H1 at the end of August and is back on 1 October: absent in September
    out = [a for a in STANDARD_ASSIGNMENTS if a[0] != "P3"]
    return out + [("P3", "H1", "营业员", "2026-01-01", "2026-08-31"),
                  ("P3", "H1", "营业员", "2026-10-01", "")]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> WsBuilder:
    b = WsBuilder(tmp_path_factory.mktemp("elim")).standard_org().standard_sources()
    b.assignments(_assignments())
    b.scheme("s", person_scheme(SUM, peers=["unit"],
                                elimination={"bottom": 1, "consecutive": 3}))
    b.scheme("gap", person_scheme(SUM, peers=["unit"],
                                  elimination={"bottom": 1, "consecutive": 3}))
    b.scheme("now", person_scheme(SUM, peers=["unit"],
                                  elimination={"bottom": 1, "consecutive": 1}))
    b.facts("pz", _rows("08", {"P1": 10, "P2": 10, "P3": 10, "P4": 10, "P5": 10, "P6": 10}))
    b.facts("pz", _rows("09", {"P1": 10, "P2": 50, "P4": 10, "P5": 50, "P6": 10}))
    b.facts("pz", _rows("10", {"P1": 10, "P2": 10, "P3": 10, "P4": 10, "P5": 10, "P6": 10}))
    b.run("s", "2026-08")
    first_sep = b.run("s", "2026-09")
    assert col(first_sep, "bottom")["P4"] and not col(first_sep, "bottom")["P5"]
    b.facts("pz", _rows("09", {"P4": 60}))  # September corrected: P4 70, P5 50
    second_sep = b.run("s", "2026-09")
    assert not col(second_sep, "bottom")["P4"] and col(second_sep, "bottom")["P5"]
    b.run("gap", "2026-08")  # gap: no September run at all
    return b


@pytest.fixture(scope="module", params=ENGINES)
def october(request: pytest.FixtureRequest, history: WsBuilder) -> dict[str, Table]:
    return {code: history.run(code, "2026-10", request.param, save=False)
            for code in ("s", "gap", "now")}


def test_bottom_with_ties(october: dict[str, Table]) -> None:
    # October: everyone 10 within each unit → nobody has a strictly lower total → all bottom
    assert set(col(october["s"], "bottom").values()) == {True}


def test_streak_needs_each_previous_period(october: dict[str, Table]) -> None:
    assert col(october["s"], "eliminate") == {
        "P1": True,   # bottom Aug, Sep, Oct
        "P2": False,  # not bottom in Sep (50 > 10)
        "P3": False,  # absent in Sep: the streak is broken
        "P4": False,  # bottom in Sep's first run, but the latest Sep run counts (70 > 50)
        "P5": True,   # bottom in the latest Sep run
        "P6": True,   # alone in H3: always bottom
    }


def test_missing_run_breaks_the_streak(october: dict[str, Table]) -> None:
    # scheme gap was run for Aug only (runs of scheme s do not count for it)
    assert set(col(october["gap"], "eliminate").values()) == {False}
    assert set(col(october["gap"], "bottom").values()) == {True}


def test_consecutive_one_is_bottom_now(october: dict[str, Table]) -> None:
    t = october["now"]
    assert col(t, "eliminate") == col(t, "bottom")


@pytest.fixture(scope="module", params=ENGINES)
def bottom_two(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
               ) -> Table:
    b = WsBuilder(tmp_path_factory.mktemp("b2")).standard_org().standard_sources()
    b.scheme("two", person_scheme(SUM, elimination={"bottom": 2, "consecutive": 1}))
    b.facts("pz", _rows("10", {"P1": 10, "P2": 20, "P3": 20, "P4": 30, "P5": 40, "P6": 20}))
    return b.run("two", "2026-10", request.param, save=False)


def test_bottom_two_with_ties(bottom_two: Table) -> None:
    # 10 (0 lower), 20 20 20 (1 lower < 2), 30 (4 lower), 40 (5 lower)
    assert col(bottom_two, "bottom") == {
        "P1": True, "P2": True, "P3": True, "P6": True, "P4": False, "P5": False}
    assert col(bottom_two, "eliminate") == col(bottom_two, "bottom")
