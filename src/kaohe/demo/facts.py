"""Person-driven facts: transactions, tickets, daily-question scores and upsell spot checks.

Everything is drawn on the person × day grid of the org history: a Poisson count per cell, then
one vectorised pass per column. Each fact lands in the unit where the person was assigned that
day, so the facts agree with org/assignments.csv (a clerk who moved on the 12th sells in the new
hall from the 12th on).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from kaohe.demo import columns as col
from kaohe.demo.calendar import Calendar
from kaohe.demo.org import CHANNEL_MANAGER, CLERK, DUTY_MANAGER, HEAD, OUTLET_KINDS, Org

TRANSACTIONS_AT_SCALE_1 = 2_000_000  # per three months, across the whole org

# Volume multipliers. Index -1 (not assigned) hits the last entry, which is masked anyway.
_POS_VOLUME = np.array([1.0, 0.45, 0.15, 0.3, 0.0])  # 营业员 值班经理 营业厅主任 客户经理 渠道经理
_POS_TICKETS = np.array([1.0, 1.3, 0.4, 1.8, 0.6])
_SIZE = {"大": 1.25, "中": 1.0, "小": 0.75, "": 0.0}
_KIND = {"自营厅": 1.1, "合作厅": 1.0, "特约厅": 0.9, "代理店": 0.7}
_AREA = {"城区": 1.0, "农村": 0.85, "": 0.0}

# Business types: routine service vs development (发展类, what the branch wants clerks to sell).
ROUTINE = ("缴费", "套餐变更", "补换卡", "流量包订购")
_ROUTINE_P = np.array([0.55, 0.25, 0.12, 0.08])
DEVELOPMENT = ("开户", "宽带办理", "终端销售", "携号转网")
_DEVELOPMENT_P = np.array([0.40, 0.25, 0.25, 0.10])
BIZ_TYPES = ROUTINE + DEVELOPMENT

# Ticket categories with their service-level hours (due = created + hours).
TICKET_CATEGORIES = ("投诉处理", "费用争议", "业务办理失败", "宽带装机", "号码携转", "故障报修")
_TICKET_HOURS = np.array([24, 48, 24, 72, 48, 48])
_TICKET_P = np.array([0.25, 0.2, 0.2, 0.15, 0.08, 0.12])


@dataclass(frozen=True)
class Duty:
    """Who is on shift where: the grids every generator draws on."""

    on_shift: np.ndarray  # bool [person, day]: works that day, assigned, unit open
    at_outlet: np.ndarray  # bool [person, day]: on shift in an outlet (not a county office)
    present: np.ndarray  # bool [person, day]: works that day and is assigned (open or not)


def duty(rng: np.random.Generator, org: Org, cal: Calendar) -> Duty:
    assigned = org.unit_of >= 0
    works = rng.random(org.unit_of.shape) < org.traits["work_prob"][:, None]
    unit = np.where(assigned, org.unit_of, 0)
    is_open = org.unit_open[unit, np.arange(cal.n_days)[None, :]]
    present = works & assigned
    on_shift = present & is_open
    return Duty(on_shift, on_shift & org.is_outlet[unit], present)


def _unit_factor(org: Org) -> np.ndarray:
    kind = org.unit_attr("kind")
    f = np.array([_KIND.get(k, 0.0) for k in kind])
    f *= np.array([_SIZE[s] for s in org.unit_attr("size")])
    f *= np.array([_AREA[a] for a in org.unit_attr("area")])
    return np.where(np.isin(kind, OUTLET_KINDS), f, 0.0)


def _cells(rng: np.random.Generator, rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Poisson counts per person × day cell, expanded to one (person, day) pair per fact."""
    counts = rng.poisson(rate).ravel()
    cell = np.repeat(np.arange(counts.size), counts)
    n_days = rate.shape[1]
    return cell // n_days, cell % n_days


