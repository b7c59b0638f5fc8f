"""Sparse facts: hall inspections (明查暗访), complaints (投诉) and praises (表扬).

These are small (hundreds to a few thousand rows) and are delivered the way such data really
arrives: inspection checklists as Excel files, complaints and praises as CSV exports, so they come
back as pandas frames for the writers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kaohe.checklist import NO_PROBLEM, NORMS
from kaohe.demo import columns as col
from kaohe.demo.calendar import Calendar
from kaohe.demo.facts import Duty
from kaohe.demo.names import OPEN_INSPECTORS, SECRET_INSPECTORS
from kaohe.demo.org import CLERK, DUTY_MANAGER, HEAD, Org

# The checklist (kaohe.checklist) and how often each item is found, relative to the others.
_OFTEN = {"stand_greet": 1.2, "smile": 1.5, "both_hands": 1.0, "no_chat": 1.0, "no_phone": 0.8,
          "first_ask": 0.4, "see_off": 0.9, "announce": 0.8, "dress": 0.7, "clean": 0.9,
          "language": 0.9, "off_post": 0.4}
# (item, points deducted, how often it is found)
ITEMS: tuple[tuple[str, float, float], ...] = tuple(
    (n.name, float(n.deduction), _OFTEN[n.code]) for n in NORMS)
OPEN, SECRET = "明查", "暗访"

# Problems per visit by outlet kind: partners' staff are trained less than the company's own.
_KIND_PROBLEMS = {"自营厅": 0.8, "合作厅": 1.0, "特约厅": 1.2, "代理店": 1.5}
_SECRET_VISITS = {"自营厅": 2.0, "合作厅": 1.0, "特约厅": 1.0, "代理店": 0.6}

PERSON_COMPLAINTS = ("服务态度", "业务办理差错", "资费争议", "承诺未兑现", "等候时间过长")
_PERSON_COMPLAINTS_P = np.array([0.35, 0.25, 0.15, 0.15, 0.10])
HALL_COMPLAINTS = ("等候时间过长", "营业环境", "资费争议")
_HALL_COMPLAINTS_P = np.array([0.5, 0.3, 0.2])
PRAISE_CHANNELS = ("锦旗", "表扬信", "10086热线表扬", "微信公众号留言", "现场意见簿")
_PRAISE_P = np.array([0.1, 0.2, 0.35, 0.2, 0.15])


def inspections(rng: np.random.Generator, org: Org, cal: Calendar) -> list[pd.DataFrame]:
    """One frame per month, one row per problem found per visit (or one 无问题 row)."""
    kind = org.unit_attr("kind")
    outlets = np.flatnonzero(org.is_outlet)
    problems = rng.gamma(3.0, 0.5, len(kind)) * np.array([_KIND_PROBLEMS.get(k, 0) for k in kind])
    names = np.array([i[0] for i in ITEMS], dtype=object)
    points = np.array([i[1] for i in ITEMS])
    log_weight = np.log(np.array([i[2] for i in ITEMS]))
    frames = []
    for m, month in enumerate(cal.months):
        lo, hi = cal.month_bounds[m], cal.month_bounds[m + 1]
        unit_l: list[int] = []
        secret_l: list[bool] = []
        day_l: list[int] = []
        # Every hall gets one open inspection a month and some secret visits; a closed hall none.
        for u in outlets:
            open_days = np.flatnonzero(org.unit_open[u, lo:hi]) + lo
            if not len(open_days):
                continue
            expected = _SECRET_VISITS[kind[u]]
            n_secret = int(expected) + int(rng.random() < expected - int(expected))
            for secret in [False] + [True] * n_secret:
                unit_l.append(int(u))
                secret_l.append(secret)
                day_l.append(int(rng.choice(open_days)))
        unit, secret, day = np.asarray(unit_l), np.asarray(secret_l), np.asarray(day_l)
        minutes = rng.integers(9 * 60, 17 * 60, len(unit))
        at = col.moments(cal, day, minutes * 60)
        order = np.argsort(at, kind="stable")
        unit, secret, day, at = unit[order], secret[order], day[order], at[order]
        n_visits = len(unit)
        # Prepared halls hide problems from an announced visit; mystery shoppers find more.
        found = rng.poisson(problems[unit] * np.where(secret, 1.2, 0.6))
        found = np.minimum(found, len(ITEMS))
        # Distinct items per visit, weighted by how common they are (Gumbel top-k).
        ranking = np.argsort(-(log_weight + rng.gumbel(size=(n_visits, len(ITEMS)))), axis=1)
        rows = np.maximum(found, 1)
        visit = np.repeat(np.arange(n_visits), rows)
        nth = np.arange(len(visit)) - np.repeat(np.cumsum(rows) - rows, rows)
        item = ranking[visit, nth]
        clean = found[visit] == 0
        prefix = np.where(secret, "AF", "MC")
        serial = np.arange(1, n_visits + 1)
        visit_ids = [f"{prefix[v]}{month.replace('-', '')}{serial[v]:04d}" for v in range(n_visits)]
        shoppers = np.asarray(SECRET_INSPECTORS, dtype=object)
        staff = np.asarray(OPEN_INSPECTORS, dtype=object)
        inspector = np.where(
            secret,
            shoppers[rng.integers(0, len(shoppers), n_visits)],
            staff[rng.integers(0, len(staff), n_visits)],
        )
        frames.append(
            pd.DataFrame(
                {
                    "visit_id": np.asarray(visit_ids, dtype=object)[visit],
                    "unit_id": org.unit_ids[unit[visit]],
                    "at": at[visit],
                    "inspector": inspector[visit],
                    "method": np.where(secret[visit], SECRET, OPEN),
                    "item": np.where(clean, NO_PROBLEM, names[item]),
                    "deduction": np.where(clean, 0.0, points[item]),
                }
            )
        )
    return frames


def complaints(rng: np.random.Generator, org: Org, cal: Calendar, d: Duty) -> pd.DataFrame:
    """Complaints about a clerk (unit sometimes not recorded) or about a hall (no person)."""
    kind_factor = np.array([0.8, 1.0, 1.2, 1.5, 0.0])  # by outlet kind; index -1 unused
    kind_index = np.array(
        [("自营厅", "合作厅", "特约厅", "代理店").index(k) if org.is_outlet[i] else 4
         for i, k in enumerate(org.unit_attr("kind"))]
    )
    pos_factor = np.zeros(8)
    pos_factor[[CLERK, DUTY_MANAGER, HEAD]] = [1.0, 0.6, 0.3]
    rate = (
        0.012
        * org.traits["courtesy"][:, None]
        * kind_factor[kind_index[np.maximum(org.unit_of, 0)]]
        * pos_factor[org.pos_of]
        * d.at_outlet
    )
    counts = rng.poisson(rate).ravel()
    cell = np.repeat(np.arange(counts.size), counts)
    person, day = cell // cal.n_days, cell % cal.n_days
    unit = org.unit_of[person, day].copy()
    unit[rng.random(len(unit)) < 0.1] = -1  # the CRM did not record the hall
    category = np.asarray(PERSON_COMPLAINTS, dtype=object)[
        rng.choice(len(PERSON_COMPLAINTS), size=len(person), p=_PERSON_COMPLAINTS_P)
    ]
    # Complaints about the hall itself (waiting, environment) name no clerk.
    hall_rate = 0.004 * np.where(org.is_outlet[:, None], org.unit_open, False)
    hall_counts = rng.poisson(hall_rate).ravel()
    hall_cell = np.repeat(np.arange(hall_counts.size), hall_counts)
    hall_unit, hall_day = hall_cell // cal.n_days, hall_cell % cal.n_days
    hall_category = np.asarray(HALL_COMPLAINTS, dtype=object)[
        rng.choice(len(HALL_COMPLAINTS), size=len(hall_unit), p=_HALL_COMPLAINTS_P)
    ]
    person = np.concatenate([person, np.full(len(hall_unit), -1)])
    unit = np.concatenate([unit, hall_unit])
    day = np.concatenate([day, hall_day])
    category = np.concatenate([category, hall_category])
    major = rng.random(len(person)) < 0.012  # a handful a quarter
    if len(major) and not major.any():
        major[int(np.argmax(person >= 0))] = True  # the demo needs at least one veto
    frame = _stamped(rng, cal, "TS", day)
    order = frame.pop("order").to_numpy()
    person, unit, major, category = person[order], unit[order], major[order], category[order]
    frame["person_id"] = np.where(person >= 0, org.person_ids[person], None)
    frame["unit_id"] = np.where(unit >= 0, org.unit_ids[unit], None)
    frame["severity"] = np.where(major, "重大", "一般")
    frame["category"] = category
    frame = frame.rename(columns={"id": "complaint_id"})
    return frame[["complaint_id", "person_id", "unit_id", "at", "severity", "category"]]


def praises(rng: np.random.Generator, org: Org, cal: Calendar, d: Duty) -> pd.DataFrame:
    """Praise from customers: likelier for skilled, courteous staff."""
    factor = np.sqrt(org.traits["skill"] / org.traits["courtesy"])
    counts = rng.poisson(0.008 * factor[:, None] * d.at_outlet).ravel()
    cell = np.repeat(np.arange(counts.size), counts)
    person, day = cell // cal.n_days, cell % cal.n_days
    channel = np.asarray(PRAISE_CHANNELS, dtype=object)[
        rng.choice(len(PRAISE_CHANNELS), size=len(person), p=_PRAISE_P)
    ]
    frame = _stamped(rng, cal, "BY", day)
    order = frame.pop("order").to_numpy()
    frame["person_id"] = org.person_ids[person[order]]
    frame["channel"] = channel[order]
    return frame[["id", "person_id", "at", "channel"]].rename(columns={"id": "praise_id"})


def _stamped(rng: np.random.Generator, cal: Calendar, prefix: str, day: np.ndarray) -> pd.DataFrame:
    """Times within opening hours, sorted, with ids prefix + yyyymmdd + serial of the day.

    ``order`` maps the sorted rows back to the input rows.
    """
    at = col.moments(cal, day, col.time_of_day(rng, len(day)))
    order = np.argsort(at, kind="stable")
    day = day[order]
    serial = col.day_codes(cal)[day] * 1000 + col.serials_within_day(day)
    ids = col.prefixed(prefix, serial, 11).to_pylist()
    return pd.DataFrame({"id": ids, "at": at[order], "order": order})
