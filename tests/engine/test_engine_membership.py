"""Which rows belong to an entity (spec §3), the org as of the period's last day (spec §1),
and periods covering [start, next start) (spec §5).

Assignments (units: R → C1 → H1, H2; R → C2 → H3):
    P1 H1 since Jan                      P4 H2 until 2026-10-15 (left)
    P2 H1 until 10-19, then H2 from 10-20   P5 H2 from 2026-10-31 (the last day)
    P3 H1 since Jan and H2 from 10-15 (overlap: the latest start wins)
    P6 H3 from 2026-11-01               M1 H1 店长 (not a clerk)
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from wsbuilder import ENGINES, WsBuilder, col, role, scored

Table = pd.DataFrame

ASSIGNMENTS = [
    ("P1", "H1", "营业员", "2026-01-01", ""),
    ("P2", "H1", "营业员", "2026-01-01", "2026-10-19"),
    ("P2", "H2", "营业员", "2026-10-20", ""),
    ("P3", "H1", "营业员", "2026-01-01", ""),
    ("P3", "H2", "营业员", "2026-10-15", ""),
    ("P4", "H2", "营业员", "2026-01-01", "2026-10-15"),
    ("P5", "H2", "营业员", "2026-10-31", ""),
    ("P6", "H3", "营业员", "2026-11-01", ""),
    ("M1", "H1", "店长", "2026-01-01", ""),
]
P1_TIMES = ["2025-12-31 23:59:59", "2026-01-01 00:00:00", "2026-09-30 23:59:59",
            "2026-10-01 00:00:00", "2026-10-15 00:00:00", "2026-10-15 23:59:59",
            "2026-10-16 00:00:00", "2026-10-31 23:59:59", "2026-11-01 00:00:00",
            "2026-12-31 23:59:59", "2027-01-01 00:00:00"]
H1_DAYS = ["2025-12-31", "2026-09-30", "2026-10-01", "2026-10-15", "2026-10-16", "2026-10-31",
           "2026-11-01", "2026-12-31", "2027-01-01"]
TX = ([{"person_id": "P1", "unit_id": "H1", "at": t} for t in P1_TIMES]
      + [{"person_id": "P2", "unit_id": "H1", "at": "2026-10-05 10:00:00"},
         {"person_id": "P2", "unit_id": "H2", "at": "2026-10-25 10:00:00"}])
HALL = ([{"unit_id": "H1", "day": d} for d in H1_DAYS]
        + [{"unit_id": "H2", "day": "2026-10-10"}] * 5
        + [{"unit_id": "H3", "day": "2026-10-10"}] * 7)
PZ = [{"person_id": "P1", "at": "2026-10-05 10:00:00", "n": 1},
      {"person_id": "P2", "at": "2026-10-05 10:00:00", "n": 10},   # P2 is in H2 on 10-31
      {"person_id": "P4", "at": "2026-10-05 10:00:00", "n": 100}]  # P4 has no unit on 10-31

INDS = [role("tx", "count(*)", "info"), role("hall", "count(*)", "info", source="hall"),
        role("pz", "sum(n)", "info", source="pz")]


def clerks(period: str) -> dict[str, Any]:
    return {"entity": "person", "period": period, "population": {"position": "营业员"},
            "peers": ["unit"], "indicators": INDS}


SCHEMES: dict[str, tuple[dict[str, Any], str]] = {
    "oct": (clerks("month"), "2026-10"),
    "sep": (clerks("month"), "2026-09"),
    "day": (clerks("day"), "2026-10-15"),
    "q4": (clerks("quarter"), "2026-Q4"),
    "year": (clerks("year"), "2026"),
    "units": ({"entity": "unit", "period": "month", "peers": ["kind"], "indicators": INDS},
              "2026-10"),
    "halls": ({"entity": "unit", "period": "month", "population": {"kind": "hall"},
               "peers": ["parent"], "indicators": [scored(
                   "tx", "count(*)", 100, {"rule": "linear", "floor": 0, "target": 10})]},
              "2026-10"),
}


@pytest.fixture(scope="module", params=ENGINES)
def t(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
      ) -> dict[str, Table]:
    b = WsBuilder(tmp_path_factory.mktemp("members")).standard_org().standard_sources()
    b.assignments(ASSIGNMENTS)
    for code, (spec, _) in SCHEMES.items():
        b.scheme(code, spec)
    b.facts("tx", TX).facts("hall", HALL).facts("pz", PZ)
    return {code: b.run(code, period, request.param, save=False)
            for code, (_, period) in SCHEMES.items()}


def test_population_and_unit_as_of_the_last_day(t: dict[str, Table]) -> None:
    # Oct 31: P4 has left, P6 has not started, P5 started that day; P2 moved, P3's latest start
    assert col(t["oct"], "g_unit") == {"P1": "H1", "P2": "H2", "P3": "H2", "P5": "H2"}
    assert col(t["oct"], "group_size") == {"P1": 1, "P2": 3, "P3": 3, "P5": 3}
    # Sep 30: P3's H2 assignment has not started; P4 still there
    assert col(t["sep"], "g_unit") == {"P1": "H1", "P2": "H1", "P3": "H1", "P4": "H2"}
    # Oct 15: P4's last day (end inclusive); P3's H2 starts that day and wins
    assert col(t["day"], "g_unit") == {"P1": "H1", "P2": "H1", "P3": "H2", "P4": "H2"}
    # Dec 31 for the quarter and the year
    q4 = {"P1": "H1", "P2": "H2", "P3": "H2", "P5": "H2", "P6": "H3"}
    assert col(t["q4"], "g_unit") == q4
    assert col(t["year"], "g_unit") == q4


def test_person_rows_follow_the_person(t: dict[str, Table]) -> None:
    # P2's rows count for P2 whatever hall they were entered for
    assert col(t["oct"], "v_tx") == {"P1": 5, "P2": 2, "P3": 0, "P5": 0}
    assert col(t["oct"], "v_pz") == {"P1": 1, "P2": 10, "P3": 0, "P5": 0}


def test_unit_only_source_counts_the_current_hall(t: dict[str, Table]) -> None:
    # H1 has 4 October rows (10-01, 10-15, 10-16, 10-31), H2 5
    assert col(t["oct"], "v_hall") == {"P1": 4, "P2": 5, "P3": 5, "P5": 5}


def test_periods_cover_start_to_next_start(t: dict[str, Table]) -> None:
    # P1's tx rows: day 10-15 → 00:00:00 and 23:59:59; month adds 10-01 00:00, 10-16,
    # 10-31 23:59:59; the quarter adds 11-01 00:00 and 12-31 23:59:59; the year adds
    # 01-01 00:00 and 09-30 23:59:59; 2025-12-31 and 2027-01-01 never count
    assert [col(t[s], "v_tx")["P1"] for s in ("day", "oct", "q4", "year")] == [2, 5, 7, 9]
    # H1's date rows: day 1, month 4, quarter 6, year 7
    assert [col(t[s], "v_hall")["P1"] for s in ("day", "oct", "q4", "year")] == [1, 4, 6, 7]
    assert col(t["day"], "v_hall") == {"P1": 1, "P2": 1, "P3": 0, "P4": 0}


def test_unit_scheme_counts_the_subtree(t: dict[str, Table]) -> None:
    u = t["units"]
    # tx by its unit column: H1 = P1's 5 + P2's first row; H2 = P2's second row
    assert col(u, "v_tx") == {"R": 7, "C1": 7, "C2": 0, "H1": 6, "H2": 1, "H3": 0}
    assert col(u, "v_hall") == {"R": 16, "C1": 9, "C2": 7, "H1": 4, "H2": 5, "H3": 7}


def test_unit_scheme_person_only_source_through_the_persons_unit(t: dict[str, Table]) -> None:
    # pz: P1 (H1) 1, P2 (H2 on Oct 31) 10; P4 has no unit on Oct 31 → counted nowhere
    assert col(t["units"], "v_pz") == {"R": 11, "C1": 11, "C2": 0, "H1": 1, "H2": 10, "H3": 0}


def test_unit_population_and_parent_peers(t: dict[str, Table]) -> None:
    h = t["halls"]
    assert col(h, "g_parent") == {"H1": "C1", "H2": "C1", "H3": "C2"}
    # H1 6 rows → 60, H2 1 → 10; H3 alone in C2
    assert col(h, "total") == {"H1": 60.0, "H2": 10.0, "H3": 0.0}
    assert col(h, "rank") == {"H1": 1, "H2": 2, "H3": 1}
    assert col(t["units"], "group_size") == {"R": 1, "C1": 2, "C2": 2, "H1": 3, "H2": 3, "H3": 3}
