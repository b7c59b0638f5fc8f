"""S12 供电所规范化管理: the facts of each station's standardised management (article 11).

Per station and month: the ledger check (27 paper and 22 electronic ledgers required), the
two tickets (工作票/操作票) with their check verdicts, voltage monitoring points of classes
A–D (minutes in operation and out of tolerance), outages with the customers they cut off and
the station's customer count (供电可靠率 RS-1 and RS-3), equipment defects with their closing
times, and repair orders with their arrival times (45 / 90 / 120 minutes by zone). Line loss
comes from ``area_energy`` (S8).

Stations differ by a "discipline" level, so the grades spread and the forced distribution
(quotas) of ``station_standard`` bites. Planted anomalies (``org.anomalies``):

- ``ledgers_missing``: a station with 3 paper ledgers absent and 2 incomplete, 4 electronic
  incomplete (Sept);
- ``tickets_returned``: a station whose 6 tickets returned before execution were all faulty,
  and every executed one qualified: its 两票合格率 stays 100%;
- ``tickets_unqualified``: a station with 4 unqualified executed tickets (Sept): the lowest rate;
- ``voltage_low``: a station whose class-A point was out of tolerance 25% of September;
- ``outage_fault``: a station with a 6-hour fault outage of 2,500 customers (RS-1 and RS-3 low);
- ``outage_shortage``: a station with an 8-hour supply-shortage outage (限电) of 2,500
  customers: RS-1 low, RS-3 (which excludes supply shortage) unharmed;
- ``defect_late``: an urgent defect closed after 30 hours (limit 24): late;
- ``repair_remote``: a remote (偏远) repair reached in 110 minutes: in time (limit 120);
- ``repair_rural_late``: a rural repair reached in 100 minutes: late (limit 90).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kaohe.demo.power.facts import MONTHS
from kaohe.demo.power.org import PowerOrg

PAPER_LEDGERS = 27
ELECTRONIC_LEDGERS = 22
DEFECT_LIMIT_HOURS = {"紧急": 24, "重大": 72, "一般": 720}
ARRIVAL_LIMIT_MIN = {"城区": 45, "农村": 90, "偏远": 120}
VOLTAGE_CLASSES = ("A", "B", "C", "D")


def _stations(org: PowerOrg) -> pd.DataFrame:
    return org.units.query("kind == '供电所'")[["id", "area"]].reset_index(drop=True)


def plant(org: PowerOrg) -> None:
    """Choose the planted stations (ids in ``org.anomalies``)."""
    ids = _stations(org)["id"].tolist()
    for key, s in (("ledgers_missing", 3), ("tickets_returned", 4),
                   ("tickets_unqualified", 5), ("voltage_low", 6), ("outage_fault", 7),
                   ("outage_shortage", 8)):
        org.anomalies[key] = str(ids[s])


def _discipline(rng: np.random.Generator, org: PowerOrg) -> dict[str, float]:
    """Each station's care for its management (0.9–1.0): good stations make fewer faults."""
    return {str(s): float(rng.uniform(0.9, 1.0)) for s in _stations(org)["id"]}


def ledgers(rng: np.random.Generator, org: PowerOrg) -> pd.DataFrame:
    """One row per ledger a station keeps, checked at each month's end: complete or not."""
    care = _discipline(rng, org)
    rows = []
    for month in MONTHS:
        day = (pd.Timestamp(f"{month}-01") + pd.offsets.MonthEnd(0)).strftime("%Y-%m-%d")
        for sid in care:
            planted = sid == org.anomalies["ledgers_missing"] and month == MONTHS[-1]
            for kind, n, prefix in (("纸质", PAPER_LEDGERS, "P"),
                                    ("电子", ELECTRONIC_LEDGERS, "E")):
                for k in range(1, n + 1):
                    complete = bool(rng.random() < 0.96 + 0.04 * care[sid])
                    if planted and kind == "纸质" and k <= 3:
                        continue  # not kept at all: counts against the 27
                    if planted and ((kind == "纸质" and k <= 5) or (kind == "电子" and k <= 4)):
                        complete = False
                    rows.append({"station_id": sid, "checked_on": day,
                                 "ledger_id": f"{prefix}{k:02d}", "kind": kind,
                                 "complete": complete})
    return pd.DataFrame(rows)


