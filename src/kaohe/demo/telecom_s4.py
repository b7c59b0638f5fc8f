"""S4 客户预警 customer early warning in the demo: subscribers, their bills, charges and events.

Subscribers are items (spec §8) owned by a customer manager (客户经理) and a home hall. Each hall
has its own churn propensity and each manager their own diligence in retaining warned customers,
so the roll-up schemes rank halls and managers apart. Five subscribers are planted
(``ANOMALIES``) with exactly one known story each; the tests look them up by id.

``extend(manifest, root, rng, org, cal, scale)`` writes the files, the source and scheme YAML
and adds them to the demo's manifest: one call from the generator.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from kaohe.demo import columns as col
from kaohe.demo.calendar import Calendar
from kaohe.demo.files import write_csv, write_parquet
from kaohe.demo.org import ACCOUNT_MANAGER, Org

SUBSCRIBERS_AT_SCALE_1 = 300_000
SOURCES = ("subscriber_bills", "subscriber_events", "daily_charges", "retention_logs")
SCHEMES = ("customer_churn", "diamond_daily", "manager_retention", "hall_retention")
DAILY_RUNS = 7  # the daily warning runs for the last week of the last month

LEVELS = ("钻石卡", "金卡", "银卡", "普通")
_LEVEL_P = np.array([0.015, 0.06, 0.2, 0.725])
_FEE_MEDIAN = np.array([580.0, 260.0, 118.0, 46.0])  # yuan a month
_CHARGE_DAY_P = np.array([0.92, 0.75, 0.0, 0.0])  # a day with new charges, high-value customers
_SIZE_WEIGHT = {"大": 3.0, "中": 1.6, "小": 0.7, "": 0.0}
_KIND_WEIGHT = {"自营厅": 1.4, "合作厅": 1.0, "特约厅": 0.8, "代理店": 0.6}

# The planted subscribers and what must happen to each.
ANOMALIES = {
    "s4_silent_diamond": "钻石卡 customer without new charges from the 6th-last day: warned on the "
                         "last two days",
    "s4_zero_use": "零次户 all three months, no suspension: 橙色 in the last month",
    "s4_zero_use_suspended": "zero use but suspended (报停) in the first month: not a 零次户, 正常",
    "s4_arrears_12": "12 months in arrears in the last month: 红色",
    "s4_repeat_complaint": "two complaints 3 days apart in the last month: 黄色",
}


@dataclass(frozen=True)
class Subscribers:
    """One entry per subscriber (index i); ``churn`` is the month index of the final bill or
    ``n_months`` for one who stays."""

    ids: np.ndarray
    hall: np.ndarray  # unit index
    manager: np.ndarray  # person index
    level: np.ndarray  # index into LEVELS
    fee_median: np.ndarray
    churn: np.ndarray
    zero_use: np.ndarray  # bool: never calls nor uses data
    suspended_first: np.ndarray  # bool: 报停 in the first month
    arrears0: np.ndarray  # arrears months at the first month (0 = paid up, grows by 1 a month)
    contract_end: np.ndarray  # datetime64[D], NaT without a contract
    planted: dict[str, int]


def extend(manifest: dict[str, Any], root: Path, rng: np.random.Generator, org: Org,
           cal: Calendar, scale: float) -> None:
    """Write S4's files and YAML into ``root`` and add them to ``manifest`` (spec of the
    generator's manifest: sources, schemes, periods, anomalies)."""
    from kaohe.demo.packs import add_pack

    subs = subscribers(rng, org, cal, scale)
    data = root / "data" / "s4"
    files: dict[str, list[Path]] = {name: [] for name in SOURCES}
    for m, table in enumerate(bills(rng, org, cal, subs)):
        files["subscriber_bills"].append(
            write_parquet(table, data / f"subscriber_bills_{cal.months[m]}.parquet"))
    span = f"{cal.months[0]}_{cal.months[-1]}"
    files["subscriber_events"].append(
        write_parquet(events(rng, org, cal, subs), data / f"subscriber_events_{span}.parquet"))
    files["daily_charges"].append(
        write_parquet(daily_charges(rng, org, cal, subs),
                      data / f"daily_charges_{cal.months[-1]}.parquet"))
    files["retention_logs"].append(
        write_csv(retention(rng, org, cal, subs), data / f"retention_logs_{span}.csv",
                  {"log_id": "记录编号", "customer_id": "客户编号", "manager_id": "客户经理工号",
                   "hall_id": "归属营业厅编码", "at": "维系时间", "channel": "维系方式",
                   "result": "维系结果"}))
    last = np.datetime64(cal.end) - np.timedelta64(1, "D")
    days = [str(last - np.timedelta64(k, "D")) for k in range(DAILY_RUNS - 1, -1, -1)]
    periods = {
        "customer_churn": list(cal.months),
        "diamond_daily": days,
        "manager_retention": list(cal.months),
        "hall_retention": list(cal.months),
    }
    anomalies = {name: str(subs.ids[i]) for name, i in subs.planted.items()}
    add_pack(manifest, root, files, periods, anomalies, summaries=("customer_churn",))


