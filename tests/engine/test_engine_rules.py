"""Scoring rules (spec §4 table), hand-computed, on DuckDB and Spark.

Clerks of the standard org: H1 = P1 P2 P3, H2 = P4 P5, H3 = P6 (M1 is a manager, not assessed).
Each indicator reads one planted value per clerk: ``avg(n) filter (where c = CODE)``; a clerk
without a planted row has no value (missing, default policy zero → 0 points).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from wsbuilder import ENGINES, WsBuilder, avg_of, col, person_scheme, scored, value_rows

Table = pd.DataFrame


def _run(tmp: Path, engine: str, indicators: list[dict[str, Any]],
         values: dict[str, dict[str, Any]], **scheme: Any) -> Table:
    b = WsBuilder(tmp).standard_org().standard_sources()
    b.scheme("s", person_scheme(indicators, **scheme))
    b.facts("tx", value_rows(values))
    return b.run("s", "2026-10", engine, save=False)


# --- linear, steps, deduct: per entity, one run ------------------------------------------------

PER_ENTITY = [
    scored("lin", avg_of("lin"), 40, {"rule": "linear", "floor": 0, "target": 300}),
    scored("lin_cap", avg_of("lin"), 10, {"rule": "linear", "floor": 0, "target": 200,
                                          "cap": 1.2}),
    scored("lin_low", avg_of("lin"), 20, {"rule": "linear", "floor": 300, "target": 100}),
    scored("st", avg_of("st"), 30, {"rule": "steps",
                                    "steps": [[0.98, 1.0], [0.95, 0.8], [0.90, 0.6]]}),
    scored("st_order", avg_of("st"), 10, {"rule": "steps", "steps": [[0.90, 0.6], [0.95, 0.8]]}),
    scored("st_low", avg_of("lo"), 10, {"rule": "steps", "direction": "lower",
                                        "steps": [[5, 1.0], [10, 0.5]]}),
    scored("ded", avg_of("ded"), 30, {"rule": "deduct", "per": 1}),
    scored("ded_max", avg_of("ded"), 30, {"rule": "deduct", "per": 2, "max": 10}),
    scored("ded_floor", avg_of("ded"), 10, {"rule": "deduct", "per": 1, "max": 15}),
]
PER_ENTITY_VALUES: dict[str, dict[str, Any]] = {
    "P1": {"lin": 250, "st": 0.985, "lo": 3, "ded": 0},
    "P2": {"lin": 300, "st": 0.96, "lo": 5, "ded": 3},
    "P3": {"lin": 400, "st": 0.90, "lo": 7, "ded": 7},
    "P4": {"lin": 0, "st": 0.8999, "lo": 10, "ded": 12},
    "P5": {"lin": -50, "st": 0.98, "lo": 12, "ded": 40},
    "P6": {"lin": 150},
}


@pytest.fixture(scope="module", params=ENGINES)
def per_entity(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Table:
    return _run(tmp_path_factory.mktemp("rules"), request.param, PER_ENTITY, PER_ENTITY_VALUES)


def test_linear(per_entity: Table) -> None:
    # 40 × clamp((v − 0)/(300 − 0), 0, 1)
    assert col(per_entity, "p_lin") == {
        "P1": 33.33,  # 40 × 250/300 = 33.333… → 33.33
        "P2": 40.0,   # at target
        "P3": 40.0,   # 400/300 clamped to 1
        "P4": 0.0,    # at floor
        "P5": 0.0,    # below floor, clamped to 0
        "P6": 20.0,   # 40 × 150/300
    }


def test_linear_cap(per_entity: Table) -> None:
    # 10 × clamp(v/200, 0, 1.2)
    assert col(per_entity, "p_lin_cap") == {
        "P1": 12.0,  # 250/200 = 1.25 → cap 1.2
        "P2": 12.0, "P3": 12.0, "P4": 0.0, "P5": 0.0,
        "P6": 7.5,   # 150/200 = 0.75
    }


def test_linear_floor_above_target_rewards_lower(per_entity: Table) -> None:
    # 20 × clamp((v − 300)/(100 − 300), 0, 1)
    assert col(per_entity, "p_lin_low") == {
        "P1": 5.0,   # (250 − 300)/(−200) = 0.25
        "P2": 0.0,   # at the floor 300
        "P3": 0.0,   # worse than the floor
        "P4": 20.0,  # 300/200 = 1.5 → 1
        "P5": 20.0,  # 350/200 → 1
        "P6": 15.0,  # 150/200 = 0.75
    }


def test_steps_first_met_step(per_entity: Table) -> None:
    # 30 × fraction of the first step met, in the order written
    assert col(per_entity, "p_st") == {
        "P1": 30.0,  # 0.985 >= 0.98 → 1.0
        "P2": 24.0,  # 0.96 >= 0.95 → 0.8
        "P3": 18.0,  # 0.90 >= 0.90 (threshold itself) → 0.6
        "P4": 0.0,   # 0.8999: none met
        "P5": 30.0,  # exactly 0.98
        "P6": 0.0,   # missing (zero)
    }
    assert per_entity.loc["P6", "m_st"]


def test_steps_in_written_order(per_entity: Table) -> None:
    # steps [[0.90, 0.6], [0.95, 0.8]]: 0.96 meets 0.90 first → 0.6, never 0.8
    assert col(per_entity, "p_st_order") == {
        "P1": 6.0, "P2": 6.0, "P3": 6.0, "P4": 0.0, "P5": 6.0, "P6": 0.0}


def test_steps_direction_lower(per_entity: Table) -> None:
    # v <= 5 → 1.0, else v <= 10 → 0.5, else 0
    assert col(per_entity, "p_st_low") == {
        "P1": 10.0,  # 3
        "P2": 10.0,  # 5 (threshold itself)
        "P3": 5.0,   # 7
        "P4": 5.0,   # 10
        "P5": 0.0,   # 12: none met
        "P6": 0.0,   # missing
    }


def test_deduct_default_max_is_weight(per_entity: Table) -> None:
    # 30 − min(30, 1 × v), never below 0
    assert col(per_entity, "p_ded") == {
        "P1": 30.0, "P2": 27.0, "P3": 23.0, "P4": 18.0,
        "P5": 0.0,   # 30 − min(30, 40) = 0
        "P6": 0.0,   # missing value, policy zero: 0 (not 30)
    }


def test_deduct_per_and_max(per_entity: Table) -> None:
    # 30 − min(10, 2 × v)
    assert col(per_entity, "p_ded_max") == {
        "P1": 30.0,  # 0
        "P2": 24.0,  # 30 − 6
        "P3": 20.0,  # 30 − min(10, 14)
        "P4": 20.0, "P5": 20.0, "P6": 0.0,
    }


def test_deduct_never_below_zero(per_entity: Table) -> None:
    # W = 10, max 15 > W: 10 − min(15, v) floored at 0
    assert col(per_entity, "p_ded_floor") == {
        "P1": 10.0, "P2": 7.0, "P3": 3.0,
        "P4": 0.0,   # 10 − 12 = −2 → 0
        "P5": 0.0,   # 10 − 15 = −5 → 0
        "P6": 0.0,
    }


def test_total_of_rules(per_entity: Table) -> None:
    # P1: 33.333… + 12 + 5 + 30 + 6 + 10 + 30 + 30 + 10 = 166.333… → 166.33
    assert per_entity.loc["P1", "total"] == 166.33
    # P6: 20 + 7.5 + 15 (everything else missing → 0)
    assert per_entity.loc["P6", "total"] == 42.5


# --- percentile ------------------------------------------------------------------------------

PCT = [
    scored("pct", avg_of("x"), 20, {"rule": "percentile"}),
    scored("pct_low", avg_of("x"), 20, {"rule": "percentile", "direction": "lower"}),
    scored("pct_full", avg_of("x"), 20, {"rule": "percentile"}, missing="full"),
]
# P5 has no value: not counted in n
PCT_VALUES: dict[str, dict[str, Any]] = {
    "P1": {"x": 10}, "P2": {"x": 20}, "P3": {"x": 20}, "P4": {"x": 30}, "P5": {"x": None},
    "P6": {"x": 5},
}


@pytest.fixture(scope="module", params=ENGINES)
def pct_all(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Table:
    return _run(tmp_path_factory.mktemp("pct"), request.param, PCT, PCT_VALUES)


@pytest.fixture(scope="module", params=ENGINES)
def pct_unit(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Table:
    return _run(tmp_path_factory.mktemp("pctu"), request.param, PCT, PCT_VALUES, peers=["unit"])


def test_percentile_everyone(pct_all: Table) -> None:
    # n = 5 values (P5 missing); r counted from the worst, ties share the lower r
    # ascending: P6 5 (r1), P1 10 (r2), P2 P3 20 (r3, r3), P4 30 (r5); 20 × (r − 1)/4
    assert col(pct_all, "p_pct") == {
        "P6": 0.0, "P1": 5.0, "P2": 10.0, "P3": 10.0, "P4": 20.0, "P5": 0.0}
    # lower: descending is from the worst: P4 r1, P2 P3 r2, P1 r4, P6 r5
    assert col(pct_all, "p_pct_low") == {
        "P4": 0.0, "P2": 5.0, "P3": 5.0, "P1": 15.0, "P6": 20.0, "P5": 0.0}
    # missing: full gives W to P5; the others as in p_pct
    assert col(pct_all, "p_pct_full")["P5"] == 20.0
    assert col(pct_all, "p_pct_full")["P2"] == 10.0


def test_percentile_within_peer_groups(pct_unit: Table) -> None:
    # H1: P1 10 (r1), P2 P3 20 (r2) → n = 3: 0, 20 × 1/2, 20 × 1/2
    # H2: P4 30 is the only value (P5 missing) → n = 1 gives W; H3: P6 alone → W
    assert col(pct_unit, "p_pct") == {
        "P1": 0.0, "P2": 10.0, "P3": 10.0, "P4": 20.0, "P5": 0.0, "P6": 20.0}
    assert col(pct_unit, "p_pct_low") == {
        "P1": 20.0, "P2": 0.0, "P3": 0.0, "P4": 20.0, "P5": 0.0, "P6": 20.0}
    assert col(pct_unit, "group_size") == {
        "P1": 3, "P2": 3, "P3": 3, "P4": 2, "P5": 2, "P6": 1}


# --- vs_mean (peers: unit) -----------------------------------------------------------------

VSM = [
    scored("vh", avg_of("a"), 10, {"rule": "vs_mean"}),
    scored("vhc", avg_of("a"), 10, {"rule": "vs_mean", "cap": 1.2}),
    scored("vl", avg_of("a"), 10, {"rule": "vs_mean", "direction": "lower"}),
    scored("vlc", avg_of("a"), 10, {"rule": "vs_mean", "direction": "lower", "cap": 1.5}),
    scored("vm", avg_of("b"), 10, {"rule": "vs_mean"}),
    scored("vml", avg_of("b"), 10, {"rule": "vs_mean", "direction": "lower"}),
]
VSM_VALUES: dict[str, dict[str, Any]] = {
    "P1": {"a": 10, "b": 10}, "P2": {"a": 20, "b": 30}, "P3": {"a": 30, "b": None},
    "P4": {"a": 0, "b": -2}, "P5": {"a": 0, "b": 2},
    "P6": {"a": 8, "b": None},
}


@pytest.fixture(scope="module", params=ENGINES)
def vsm(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Table:
    return _run(tmp_path_factory.mktemp("vsm"), request.param, VSM, VSM_VALUES, peers=["unit"])


def test_vs_mean_higher(vsm: Table) -> None:
    # H1 mean of a = (10 + 20 + 30)/3 = 20: 10 × clamp(v/20, 0, 1)
    # H2: a = 0, 0 → m = 0 gives W; H3: P6 alone, 8/8 = 1
    assert col(vsm, "p_vh") == {
        "P1": 5.0, "P2": 10.0, "P3": 10.0, "P4": 10.0, "P5": 10.0, "P6": 10.0}
    # cap 1.2: P3 30/20 = 1.5 → 1.2 → 12
    assert col(vsm, "p_vhc") == {
        "P1": 5.0, "P2": 10.0, "P3": 12.0, "P4": 10.0, "P5": 10.0, "P6": 10.0}


def test_vs_mean_lower(vsm: Table) -> None:
    # 10 × clamp(m/v, 0, c): P1 20/10 = 2 → 1; P2 1; P3 20/30 = 0.666… → 6.67
    # H2: v = 0 gives W × c (checked before m = 0): 10 × 1
    assert col(vsm, "p_vl") == {
        "P1": 10.0, "P2": 10.0, "P3": 6.67, "P4": 10.0, "P5": 10.0, "P6": 10.0}
    # cap 1.5: P1 2 → 1.5 → 15; H2 v = 0 → W × c = 15
    assert col(vsm, "p_vlc") == {
        "P1": 15.0, "P2": 10.0, "P3": 6.67, "P4": 15.0, "P5": 15.0, "P6": 10.0}


def test_vs_mean_mean_excludes_missing_and_zero_mean(vsm: Table) -> None:
    # b, H1: P1 10, P2 30, P3 missing → m = 20 (not 40/3): P1 5, P2 min(1.5, 1) → 10, P3 0
    # H2: −2 and 2 → m = 0 gives W for both; H3: P6 missing → 0
    assert col(vsm, "p_vm") == {
        "P1": 5.0, "P2": 10.0, "P3": 0.0, "P4": 10.0, "P5": 10.0, "P6": 0.0}
    # lower: P1 20/10 = 2 → 1; P2 20/30 → 6.67; H2 v ≠ 0, m = 0 → W
    assert col(vsm, "p_vml") == {
        "P1": 10.0, "P2": 6.67, "P3": 0.0, "P4": 10.0, "P5": 10.0, "P6": 0.0}
