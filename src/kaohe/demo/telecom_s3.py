"""S3 大客户经理考核 big-customer managers in the demo: targets split to each manager, group
revenue (with the same months a year before, for 同比), visits and archive audits.

Every customer manager on the last day holds 4–14 group customers. Managers differ in growth,
diligence (visits) and care for the archives; two are planted (``ANOMALIES``). ``extend`` writes
the files and adds them to the demo's manifest: one call from the generator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from kaohe.demo import columns as col
from kaohe.demo.calendar import Calendar, make_calendar
from kaohe.demo.files import write_csv, write_parquet
from kaohe.demo.org import ACCOUNT_MANAGER, Org

SOURCES = ("manager_targets", "manager_group_revenue", "archive_audit", "manager_visits")
HISTORY_MONTHS = 12  # revenue is kept from a year before the assessed months (同比)
AUDIT_SAMPLE = 100  # archive fields checked per manager and month
AUDIT_FIELDS = ("联系人", "联系电话", "地址", "证件号码", "行业类别", "成员数")
_SHORT = ("江南", "临江", "青阳", "白沙", "永宁", "桃源", "石门", "龙泉", "清溪", "太平")
_TRADE = ("建设集团", "中学", "人民医院", "物流公司", "制造有限公司", "商贸城", "农商银行",
          "水务公司", "食品厂", "酒店")

ANOMALIES = {
    "s3_archive_sloppy": "a manager whose archives are right only ~93% of the time: below 98%",
    "s3_revenue_drop": "a manager who lost a big group in the last month: 环比 about −40%",
}


def extend(manifest: dict[str, Any], root: Path, rng: np.random.Generator, org: Org,
           cal: Calendar) -> None:
    from kaohe.demo.packs import add_pack

    managers = np.flatnonzero((org.pos_of[:, -1] == ACCOUNT_MANAGER) & (org.unit_of[:, -1] >= 0))
    long = make_calendar(cal.months[-1], len(cal.months) + HISTORY_MONTHS)
    sloppy, drop = int(managers[0]), int(managers[1])
    revenue = group_revenue(rng, org, long, managers, drop)
    data = root / "data" / "s3"
    span = f"{cal.months[0]}_{cal.months[-1]}"
    files = {
        "manager_targets": [write_csv(targets(rng, org, cal, revenue),
                                      data / f"manager_targets_{span}.csv",
                                      {"manager_id": "客户经理工号", "month": "考核月份",
                                       "indicator": "指标", "target": "目标值"})],
        "manager_group_revenue": [write_parquet(
            _revenue_table(revenue),
            data / f"manager_group_revenue_{long.months[0]}_{long.months[-1]}.parquet")],
        "archive_audit": [write_parquet(audits(rng, org, cal, managers, sloppy, revenue),
                                        data / f"archive_audit_{span}.parquet")],
        "manager_visits": [write_csv(visits(rng, org, cal, revenue),
                                     data / f"manager_visits_{span}.csv",
                                     {"visit_id": "走访编号", "manager_id": "客户经理工号",
                                      "group_id": "集团编号", "at": "走访时间", "kind": "走访方式"})],
    }
    anomalies = {"s3_archive_sloppy": str(org.person_ids[sloppy]),
                 "s3_revenue_drop": str(org.person_ids[drop])}
    add_pack(manifest, root, files, {"big_customer_manager": list(cal.months)}, anomalies)


def group_revenue(rng: np.random.Generator, org: Org, long: Calendar, managers: np.ndarray,
                  drop: int) -> pd.DataFrame:
    """Monthly revenue per group: a base size, the manager's own growth trend, a seasonal dip in
    February and noise; the planted manager loses their largest group in the last month."""
    rows = []
    n_months = len(long.months)
    serial = 0
    for p in managers:
        growth = rng.normal(0.006, 0.008)  # a month: ~ −3% … +17% a year
        for _ in range(int(rng.integers(4, 15))):
            serial += 1
            base = float(rng.lognormal(np.log(40000), 0.8))
            t = np.arange(n_months)
            month_no = np.array([int(m[5:]) for m in long.months])
            season = np.where(month_no == 2, 0.9, 1.0)
            value = base * (1 + growth) ** t * season * rng.lognormal(0, 0.05, n_months)
            name = (f"{_SHORT[int(rng.integers(0, len(_SHORT)))]}"
                    f"{_TRADE[int(rng.integers(0, len(_TRADE)))]}")
            for m in range(n_months):
                rows.append((f"JT{serial:06d}", name, org.person_ids[p],
                             np.datetime64(f"{long.months[m]}-01"), round(value[m], 2)))
    frame = pd.DataFrame(rows, columns=["group_id", "group_name", "manager_id", "month",
                                        "revenue"])
    mine = frame[frame["manager_id"] == org.person_ids[drop]]
    biggest = mine.groupby("group_id")["revenue"].sum().idxmax()
    last = np.datetime64(f"{long.months[-1]}-01")
    gone = (frame["group_id"] == biggest) & (frame["month"] == last)
    frame = frame[~gone].reset_index(drop=True)  # the group moved to a competitor: no bill
    frame["month"] = pd.to_datetime(frame["month"]).dt.date
    frame["revenue_fen"] = np.round(frame["revenue"].to_numpy() * 100).astype(np.int64)
    frame["revenue"] = frame["revenue_fen"] / 100.0
    return frame


def _revenue_table(revenue: pd.DataFrame) -> pa.Table:
    return pa.table({
        "group_id": pa.array(revenue["group_id"], pa.string()),
        "group_name": pa.array(revenue["group_name"], pa.string()),
        "manager_id": pa.array(revenue["manager_id"], pa.string()),
        "month": pa.array(revenue["month"], pa.date32()),
        "revenue": col.decimal_yuan(revenue["revenue_fen"].to_numpy()),
    })


def targets(rng: np.random.Generator, org: Org, cal: Calendar,
            revenue: pd.DataFrame) -> pd.DataFrame:
    """集团收入 target = last year's same month × 1.10, rounded to hundreds of yuan; 走访次数 =
    one visit per group a month, at least 8."""
    rows = []
    months = pd.to_datetime(revenue["month"])
    groups = revenue.groupby("manager_id")["group_id"].nunique()
    for month in cal.months:
        start = pd.Timestamp(f"{month}-01")
        year_before = start - pd.DateOffset(years=1)
        last_year = revenue[months == year_before].groupby("manager_id")["revenue"].sum()
        for manager, value in last_year.items():
            target = round(value * 1.10 / 100.0) * 100
            rows.append((manager, start.date(), "集团收入", f"{target:.2f}"))
            rows.append((manager, start.date(), "走访次数", f"{max(8, int(groups[manager]))}"))
    return pd.DataFrame(rows, columns=["manager_id", "month", "indicator", "target"])


def visits(rng: np.random.Generator, org: Org, cal: Calendar,
           revenue: pd.DataFrame) -> pd.DataFrame:
    """Each manager's visits per month: Poisson around diligence × their visit target."""
    groups = revenue.groupby("manager_id")["group_id"].unique()
    rows = []
    serial = 0
    for manager, gs in groups.items():
        diligence = rng.uniform(0.5, 1.2)
        for m in range(len(cal.months)):
            lo, hi = int(cal.month_bounds[m]), int(cal.month_bounds[m + 1])
            n = int(rng.poisson(diligence * max(8, len(gs))))
            days = np.sort(rng.integers(lo, hi, n))
            at = col.moments(cal, days, col.time_of_day(rng, n))
            kinds = rng.choice(["上门", "电话", "座谈会"], size=n, p=[0.6, 0.3, 0.1])
            for k in range(n):
                serial += 1
                rows.append((f"ZF{serial:07d}", manager, gs[int(rng.integers(0, len(gs)))],
                             pd.Timestamp(at[k]), kinds[k]))
    return pd.DataFrame(rows, columns=["visit_id", "manager_id", "group_id", "at", "kind"])


