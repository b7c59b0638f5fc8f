"""The facts of S6 大营销: collection targets, 业扩 high-voltage applications, the internal
service evaluation between departments, and customer complaints.

Working days follow the weekday rule and the calendar of ``generate.CALENDAR`` (days off and
调休 Saturdays), as ``date_diff('workday', …)`` counts them in the engine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kaohe.demo.power.facts import MONTHS
from kaohe.demo.power.org import PowerOrg

RATERS = ("营销部", "运维检修部", "电力调度控制中心")
COMPLAINT_KINDS = ("抄表收费", "停电", "电压质量", "服务态度", "业扩报装")
# Working-day limits per milestone (DOMAIN.md): plan (single / dual source), design review,
# mid inspection, completion inspection, meter and connection.
LIMITS = {"plan": 15, "plan_dual": 30, "design": 10, "mid": 5, "done": 5, "connect": 5}


class WorkCalendar:
    """Working days as the engine counts them: Monday–Friday unless the calendar says so."""

    def __init__(self, rows: tuple[tuple[str, str], ...]) -> None:
        self.special = {pd.Timestamp(d).date(): w == "是" for d, w in rows}

    def working(self, day: pd.Timestamp) -> bool:
        d = day.date()
        return self.special.get(d, day.weekday() < 5)

    def add(self, start: pd.Timestamp, n: int) -> pd.Timestamp:
        """The n-th working day after ``start`` (same time of day)."""
        day = start
        while n > 0:
            day = day + pd.Timedelta(days=1)
            n -= self.working(day)
        return day


def targets(org: PowerOrg, bills: list[pd.DataFrame]) -> pd.DataFrame:
    """Each station's monthly collection target (目标责任), in yuan rounded to 1,000: about what
    it bills; the planted station was given 10% more than it can collect."""
    rows = []
    for month, frame in zip(MONTHS, bills, strict=True):
        billed = frame.groupby("station_id")["billed"].sum()
        for station, amount in billed.items():
            factor = 1.1 if station == org.anomalies["station_short"] else 0.99
            rows.append({"station_id": station, "month": f"{month}-01",
                         "target": float(round(amount * factor / 1000) * 1000)})
    return pd.DataFrame(rows)


def expansion(rng: np.random.Generator, org: PowerOrg, cal: WorkCalendar,
              scale: float) -> pd.DataFrame:
    """High-voltage applications connected in the demo's months, with their five milestones.
    Most keep every limit; some miss one; the planted one is a day late on the supply plan."""
    units = org.units.query("kind in ['供电所', '供电营业厅']")["id"].tolist()
    rows = []
    k = 0
    for month in MONTHS:
        n = max(8, int(round(60 * scale)))
        start = pd.Timestamp(f"{month}-01")
        for _ in range(n):
            k += 1
            dual = bool(rng.random() < 0.15)
            step = {
                "plan": int(rng.integers(5, LIMITS["plan_dual" if dual else "plan"] + 1)),
                "design": int(rng.integers(2, 11)), "mid": int(rng.integers(1, 6)),
                "done": int(rng.integers(1, 6)), "connect": int(rng.integers(1, 6)),
            }
            if rng.random() < 0.15:  # one milestone late by 1–5 working days
                which = str(rng.choice(list(step)))
                limit = LIMITS["plan_dual" if which == "plan" and dual else which]
                step[which] = limit + int(rng.integers(1, 6))
            connected = _working(cal, start + pd.Timedelta(days=int(rng.integers(0, 26)),
                                                           hours=int(rng.integers(9, 17))))
            # walk back from the connection: gaps of customer work between milestones
            done_ok = _back(cal, connected, step["connect"])
            done_req = _back(cal, done_ok, step["done"])
            mid_ok = _working(cal, done_req - pd.Timedelta(days=int(rng.integers(10, 40))))
            mid_req = _back(cal, mid_ok, step["mid"])
            design_ok = _working(cal, mid_req - pd.Timedelta(days=int(rng.integers(10, 30))))
            design_req = _back(cal, design_ok, step["design"])
            plan_at = _working(cal, design_req - pd.Timedelta(days=int(rng.integers(5, 20))))
            accepted = _back(cal, plan_at, step["plan"])
            rows.append({
                "app_id": f"YK{month.replace('-', '')}{k:04d}",
                "unit_id": str(rng.choice(units)), "dual_source": dual,
                "accepted_at": accepted, "plan_at": plan_at, "design_in_at": design_req,
                "design_ok_at": design_ok, "mid_in_at": mid_req, "mid_ok_at": mid_ok,
                "done_in_at": done_req, "done_ok_at": done_ok, "connected_at": connected,
            })
    out = pd.DataFrame(rows)
    # The planted application: single source, the supply plan 16 working days after acceptance.
    last = out.index[-1]
    out.loc[last, "dual_source"] = False
    out.loc[last, "accepted_at"] = _back(cal, out.loc[last, "plan_at"], 16)
    org.anomalies["expansion_late"] = str(out.loc[last, "app_id"])
    return out


def _working(cal: WorkCalendar, moment: pd.Timestamp) -> pd.Timestamp:
    """``moment`` moved back to the nearest working day (same time of day)."""
    while not cal.working(moment):
        moment = moment - pd.Timedelta(days=1)
    return moment


def _back(cal: WorkCalendar, moment: pd.Timestamp, n: int) -> pd.Timestamp:
    """A moment on a working day exactly ``n`` working days before ``moment``'s date."""
    day = moment
    while n > 0:
        n -= cal.working(day)
        day = day - pd.Timedelta(days=1)
    while not cal.working(day):
        day = day - pd.Timedelta(days=1)
    return day


