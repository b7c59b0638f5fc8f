"""The power demo's facts: 台区 energy, meter readings, bills, reading faults and segments.

Months are the assessed quarter (2026-07 … 2026-09) and, for 台区 energy, the same months a year
before (同比). Every generator is vectorised per month so the default scale (~2,000 台区,
~300,000 meters) stays quick; results differ by station (the station's loss level) and by person
(a reader's skill and care), and the planted anomalies of ``org._plant`` show in the facts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kaohe.demo.power.org import PowerOrg

MONTHS = ("2026-07", "2026-08", "2026-09")
YEAR_BEFORE = ("2025-07", "2025-08", "2025-09")
FAULT_KINDS = (
    "改变抄表日", "抄表簿延误", "错抄漏抄估抄", "引起投诉", "档案不符未报", "地址不符",
    "涂改抄表卡", "异常未报", "抄后计算差错", "延误后续工作", "临时用电未结算", "基础数据错误",
)


def area_energy(rng: np.random.Generator, org: PowerOrg) -> pd.DataFrame:
    """One row per 台区 and month: energy supplied (关口表) and sold (用户表之和), kWh.

    Last year's loss was ~2.5 points higher (the seed's county cut its low-voltage loss); the
    planted negative-loss 台区 sells more than it is supplied in the last month, the planted
    high-loss 台区 loses ~15% in the last two months.
    """
    areas = org.areas
    rows = []
    for y, months in enumerate((YEAR_BEFORE, MONTHS)):
        for m, month in enumerate(months):
            supplied = areas["meters"].to_numpy() * rng.normal(210, 40, len(areas)).clip(80)
            supplied *= 1.15 if month.endswith("-08") else 1.0  # summer peak
            base = 0.045 + areas["quality"].to_numpy() + (0.025 if y == 0 else 0.0)
            loss = base + rng.normal(0, 0.006, len(areas)) - 0.002 * m
            if y == 1:
                loss = np.where(areas["area_id"] == org.anomalies["area_negative"],
                                -0.035 if m == 2 else loss, loss)
                loss = np.where(areas["area_id"] == org.anomalies["area_high"],
                                0.15 if m >= 1 else loss, loss)
            supplied = np.round(supplied)
            rows.append(pd.DataFrame({
                "area_id": areas["area_id"], "station_id": areas["station_id"],
                "manager_id": areas["manager_id"], "month": pd.Timestamp(f"{month}-01"),
                "supplied": supplied, "sold": np.round(supplied * (1 - loss)),
            }))
    out = pd.concat(rows, ignore_index=True)
    return out.astype({"supplied": "int64", "sold": "int64"})


def meters(org: PowerOrg) -> pd.DataFrame:
    """Every meter with its 台区, segment and class (大客户 = 专变/大工业, ~2%)."""
    areas = org.areas
    rep = areas.loc[areas.index.repeat(areas["meters"])].reset_index(drop=True)
    n = len(rep)
    order = rep.groupby("area_id").cumcount() + 1
    return pd.DataFrame({
        "meter_id": rep["area_id"] + order.map("{:04d}".format),
        "area_id": rep["area_id"], "segment_id": rep["segment_id"],
        "station_id": rep["station_id"],
        "big": (np.arange(n) * 7919) % 50 == 0,
    })


def readings_and_bills(
    rng: np.random.Generator, org: PowerOrg, meter: pd.DataFrame
) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """Per month: one reading row per meter due, and one bill row per meter.

    Readings: planned day (抄表例日), read day, method (实抄 / 估抄 / 未抄), correct, complete.
    Bills: billed, collected (this month's and old arrears paid), arrears at month end, billing
    and collection errors, the first bill of new or changed customers and whether it was reviewed.
    """
    seg = org.segments.set_index("segment_id")
    reader = seg.loc[meter["segment_id"], "reader_id"].to_numpy()
    day = seg.loc[meter["segment_id"], "reading_day"].to_numpy()
    skill = np.array([org.traits[r]["skill"] for r in reader])
    care = np.array([org.traits[r]["care"] for r in reader])
    n = len(meter)
    readings, bills = [], []
    for month in MONTHS:
        start = pd.Timestamp(f"{month}-01")
        planned = start + pd.to_timedelta(day - 1, unit="D")
        method = np.where(rng.random(n) < 0.002 + 0.01 * (1 - care), "估抄", "实抄")
        method = np.where(rng.random(n) < 0.0008, "未抄", method)
        late = (rng.random(n) < 0.03 * (1 - care)).astype(int) * rng.integers(1, 3, n)
        read_on = planned + pd.to_timedelta(late, unit="D")
        correct = rng.random(n) > 0.0005 + 0.01 * (1 - skill) ** 2
        complete = rng.random(n) > 0.004 * (1 - care)
        kwh = np.round(np.where(meter["big"], rng.gamma(4, 2500, n), rng.gamma(3, 60, n)))
        kwh = np.where(method == "未抄", 0, kwh)
        readings.append(pd.DataFrame({
            "meter_id": meter["meter_id"], "segment_id": meter["segment_id"],
            "reader_id": reader, "station_id": meter["station_id"],
            "planned_on": planned, "read_on": read_on.where(method != "未抄"),
            "method": method, "correct": correct, "complete": complete,
            "kwh": kwh.astype("int64"),
        }))
        fen = np.round(kwh * np.where(meter["big"], 68, 56)).astype("int64")  # 0.56/0.68 yuan
        pay_share = np.where(rng.random(n) < 0.985 + 0.01 * care, 1.0, rng.random(n) * 0.5)
        paid = np.round(fen * pay_share).astype("int64")
        # ~1% of customers owe an older bill; half of them pay it off this month.
        old = np.where(rng.random(n) < 0.01, rng.integers(100, 20000, n), 0)
        old_paid = rng.random(n) < 0.5
        collected = paid + np.where(old_paid, old, 0)
        arrears = fen - paid + np.where(old_paid, 0, old)
        first = rng.random(n) < 0.004
        bills.append(pd.DataFrame({
            "meter_id": meter["meter_id"], "reader_id": reader,
            "station_id": meter["station_id"], "bill_month": start,
            "billed": fen / 100, "collected": collected / 100,
            "arrears": arrears / 100,
            "bill_error": rng.random(n) < 0.0004 + 0.004 * (1 - skill) ** 2,
            "charge_error": rng.random(n) < 0.0003,
            "first_bill": first, "reviewed": np.where(first, rng.random(n) < 0.9, False),
        }))
    return readings, bills


def faults(rng: np.random.Generator, org: PowerOrg) -> pd.DataFrame:
    """The station's record of reading faults (the money-deduction table of DOMAIN.md): one row
    per event with its kind, the customer size where it matters, a quantity (customers or half
    days) and, for complaints, the deduction set by the station (20–100 yuan)."""
    readers = org.assignments.query("position == '抄表员'")
    rows = []
    k = 0
    for pid, sid in zip(readers["person_id"], readers["unit_id"], strict=True):
        t = org.traits[pid]
        for month in MONTHS:
            start = pd.Timestamp(f"{month}-01")
            rate = 0.6 + 4 * (1 - t["skill"]) + 2 * (1 - t["care"])
            planted = pid == org.anomalies["reader_misreads"]
            rate += 12 if planted else 0  # the reader with misreads: ~15 faults a month
            for _ in range(int(rng.poisson(rate))):
                kind = FAULT_KINDS[int(rng.choice(len(FAULT_KINDS), p=_KIND_P))]
                if planted and rng.random() < 0.8:
                    kind = "错抄漏抄估抄"
                k += 1
                big = kind == "错抄漏抄估抄" and rng.random() < 0.2
                qty = 1 if kind != "抄表簿延误" else int(rng.integers(1, 4))
                if kind in ("错抄漏抄估抄", "档案不符未报", "地址不符", "抄后计算差错"):
                    qty = int(rng.integers(1, 4))
                rows.append({
                    "fault_id": f"KK{month.replace('-', '')}{k:05d}", "person_id": pid,
                    "station_id": sid,
                    "day": start + pd.Timedelta(days=int(rng.integers(0, 28))),
                    "kind": kind, "size": ("大" if big else "小")
                    if kind == "错抄漏抄估抄" else "",
                    "qty": qty,
                    "amount": float(rng.choice([20, 50, 100])) if kind == "引起投诉" else 0.0,
                })
    return pd.DataFrame(rows)


_KIND_W = np.array([3, 4, 10, 2, 3, 3, 1, 2, 4, 1, 0.5, 2])
_KIND_P = _KIND_W / _KIND_W.sum()


def segment_snapshots(org: PowerOrg) -> pd.DataFrame:
    """Each month's last day: every segment, its reader and since when the reader has kept it."""
    rows = []
    for month in MONTHS:
        end = pd.Timestamp(f"{month}-01") + pd.offsets.MonthEnd(0)
        snap = org.segments[["segment_id", "station_id", "reader_id", "held_since"]].copy()
        snap["as_of"] = end
        rows.append(snap)
    out = pd.concat(rows, ignore_index=True)
    out["held_since"] = pd.to_datetime(out["held_since"])
    return out
