"""S10 供电所岗位绩效: the stations' duty roster with attendance, and the register of post
failures (岗位考核扣分) that deduct points and money from each post's target budget.

Duty rules (article 9): three on duty each day, at least two of them 台区经理; the A and B of one
台区经理 pair never out on the same day; attendance is recorded only for staff on duty.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kaohe.demo.power.facts import MONTHS
from kaohe.demo.power.org import PowerOrg

FAILURES = (("安全违章", 5, 100), ("台账缺失", 2, 30), ("工单超时", 2, 50),
            ("线损超标未分析", 3, 50), ("服务规范", 2, 30), ("考勤违纪", 2, 20))


def roster(rng: np.random.Generator, org: PowerOrg) -> pd.DataFrame:
    """One row per station person and day: on duty, out in the field, attendance recorded."""
    asg = org.assignments
    stations = org.units.query("kind == '供电所'")["id"].tolist()
    days = pd.date_range(f"{MONTHS[0]}-01", pd.Timestamp(f"{MONTHS[-1]}-01")
                         + pd.offsets.MonthEnd(0), freq="D")
    frames = []
    for s, sid in enumerate(stations):
        staff = asg[asg["unit_id"] == sid]
        managers = staff.loc[staff["position"] == "台区经理", "person_id"].tolist()
        others = staff.loc[staff["position"] != "台区经理", "person_id"].tolist()
        pair = {p: f"{sid}P{k // 2 + 1}" for k, p in enumerate(managers)}
        post = dict(zip(staff["person_id"], staff["position"], strict=True))
        for d, day in enumerate(days):
            on = {managers[(2 * d) % len(managers)], managers[(2 * d + 1) % len(managers)],
                  others[d % len(others)]}
            out = {p for p in managers if rng.random() < 0.2}
            for k in range(0, len(managers) - 1, 2):  # never A and B of one pair
                if managers[k] in out and managers[k + 1] in out:
                    out.discard(managers[k + 1])
            for pid in staff["person_id"]:
                frames.append((f"{sid}-{day:%Y%m%d}", sid, pid, day, post[pid],
                               pair.get(pid, ""), pid in on, pid in out,
                               pid in on and rng.random() < 0.98))
    out_frame = pd.DataFrame(frames, columns=["duty_id", "station_id", "person_id", "day",
                                              "post", "ab_pair", "on_duty", "out", "attended"])
    return _plant_duty(org, out_frame, stations)


def _plant_duty(org: PowerOrg, frame: pd.DataFrame, stations: list[str]) -> pd.DataFrame:
    """Three broken duty days: one 台区经理 on duty only, A and B out together, attendance
    recorded for someone not on duty."""
    day1 = f"{stations[0]}-20260908"
    rows = frame.index[(frame["duty_id"] == day1) & frame["on_duty"]
                       & (frame["post"] == "台区经理")]
    frame.loc[rows[0], ["on_duty", "attended"]] = False
    spare = frame.index[(frame["duty_id"] == day1) & ~frame["on_duty"]
                        & (frame["post"] != "台区经理")]
    frame.loc[spare[0], ["on_duty", "attended"]] = True
    org.anomalies["duty_one_manager"] = day1
    day2 = f"{stations[1]}-20260915"
    pair = frame.loc[(frame["duty_id"] == day2) & (frame["ab_pair"] != ""), "ab_pair"].iloc[0]
    frame.loc[(frame["duty_id"] == day2) & (frame["ab_pair"] == pair), "out"] = True
    org.anomalies["duty_ab_out"] = day2
    day3 = f"{stations[2]}-20260920"
    idle = frame.index[(frame["duty_id"] == day3) & ~frame["on_duty"]]
    frame.loc[idle[0], "attended"] = True
    org.anomalies["duty_attendance_off_duty"] = day3
    return frame


def failures(rng: np.random.Generator, org: PowerOrg) -> pd.DataFrame:
    """The station's failure register: each failure deducts points and yuan from the post. The
    planted 营销技术员 has ten 安全违章 (−50 points) in August and in September: two months below
    60, standby (待岗)."""
    posts = org.assignments[org.assignments["unit_id"].isin(
        org.units.query("kind == '供电所'")["id"])]
    standby = str(posts.query("position == '营销技术员'")["person_id"].iloc[1])
    org.anomalies["post_standby"] = standby
    rows = []
    k = 0
    for month in MONTHS:
        start = pd.Timestamp(f"{month}-01")
        for pid, sid in zip(posts["person_id"], posts["unit_id"], strict=True):
            n = int(rng.poisson(0.8))
            if pid == standby and month != MONTHS[0]:
                n = 10
            for _ in range(n):
                k += 1
                item, points, yuan = FAILURES[0 if pid == standby and month != MONTHS[0]
                                              else int(rng.integers(len(FAILURES)))]
                rows.append({"failure_id": f"KH{month.replace('-', '')}{k:05d}",
                             "person_id": pid, "station_id": sid,
                             "day": (start + pd.Timedelta(days=int(rng.integers(0, 28))))
                             .strftime("%Y-%m-%d"),
                             "item": item, "points": points, "yuan": float(yuan)})
    return pd.DataFrame(rows)
