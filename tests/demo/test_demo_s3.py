"""S3 大客户经理考核 in the demo: completion against the targets split to each manager, 环比 and
同比 revenue, visits, archive accuracy and the bonus lines, recomputed from the generated files
with pandas; the planted managers are caught. Uses the session fixture ``demo`` (conftest.py)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

COEFFICIENT = {"A": 1.3, "B": 1.0, "C": 0.8, "D": 0.5}
TIERS = [(0, 0.02), (50000, 0.03), (100000, 0.05)]


def _read(out: dict[str, Any], source: str) -> pd.DataFrame:
    (f,) = out["manifest"]["sources"][source]
    return pd.read_parquet(f) if f.endswith(".parquet") else pd.read_csv(f, dtype=str)


def _fen(x: float) -> float:
    return float(Decimal(repr(float(x))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@pytest.fixture(scope="module")
def scored(demo: tuple[Path, dict[str, Any]]) -> pd.DataFrame:
    return demo[1]["results"]["big_customer_manager"].table.set_index("id")


@pytest.fixture(scope="module")
def facts(demo: tuple[Path, dict[str, Any]]) -> pd.DataFrame:
    """Per manager for 2026-09, from the files: revenue, last month's, a year before, target,
    visits, visit target, archive accuracy."""
    out = demo[1]
    rev = _read(out, "manager_group_revenue")
    rev["month"] = pd.to_datetime(rev["month"])
    rev["revenue"] = rev["revenue"].astype(float)
    by = rev.pivot_table(index="manager_id", columns="month", values="revenue", aggfunc="sum")
    tg = _read(out, "manager_targets")
    tg = tg[tg["考核月份"] == "2026-09-01"]
    target = tg.pivot_table(index="客户经理工号", columns="指标", values="目标值",
                            aggfunc=lambda s: sum(float(v) for v in s))
    vis = _read(out, "manager_visits")
    vis = vis[vis["走访时间"].str.startswith("2026-09")].groupby("客户经理工号").size()
    au = _read(out, "archive_audit")
    au = au[pd.to_datetime(au["day"]) >= "2026-09-01"]
    return pd.DataFrame({
        "revenue": by[pd.Timestamp("2026-09-01")],
        "last_month": by[pd.Timestamp("2026-08-01")],
        "year_before": by[pd.Timestamp("2025-09-01")],
        "target": target["集团收入"],
        "visits": vis,
        "visit_target": target["走访次数"],
        "accuracy": au.groupby("manager_id")["correct"].mean(),
    })


def test_runs_every_month_with_history(demo: tuple[Path, dict[str, Any]],
                                       scored: pd.DataFrame) -> None:
    root, out = demo
    assert out["manifest"]["periods"]["big_customer_manager"] == ["2026-07", "2026-08", "2026-09"]
    (rev,) = out["manifest"]["sources"]["manager_group_revenue"]
    assert Path(rev).name == "manager_group_revenue_2025-07_2026-09.parquet"  # 同比 needs a year
    assert (root / "reports" / "big_customer_manager_2026-09.xlsx").is_file()
    assert len(scored) >= 5 and scored["grade"].nunique() >= 3  # managers differ


def test_values_match_pandas(scored: pd.DataFrame, facts: pd.DataFrame) -> None:
    for m, f in facts.iterrows():
        row = scored.loc[m]
        assert row["v_revenue"] == pytest.approx(f["revenue"], abs=0.005), m
        assert row["v_revenue_completion"] == pytest.approx(f["revenue"] / f["target"], rel=1e-9)
        assert row["v_revenue_mom"] == pytest.approx(f["revenue"] / f["last_month"] - 1,
                                                     rel=1e-9)
        assert row["v_revenue_yoy"] == pytest.approx(f["revenue"] / f["year_before"] - 1,
                                                     rel=1e-9)
        visits = 0 if pd.isna(f["visits"]) else f["visits"]
        assert row["v_visit_completion"] == pytest.approx(visits / f["visit_target"], rel=1e-9)
        assert row["v_archive_accuracy"] == pytest.approx(f["accuracy"], rel=1e-9)
        points = 30.0 if f["accuracy"] >= 0.98 else 15.0 if f["accuracy"] >= 0.95 else 0.0
        assert row["p_archive_accuracy"] == pytest.approx(points)


def test_bonus_lines_by_hand(scored: pd.DataFrame, facts: pd.DataFrame) -> None:
    for m, f in facts.iterrows():
        row = scored.loc[m]
        over = max(f["revenue"] - f["target"], 0.0)
        reward = sum(rate * max(0.0, min(over, nxt) - lo)
                     for (lo, rate), nxt in zip(TIERS, [t[0] for t in TIERS[1:]] + [float("inf")],
                                                strict=True))
        assert row["l_超额奖励"] == pytest.approx(_fen(reward), abs=0.005), m
        assert row["l_绩效奖金"] == pytest.approx(3000 * COEFFICIENT[row["grade"]], abs=0.005)
        assert row["payout"] == pytest.approx(row["l_超额奖励"] + row["l_绩效奖金"], abs=0.005)


def test_planted_managers(demo: tuple[Path, dict[str, Any]], scored: pd.DataFrame) -> None:
    a = demo[1]["manifest"]["anomalies"]
    sloppy, drop = scored.loc[a["s3_archive_sloppy"]], scored.loc[a["s3_revenue_drop"]]
    assert sloppy["v_archive_accuracy"] < 0.98 and sloppy["p_archive_accuracy"] < 30
    assert drop["v_revenue_mom"] < -0.2  # lost its largest group in September
    others = scored.drop(index=[a["s3_revenue_drop"]])["v_revenue_mom"]
    assert drop["v_revenue_mom"] < others.min()
