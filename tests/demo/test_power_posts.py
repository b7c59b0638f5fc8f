"""S10 供电所岗位绩效 in the power demo: the duty rules over station-days (items) catch the
three planted broken days and nothing else; a post's budget less its deductions; standby after
two months below 60."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd
import pytest


@pytest.fixture(scope="module")
def demo(power_demo: dict[str, Any]) -> dict[str, Any]:
    return power_demo


def test_duty_rules_flag_exactly_the_planted_days(demo: dict[str, Any]) -> None:
    a = demo["manifest"]["anomalies"]
    roster = pd.read_csv(demo["manifest"]["sources"]["duty_roster"][0], dtype=str)
    sep = roster[roster["day"] >= "2026-09-01"]
    flags = {}
    for duty_id, rows in sep.groupby("duty_id"):
        on = rows["on_duty"] == "True"
        out = rows["out"] == "True"
        paired = rows["ab_pair"].notna()
        both_out = int((out & paired).sum() - rows.loc[out & paired, "ab_pair"].nunique())
        flags[duty_id] = (on.sum() != 3 or (on & (rows["post"] == "台区经理")).sum() < 2
                          or both_out > 0 or ((rows["attended"] == "True") & ~on).sum() > 0)
    broken = {d for d, bad in flags.items() if bad}
    assert broken == {a["duty_one_manager"], a["duty_ab_out"], a["duty_attendance_off_duty"]}
    alerted = {e["id"] for e in demo["results"]["duty_day"].entities() if e["alert"]}
    assert alerted == broken
    assert len(demo["results"]["duty_day"].entities()) == len(flags)


def test_post_budget_less_deductions_and_standby(demo: dict[str, Any]) -> None:
    root = demo["root"]
    people = pd.read_csv(root / "org" / "people.csv", dtype={"id": str}).set_index("id")
    failures = pd.read_csv(demo["manifest"]["sources"]["post_failures"][0],
                           dtype={"person_id": str})
    sep = failures[failures["day"] >= "2026-09-01"].groupby("person_id")[["points", "yuan"]].sum()
    roster = pd.read_csv(demo["manifest"]["sources"]["duty_roster"][0], dtype=str)
    rs = roster[roster["day"] >= "2026-09-01"]
    missed = ((rs["on_duty"] == "True") & (rs["attended"] == "False")).groupby(
        rs["person_id"]).sum()
    standby = demo["manifest"]["anomalies"]["post_standby"]
    for row in demo["results"]["station_posts"].entities():
        pid = row["id"]
        points = sep["points"].get(pid, 0.0)
        total = max(0.0, 100 - min(100.0, points)) - min(20, 5 * int(missed.get(pid, 0)))
        assert row["total"] == pytest.approx(max(0.0, total), abs=0.005), pid
        budget = Decimal(int(people.loc[pid, "budget"]))
        share = (budget * Decimal(str(row["total"])) / 100).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert Decimal(str(row["payout_lines"]["目标费用"])) == share
        assert row["payout_lines"]["考核扣款"] == -float(sep["yuan"].get(pid, 0.0))
        assert row["eliminate"] == (pid == standby), pid