def _halls_and_managers(rng: np.random.Generator, org: Org) -> tuple[np.ndarray, np.ndarray,
                                                                     np.ndarray]:
    """The outlets customers belong to (weights by kind and size) and each one's managers: the
    customer managers working in the hall on the last day, else those of its county."""
    units = org.units
    outlets = np.flatnonzero(org.is_outlet)
    weight = np.array([
        _KIND_WEIGHT[units["kind"].iat[u]] * _SIZE_WEIGHT[units["size"].iat[u]] for u in outlets
    ])
    last_unit, last_pos = org.unit_of[:, -1], org.pos_of[:, -1]
    managers = np.flatnonzero((last_pos == ACCOUNT_MANAGER) & (last_unit >= 0))
    parent = units["parent_id"].to_numpy(dtype=object)
    ids = org.unit_ids
    county_of_unit = {ids[u]: (parent[u] if u in set(outlets) else ids[u])
                      for u in range(len(ids))}
    by_county: dict[str, list[int]] = {}
    for p in managers:
        by_county.setdefault(county_of_unit[ids[last_unit[p]]], []).append(int(p))
    every = [int(p) for p in managers]
    manager_of = np.empty(len(outlets), dtype=np.int64)
    for k, u in enumerate(outlets):
        here = [p for p in every if last_unit[p] == u]
        pool = here or by_county.get(parent[u], []) or every
        manager_of[k] = pool[int(rng.integers(0, len(pool)))] if len(pool) > 1 else pool[0]
    return outlets, weight / weight.sum(), manager_of


def subscribers(rng: np.random.Generator, org: Org, cal: Calendar, scale: float) -> Subscribers:
    n = max(2000, int(round(SUBSCRIBERS_AT_SCALE_1 * scale)))
    n_months = len(cal.months)
    outlets, weight, manager_of = _halls_and_managers(rng, org)
    k = rng.choice(len(outlets), size=n, p=weight)
    hall = outlets[k]
    # Some managers keep a second, smaller list in a neighbouring hall of their county: the
    # customer's manager is the hall's usual one nine times in ten.
    manager = manager_of[k]
    level = rng.choice(len(LEVELS), size=n, p=_LEVEL_P)
    fee_median = _FEE_MEDIAN[level] * rng.lognormal(0.0, 0.35, n)
    # Churn propensity differs by hall (competition nearby, network quality) and by customer.
    hall_risk = rng.lognormal(0.0, 0.45, len(org.units))
    risk = hall_risk[hall] * rng.lognormal(0.0, 0.5, n) * np.where(level <= 1, 0.6, 1.0)
    churn_u = rng.random((n, n_months))
    monthly = np.clip(0.012 * risk, 0.0, 0.3)
    leaves = churn_u < monthly[:, None]
    churn = np.where(leaves.any(axis=1), leaves.argmax(axis=1), n_months)
    zero_use = rng.random(n) < np.clip(0.008 * risk, 0, 0.3) * np.where(level == 0, 0.2, 1.0)
    suspended_first = zero_use & (rng.random(n) < 0.3)
    arrears0 = np.where(rng.random(n) < np.clip(0.01 * risk, 0, 0.3),
                        rng.integers(1, 14, n), 0)
    has_contract = rng.random(n) < np.where(level <= 1, 0.8, 0.45)
    span = int((cal.end - cal.start).astype(int))
    offset = rng.integers(-365, span + 1825, n)  # contracts of 1–5 years, staggered
    contract_end = np.where(has_contract, cal.start + offset.astype("timedelta64[D]"),
                            np.datetime64("NaT"))
    ids = np.array([f"KH{i:08d}" for i in range(1, n + 1)], dtype=object)
    subs = Subscribers(ids, hall, manager, level, fee_median, churn, zero_use, suspended_first,
                       arrears0, contract_end.astype("datetime64[D]"), {})
    _plant(subs, n_months)
    return subs


def _plant(subs: Subscribers, n_months: int) -> None:
    """Pick one clean subscriber per story (no other signal) and give it exactly that story."""
    clean = ((subs.churn == n_months) & ~subs.zero_use & (subs.arrears0 == 0)
             & np.isnat(subs.contract_end))
    diamond = np.flatnonzero(clean & (subs.level == 0))
    ordinary = np.flatnonzero(clean & (subs.level == 3))
    picks = {"s4_silent_diamond": int(diamond[0])}
    for name, i in zip(("s4_zero_use", "s4_zero_use_suspended", "s4_arrears_12",
                        "s4_repeat_complaint"), ordinary[:4], strict=True):
        picks[name] = int(i)
    subs.zero_use[picks["s4_zero_use"]] = True
    subs.zero_use[picks["s4_zero_use_suspended"]] = True
    subs.suspended_first[picks["s4_zero_use_suspended"]] = True
    subs.arrears0[picks["s4_arrears_12"]] = 12 - (n_months - 1)
    subs.planted.update(picks)