def _sorted_by_time(
    rng: np.random.Generator, cal: Calendar, person: np.ndarray, day: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    at = col.moments(cal, day, col.time_of_day(rng, len(person)))
    order = np.argsort(at, kind="stable")
    return person[order], day[order], at[order]


def transactions(
    rng: np.random.Generator, org: Org, cal: Calendar, d: Duty, scale: float
) -> tuple[list[pa.Table], float]:
    """One table per month, and the monthly volume of a typical full-time clerk (the target).

    The rates are normalised so the whole org does ~2M transactions per three months at scale 1.
    """
    weekend = np.where(cal.weekend, 1.25, 1.0)
    rate = (
        org.traits["skill"][:, None]
        * _POS_VOLUME[org.pos_of]
        * _unit_factor(org)[org.unit_of]
        * weekend[None, :]
        * d.at_outlet
    )
    wanted = TRANSACTIONS_AT_SCALE_1 * scale * len(cal.months) / 3
    rate *= wanted / rate.sum()
    # The indicator's target: the median of clerks' expected monthly volume.
    clerks = (org.pos_of == CLERK).all(axis=1)
    monthly = rate[clerks].sum(axis=1) / len(cal.months)
    target = float(np.quantile(monthly, 0.5)) if clerks.any() else 1.0

    person, day, at = _sorted_by_time(rng, cal, *_cells(rng, rate))
    n = len(person)
    unit = org.unit_of[person, day]
    dev = rng.random(n) < org.traits["dev_share"][person]
    routine = rng.choice(len(ROUTINE), size=n, p=_ROUTINE_P)
    development = rng.choice(len(DEVELOPMENT), size=n, p=_DEVELOPMENT_P) + len(ROUTINE)
    biz = np.where(dev, development, routine)
    fen = _amounts(rng, biz)
    splitter = person == np.flatnonzero(org.person_ids == org.anomalies["high_volume_person"])[0]
    # The anomaly splits customers' payments into many small ones to inflate the count.
    small = splitter & (biz == BIZ_TYPES.index("缴费"))
    fen[small] = rng.choice([1000, 2000, 3000], size=int(small.sum()))
    txn_id = col.day_codes(cal)[day] * 10_000_000 + col.serials_within_day(day)

    tables = []
    for m in range(len(cal.months)):
        lo, hi = np.searchsorted(day, cal.month_bounds[m : m + 2])
        s = slice(int(lo), int(hi))
        tables.append(
            pa.table(
                {
                    "txn_id": pa.array(txn_id[s]).cast(pa.string()),
                    "person_id": col.take(org.person_ids, person[s]),
                    "unit_id": col.take(org.unit_ids, unit[s]),
                    "at": col.timestamps(at[s]),
                    "biz_type": col.take(BIZ_TYPES, biz[s]),
                    "amount": col.decimal_yuan(fen[s]),
                }
            )
        )
    return tables, target


def _amounts(rng: np.random.Generator, biz: np.ndarray) -> np.ndarray:
    """Amounts in fen by business type: prepaid steps, exact bills, phone prices, free changes."""
    n = len(biz)
    fen = np.zeros(n, dtype=np.int64)

    def pick(mask: np.ndarray, yuan: list[int], p: list[float] | None = None) -> None:
        fen[mask] = rng.choice(np.asarray(yuan) * 100, size=int(mask.sum()), p=p)

    pay = biz == BIZ_TYPES.index("缴费")
    pick(pay, [20, 30, 50, 100, 200, 300], [0.1, 0.1, 0.3, 0.3, 0.15, 0.05])
    exact = pay & (rng.random(n) < 0.2)  # paying the exact bill, e.g. 86.37
    fen[exact] = rng.integers(1000, 30000, int(exact.sum()))
    pick(biz == BIZ_TYPES.index("补换卡"), [0, 10], [0.7, 0.3])
    pick(biz == BIZ_TYPES.index("流量包订购"), [10, 20, 30, 50])
    pick(biz == BIZ_TYPES.index("开户"), [0, 50, 100, 200], [0.3, 0.3, 0.3, 0.1])
    pick(biz == BIZ_TYPES.index("宽带办理"), [0, 360, 600, 960, 1200], [0.3, 0.2, 0.2, 0.2, 0.1])
    phone = biz == BIZ_TYPES.index("终端销售")
    prices = [699, 999, 1299, 1599, 1999, 2499, 2999, 3999, 4999, 5999, 6999]
    weights = 1.0 / np.arange(1, len(prices) + 1) ** 0.6
    pick(phone, prices, list(weights / weights.sum()))
    fen[phone] -= rng.choice([0, 0, 0, 5000, 10000], size=int(phone.sum()))  # promotions
    return fen


def tickets(
    rng: np.random.Generator, org: Org, cal: Calendar, d: Duty, scale: float
) -> list[pa.Table]:
    """Work orders per month of creation; those not closed by the extraction moment are open."""
    rate = 0.55 * min(scale, 1.0) * _POS_TICKETS[org.pos_of] * d.on_shift
    person, day, created = _sorted_by_time(rng, cal, *_cells(rng, rate))
    n = len(person)
    category = rng.choice(len(TICKET_CATEGORIES), size=n, p=_TICKET_P)
    hours = _TICKET_HOURS[category]
    due = created + (hours * 3600).astype("timedelta64[s]")
    # Typical handling takes a third of the allowed time; slow handlers often run late.
    ratio = rng.lognormal(np.log(0.35 * org.traits["speed"][person]), 0.6)
    closed = created + np.round(hours * ratio * 60).astype(np.int64).astype("timedelta64[m]")
    still_open = closed >= cal.end.astype("datetime64[s]")
    serial = col.day_codes(cal)[day] * 100_000 + col.serials_within_day(day)
    ticket_id = col.prefixed("GD", serial, 13)
    tables = []
    for m in range(len(cal.months)):
        lo, hi = np.searchsorted(day, cal.month_bounds[m : m + 2])
        s = slice(int(lo), int(hi))
        closed_at = col.timestamps(closed[s])
        tables.append(
            pa.table(
                {
                    "ticket_id": ticket_id[s],
                    "person_id": col.take(org.person_ids, person[s]),
                    "created_at": col.timestamps(created[s]),
                    "due_at": col.timestamps(due[s]),
                    "closed_at": pa.array(
                        closed_at.to_numpy(zero_copy_only=False),
                        mask=still_open[s],
                        type=closed_at.type,
                    ),
                    "category": col.take(TICKET_CATEGORIES, category[s]),
                }
            )
        )
    return tables


def quiz(rng: np.random.Generator, org: Org, cal: Calendar, d: Duty) -> list[pa.Table]:
    """每日一题: one score (0–100 in tens) per person and day answered; staff of a hall under
    renovation keep answering, which is what the question is for."""
    answered = d.present & (rng.random(d.present.shape) < org.traits["quiz_rate"][:, None])
    person, day = np.nonzero(answered)  # row-major: sorted by person, then day
    raw = rng.normal(org.traits["quiz_mean"][person], 9.0)
    score = np.clip(np.round(raw / 10.0) * 10, 0, 100).astype(np.int64)
    order = np.lexsort((person, day))
    person, day, score = person[order], day[order], score[order]
    tables = []
    for m in range(len(cal.months)):
        lo, hi = np.searchsorted(day, cal.month_bounds[m : m + 2])
        s = slice(int(lo), int(hi))
        tables.append(
            pa.table(
                {
                    "person_id": col.take(org.person_ids, person[s]),
                    "day": pa.array(cal.days[day[s]]),
                    "score": pa.array(score[s], pa.int64()),
                }
            )
        )
    return tables


def checkers(org: Org) -> np.ndarray:
    """Who spot-checks each unit: its head, else its duty manager, else the county's channel
    manager (agent stores have no company manager on site)."""
    names = org.people["name"].to_numpy(dtype=object)
    by_unit: dict[tuple[int, int], str] = {}
    for p in range(len(names)):
        for u, pos in set(zip(org.unit_of[p].tolist(), org.pos_of[p].tolist(), strict=True)):
            if u >= 0:
                by_unit.setdefault((u, pos), names[p])
    parent = org.units["parent_id"].to_numpy(dtype=object)
    index = {uid: i for i, uid in enumerate(org.unit_ids)}
    out = np.empty(len(org.units), dtype=object)
    for u in range(len(out)):
        county = index.get(parent[u], u)
        out[u] = (
            by_unit.get((u, HEAD))
            or by_unit.get((u, DUTY_MANAGER))
            or by_unit.get((county, CHANNEL_MANAGER))
            or "营业厅主任"
        )
    return out


def upsell(rng: np.random.Generator, org: Org, cal: Calendar, d: Duty) -> pa.Table:
    """多说一句话 spot checks: the head listens in on a few clerks' customers each day."""
    rate = 0.35 * (d.at_outlet & (org.pos_of == CLERK))
    person, day, at = _sorted_by_time(rng, cal, *_cells(rng, rate))
    said = rng.random(len(person)) < org.traits["said_prob"][person]
    unit = org.unit_of[person, day]
    return pa.table(
        {
            "check_id": col.prefixed("DS", np.arange(1, len(person) + 1), 8),
            "person_id": col.take(org.person_ids, person),
            "at": col.timestamps(at),
            "said": pa.array(said),
            "checker": col.take(checkers(org), unit),
        }
    )
