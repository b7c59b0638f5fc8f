"""S4 客户预警 in the demo: the planted subscribers are caught, and the warning levels and churn
rates agree with an independent pandas computation over the generated files. The demo itself is
the session fixture ``demo`` of conftest.py (scale 0.05)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

MONTH = "2026-09"


def _files(out: dict[str, Any], source: str) -> pd.DataFrame:
    frames = []
    for f in out["manifest"]["sources"][source]:
        frames.append(pd.read_parquet(f) if f.endswith(".parquet") else pd.read_csv(f, dtype=str))
    return pd.concat(frames, ignore_index=True)


def _grades(result: Any) -> dict[str, str]:
    t = result.table
    return dict(zip(t["id"].astype(str), t["grade"], strict=True))


def test_s4_schemes_run_every_period(demo: tuple[Path, dict[str, Any]]) -> None:
    root, out = demo
    periods = out["manifest"]["periods"]
    assert periods["customer_churn"] == ["2026-07", "2026-08", "2026-09"]
    assert periods["diamond_daily"] == [f"2026-09-{d}" for d in range(24, 31)]
    for code in ("customer_churn", "diamond_daily", "manager_retention", "hall_retention"):
        assert out["results"][code].table.shape[0] > 0, code
        suffix = "_预警清单" if code == "customer_churn" else ""  # the warning list only
        assert (root / "reports" / f"{code}_{periods[code][-1]}{suffix}.xlsx").is_file()
    # ~15,000 subscribers at the test scale, a handful of managers with thousands each.
    assert len(out["results"]["customer_churn"].table) > 10_000


def test_planted_customers_get_their_level(demo: tuple[Path, dict[str, Any]]) -> None:
    _, out = demo
    a = out["manifest"]["anomalies"]
    grades = _grades(out["results"]["customer_churn"])
    assert grades[a["s4_zero_use"]] == "橙色"  # 100 − 25
    assert grades[a["s4_zero_use_suspended"]] == "正常"  # 报停 in July: not a 零次户
    assert grades[a["s4_arrears_12"]] == "红色"  # 100 − 45
    assert grades[a["s4_repeat_complaint"]] == "黄色"  # 100 − 20


def test_silent_diamond_warned_after_five_days(demo: tuple[Path, dict[str, Any]]) -> None:
    from kaohe.engine.run import run_scheme
    from kaohe.workspace import Workspace

    root, out = demo
    silent = out["manifest"]["anomalies"]["s4_silent_diamond"]
    ws = Workspace.open(root)
    alerted = {}
    for day in ("2026-09-28", "2026-09-29"):
        t = run_scheme(ws, "diamond_daily", day).result.table
        alerted[day] = set(t.loc[t["alert"].astype(bool), "id"].astype(str))
    assert silent not in alerted["2026-09-28"]  # last charge on the 24th: 24–28 has one day
    assert silent in alerted["2026-09-29"]  # 25–29: five days without a charge
    assert silent in set(out["results"]["diamond_daily"].table.query("alert")["id"].astype(str))
    logs = _files(out, "retention_logs")
    mine = logs[logs["客户编号"] == silent]
    assert list(mine["维系结果"]) == ["挽留成功"]


def _expected_levels(out: dict[str, Any]) -> pd.Series:
    """The churn levels of September recomputed from the files with pandas (DOMAIN S4)."""
    bills = _files(out, "subscriber_bills")
    sep = bills[pd.to_datetime(bills["bill_month"]) == pd.Timestamp(f"{MONTH}-01")]
    sep = sep[sep["status"].isin(["正常", "停机"])].set_index("customer_id")
    ev = _files(out, "subscriber_events").sort_values(["at", "event_id"], kind="stable")
    at = pd.to_datetime(ev["at"])
    suspended = set(ev.loc[(ev["kind"] == "停机") & (at >= "2026-07-01")
                           & (at < "2026-10-01"), "customer_id"])
    zero = ((sep["status"] == "正常") & (sep["minutes"] == 0) & (sep["mb"] == 0)
            & ~sep.index.isin(suspended))
    end = pd.to_datetime(sep["contract_end"])
    due = (end >= "2026-09-01") & (end < "2026-11-01")
    arr = sep["arrears_months"]
    arrears = np.select([arr >= 12, arr >= 6, arr >= 3], [45, 25, 15], 0)
    comp = ev[ev["kind"] == "投诉"].copy()
    comp["at"] = pd.to_datetime(comp["at"])
    gap = comp.groupby("customer_id")["at"].diff()
    comp["days"] = gap.dt.days  # whole days, truncated
    rep = comp[(comp["at"] >= "2026-09-01") & (comp["days"] <= 7)]
    repeated = sep.index.isin(set(rep["customer_id"]))
    total = 100 - 25 * zero - 10 * due - arrears - 20 * repeated
    levels = pd.cut(total, [-1, 59.999, 79.999, 94.999, 100], labels=["红色", "橙色", "黄色", "正常"])
    return levels.astype(str)


def test_churn_levels_match_pandas(demo: tuple[Path, dict[str, Any]]) -> None:
    _, out = demo
    expected = _expected_levels(out)
    got = pd.Series(_grades(out["results"]["customer_churn"]))
    assert set(got.index) == set(expected.index)
    assert (got[expected.index] == expected).all()
    counts = expected.value_counts()
    assert counts.get("红色", 0) > 0 and counts.get("橙色", 0) > 0 and counts.get("黄色", 0) > 0


def test_manager_rates_match_pandas(demo: tuple[Path, dict[str, Any]]) -> None:
    _, out = demo
    bills = _files(out, "subscriber_bills")
    month = pd.to_datetime(bills["bill_month"])
    sep, aug = bills[month == "2026-09-01"], bills[month == "2026-08-01"]
    churned = sep[sep["status"] == "离网"].groupby("manager_id").size()
    start = aug[aug["status"] != "离网"].groupby("manager_id").size()
    t = out["results"]["manager_retention"].table.set_index("id")
    managers = [m for m in t.index if m in start.index]
    assert len(managers) >= 5
    for m in managers:
        rate = churned.get(m, 0) / start[m]
        assert t.at[m, "v_churn_rate"] == pytest.approx(rate, abs=1e-9), m
    expected = _expected_levels(out)
    owner = sep.set_index("customer_id")["manager_id"]
    warned = (expected != "正常").groupby(owner[expected.index]).sum()
    customers = expected.groupby(owner[expected.index]).size()
    for m in managers:
        assert t.at[m, "v_pre_churn_rate"] == pytest.approx(warned[m] / customers[m], abs=1e-9)
    # Halls differ: the pre-churn rate is not one number everywhere.
    halls = out["results"]["hall_retention"].table["v_pre_churn_rate"].dropna()
    assert halls.max() - halls.min() > 0.01


def test_retained_customers_match_pandas(demo: tuple[Path, dict[str, Any]]) -> None:
    _, out = demo
    logs = _files(out, "retention_logs")
    sep = logs[logs["维系时间"].str.startswith(MONTH) & (logs["维系结果"] == "挽留成功")]
    retained = sep.groupby("客户经理工号")["客户编号"].nunique()
    t = out["results"]["manager_retention"].table.set_index("id")
    assert retained.sum() > 0
    for m, row in t.iterrows():
        assert row["v_retained"] == retained.get(m, 0), m
    # Managers differ in diligence: the retention rate spreads widely.
    rates = t["v_retention_rate"].dropna()
    assert rates.max() - rates.min() > 0.2
