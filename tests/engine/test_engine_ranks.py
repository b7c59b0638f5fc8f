"""Ranks within peer groups, group_size, grades in written order (spec §4)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from wsbuilder import ENGINES, WsBuilder, avg_of, col, person_scheme, row, scored, value_rows

Table = pd.DataFrame
# total = v (100 × v/100)
TOTAL = [scored("t", avg_of("t"), 100, {"rule": "linear", "floor": 0, "target": 100})]
# C1 = H1 + H2 (P1..P5), C2 = H3 (P6); level: P1 A, P2 A, P3 B, P4 B, P5 empty, P6 A; M1 A
TOTALS: dict[str, dict[str, Any]] = {
    "P1": {"t": 80}, "P2": {"t": 90}, "P3": {"t": 80}, "P4": {"t": 70}, "P5": {"t": 90},
    "P6": {"t": 60}, "M1": {"t": 95},
}
SCHEMES: dict[str, dict[str, Any]] = {
    "everyone": person_scheme(TOTAL, grades=[[85, "A"], [75, "B"], [0, "C"]]),
    "county": person_scheme(TOTAL, peers=["ancestor:county"],
                            grades=[[60, "及格"], [90, "优秀"], [0, "不及格"]]),
    "unit": person_scheme(TOTAL, peers=["unit"], grades=[[85, "A"], [70, "B"]]),
    "level": person_scheme(TOTAL, peers=["level"]),
    "position": {"entity": "person", "period": "month", "peers": ["position"],
                 "indicators": TOTAL},
}


@pytest.fixture(scope="module", params=ENGINES)
def tables(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> dict[str, Table]:
    b = WsBuilder(tmp_path_factory.mktemp("ranks")).standard_org().standard_sources()
    for code, spec in SCHEMES.items():
        b.scheme(code, spec)
    b.facts("tx", value_rows(TOTALS))
    return {code: b.run(code, "2026-10", request.param, save=False) for code in SCHEMES}


def test_competition_rank_everyone(tables: dict[str, Table]) -> None:
    t = tables["everyone"]
    # 90 90 80 80 70 60 → 1 1 3 3 5 6; M1 (店长) is not in the population
    assert col(t, "rank") == {"P2": 1, "P5": 1, "P1": 3, "P3": 3, "P4": 5, "P6": 6}
    assert set(col(t, "group_size").values()) == {6}
    assert col(t, "grade") == {"P2": "A", "P5": "A", "P1": "B", "P3": "B", "P4": "C", "P6": "C"}


def test_rank_within_ancestor_groups(tables: dict[str, Table]) -> None:
    t = tables["county"]
    # C1: P2 90, P5 90, P1 80, P3 80, P4 70 → 1 1 3 3 5; C2: P6 alone → 1 of 1
    assert col(t, "rank") == {"P2": 1, "P5": 1, "P1": 3, "P3": 3, "P4": 5, "P6": 1}
    assert col(t, "group_size") == {"P1": 5, "P2": 5, "P3": 5, "P4": 5, "P5": 5, "P6": 1}
    assert col(t, "g_ancestor:county") == {
        "P1": "C1", "P2": "C1", "P3": "C1", "P4": "C1", "P5": "C1", "P6": "C2"}
    # rows are ordered by group, then rank, then id
    assert list(t["id"]) == ["P2", "P5", "P1", "P3", "P4", "P6"]


def test_grades_in_written_order(tables: dict[str, Table]) -> None:
    t = tables["county"]
    # [[60, 及格], [90, 优秀], [0, 不及格]]: 90 meets 60 first → 及格, never 优秀
    assert set(col(t, "grade").values()) == {"及格"}


def test_no_grade_matches(tables: dict[str, Table]) -> None:
    t = tables["unit"]
    # [[85, A], [70, B]]: 60 meets neither → no grade
    assert col(t, "grade") == {"P1": "B", "P2": "A", "P3": "B", "P4": "B", "P5": "A", "P6": None}
    # H1: P2 90, P1 80, P3 80 → 1 2 2; H2: P5 90, P4 70 → 1 2; H3: P6 → 1
    assert col(t, "rank") == {"P1": 2, "P2": 1, "P3": 2, "P4": 2, "P5": 1, "P6": 1}


def test_empty_peer_attribute_is_its_own_group(tables: dict[str, Table]) -> None:
    t = tables["level"]
    # A: P2 90, P1 80, P6 60; B: P3 80, P4 70; empty: P5 alone
    assert col(t, "rank") == {"P2": 1, "P1": 2, "P6": 3, "P3": 1, "P4": 2, "P5": 1}
    assert col(t, "group_size") == {"P1": 3, "P2": 3, "P6": 3, "P3": 2, "P4": 2, "P5": 1}
    assert row(t, "P5")["g_level"] in (None, "")


def test_no_population_filter_and_position_peers(tables: dict[str, Table]) -> None:
    t = tables["position"]
    # everyone with an assignment: the manager M1 too, alone in the 店长 group
    assert (row(t, "M1")["rank"], row(t, "M1")["group_size"]) == (1, 1)
    assert row(t, "P2")["group_size"] == 6