def _planted(subs: Subscribers) -> np.ndarray:
    out = np.zeros(len(subs.ids), dtype=bool)
    out[list(subs.planted.values())] = True
    return out


def bills(rng: np.random.Generator, org: Org, cal: Calendar, subs: Subscribers) -> list[pa.Table]:
    """One bill per subscriber and month up to (and including) the month it leaves."""
    tables = []
    n = len(subs.ids)
    for m, month in enumerate(cal.months):
        arrears = np.where(subs.arrears0 > 0, subs.arrears0 + m, 0)
        status = np.where(arrears >= 3, "停机", "正常").astype(object)
        status[subs.churn == m] = "离网"
        use = rng.lognormal(0.0, 0.6, n) * subs.fee_median / 60.0
        minutes = np.round(use * 180).astype(np.int64)
        mb = np.round(use * 2500).astype(np.int64)
        idle = subs.zero_use | (status == "停机")
        minutes[idle] = 0
        mb[idle] = 0
        fen = np.round(subs.fee_median * rng.lognormal(0.0, 0.15, n) * 100).astype(np.int64)
        fen[subs.zero_use] = np.minimum(fen[subs.zero_use], 1800)  # the plan's monthly rent
        keep = subs.churn >= m
        bill_month = np.full(int(keep.sum()), np.datetime64(f"{month}-01"), dtype="datetime64[D]")
        contract = subs.contract_end[keep]
        tables.append(pa.table({
            "customer_id": pa.array(subs.ids[keep], pa.string()),
            "manager_id": col.take(org.person_ids, subs.manager[keep]),
            "hall_id": col.take(org.unit_ids, subs.hall[keep]),
            "bill_month": pa.array(bill_month),
            "level": col.take(LEVELS, subs.level[keep]),
            "status": pa.array(status[keep], pa.string()),
            "fee": col.decimal_yuan(fen[keep]),
            "minutes": pa.array(minutes[keep], pa.int64()),
            "mb": pa.array(mb[keep], pa.int64()),
            "arrears_months": pa.array(arrears[keep], pa.int64()),
            "contract_end": pa.array(contract, mask=np.isnat(contract)),
        }))
    return tables


def events(rng: np.random.Generator, org: Org, cal: Calendar, subs: Subscribers) -> pa.Table:
    """停机 when arrears reach 3 months (and 报停 of some zero-use customers), 复机 after a
    报停, and complaints — some customers complain again a few days later."""
    n, n_months = len(subs.ids), len(cal.months)
    planted = _planted(subs)
    who: list[np.ndarray] = []
    day: list[np.ndarray] = []
    kind: list[np.ndarray] = []

    def add(customers: np.ndarray, days: np.ndarray, what: str) -> None:
        who.append(customers)
        day.append(days)
        kind.append(np.full(len(customers), what, dtype=object))

    first_bound = cal.month_bounds
    for m in range(n_months):
        lo, hi = int(first_bound[m]), int(first_bound[m + 1])
        cut = subs.arrears0 > 0
        hit = np.flatnonzero(cut & (subs.arrears0 + m == 3) & (subs.churn >= m))
        add(hit, rng.integers(lo, min(lo + 5, hi), len(hit)), "停机")
        # Complaints: ~0.6% of customers a month.
        alive = (subs.churn >= m) & ~planted
        p = np.where(alive, 0.006, 0.0)
        c = np.flatnonzero(rng.random(n) < p)
        d = rng.integers(lo, hi, len(c))
        add(c, d, "投诉")
        again = c[rng.random(len(c)) < 0.25]
        d2 = np.minimum(d[np.isin(c, again)] + rng.integers(1, 15, len(again)), cal.n_days - 1)
        add(again, d2, "投诉")
    s = np.flatnonzero(subs.suspended_first)
    start = rng.integers(0, 5, len(s))
    add(s, start, "停机")
    add(s, start + rng.integers(2, 10, len(s)), "复机")
    last_lo = int(first_bound[n_months - 1])
    rc = subs.planted["s4_repeat_complaint"]
    add(np.array([rc, rc]), np.array([last_lo + 9, last_lo + 12]), "投诉")

    customers = np.concatenate(who)
    days = np.concatenate(day)
    kinds = np.concatenate(kind)
    at = col.moments(cal, days, col.time_of_day(rng, len(days)))
    order = np.argsort(at, kind="stable")
    customers, at, kinds, days = customers[order], at[order], kinds[order], days[order]
    serial = col.day_codes(cal)[days] * 100_000 + col.serials_within_day(days)
    return pa.table({
        "event_id": col.prefixed("SJ", serial, 13),
        "customer_id": pa.array(subs.ids[customers], pa.string()),
        "manager_id": col.take(org.person_ids, subs.manager[customers]),
        "hall_id": col.take(org.unit_ids, subs.hall[customers]),
        "at": col.timestamps(at),
        "kind": pa.array(kinds, pa.string()),
    })