def ratings(rng: np.random.Generator, org: PowerOrg) -> pd.DataFrame:
    """The monthly internal service evaluation: each department rates the stations and halls it
    serves (the dispatch centre rates stations only), 0–100."""
    units = org.units.query("kind in ['供电所', '供电营业厅']")
    level = {u: float(rng.normal(88, 4)) for u in units["id"]}
    rows = []
    for month in MONTHS:
        for uid, kind in zip(units["id"], units["kind"], strict=True):
            for rater in RATERS:
                if rater == "电力调度控制中心" and kind != "供电所":
                    continue
                rows.append({"unit_id": uid, "month": f"{month}-01", "rater": rater,
                             "score": float(np.clip(round(rng.normal(level[uid], 3), 1),
                                                    50, 100))})
    return pd.DataFrame(rows)


def complaints(rng: np.random.Generator, org: PowerOrg) -> pd.DataFrame:
    """Customer complaints per station or hall: the person handling it, when it came and was
    closed, and the customer's verdict on the return visit. The planted hall has many."""
    units = org.units.query("kind in ['供电所', '供电营业厅']")["id"].tolist()
    staff = org.assignments.groupby("unit_id")["person_id"].apply(list).to_dict()
    rows = []
    k = 0
    for month in MONTHS:
        start = pd.Timestamp(f"{month}-01")
        for uid in units:
            lam = 8.0 if uid == org.anomalies["hall_complaints"] else 1.2
            for _ in range(int(rng.poisson(lam))):
                k += 1
                at = start + pd.Timedelta(days=int(rng.integers(0, 28)),
                                          minutes=int(rng.integers(8 * 60, 20 * 60)))
                hours = float(rng.gamma(2.0, 6.0)) * (2.5 if rng.random() < 0.1 else 1.0)
                rows.append({
                    "complaint_id": f"TS{month.replace('-', '')}{k:05d}", "unit_id": uid,
                    "person_id": str(rng.choice(staff[uid])), "at": at.floor("min"),
                    "closed_at": (at + pd.Timedelta(hours=hours)).floor("min"),
                    "category": str(rng.choice(COMPLAINT_KINDS)),
                    "satisfied": bool(rng.random() < 0.9),
                })
    return pd.DataFrame(rows)
