"""S9 渠道考核与酬金 in the demo: the schemes run, the planted abuses are caught and clawed back.

Expected amounts are computed here with pandas from the generated fact files (the CSV exports
with Chinese headers), never read from the engine: the 3-month audit rule, the clawback, the
deductions for audit cases, the per-card commission with its coefficient and the tiers.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from rich.console import Console

from kaohe.demo.telecom_s9_report import STAR_PRIVILEGES, after_reports

MONTHS = ["2026-07", "2026-08", "2026-09"]
COEF = {"六星": 1.2, "五星": 1.1, "四星": 1.0, "三星": 0.9, "不达标": 0.5}
STAR = {"六星": 1600, "五星": 1200, "四星": 800, "三星": 400, "不达标": 0}
FINE = {"冲货": 1000, "压价": 500, "压货": 300, "弃卡换卡": 300}


@pytest.fixture()
def demo(packs_demo: dict[str, Any]) -> dict[str, Any]:
    """The small demo with the packs' sources imported and their schemes run (conftest)."""
    return packs_demo


def _yuan(x: float) -> float:
    """Half away from zero to the fen, as the spec rounds money."""
    d = Decimal(repr(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return float(d)


def _failed_cohort(facts: dict[str, pd.DataFrame]) -> pd.Series:
    """Per outlet: July numbers that did not use ≥ 10 min or ≥ 30 MB in each of Jul–Sep."""
    cards = facts["channel_cards"]
    july = cards[cards["at"].str.startswith("2026-07")]
    usage = facts["card_usage"].copy()
    usage["ok"] = (usage["minutes"].astype(float) >= 10) | (usage["mb"].astype(float) >= 30)
    ok_months = usage[usage["ok"]].groupby("number")["bill_month"].nunique()
    months = july["number"].map(ok_months).fillna(0)
    return july[months < 3].groupby("outlet_id").size()


def test_the_s9_schemes_run_for_every_partner_and_manager(demo: dict[str, Any]) -> None:
    units = demo["units"]
    partners = set(units.loc[units["kind"].isin(["合作厅", "特约厅", "代理店"]), "id"])
    for month in MONTHS:
        table = demo["results"]["channel_partner", month]
        assert set(table["id"]) == partners
    cards = demo["facts"]["channel_cards"]
    audit = demo["results"]["card_audit", "2026-09"]
    assert set(audit["id"]) == set(cards.loc[cards["at"].str.startswith("2026-07"), "number"])
    managers = set(units.loc[units["channel_manager"] != "", "channel_manager"])
    assert set(demo["results"]["channel_manager", "2026-09"]["id"]) == managers
    # every partner's channel manager is the county's, and realistic spreads: not one score
    table = demo["results"]["channel_partner", "2026-09"]
    assert table["total"].std() > 5 and table["grade"].nunique() >= 4


def test_fake_new_users_are_caught_and_clawed_back(demo: dict[str, Any]) -> None:
    fake = demo["manifest"]["anomalies"]["fake_partner"]
    failed = _failed_cohort(demo["facts"])
    cards = demo["facts"]["channel_cards"]
    july = cards[cards["at"].str.startswith("2026-07")].groupby("outlet_id").size()
    rate = (failed / july).fillna(0)
    assert rate.idxmax() == fake and rate[fake] >= 0.5  # the planted partner stands out

    audit = demo["results"]["card_audit", "2026-09"]
    caught = audit[audit["grade"] == "扣回"]
    assert caught.groupby("unit").size().to_dict() == failed.to_dict()

    sep = demo["results"]["channel_partner", "2026-09"].set_index("id")
    row = sep.loc[fake]
    assert row["vetoed"] and row["grade"] == "不达标" and row["alert"] and row["total"] == 0
    assert row["l_养卡扣回"] == -30 * int(failed[fake])
    for outlet, line in sep["l_养卡扣回"].items():
        assert line == -30 * int(failed.get(outlet, 0)), outlet
    for month in ("2026-07", "2026-08"):  # no cohort audited yet: nothing clawed back
        assert (demo["results"]["channel_partner", month]["l_养卡扣回"] == 0).all()


def test_cross_region_dumping_is_caught_and_deducted(demo: dict[str, Any]) -> None:
    dumping = demo["manifest"]["anomalies"]["dumping_partner"]
    usage = demo["facts"]["card_usage"]
    away = usage["used_county"] != usage["home_county"]
    share = away.groupby(usage["outlet_id"]).mean()
    assert share.idxmax() == dumping and share[dumping] > 0.5 and share.drop(dumping).max() == 0

    cases = demo["facts"]["channel_inspections"].copy()
    cases["month"] = cases["found_at"].str[:7]
    mine = cases[(cases["outlet_id"] == dumping) & (cases["violation"] == "冲货")]
    assert set(mine["month"]) == {"2026-08", "2026-09"}
    for month in MONTHS:
        table = demo["results"]["channel_partner", month].set_index("id")
        found = cases[cases["month"] == month]
        fines = found["violation"].map(FINE).groupby(found["outlet_id"]).sum()
        for outlet, line in table["l_违规扣罚"].items():
            assert line == -float(fines.get(outlet, 0)), (month, outlet)
        if month != "2026-07":
            assert table.loc[dumping, "v_dumping"] >= 1
    audit = demo["results"]["card_audit", "2026-09"]
    assert (audit.loc[audit["unit"] == dumping, "v_away_months"] > 0).any()


def test_commission_lines_follow_the_statement_and_add_up_to_the_fen(
    demo: dict[str, Any],
) -> None:
    cards = demo["facts"]["channel_cards"]
    area = demo["units"].set_index("id")["area"]
    for month in MONTHS:
        table = demo["results"]["channel_partner", month].set_index("id")
        n = cards[cards["at"].str.startswith(month)].groupby("outlet_id").size()
        for outlet, row in table.iterrows():
            cards_n = int(n.get(outlet, 0))
            assert row["l_开户酬金"] == _yuan(25 * cards_n * COEF[row["grade"]])
            tiers = 5 * max(0, min(cards_n, 80) - 40) + 10 * max(0, cards_n - 80)
            assert row["l_阶梯奖励"] == tiers
            cap = 1500 if area[outlet] == "城区" else 1000
            assert row["l_星级酬金"] == min(cap, STAR[row["grade"]])
            lines = [row[c] for c in table.columns if c.startswith("l_")]
            fen = sum(round(x * 100) for x in lines)
            assert round(row["payout"] * 100) == fen, (month, outlet)


def test_missing_rater_drops_out_of_the_weighted_rating(demo: dict[str, Any]) -> None:
    ratings = demo["facts"]["channel_ratings"]
    sep = ratings[ratings["rated_on"].str.startswith("2026-09")].copy()
    sep["score"] = sep["score"].astype(float)
    means = sep.pivot_table(index="outlet_id", columns="rater_role", values="score",
                            aggfunc="mean")
    weights = {"公司": 40, "合作方员工": 10, "用户": 30, "第三方": 20}
    table = demo["results"]["channel_partner", "2026-09"].set_index("id")
    without_third = means[means["第三方"].isna()].index
    assert len(without_third) > 0
    for outlet, row in means.iterrows():
        present = {r: w for r, w in weights.items() if pd.notna(row[r])}
        expected = sum(row[r] * w for r, w in present.items()) / sum(present.values())
        assert table.loc[outlet, "v_rating"] == pytest.approx(expected, abs=1e-9)


def test_channel_managers_are_scored_on_partners_ratings_and_visits(
    demo: dict[str, Any],
) -> None:
    lazy = demo["manifest"]["anomalies"]["lazy_channel_manager"]
    units = demo["units"]
    visits = demo["facts"]["channel_visits"]
    sep = visits[visits["at"].str.startswith("2026-09")]
    slots = sep.groupby("manager_id")["plan_id"].nunique()
    partners = units[units["channel_manager"] != ""].groupby("channel_manager").size()
    table = demo["results"]["channel_manager", "2026-09"].set_index("id")
    for manager, row in table.iterrows():
        assert row["v_visit_rate"] == pytest.approx(slots.get(manager, 0) / (2 * partners[manager]))
    assert table["v_visit_rate"].idxmin() == lazy
    rated = demo["facts"]["manager_ratings"]
    rated = rated[rated["rated_on"].str.startswith("2026-09")]
    assert table.loc[lazy, "v_rated"] == pytest.approx(
        rated.loc[rated["manager_id"] == lazy, "score"].astype(float).mean())
    assert table.loc[lazy, "total"] == table["total"].min()
    # partners_avg is the mean total of the partners the manager looks after (via)
    part = demo["results"]["channel_partner", "2026-09"].set_index("id")["total"]
    mine = units.loc[units["channel_manager"] == lazy, "id"]
    assert table.loc[lazy, "v_partners_avg"] == pytest.approx(part[mine].mean())


def test_two_months_below_60_ends_the_cooperation(demo: dict[str, Any]) -> None:
    aug = demo["results"]["channel_partner", "2026-08"].set_index("id")["total"]
    sep = demo["results"]["channel_partner", "2026-09"].set_index("id")
    expected = {o for o in sep.index if sep.loc[o, "total"] < 60 and aug[o] < 60}
    assert expected and set(sep.index[sep["eliminate"]]) == expected


def test_the_commission_statement_lists_every_line_and_clawed_number(
    demo: dict[str, Any], tmp_path: Path,
) -> None:
    console = Console(record=True, width=200)
    (path,) = after_reports(demo["latest"], tmp_path, console)
    assert "六星: 营业员工号 15 个" in console.export_text()
    wb = openpyxl.load_workbook(path)
    rows = list(wb["酬金结算单"].iter_rows(min_row=3, values_only=True))
    header = [c.value for c in wb["酬金结算单"][2]]
    table = demo["results"]["channel_partner", "2026-09"].set_index("id")
    assert sorted(r[0] for r in rows) == sorted(table.index)
    for row in rows:
        record = dict(zip(header, row, strict=True))
        assert record["应付酬金合计"] == table.loc[record["渠道编码"], "payout"]
        assert record["养卡扣回"] == table.loc[record["渠道编码"], "l_养卡扣回"]
        assert record["星级权益"] == STAR_PRIVILEGES[record["星级"]]
    clawed = list(wb["养卡扣回明细"].iter_rows(min_row=2, values_only=True))
    failed = _failed_cohort(demo["facts"])
    assert len(clawed) == failed.sum()
    per_outlet = pd.Series([r[1] for r in clawed]).value_counts()
    assert per_outlet.to_dict() == failed.to_dict()


def test_the_yangka_warning_model_flags_the_fake_partner(demo: dict[str, Any]) -> None:
    """September's model on August's new numbers, recomputed by its 口径 (scheme comments)."""
    cards = demo["facts"]["channel_cards"]
    units = demo["units"].set_index("id")
    partners = units.index[units["kind"].isin(["合作厅", "特约厅", "代理店"])]
    aug = cards[cards["at"].str.startswith("2026-08")]
    new = aug.groupby("outlet_id").size().reindex(partners, fill_value=0)
    before = cards[cards["at"].str.startswith("2026-07")].groupby("outlet_id").size() \
        .reindex(partners, fill_value=0)
    branch = pd.Series([p[:2] for p in partners], index=partners)
    region = new.groupby(branch).transform("mean") / before.groupby(branch).transform("mean")
    watched = (new / before.where(before > 0)) / region > 1.5
    usage = demo["facts"]["card_usage"]
    usage = usage[(usage["bill_month"] == "2026-09-01")
                  & usage["activated_on"].str.startswith("2026-08")]
    minutes, revenue = usage["minutes"].astype(float), usage["revenue"].astype(float)
    by = usage["outlet_id"]
    n = by.value_counts()

    def rate(mask: pd.Series) -> pd.Series:
        return 100.0 * mask.groupby(by).sum().reindex(partners, fill_value=0) / n

    same = aug.groupby("outlet_id").apply(lambda f: len(f) - f["imei"].nunique()) \
        .reindex(partners, fill_value=0)
    score = (rate(revenue < 10) / 30 * 10 + rate(minutes < 5) / 10 * 30 + same / 10 * 10
             + 100.0 * same / new / 20 * 10 + rate(minutes == 0) / 10 * 20
             + rate(usage["cells"].astype(int) == 1) / 10 * 10)
    score = score.where(watched, 0.0).round(2)
    table = demo["results"]["yangka_watch", "2026-09"].set_index("id")
    assert table.loc[partners, "total"].to_numpy() == pytest.approx(score.to_numpy())
    fake = demo["manifest"]["anomalies"]["fake_partner"]
    assert table.loc[fake, "grade"] == "三级预警" and table.loc[fake, "alert"]
    assert set(table.index[table["alert"]]) == set(score.index[score >= 200])