def daily_charges(rng: np.random.Generator, org: Org, cal: Calendar,
                  subs: Subscribers) -> pa.Table:
    """New charges per day in the last month for 钻石卡 and 金卡 customers who use their line;
    a customer leaving this month stops on a random day; the planted one stops 6 days before
    the end."""
    m = len(cal.months) - 1
    lo, hi = int(cal.month_bounds[m]), int(cal.month_bounds[m + 1])
    watched = np.flatnonzero((subs.level <= 1) & ~subs.zero_use & (subs.churn >= m)
                             & (subs.arrears0 + m < 3))
    n_days = hi - lo
    charged = rng.random((len(watched), n_days)) < _CHARGE_DAY_P[subs.level[watched]][:, None]
    leaving = subs.churn[watched] == m
    stop = rng.integers(0, n_days, len(watched))
    charged &= ~(leaving[:, None] & (np.arange(n_days)[None, :] >= stop[:, None]))
    silent = int(np.flatnonzero(watched == subs.planted["s4_silent_diamond"])[0])
    charged[silent, :] = True
    charged[silent, n_days - 6:] = False  # last charge on the 7th-last day
    row, d = np.nonzero(charged)
    person = watched[row]
    fen = np.round(subs.fee_median[person] / 30.0 * rng.lognormal(0.0, 0.5, len(row)) * 100)
    return pa.table({
        "customer_id": pa.array(subs.ids[person], pa.string()),
        "manager_id": col.take(org.person_ids, subs.manager[person]),
        "hall_id": col.take(org.unit_ids, subs.hall[person]),
        "day": pa.array(cal.days[lo + d]),
        "level": col.take(LEVELS, subs.level[person]),
        "amount": col.decimal_yuan(np.maximum(fen, 1).astype(np.int64)),
    })


def retention(rng: np.random.Generator, org: Org, cal: Calendar,
              subs: Subscribers) -> pd.DataFrame:
    """Each month a manager calls or visits some of the customers with a churn signal; how many
    depends on the manager's diligence, the outcome is a coin weighted 60% for success. The
    silent diamond customer is visited and retained on the last day (the seed's story)."""
    n_people = len(org.people)
    diligence = rng.uniform(0.3, 0.95, n_people)
    rows_c: list[np.ndarray] = []
    rows_d: list[np.ndarray] = []
    for m in range(len(cal.months)):
        lo, hi = int(cal.month_bounds[m]), int(cal.month_bounds[m + 1])
        arrears = np.where(subs.arrears0 > 0, subs.arrears0 + m, 0)
        start = cal.days[lo]
        due = (subs.contract_end >= start) & (subs.contract_end < start + np.timedelta64(61, "D"))
        signal = (subs.zero_use & ~subs.suspended_first) | (arrears >= 3) | due
        signal &= (subs.churn >= m) & ~_planted(subs)
        c = np.flatnonzero(signal & (rng.random(len(signal)) < diligence[subs.manager]))
        rows_c.append(c)
        rows_d.append(rng.integers(lo, hi, len(c)))
    customers = np.concatenate(rows_c)
    days = np.concatenate(rows_d)
    success = rng.random(len(customers)) < 0.6
    silent = subs.planted["s4_silent_diamond"]
    customers = np.append(customers, silent)
    days = np.append(days, cal.n_days - 1)
    success = np.append(success, True)
    at = col.moments(cal, days, col.time_of_day(rng, len(days)))
    order = np.argsort(at, kind="stable")
    customers, at, success = customers[order], at[order], success[order]
    channel = np.array(["电话", "上门", "到厅"], dtype=object)[
        rng.choice(3, size=len(customers), p=[0.6, 0.25, 0.15])]
    channel[customers == silent] = "上门"
    return pd.DataFrame({
        "log_id": [f"WX{i:08d}" for i in range(1, len(customers) + 1)],
        "customer_id": subs.ids[customers],
        "manager_id": org.person_ids[subs.manager[customers]],
        "hall_id": org.unit_ids[subs.hall[customers]],
        "at": pd.to_datetime(at),
        "channel": channel,
        "result": np.where(success, "挽留成功", "挽留失败"),
    })
