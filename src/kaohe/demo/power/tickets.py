"""S11 工单: the 95598 ticket history of the county.

Every ticket is received by a 坐席 (seat) of the dispatch centre; the seat either filters it
(duplicate, invalid, customer-side fault, solved at the seat) or dispatches it to the customer's
station, where a 台区经理 or 配网技术员 accepts it, arrives and finishes it. The return visit
records dissatisfaction. Arrival limits follow DOMAIN.md (45 minutes urban, 90 rural).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kaohe.demo.power.facts import MONTHS
from kaohe.demo.power.org import PowerOrg

CATEGORIES = ("故障报修", "投诉", "咨询查询", "电费电价", "停电信息")
FILTER_REASONS = ("重复来电", "无效工单", "客户内部故障", "坐席一次办结")
ACCEPT_LIMIT_MIN = 10
FINISH_LIMIT_H = 24


def tickets(rng: np.random.Generator, org: PowerOrg, meter: pd.DataFrame,
            scale: float) -> pd.DataFrame:
    seats = org.assignments.query("position == '坐席'")["person_id"].tolist()
    field = org.assignments.query("position in ['台区经理', '配网技术员']")
    handlers = field.groupby("unit_id")["person_id"].apply(list).to_dict()
    area_of = org.units.set_index("id")["area"].to_dict()
    slow = org.anomalies["slow_handler"]
    lazy_seat = org.anomalies["seat_low_filter"]
    rows: list[dict[str, object]] = []
    k = 0
    for month in MONTHS:
        start = pd.Timestamp(f"{month}-01")
        n = max(80, int(round(3000 * scale)))
        customers = rng.integers(0, len(meter), n)
        for i in range(n):
            k += 1
            m = meter.iloc[int(customers[i])]
            station = str(m["station_id"])
            seat = str(rng.choice(seats))
            category = str(rng.choice(CATEGORIES, p=[0.45, 0.1, 0.25, 0.1, 0.1]))
            at = start + pd.Timedelta(days=int(rng.integers(0, 28)),
                                      minutes=int(rng.integers(0, 24 * 60)))
            filter_p = 0.05 if seat == lazy_seat else 0.3
            filtered = category != "投诉" and rng.random() < filter_p
            row: dict[str, object] = {
                "ticket_id": f"GD{month.replace('-', '')}{k:06d}", "seat_id": seat,
                "unit_id": station, "customer_id": str(m["meter_id"]), "category": category,
                "received_at": at, "filtered": filtered,
                "filter_reason": str(rng.choice(FILTER_REASONS)) if filtered else "",
                "handler_id": "", "dispatched_at": pd.NaT, "accepted_at": pd.NaT,
                "arrived_at": pd.NaT, "finished_at": pd.NaT,
                "arrive_limit_min": 45 if area_of[station] == "城郊" else 90,
                "dissatisfied": False,
            }
            if not filtered:
                handler = str(rng.choice(handlers[station]))
                slowness = 3.0 if handler == slow else 1.0
                dispatched = at + pd.Timedelta(minutes=int(rng.integers(1, 6)))
                accepted = dispatched + pd.Timedelta(
                    minutes=int(rng.gamma(2.0, 2.0 * slowness)))
                arrived = accepted + pd.Timedelta(minutes=int(rng.gamma(4.0, 9.0 * slowness)))
                finished = arrived + pd.Timedelta(minutes=int(rng.gamma(2.0, 90 * slowness)))
                unfinished = rng.random() < 0.01 * slowness
                row.update(handler_id=handler, dispatched_at=dispatched, accepted_at=accepted,
                           arrived_at=arrived, finished_at=pd.NaT if unfinished else finished,
                           dissatisfied=bool(rng.random() < 0.03 * slowness))
            rows.append(row)
    out = pd.DataFrame(rows)
    base = out[(out["category"] == "投诉") & ~out["filtered"]].iloc[0].to_dict()
    # two customers of the base ticket's station who called about nothing else
    unused = meter.loc[~meter["meter_id"].isin(out["customer_id"])
                       & (meter["station_id"] == base["unit_id"]), "meter_id"]
    org.anomalies["customer_duplicates"] = str(unused.iloc[0])
    org.anomalies["customer_repeat"] = str(unused.iloc[1])
    return pd.concat([out, _planted_calls(org, base)], ignore_index=True)


def _planted_calls(org: PowerOrg, base: dict[str, object]) -> pd.DataFrame:
    """A customer who calls three times within two hours about one outage (duplicates: one
    complaint), and one who complains twice about the bill three days apart (a repeat)."""
    rows = []
    start = pd.Timestamp("2026-09-10 08:00")
    for j, (category, offset) in enumerate((("投诉", 0), ("投诉", 40), ("投诉", 110))):
        r = dict(base)
        r.update(ticket_id=f"GD20260910P{j + 1:05d}", category=category,
                 customer_id=org.anomalies["customer_duplicates"],
                 received_at=start + pd.Timedelta(minutes=offset))
        r.update(_times(r["received_at"]))
        rows.append(r)
    for j, day in enumerate((12, 15)):
        r = dict(base)
        r.update(ticket_id=f"GD202609{day}R{j + 1:05d}", category="投诉",
                 customer_id=org.anomalies["customer_repeat"],
                 received_at=pd.Timestamp(f"2026-09-{day} 10:00"))
        r.update(_times(r["received_at"]))
        rows.append(r)
    return pd.DataFrame(rows)


def _times(at: pd.Timestamp) -> dict[str, object]:
    return {"filtered": False, "filter_reason": "",
            "dispatched_at": at + pd.Timedelta(minutes=2),
            "accepted_at": at + pd.Timedelta(minutes=5),
            "arrived_at": at + pd.Timedelta(minutes=35),
            "finished_at": at + pd.Timedelta(minutes=150), "dissatisfied": False}
