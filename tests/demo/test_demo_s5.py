"""S5 集团客户 in the demo: groups as items, managers against issued targets, rolled up.

Expected values are computed here with pandas from the generated CSV exports, by the scheme's
口径, never read from the engine.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest


MONTHS = ["2026-07", "2026-08", "2026-09"]


@pytest.fixture()
def demo(packs_demo: dict[str, Any]) -> dict[str, Any]:
    """The small demo with the packs' sources imported and their schemes run (conftest)."""
    return packs_demo


def _expected_groups(facts: dict[str, pd.DataFrame], month: str) -> pd.DataFrame:
    """Each group's points by the scheme's 口径: VPMN steps (50), contact (20), visits (30)."""
    snap = facts["group_customers"]
    snap = snap[snap["month"] == f"{month}-01"].set_index("group_id")
    rate = snap["vpmn_members"].astype(int) / snap["members"].astype(int)
    vpmn = np.select([rate >= 0.95, rate >= 0.9, rate >= 0.8], [50.0, 30.0, 15.0], 0.0)
    contact = np.where(snap["contact"] != "", 20.0, 0.0)
    visits = facts["group_visits"]
    n = visits[visits["at"].str.startswith(month)].groupby("group_id").size()
    due = np.where(snap["group_class"] == "A类", 2, 1)
    visit = 30.0 * np.minimum(snap.index.map(n).fillna(0).to_numpy() / due, 1)
    total = np.round(vpmn + contact + visit, 2)
    grade = np.select([total >= 90, total >= 60], ["达标", "关注"], "预警")
    return pd.DataFrame({"rate": rate, "total": total, "grade": grade,
                         "manager": snap["manager_id"]}, index=snap.index)


def test_groups_are_assessed_by_vpmn_contact_and_visits(demo: dict[str, Any]) -> None:
    for month in MONTHS:
        expected = _expected_groups(demo["facts"], month)
        table = demo["results"]["group_customer", month].set_index("id")
        assert set(table.index) == set(expected.index)
        table = table.loc[expected.index]
        assert np.allclose(table["v_vpmn_rate"], expected["rate"])
        assert np.allclose(table["total"], expected["total"])
        assert (table["grade"] == expected["grade"]).all()
        assert (table["person"] == expected["manager"]).all()
        assert table["alert"].sum() == (expected["grade"] == "预警").sum() > 0
    classes = demo["facts"]["group_customers"]["group_class"].value_counts()
    assert set(classes.index) == {"A类", "B类"} and classes["B类"] > classes["A类"]


def test_the_planted_weak_group_is_warned_every_month(demo: dict[str, Any]) -> None:
    weak = demo["manifest"]["anomalies"]["weak_group"]
    for month in MONTHS:
        row = demo["results"]["group_customer", month].set_index("id").loc[weak]
        assert row["grade"] == "预警" and row["alert"] and row["v_contact"] == 0
        assert row["v_vpmn_rate"] < 0.8


def test_managers_against_issued_targets_rolled_up_from_groups(demo: dict[str, Any]) -> None:
    facts = demo["facts"]
    for month in MONTHS:
        expected = _expected_groups(facts, month)
        snap = facts["group_customers"]
        snap = snap[snap["month"] == f"{month}-01"]
        members = snap.groupby("manager_id")["members"].apply(lambda s: s.astype(int).sum())
        targets = facts["group_targets"]
        targets = targets[targets["month"] == f"{month}-01"].set_index("manager_id")
        table = demo["results"]["group_manager", month].set_index("id")
        assert set(table.index) == set(targets.index)
        for manager, row in table.iterrows():
            target = int(targets.at[manager, "target_members"])
            assert row["v_member_completion"] == pytest.approx(members[manager] / target)
            mine = expected[expected["manager"] == manager]
            assert row["v_groups"] == len(mine)
            assert row["v_groups_ok"] == pytest.approx((mine["grade"] == "达标").mean())
            assert row["v_groups_warned"] == (mine["grade"] == "预警").sum()
            over = max(0, members[manager] - target) * 2
            assert row["l_成员超额奖励"] == min(1000, over)
        assert table["total"].std() > 3