def work_tickets(rng: np.random.Generator, org: PowerOrg) -> pd.DataFrame:
    """工作票 and 操作票: executed (qualified or not on the check), returned before execution,
    or voided. A returned ticket is never executed, so it is never unqualified."""
    care = _discipline(rng, org)
    rows = []
    for month in MONTHS:
        start = pd.Timestamp(f"{month}-01")
        for sid, c in care.items():
            for _ in range(int(rng.integers(12, 25))):
                status = "已执行" if rng.random() < 0.92 else "执行前退回"
                rows.append((sid, start + pd.Timedelta(days=int(rng.integers(0, 28))),
                             "工作票" if rng.random() < 0.5 else "操作票", status,
                             bool(rng.random() < 0.985 + 0.015 * c) and status == "已执行"))
            if month == MONTHS[-1] and sid == org.anomalies["tickets_returned"]:
                rows = [r for r in rows if not (r[0] == sid and r[1] >= start
                                                and r[3] == "已执行" and not r[4])]
                rows += [(sid, start + pd.Timedelta(days=10 + k), "工作票", "执行前退回", False)
                         for k in range(6)]
            if month == MONTHS[-1] and sid == org.anomalies["tickets_unqualified"]:
                rows += [(sid, start + pd.Timedelta(days=5 + k), "操作票", "已执行", False)
                         for k in range(4)]
    frame = pd.DataFrame(rows, columns=["station_id", "issued_on", "kind", "status",
                                        "qualified"])
    frame["issued_on"] = frame["issued_on"].dt.strftime("%Y-%m-%d")
    frame.insert(0, "ticket_id", [f"LP{k + 1:06d}" for k in range(len(frame))])
    return frame


def voltage(rng: np.random.Generator, org: PowerOrg) -> pd.DataFrame:
    """Voltage monitoring points, one row per point and month: minutes in operation, above and
    below tolerance. Class A is the 10 kV bus, B–D the 35 kV-fed, 10 kV line-end and 380/220 V
    customer points; every station has one A and two of each of B, C, D."""
    care = _discipline(rng, org)
    rows = []
    for month in MONTHS:
        first = pd.Timestamp(f"{month}-01")
        minutes = int((first + pd.offsets.MonthBegin(1) - first).days) * 1440
        for sid, c in care.items():
            for cls in VOLTAGE_CLASSES:
                for k in range(1 if cls == "A" else 2):
                    share = float(rng.uniform(0.0, 0.05 * (1.3 - c)))
                    if cls == "A" and month == MONTHS[-1] and sid == org.anomalies["voltage_low"]:
                        share = 0.25
                    out = int(round(minutes * share))
                    over = int(rng.integers(0, out + 1))
                    rows.append({"point_id": f"{sid}V{cls}{k + 1}", "station_id": sid,
                                 "point_class": cls, "month": first.strftime("%Y-%m-%d"),
                                 "run_min": minutes, "over_min": over,
                                 "under_min": out - over})
    return pd.DataFrame(rows)


def customers(org: PowerOrg, meter: pd.DataFrame) -> pd.DataFrame:
    """Each station's customers (its meters) per month: the denominator of RS."""
    count = meter.groupby("station_id").size()
    return pd.DataFrame([{"station_id": str(s), "month": f"{m}-01", "customers": int(n)}
                         for m in MONTHS for s, n in count.items()])


def outages(rng: np.random.Generator, org: PowerOrg, meter: pd.DataFrame) -> pd.DataFrame:
    """Outages: start, end, customers cut off, cause (故障停电, 计划检修, 电源不足限电)."""
    count = meter.groupby("station_id").size()
    care = _discipline(rng, org)
    rows = []
    for month in MONTHS:
        start = pd.Timestamp(f"{month}-01")
        for sid, c in care.items():
            n = int(count.get(sid, 0))
            for _ in range(int(rng.integers(1, 5))):
                at = start + pd.Timedelta(minutes=int(rng.integers(0, 27 * 1440)))
                cause = "计划检修" if rng.random() < 0.4 else "故障停电"
                minutes = int(rng.integers(30, 240 if cause == "计划检修" else int(180 / c)))
                out = max(1, int(n * rng.uniform(0.01, 0.08)))
                rows.append((sid, at, at + pd.Timedelta(minutes=minutes), out, cause))
            if month == MONTHS[-1] and sid == org.anomalies["outage_fault"]:
                at = start + pd.Timedelta(days=12, hours=9)
                rows.append((sid, at, at + pd.Timedelta(hours=6), min(n, 2500), "故障停电"))
            if month == MONTHS[-1] and sid == org.anomalies["outage_shortage"]:
                at = start + pd.Timedelta(days=18, hours=10)
                rows.append((sid, at, at + pd.Timedelta(hours=8), min(n, 2500), "电源不足限电"))
    frame = pd.DataFrame(rows, columns=["station_id", "start_at", "end_at", "customers_out",
                                        "cause"])
    for c in ("start_at", "end_at"):
        frame[c] = frame[c].dt.strftime("%Y-%m-%d %H:%M:%S")
    frame.insert(0, "outage_id", [f"TD{k + 1:05d}" for k in range(len(frame))])
    return frame


