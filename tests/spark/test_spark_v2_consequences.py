"""Spark computes what DuckDB computes for grade quotas, demotion, caps, payout lines (every
kind, min/max, missing inputs, pools), alerts and elimination below (spec §9, §10, §12, §16),
on one workspace, with a few hand-checked values."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))

from wsbuilder import (  # noqa: E402
    STANDARD_PEOPLE, WsBuilder, avg_of, person_scheme, role, scored, value_rows,
)

pytestmark = pytest.mark.spark

LIN = {"rule": "linear", "floor": 0, "target": 100}
INDS = [scored("t", avg_of("t"), 100, LIN),
        role("b", avg_of("b"), "bonus", score={"per": 3}),
        role("q", avg_of("q"), "penalty", score={"per": 2}),
        role("cards", avg_of("cards"), "info"), role("comp", avg_of("comp"), "info"),
        role("vv", avg_of("vv"), "veto")]
SCHEME = person_scheme(
    INDS, grades=[[90, "A", "20%"], [75, "B", "12.5%"], [60, "C"], [0, "D"]],
    demote=[{"when": "comp", "steps": 1}], caps={"bonus": 6, "penalty": 5},
    alerts=["D", "C"], elimination={"below": 75, "bottom": 2, "consecutive": 2},
    payout=[
        {"name": "星级", "base": "budget", "coefficient": {"A": 1.5, "B": 1, "C": 0.5}, "max": 2500},
        {"name": "开户", "amount": "12.5 * cards + case when grade = 'A' then rank else 0 end"},
        {"name": "阶梯", "on": "cards", "tiers": [[0, 1.1], [10, 2.2], [20, 3.3]]},
        {"name": "整档", "on": "cards", "tiers": [[5, 0.7], [15, 1.3]], "mode": "whole",
         "min": 3},
        {"name": "扣回", "amount": "-30 * q / group_size", "min": -45},
        {"name": "池", "pool": 99.99, "within": ["unit"]},
        {"name": "全员池", "pool": 10},
    ])
BUDGET = {"P1": "2000", "P2": "1500.55", "P3": "", "P4": "1000", "P5": "12.345", "P6": "3",
          "M1": "0"}
SEP = {"P1": {"t": 70}, "P2": {"t": 95}, "P3": {"t": 60}, "P4": {"t": 74.99}, "P5": {"t": 90},
       "P6": {"t": 10}}
OCT: dict[str, dict[str, Any]] = {
    "P1": {"t": 88, "b": 3, "q": 1, "cards": 25, "comp": 1},  # 88 + min(6, 9) − 2 = 92
    "P2": {"t": 92, "cards": 12.5},
    "P3": {"t": 91, "q": 4, "cards": 4},  # 91 − min(5, 8) = 86
    "P4": {"t": 70, "b": 1, "cards": 0},
    "P5": {"t": 95, "vv": 1, "cards": 30},
    "P6": {"t": 71.115, "q": 0.5},
}


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    b = WsBuilder(tmp_path_factory.mktemp("sparkv2")).standard_org().standard_sources()
    b.people([(*p, BUDGET[p[0]]) for p in STANDARD_PEOPLE], extra=["level", "budget"])
    b.scheme("v2", SCHEME)
    b.facts("tx", value_rows(SEP, at="2026-09-10 10:00:00") + value_rows(OCT))
    b.run("v2", "2026-09")
    duck = b.run_output("v2", "2026-10", "duckdb", save=False).result.table
    spark = b.run_output("v2", "2026-10", "spark", save=False).result.table
    return duck, spark


def test_spark_equals_duckdb(both: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    duck, spark = both
    assert list(duck.columns) == list(spark.columns)
    for c in duck.columns:
        assert duck[c].tolist() == spark[c].tolist() or pd.Series(duck[c]).equals(
            pd.Series(spark[c])), c


def test_hand_checked(both: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    t = both[1].set_index("id")
    assert t["total"].to_dict() == {"P1": 92.0, "P2": 92.0, "P3": 86.0, "P4": 73.0,
                                    "P5": 0.0, "P6": 70.12}
    # n 6: cap A = floor(1.2) = 1 → 92 92 (two) cannot be A → B? cap B = floor(0.75) = 0 →
    # C (no quota); 86 → C; 73 → C (≥ 60); 70.12 → C; P5 vetoed → D. P1 demoted C → D.
    assert t["grade"].to_dict() == {"P1": "D", "P2": "C", "P3": "C", "P4": "C", "P5": "D",
                                    "P6": "C"}
    assert t["capped_bonus"].to_dict()["P1"] and t["capped_penalty"].to_dict()["P3"]
    assert t["alert"].all()
    # 阶梯 for P1 (25 cards): 10 × 1.1 + 10 × 2.2 + 5 × 3.3 = 49.5
    assert t.loc["P1", "l_阶梯"] == 49.5
    # 整档 P3 (4 cards, below the first tier) → 0 → min 3
    assert t.loc["P3", "l_整档"] == 3.0
    # pools add up exactly
    assert round(t["l_全员池"].sum(), 2) == 10.0
    # bottom 2 (one group) and below 75, in Sep and in Oct: bottom 2 in Sep P6 10, P3 60;
    # in Oct P5 0 (vetoed), P6 70.12 → P6 only. P4 is below 75 both months (74.99, 73) but
    # never in the bottom 2 (3 and 2 lower totals); P3 is not below in Oct; P5 not in Sep.
    assert t["eliminate"].to_dict() == {"P1": False, "P2": False, "P3": False, "P4": False,
                                        "P5": False, "P6": True}
