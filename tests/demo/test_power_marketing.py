"""S6 大营销 in the power demo: collection against targets, 业扩 milestones in working days
(checked here with an independent count over org/calendar.csv), complaints; planted anomalies."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest


@pytest.fixture(scope="module")
def demo(power_demo: dict[str, Any]) -> dict[str, Any]:
    return power_demo


def _units(result: Any) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in result.entities()}


def _workdays(root: Path) -> Any:
    special = pd.read_csv(root / "org" / "calendar.csv", dtype=str)
    days = {date.fromisoformat(d): w == "是" for d, w in zip(special["day"], special["working"],
                                                             strict=True)}

    def count(a: pd.Timestamp, b: pd.Timestamp) -> int:
        """Working days d with a < d <= b (by date), counted one day at a time."""
        n, d = 0, a.date()
        while d < b.date():
            d += timedelta(days=1)
            n += days.get(d, d.weekday() < 5)
        return n

    return count


def test_expansion_on_time_matches_a_day_by_day_count(demo: dict[str, Any]) -> None:
    root: Path = demo["root"]
    apps = pd.read_csv(demo["manifest"]["sources"]["expansion"][0], dtype={"unit_id": str},
                       parse_dates=["accepted_at", "plan_at", "design_in_at", "design_ok_at",
                                    "mid_in_at", "mid_ok_at", "done_in_at", "done_ok_at",
                                    "connected_at"])
    count = _workdays(root)
    sep = apps[apps["connected_at"] >= "2026-09-01"].copy()

    def on_time(r: pd.Series) -> bool:
        return (count(r.accepted_at, r.plan_at) <= (30 if r.dual_source else 15)
                and count(r.design_in_at, r.design_ok_at) <= 10
                and count(r.mid_in_at, r.mid_ok_at) <= 5
                and count(r.done_in_at, r.done_ok_at) <= 5
                and count(r.done_ok_at, r.connected_at) <= 5)

    sep["ok"] = sep.apply(on_time, axis=1)
    late = demo["manifest"]["anomalies"]["expansion_late"]
    planted = sep[sep["app_id"] == late].iloc[0]
    assert count(planted.accepted_at, planted.plan_at) == 16
    assert not planted["ok"]
    units = _units(demo["results"]["marketing"])
    for unit, rows in sep.groupby("unit_id"):
        got = units[str(unit)]["indicators"]["expansion_on_time"]["value"]
        assert got == pytest.approx(rows["ok"].mean(), abs=1e-12), unit
    assert units[str(planted.unit_id)]["indicators"]["expansion_on_time"]["value"] < 1


def test_station_with_the_high_target_is_last_on_collection(demo: dict[str, Any]) -> None:
    units = _units(demo["results"]["marketing"])
    short = demo["manifest"]["anomalies"]["station_short"]
    rates = {u: e["indicators"]["target_rate"]["value"] for u, e in units.items()
             if e["indicators"]["target_rate"]["value"] is not None}
    assert min(rates, key=rates.__getitem__) == short
    assert rates[short] < 0.95
    # halls collect no bills: the indicator is excluded for them, not scored 0
    hall = demo["manifest"]["anomalies"]["hall_complaints"]
    assert units[hall]["indicators"]["target_rate"]["value"] is None


def test_hall_with_many_complaints_is_warned(demo: dict[str, Any]) -> None:
    complaints = pd.read_csv(demo["manifest"]["sources"]["complaints"][0],
                             dtype={"unit_id": str})
    sep = complaints[complaints["at"] >= "2026-09-01"]
    counts = sep.groupby("unit_id").size()
    hall = demo["manifest"]["anomalies"]["hall_complaints"]
    assert counts.idxmax() == hall
    units = _units(demo["results"]["marketing"])
    assert units[hall]["indicators"]["complaints"]["value"] == counts[hall]


def test_internal_rating_is_a_weighted_mean_without_missing_raters(demo: dict[str, Any]) -> None:
    """Halls are not rated by the dispatch centre: its weight drops out (wavg, spec §11)."""
    ratings = pd.read_csv(demo["manifest"]["sources"]["service_ratings"][0],
                          dtype={"unit_id": str})
    sep = ratings[ratings["month"] == "2026-09-01"]
    hall = demo["manifest"]["anomalies"]["hall_complaints"]
    mine = sep[sep["unit_id"] == hall].groupby("rater")["score"].mean()
    expected = (mine["营销部"] * 50 + mine["运维检修部"] * 30) / 80
    got = _units(demo["results"]["marketing"])[hall]["indicators"]["internal_rating"]["value"]
    assert got == pytest.approx(expected, abs=1e-9)