def defects(rng: np.random.Generator, org: PowerOrg) -> pd.DataFrame:
    """Equipment defects found and closed: 紧急 within 24 h, 重大 72 h, 一般 30 days."""
    care = _discipline(rng, org)
    rows = []
    levels = list(DEFECT_LIMIT_HOURS)
    for month in MONTHS:
        start = pd.Timestamp(f"{month}-01")
        for sid, c in care.items():
            for _ in range(int(rng.integers(4, 10))):
                level = levels[int(rng.choice(3, p=[0.15, 0.3, 0.55]))]
                limit = DEFECT_LIMIT_HOURS[level]
                found = start + pd.Timedelta(hours=int(rng.integers(0, 27 * 24)))
                late = rng.random() > 0.9 + 0.1 * c
                hours = limit * (rng.uniform(1.05, 1.5) if late else rng.uniform(0.1, 0.95))
                rows.append((sid, level, found, found + pd.Timedelta(hours=int(hours))))
    sid = str(_stations(org)["id"].iloc[9])
    sept = pd.Timestamp(f"{MONTHS[-1]}-03 08:00")
    rows.append((sid, "紧急", sept, sept + pd.Timedelta(hours=30)))
    rows.append((sid, "一般", sept, sept + pd.Timedelta(days=29)))
    frame = pd.DataFrame(rows, columns=["station_id", "level", "found_at", "closed_at"])
    for c in ("found_at", "closed_at"):
        frame[c] = frame[c].dt.strftime("%Y-%m-%d %H:%M:%S")
    frame.insert(0, "defect_id", [f"QX{k + 1:05d}" for k in range(len(frame))])
    org.anomalies["defect_late"] = str(frame["defect_id"].iloc[-2])
    return frame


def repairs(rng: np.random.Generator, org: PowerOrg) -> pd.DataFrame:
    """Repair orders (故障抢修): the zone sets the arrival limit (城区 45, 农村 90, 偏远 120
    minutes)."""
    stations = _stations(org)
    care = _discipline(rng, org)
    rows = []
    for month in MONTHS:
        start = pd.Timestamp(f"{month}-01")
        for sid, area in zip(stations["id"], stations["area"], strict=True):
            zones = ["城区", "农村"] if area == "城郊" else ["农村", "偏远"]
            for _ in range(int(rng.integers(8, 20))):
                zone = zones[int(rng.random() < 0.3)]
                limit = ARRIVAL_LIMIT_MIN[zone]
                at = start + pd.Timedelta(minutes=int(rng.integers(0, 27 * 1440)))
                late = rng.random() > 0.88 + 0.12 * care[str(sid)]
                minutes = int(limit * (rng.uniform(1.05, 1.6) if late else rng.uniform(0.3, 0.98)))
                rows.append((str(sid), zone, at, at + pd.Timedelta(minutes=minutes)))
    sid = str(stations["id"].iloc[10])
    sept = pd.Timestamp(f"{MONTHS[-1]}-07 14:00")
    rows.append((sid, "偏远", sept, sept + pd.Timedelta(minutes=110)))
    rows.append((sid, "农村", sept, sept + pd.Timedelta(minutes=100)))
    frame = pd.DataFrame(rows, columns=["station_id", "zone", "received_at", "arrived_at"])
    for c in ("received_at", "arrived_at"):
        frame[c] = frame[c].dt.strftime("%Y-%m-%d %H:%M:%S")
    frame.insert(0, "repair_id", [f"QR{k + 1:05d}" for k in
                                  range(len(frame))])
    org.anomalies["repair_remote"] = str(frame["repair_id"].iloc[-2])
    org.anomalies["repair_rural_late"] = str(frame["repair_id"].iloc[-1])
    return frame
