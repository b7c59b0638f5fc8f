"""Scheme caps, demotion, alerts and elimination ``below`` (spec §12, §16), by hand."""

from __future__ import annotations

from typing import Any

import pytest

from wsbuilder import (
    ENGINES, WsBuilder, avg_of, col, person_scheme, role, scored, value_rows,
)

LIN = {"rule": "linear", "floor": 0, "target": 100}


# ---- caps ----------------------------------------------------------------------------------

CAP_INDS = [
    scored("t", avg_of("t"), 100, LIN),
    role("b1", avg_of("b1"), "bonus", score={"per": 2, "cap": 5}),
    role("b2", avg_of("b2"), "bonus", score={"per": 1}),
    role("q1", avg_of("q1"), "penalty", score={"per": 1, "cap": 4}),
    role("q2", avg_of("q2"), "penalty", score={"per": 3}),
    role("vv", avg_of("vv"), "veto"),
]
CAP_VALUES: dict[str, dict[str, Any]] = {
    "P1": {"t": 70, "b1": 2, "b2": 8, "q1": 3, "q2": 1},
    "P2": {"t": 50, "b1": 10, "b2": 0, "q1": 10, "q2": 2},
    "P3": {"t": 5, "b1": 0, "q2": 3},
    "P4": {"t": 60, "b1": 0.85, "b2": 8.3},
    "P5": {"t": 40},
    "P6": {"t": 90, "b1": 3, "b2": 20, "vv": 1},
}