def audits(rng: np.random.Generator, org: Org, cal: Calendar, managers: np.ndarray,
           sloppy: int, revenue: pd.DataFrame) -> pa.Table:
    """AUDIT_SAMPLE sampled archive fields per manager and month; each has their own error rate
    (0.3%–3%), the planted one 7%."""
    groups = revenue.groupby("manager_id")["group_id"].unique()
    error = rng.uniform(0.003, 0.03, len(org.people))
    error[sloppy] = 0.07
    who, day = [], []
    for m in range(len(cal.months)):
        lo, hi = int(cal.month_bounds[m]), int(cal.month_bounds[m + 1])
        who.append(np.repeat(managers, AUDIT_SAMPLE))
        day.append(rng.integers(lo, hi, AUDIT_SAMPLE * len(managers)))
    person, days = np.concatenate(who), np.concatenate(day)
    order = np.lexsort((person, days))
    person, days = person[order], days[order]
    correct = rng.random(len(person)) >= error[person]
    return pa.table({
        "audit_id": col.prefixed("JH", np.arange(1, len(person) + 1), 8),
        "manager_id": col.take(org.person_ids, person),
        "group_id": pa.array([gs[int(k) % len(gs)] for gs, k in zip(
            (groups[org.person_ids[p]] for p in person), rng.integers(0, 1000, len(person)),
            strict=True)], pa.string()),
        "day": pa.array(cal.days[days]),
        "field": col.take(AUDIT_FIELDS, rng.integers(0, len(AUDIT_FIELDS), len(person))),
        "correct": pa.array(correct),
    })
