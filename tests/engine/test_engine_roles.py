"""Missing-value policies, roles (bonus, penalty, veto, info), totals and rounding (spec §4)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from wsbuilder import (
    ENGINES, WsBuilder, avg_of, col, person_scheme, role, row, scored, value_rows,
)

Table = pd.DataFrame
LIN100 = {"rule": "linear", "floor": 0, "target": 100}

ROLES = [
    scored("a", avg_of("a"), 40, LIN100),                     # missing: zero (default)
    scored("b", avg_of("b"), 30, LIN100, missing="full"),
    scored("c", avg_of("c"), 30, LIN100, missing="exclude"),
    role("bon", avg_of("bon"), "bonus", score={"per": 2, "cap": 5}),
    role("pen", avg_of("pen"), "penalty", score={"per": 3, "cap": 10}),
    role("pn", avg_of("pn"), "penalty", score={"per": 1}),     # no cap
    role("veto", avg_of("veto"), "veto"),
    role("info", avg_of("a"), "info"),
]
ROLE_VALUES: dict[str, dict[str, Any]] = {
    "P1": {"a": 50, "b": 100, "c": 80, "bon": 1, "pen": 0, "veto": 0},
    "P2": {"a": 50, "bon": 10, "pen": 2},
    "P3": {"pen": 5},
    "P4": {"a": 10, "b": 10, "c": 10, "veto": 1, "bon": 3},
    "P5": {"a": 0, "b": 0, "c": 0, "pen": 4, "pn": 7},
    "P6": {},
}
GRADES = [[90, "A"], [60, "B"], [0, "C"]]

ALL_EXCLUDED = [
    scored("x", avg_of("x"), 50, {"rule": "linear", "floor": 0, "target": 10},
           missing="exclude"),
    scored("y", avg_of("y"), 50, {"rule": "linear", "floor": 0, "target": 10},
           missing="exclude"),
    role("bon", avg_of("xb"), "bonus", score={"per": 1}),
]
ALL_EXCLUDED_VALUES: dict[str, dict[str, Any]] = {
    "P1": {"x": 5}, "P2": {"xb": 3}, "P3": {"x": 10, "y": 10}, "P4": {"y": 2, "xb": 1},
}

THIRD = {"rule": "linear", "floor": 0, "target": 3}
ROUNDING = [
    scored("r1", avg_of("r1"), 2.675, {"rule": "linear", "floor": 0, "target": 1}),
    scored("r2", avg_of("r2"), 1, {"rule": "linear", "floor": 0, "target": 8}),
    scored("t1", avg_of("t1"), 10, THIRD),
    scored("t2", avg_of("t2"), 10, THIRD),
    scored("t3", avg_of("t3"), 10, THIRD),
    role("pen", avg_of("rp"), "penalty", score={"per": 0.125}),
    role("bon", avg_of("rb"), "bonus", score={"per": 0.005}),
]
ROUNDING_VALUES: dict[str, dict[str, Any]] = {
    "P1": {"r1": 1},
    "P2": {"r2": 1},
    "P3": {"t1": 1, "t2": 1, "t3": 1},
    "P4": {"r2": 5, "rp": 1},
    "P5": {"r2": 3, "t1": 2},
    "P6": {"rb": 201},
}


@pytest.fixture(scope="module", params=ENGINES)
def tables(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> dict[str, Table]:
    b = WsBuilder(tmp_path_factory.mktemp("roles")).standard_org().standard_sources()
    b.scheme("roles", person_scheme(ROLES, grades=GRADES))
    b.scheme("allx", person_scheme(ALL_EXCLUDED))
    b.scheme("rnd", person_scheme(ROUNDING))
    values = {p: {**ROLE_VALUES.get(p, {}), **ALL_EXCLUDED_VALUES.get(p, {}),
                  **ROUNDING_VALUES.get(p, {})} for p in ROLE_VALUES}
    b.facts("tx", value_rows(values))
    return {code: b.run(code, "2026-10", request.param, save=False)
            for code in ("roles", "allx", "rnd")}


@pytest.fixture(scope="module")
def roles(tables: dict[str, Table]) -> Table:
    return tables["roles"]


def test_missing_zero_full_exclude_reweighting(roles: Table) -> None:
    # P1: nothing missing: 40 × .5 + 30 × 1 + 30 × .8 + bonus min(5, 2 × 1) = 20 + 30 + 24 + 2
    assert row(roles, "P1")["total"] == 76.0
    # P2: c excluded → scored points × 100/70; b missing (full) → 30
    # a: 20 × 100/70 = 28.571… → 28.57; b: 30 × 100/70 = 42.857… → 42.86
    # total = 71.428571… + min(5, 2 × 10) − min(10, 3 × 2) = 70.428… → 70.43
    r = row(roles, "P2")
    assert (r["p_a"], r["p_b"], r["p_c"], r["m_c"], r["m_b"]) == (28.57, 42.86, None, True, True)
    assert (r["p_bon"], r["p_pen"], r["total"]) == (5.0, -6.0, 70.43)
    # P3: a missing (zero) → 0, b full → 30 × 100/70 = 42.857…; penalty min(10, 15) = 10
    # total = 42.857… − 10 = 32.857… → 32.86
    r = row(roles, "P3")
    assert (r["p_a"], r["m_a"], r["p_b"], r["p_pen"], r["total"]) == (
        0.0, True, 42.86, -10.0, 32.86)


def test_missing_value_gives_no_bonus_penalty_or_veto(roles: Table) -> None:
    # P6 has no rows: a → 0, b → full 30 × 100/70 (c excluded) = 42.857… → 42.86
    r = row(roles, "P6")
    assert r["total"] == 42.86
    assert (r["v_bon"], r["p_bon"], r["m_bon"]) == (None, 0.0, True)
    assert (r["v_pen"], r["p_pen"], r["m_pen"]) == (None, 0.0, True)
    assert (r["v_veto"], r["p_veto"], r["m_veto"], r["vetoed"]) == (None, None, True, False)
    assert r["grade"] == "C"


def test_veto_sets_total_zero_and_last_grade(roles: Table) -> None:
    # P4: points 4 + 3 + 3 + bonus 5 = 15, but veto v = 1 > 0 → total 0, grade C (last)
    r = row(roles, "P4")
    assert (r["vetoed"], r["total"], r["grade"]) == (True, 0.0, "C")
    assert (r["p_a"], r["p_bon"], r["p_veto"]) == (4.0, 5.0, None)
    assert not row(roles, "P1")["vetoed"]  # v = 0 is no veto


def test_total_never_below_zero(roles: Table) -> None:
    # P5: 0 + 0 + 0 − min(10, 12) − 7 = −17 → 0; points shown as they are
    r = row(roles, "P5")
    assert (r["p_pen"], r["p_pn"], r["total"], r["vetoed"], r["grade"]) == (
        -10.0, -7.0, 0.0, False, "C")


def test_info_is_shown_never_scored(roles: Table) -> None:
    assert col(roles, "v_info") == {
        "P1": 50.0, "P2": 50.0, "P3": None, "P4": 10.0, "P5": 0.0, "P6": None}
    assert set(col(roles, "p_info").values()) == {None}
    assert col(roles, "m_info")["P3"] is True


def test_all_scored_excluded(tables: dict[str, Table]) -> None:
    t = tables["allx"]
    # P1: y excluded → x 50 × 5/10 × 100/50 = 50
    assert row(t, "P1")["total"] == 50.0 and row(t, "P1")["p_x"] == 50.0
    # P2: both excluded → no scored points at all; the bonus still counts: 3
    r = row(t, "P2")
    assert (r["p_x"], r["p_y"], r["p_bon"], r["total"]) == (None, None, 3.0, 3.0)
    # P3: 50 + 50; P4: y 50 × 2/10 × 100/50 = 20, + bonus 1
    assert row(t, "P3")["total"] == 100.0
    assert row(t, "P4")["total"] == 21.0
    assert row(t, "P5")["total"] == 0.0


def test_rounding_half_away_from_zero(tables: dict[str, Table]) -> None:
    t = tables["rnd"]
    # 2.675 × 1 = 2.675 (a double just below 2.675) → 2.68
    assert (row(t, "P1")["p_r1"], row(t, "P1")["total"]) == (2.68, 2.68)
    # 1 × 1/8 = 0.125 → 0.13 (not banker's 0.12)
    assert (row(t, "P2")["p_r2"], row(t, "P2")["total"]) == (0.13, 0.13)
    # 1 × 5/8 = 0.625 → 0.63; penalty −0.125 → −0.13 (away from zero); total 0.5
    r = row(t, "P4")
    assert (r["p_r2"], r["p_pen"], r["total"]) == (0.63, -0.13, 0.5)
    # bonus 0.005 × 201 = 1.005 → 1.01
    assert (row(t, "P6")["p_bon"], row(t, "P6")["total"]) == (1.01, 1.01)


def test_total_from_unrounded_points(tables: dict[str, Table]) -> None:
    t = tables["rnd"]
    # three times 10 × 1/3 = 3.333… shown 3.33 each; total 10 (not 9.99)
    r = row(t, "P3")
    assert (r["p_t1"], r["p_t2"], r["p_t3"], r["total"]) == (3.33, 3.33, 3.33, 10.0)
    # P5: 3/8 = 0.375 → 0.38 shown; 20/3 = 6.666… → 6.67; total 7.041666… → 7.04 (not 7.05)
    r = row(t, "P5")
    assert (r["p_r2"], r["p_t1"], r["total"]) == (0.38, 6.67, 7.04)