@pytest.fixture(scope="module", params=ENGINES)
def caps(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> dict[str, Any]:
    b = WsBuilder(tmp_path_factory.mktemp("caps")).standard_org().standard_sources()
    b.scheme("capped", person_scheme(CAP_INDS, caps={"bonus": 10, "penalty": 6}))
    b.scheme("bonus_only", person_scheme(CAP_INDS, caps={"bonus": 10}))
    b.scheme("free", person_scheme(CAP_INDS))
    b.facts("tx", value_rows(CAP_VALUES))
    return {c: b.run_output(c, "2026-10", str(request.param), save=False).result
            for c in ("capped", "bonus_only", "free")}


def test_caps_bound_the_sums_in_the_total(caps: dict[str, Any]) -> None:
    t = caps["capped"].table.set_index("id")
    totals = t["total"].to_dict()
    assert totals == {
        "P1": 74.0,  # 70 + min(10, 4 + 8) − min(6, 3 + 3) = 70 + 10 − 6
        "P2": 49.0,  # 50 + min(10, 5 + 0) − min(6, 4 + 6) = 50 + 5 − 6
        "P3": 0.0,   # 5 − min(6, 9) = −1 → 0
        "P4": 70.0,  # 60 + (1.7 + 8.3 = 10, not over the cap) = 70
        "P5": 40.0,
        "P6": 0.0,   # vetoed
    }
    # the indicators keep the points they show (their own caps only)
    assert t.loc["P1", "p_b2"] == 8.0 and t.loc["P2", "p_q1"] == -4.0 \
        and t.loc["P2", "p_q2"] == -6.0 and t.loc["P2", "p_b1"] == 5.0


def test_capped_in_json(caps: dict[str, Any]) -> None:
    capped = {e["id"]: e["capped"] for e in caps["capped"].entities()}
    assert capped == {"P1": ["bonus"], "P2": ["penalty"], "P3": ["penalty"], "P4": [],
                      "P5": [], "P6": ["bonus"]}
    assert all("capped" not in e for e in caps["free"].entities())


def test_one_cap_left_out(caps: dict[str, Any]) -> None:
    t = caps["bonus_only"].table.set_index("id")["total"].to_dict()
    # P1: 70 + 10 − (3 + 3) = 74; P2: 50 + 5 − (4 + 6) = 45; P3: 5 − 9 → 0
    assert (t["P1"], t["P2"], t["P3"]) == (74.0, 45.0, 0.0)
    free = caps["free"].table.set_index("id")["total"].to_dict()
    assert (free["P1"], free["P2"]) == (76.0, 45.0)  # 70 + 12 − 6; 50 + 5 − 10


# ---- demotion, alerts ----------------------------------------------------------------------

STARS = [[90, "五星"], [80, "四星"], [70, "三星"], [0, "一星"]]
DEMOTE = [{"when": "comp", "steps": 1}, {"when": "major", "steps": 2}]
DEM_INDS = [scored("t", avg_of("t"), 100, LIN), role("comp", avg_of("comp"), "info"),
            role("major", avg_of("major"), "info")]
DEM_VALUES: dict[str, dict[str, Any]] = {
    "P1": {"t": 95, "comp": 1},
    "P2": {"t": 95, "comp": 1, "major": 1},
    "P3": {"t": 85, "major": 2},
    "P4": {"t": 75, "comp": 0},
    "P5": {"t": 60, "major": 1},
    "P6": {"t": 92},
}


@pytest.fixture(scope="module", params=ENGINES)
def demoted(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> dict[str, Any]:
    b = WsBuilder(tmp_path_factory.mktemp("dem")).standard_org().standard_sources()
    pay = {"base": 100, "coefficient": {"五星": 3, "四星": 2, "三星": 1}}
    b.scheme("dem", person_scheme(DEM_INDS, grades=STARS, demote=DEMOTE, payout=pay,
                                  alerts=["一星", "三星"]))
    quota = [[90, "A", "34%"], [80, "B"], [0, "C"]]
    b.scheme("qd", person_scheme(DEM_INDS, grades=quota, demote=DEMOTE))
    b.facts("tx", value_rows(DEM_VALUES))
    return {c: b.run_output(c, "2026-10", str(request.param), save=False).result
            for c in ("dem", "qd")}


def test_demotion_steps_add_up_and_stop_at_the_last(demoted: dict[str, Any]) -> None:
    t = demoted["dem"].table
    assert col(t.set_index("id", drop=False), "grade") == {
        "P1": "四星",  # 五星, comp → 1 down
        "P2": "一星",  # 五星, comp + major → 3 down
        "P3": "一星",  # 四星, major → 2 down, stops at the last
        "P4": "三星",  # comp = 0 is not > 0
        "P5": "一星",  # already last
        "P6": "五星",  # comp missing: not > 0
    }


def test_payout_uses_the_demoted_grade(demoted: dict[str, Any]) -> None:
    t = demoted["dem"].table.set_index("id")
    assert t["payout"].to_dict() == {"P1": 200.0, "P2": 0.0, "P3": 0.0, "P4": 100.0,
                                     "P5": 0.0, "P6": 300.0}


def test_alert_flags_grades_listed(demoted: dict[str, Any]) -> None:
    res = demoted["dem"]
    alerts = {e["id"]: e["alert"] for e in res.entities()}
    assert alerts == {"P1": False, "P2": True, "P3": True, "P4": True, "P5": True, "P6": False}
    assert all("alert" not in e for e in demoted["qd"].entities())


def test_demotion_after_quotas(demoted: dict[str, Any]) -> None:
    t = demoted["qd"].table.set_index("id")
    # n 6, cap A = floor(34 × 6 / 100) = 2: 95 95 → A; 92 → A full → B; 85 B; 75 60 C.
    # Then demotions: P1 A → B; P2 A + 3 → C; P3 B + 2 → C. P6 stays B: quotas are not re-run.
    assert t["grade"].to_dict() == {"P1": "B", "P2": "C", "P3": "C", "P4": "C", "P5": "C",
                                    "P6": "B"}


# ---- elimination below ---------------------------------------------------------------------

SUM = [scored("t", "sum(n)", 100, LIN, source="pz")]
SEP = {"P1": 50, "P2": 58, "P3": 55, "P4": 59.99, "P5": 80, "P6": 60}
OCT = {"P1": 40, "P2": 50, "P3": 65, "P4": 30, "P5": 90, "P6": 59}


def _rows(month: str, totals: dict[str, float]) -> list[dict[str, Any]]:
    return [{"person_id": p, "at": f"2026-{month}-15 12:00:00", "n": v}
            for p, v in totals.items()]


@pytest.fixture(scope="module")
def below_history(tmp_path_factory: pytest.TempPathFactory) -> WsBuilder:
    b = WsBuilder(tmp_path_factory.mktemp("below")).standard_org().standard_sources()
    b.source("pz", {"time": "at", "person": "person_id", "columns": {
        "person_id": {"type": "string"}, "at": {"type": "datetime"},
        "n": {"type": "decimal"}}})
    b.scheme("below", person_scheme(SUM, peers=["unit"],
                                    elimination={"below": 60, "consecutive": 2}))
    b.scheme("both", person_scheme(SUM, peers=["unit"],
                                   elimination={"bottom": 1, "below": 60, "consecutive": 2}))
    b.scheme("gap", person_scheme(SUM, peers=["unit"],
                                  elimination={"below": 60, "consecutive": 2}))
    b.facts("pz", _rows("09", SEP) + _rows("10", OCT))
    b.run("below", "2026-09")
    b.run("both", "2026-09")
    return b


@pytest.mark.parametrize("engine", ENGINES)
def test_below_streak(below_history: WsBuilder, engine: str) -> None:
    t = below_history.run("below", "2026-10", engine, save=False)
    # below 60 in Sep: P1 50, P2 58, P3 55, P4 59.99 (P6 60 is not strictly below);
    # in Oct: P1 40, P2 50, P4 30, P6 59 → P1, P2, P4
    assert col(t, "eliminate") == {"P1": True, "P2": True, "P3": False, "P4": True,
                                   "P5": False, "P6": False}
    assert set(col(t, "bottom").values()) == {False}  # no bottom rule


@pytest.mark.parametrize("engine", ENGINES)
def test_bottom_and_below_both_hold(below_history: WsBuilder, engine: str) -> None:
    t = below_history.run("both", "2026-10", engine, save=False)
    # bottom of unit in Sep: H1 P1, H2 P4, H3 P6; in Oct the same. Both rules each month:
    # P1 ✓✓, P4 ✓✓, P6 Sep 60 is not below → no; P2 below both months but never bottom → no
    assert col(t, "eliminate") == {"P1": True, "P2": False, "P3": False, "P4": True,
                                   "P5": False, "P6": False}


def test_below_without_previous_run(below_history: WsBuilder) -> None:
    t = below_history.run("gap", "2026-10", save=False)
    assert set(col(t, "eliminate").values()) == {False}
