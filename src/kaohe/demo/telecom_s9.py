"""S9 渠道考核与酬金: partner outlets' cards, usage, ratings, audits and their channel managers.

Adds to the demo (DOMAIN S9, seed articles 6 and 7):

- ``channel_cards`` new numbers per partner outlet, ``card_usage`` their monthly usage,
  ``channel_ratings`` the multi-party ratings, ``channel_inspections`` audit cases,
  ``channel_visits`` the channel managers' visits against the visit plan and
  ``manager_ratings`` the partners' rating of their channel manager;
- the unit attribute ``channel_manager`` (the county's channel manager looks after its partners);
- the schemes ``card_audit`` (3-month cohort audit of new numbers), ``channel_partner`` (star
  level and commission statement) and ``channel_manager``.

Planted abuses (ids in the manifest's anomalies): ``fake_partner`` opens a batch of fake numbers
(养卡: one handset, a few calls, then silence) in the first month, which the cohort audit
catches and claws back; ``dumping_partner`` sells numbers that are used in another branch
(冲货), which the channel audit records; ``lazy_channel_manager`` skips most planned visits.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kaohe.demo.calendar import Calendar
from kaohe.demo.org import CHANNEL_MANAGER, Org
from kaohe.demo.packs import Pack, copy_templates, csv_with_aliases

SOURCES = ("channel_cards", "card_usage", "channel_ratings", "channel_inspections",
           "channel_visits", "manager_ratings")
SCHEMES = ("card_audit", "yangka_watch", "channel_partner", "channel_manager")  # run order
PARTNER_KINDS = ("合作厅", "特约厅", "代理店")

_BASE_CARDS = {"合作厅": 55.0, "特约厅": 32.0, "代理店": 18.0}
_SIZE = {"中": 1.25, "小": 0.85}
_AREA = {"城区": 1.15, "农村": 0.9}
PLANS = ("神州行畅听卡 8元", "动感地带校园卡 18元", "全球通 58元", "全球通 88元", "花卡 29元")
_PLAN_P = np.array([0.25, 0.2, 0.3, 0.1, 0.15])
_PLAN_FEE = np.array([8.0, 18.0, 58.0, 88.0, 29.0])
RATER_ROLES = ("公司", "合作方员工", "用户", "第三方")
VIOLATIONS = ("冲货", "压价", "压货", "弃卡换卡")
VISIT_CONTENT = ("资料摆放检查", "产品陈列指导", "促销活动实施", "新业务培训", "酬金政策传达",
                 "市场信息收集")
# The fake partner's batches, as multiples of its normal month: first month, then a larger one.
FAKE_BATCH = (3.0, 6.0)


def build(root: Path, org: Org, cal: Calendar, rng: np.random.Generator) -> Pack:
    units = org.units
    partners = np.flatnonzero(units["kind"].isin(PARTNER_KINDS).to_numpy())
    county = _county_of(units)
    managers = _channel_managers(org, cal)
    is_partner = set(partners.tolist())
    units["channel_manager"] = [
        managers.get(county[u], "") if u in is_partner else "" for u in range(len(units))
    ]
    pack = Pack()
    fake, dumping = _plant(rng, units, partners)
    lazy = managers[county[dumping]]
    pack.anomalies.update({
        "fake_partner": str(units["id"].iat[fake]),
        "dumping_partner": str(units["id"].iat[dumping]),
        "lazy_channel_manager": lazy,
    })
    cards = _cards(rng, units, partners, cal, fake)
    usage = _usage(rng, units, cards, cal, fake, dumping, county)
    data = root / "data" / "channel"
    span = f"{cal.months[0]}_{cal.months[-1]}"
    frames = {
        "channel_cards": cards.drop(columns=["fake"]),
        "card_usage": usage,
        "channel_ratings": _ratings(rng, units, partners, cal),
        "channel_inspections": _inspections(rng, units, partners, cal, dumping, usage,
                                            county[dumping]),
        "channel_visits": _visits(rng, units, partners, cal, lazy),
        "manager_ratings": _manager_ratings(rng, units, partners, cal, lazy),
    }
    for name, frame in frames.items():
        for column in ("bill_month", "rated_on"):  # date columns: plain YYYY-MM-DD
            if column in frame:
                frame[column] = frame[column].dt.strftime("%Y-%m-%d")
        path = data / f"{name}_{span}.csv"
        pack.sources[name] = [csv_with_aliases(frame, name, path)]
    copy_templates(root, SOURCES, SCHEMES)
    pack.schemes = list(SCHEMES)
    pack.periods = {
        # the cohort audit needs three months of usage: only the last month has a full cohort
        "card_audit": [cal.months[-1]] if len(cal.months) >= 3 else [],
        "yangka_watch": list(cal.months[1:]),  # on last month's new numbers
        "channel_partner": list(cal.months),
        "channel_manager": list(cal.months),
    }
    return pack


def _county_of(units: pd.DataFrame) -> list[str]:
    """The county company id above (or at) each unit, '' above the counties."""
    parent = dict(zip(units["id"], units["parent_id"], strict=True))
    kind = dict(zip(units["id"], units["kind"], strict=True))
    out = []
    for uid in units["id"]:
        u = uid
        while u and kind[u] != "县公司":
            u = parent[u]
        out.append(u or "")
    return out


def _channel_managers(org: Org, cal: Calendar) -> dict[str, str]:
    """County id → the channel manager assigned there on the last day."""
    last = org.unit_of[:, -1]
    out: dict[str, str] = {}
    for i in np.flatnonzero(org.pos_of[:, -1] == CHANNEL_MANAGER):
        out.setdefault(str(org.units["id"].iat[last[i]]), str(org.people["id"].iat[i]))
    return out


def _plant(rng: np.random.Generator, units: pd.DataFrame,
           partners: np.ndarray) -> tuple[int, int]:
    kind = units["kind"].to_numpy()
    agents = [int(u) for u in partners if kind[u] == "代理店"]
    franchised = [int(u) for u in partners if kind[u] == "特约厅"]
    fake = agents[int(rng.integers(len(agents)))]
    dumping = franchised[int(rng.integers(len(franchised)))]
    return fake, dumping


def _cards(rng: np.random.Generator, units: pd.DataFrame, partners: np.ndarray, cal: Calendar,
           fake: int) -> pd.DataFrame:
    """Per outlet and month a Poisson number of activations around the outlet's own level."""
    rows = []
    level = {int(u): _BASE_CARDS[units["kind"].iat[u]] * _SIZE[units["size"].iat[u]]
             * _AREA[units["area"].iat[u]] * rng.lognormal(0.0, 0.35) for u in partners}
    trend = {int(u): rng.normal(0.0, 0.08) for u in partners}
    for m in range(len(cal.months)):
        lo, hi = cal.month_bounds[m], cal.month_bounds[m + 1]
        for u in partners:
            u = int(u)
            mean = level[u] * np.exp(trend[u] * m + rng.normal(0.0, 0.12))
            n = int(rng.poisson(mean))
            batch = FAKE_BATCH[m] if u == fake and m < len(FAKE_BATCH) else 0.0
            n_fake = int(rng.poisson(batch * level[u]))
            for k in range(n + n_fake):
                day = int(rng.integers(lo, hi))
                rows.append((u, cal.days[day], int(rng.integers(9 * 3600, 20 * 3600)), k >= n))
    frame = pd.DataFrame(rows, columns=["u", "day", "sec", "fake"])
    frame["at"] = frame["day"].astype("datetime64[s]") + pd.to_timedelta(frame["sec"], unit="s")
    frame = frame.sort_values(["at", "u"], kind="stable", ignore_index=True)
    n = len(frame)
    frame["number"] = [f"1{d}" for d in rng.choice(90_000_000, n, replace=False) + 3_480_000_000]
    frame["outlet_id"] = units["id"].to_numpy()[frame["u"].to_numpy()]
    frame["plan"] = np.asarray(PLANS)[rng.choice(len(PLANS), size=n, p=_PLAN_P)]
    frame["imei"] = [f"86{x:013d}" for x in rng.integers(0, 10**13, n)]
    fakes = np.flatnonzero(frame["fake"].to_numpy())
    # 养卡: three to five numbers on one handset, on the cheapest plan.
    frame.loc[fakes, "plan"] = PLANS[0]
    first = fakes[(np.arange(len(fakes)) // 4) * 4]
    frame.loc[fakes, "imei"] = frame["imei"].to_numpy()[first]
    return frame[["number", "outlet_id", "at", "plan", "imei", "fake", "u"]]


def _usage(rng: np.random.Generator, units: pd.DataFrame, cards: pd.DataFrame, cal: Calendar,
           fake: int, dumping: int, county: list[str]) -> pd.DataFrame:
    """One row per number and bill month from its activation month on."""
    quality = {u: rng.beta(30.0, 1.6) for u in np.unique(cards["u"])}
    counties = sorted({c for c in county if c})
    month_start = [np.datetime64(m + "-01") for m in cal.months]
    rows = []
    act_month = np.searchsorted(np.asarray(month_start), cards["at"].to_numpy()
                                .astype("datetime64[D]"), side="right") - 1
    for i, card in enumerate(cards.itertuples(index=False)):
        u = int(card.u)
        home = county[u]
        away = u == dumping and rng.random() < 0.7
        used = (counties[(counties.index(home) + len(counties) // 2) % len(counties)]
                if away else home)
        fee = _PLAN_FEE[PLANS.index(card.plan)]
        genuine = (not card.fake) and rng.random() < quality[u]
        for m in range(int(act_month[i]), len(cal.months)):
            part = 1.0
            if m == act_month[i]:  # the activation month counts from the activation day
                days_left = (month_start[m] + np.timedelta64(31, "D") - np.datetime64(
                    card.at, "D")).astype(int)
                part = max(0.15, min(1.0, days_left / 30.0))
            cells = 0
            if card.fake:
                cells = 1 if m == act_month[i] else 0  # all calls under one base station
                minutes = float(rng.integers(0, 4)) if m == act_month[i] else 0.0
                mb = float(rng.integers(0, 6)) if m == act_month[i] else 0.0
                revenue = fee if m == act_month[i] else 0.0
            elif genuine:
                minutes = round(float(rng.lognormal(np.log(180), 0.7)) * part, 1)
                mb = round(float(rng.lognormal(np.log(2500), 0.9)) * part, 1)
                revenue = round(fee * part + float(rng.gamma(2.0, 6.0)), 2)
                cells = 1 + int(rng.poisson(12 * part))
            else:  # a real customer who stopped using the number (弃卡)
                stop = rng.random() < 0.6
                minutes = 0.0 if stop else round(float(rng.uniform(0, 9)), 1)
                mb = 0.0 if stop else round(float(rng.uniform(0, 25)), 1)
                revenue = 0.0 if stop else fee
                cells = 0 if stop else 1
            rows.append((card.number, card.outlet_id, month_start[m], minutes, mb,
                         round(revenue, 2), cells, used, home,
                         str(np.datetime64(card.at, "D"))))
    frame = pd.DataFrame(rows, columns=["number", "outlet_id", "bill_month", "minutes", "mb",
                                        "revenue", "cells", "used_county", "home_county",
                                        "activated_on"])
    frame["bill_month"] = frame["bill_month"].astype("datetime64[s]")
    return frame.sort_values(["bill_month", "number"], kind="stable", ignore_index=True)


def _ratings(rng: np.random.Generator, units: pd.DataFrame, partners: np.ndarray,
             cal: Calendar) -> pd.DataFrame:
    service = {int(u): rng.normal(82.0, 7.0) for u in partners}
    rows = []
    for m, month in enumerate(cal.months):
        lo, hi = cal.month_bounds[m], cal.month_bounds[m + 1]
        for u in partners:
            u = int(u)
            counts = {"公司": 1, "合作方员工": int(rng.integers(2, 5)),
                      "用户": int(rng.integers(5, 16)), "第三方": int(rng.random() < 0.4)}
            shift = {"公司": 0.0, "合作方员工": 6.0, "用户": -3.0, "第三方": -5.0}
            for role, k in counts.items():
                for _ in range(k):
                    score = np.clip(rng.normal(service[u] + shift[role], 6.0), 30, 100)
                    day = cal.days[int(rng.integers(lo, hi))]
                    rows.append((units["id"].iat[u], day, role, round(float(score), 1)))
    frame = pd.DataFrame(rows, columns=["outlet_id", "rated_on", "rater_role", "score"])
    frame = frame.sort_values(["rated_on", "outlet_id"], kind="stable", ignore_index=True)
    frame.insert(0, "rating_id", [f"PJ{i + 1:07d}" for i in range(len(frame))])
    frame["rated_on"] = frame["rated_on"].astype("datetime64[s]")
    return frame


def _inspections(rng: np.random.Generator, units: pd.DataFrame, partners: np.ndarray,
                 cal: Calendar, dumping: int, usage: pd.DataFrame, home: str) -> pd.DataFrame:
    """Random findings at a low rate, plus the dumping partner's 冲货 cases: the audit confirms
    them from the numbers it sold that live in another county (one case per month from the
    second month on, once the billing data shows it)."""
    rows = []
    dump_id = units["id"].iat[dumping]
    for m in range(len(cal.months)):
        lo, hi = cal.month_bounds[m], cal.month_bounds[m + 1]
        for u in partners:
            u = int(u)
            for _ in range(int(rng.poisson(0.06))):
                v = VIOLATIONS[int(rng.choice(4, p=[0.15, 0.4, 0.25, 0.2]))]
                rows.append((units["id"].iat[u], _moment(rng, cal, lo, hi), v,
                             int(rng.integers(1, 8)), "稽查人员现场核实"))
        if m >= 1:
            month = np.datetime64(cal.months[m - 1] + "-01").astype("datetime64[s]")
            sold = usage[(usage["outlet_id"] == dump_id) & (usage["bill_month"] == month)]
            away = int((sold["used_county"] != home).sum())
            rows.append((dump_id, _moment(rng, cal, lo, hi), "冲货", away,
                         f"{cal.months[m - 1]}账期异地使用号码{away}个，认定跨区域冲货"))
    frame = pd.DataFrame(rows, columns=["outlet_id", "found_at", "violation", "numbers", "note"])
    frame = frame.sort_values(["found_at", "outlet_id"], kind="stable", ignore_index=True)
    frame.insert(0, "case_id", [f"JC{i + 1:05d}" for i in range(len(frame))])
    return frame


def _moment(rng: np.random.Generator, cal: Calendar, lo: int, hi: int) -> np.datetime64:
    day = cal.days[int(rng.integers(lo, hi))].astype("datetime64[s]")
    return day + np.timedelta64(int(rng.integers(9 * 3600, 18 * 3600)), "s")


def _visits(rng: np.random.Generator, units: pd.DataFrame, partners: np.ndarray, cal: Calendar,
            lazy: str) -> pd.DataFrame:
    diligence: dict[str, float] = {}
    rows = []
    for m, month in enumerate(cal.months):
        lo, hi = cal.month_bounds[m], cal.month_bounds[m + 1]
        mid = (lo + hi) // 2
        for u in partners:
            u = int(u)
            manager = units["channel_manager"].iat[u]
            if not manager:
                continue
            d = diligence.setdefault(manager, 0.3 if manager == lazy else rng.uniform(0.75, 1.0))
            for half, (a, b) in enumerate(((lo, mid), (mid, hi))):
                plan = f"BF{units['id'].iat[u]}{month.replace('-', '')}{half + 1}"
                if rng.random() < d:
                    for _ in range(1 + int(rng.random() < 0.15)):  # sometimes twice
                        rows.append((manager, units["id"].iat[u], _moment(rng, cal, a, b), plan,
                                     VISIT_CONTENT[int(rng.integers(len(VISIT_CONTENT)))]))
    frame = pd.DataFrame(rows, columns=["manager_id", "outlet_id", "at", "plan_id", "content"])
    frame = frame.sort_values(["at", "outlet_id"], kind="stable", ignore_index=True)
    frame.insert(0, "visit_id", [f"BF{i + 1:06d}" for i in range(len(frame))])
    return frame


def _manager_ratings(rng: np.random.Generator, units: pd.DataFrame, partners: np.ndarray,
                     cal: Calendar, lazy: str) -> pd.DataFrame:
    rows = []
    for m in range(len(cal.months)):
        day = cal.days[int(cal.month_bounds[m + 1]) - 1]  # rated at the end of each month
        for u in partners:
            u = int(u)
            manager = units["channel_manager"].iat[u]
            if manager:
                mean = 62.0 if manager == lazy else 86.0
                score = float(np.clip(rng.normal(mean, 7.0), 20, 100))
                rows.append((manager, units["id"].iat[u], day, round(score, 1)))
    frame = pd.DataFrame(rows, columns=["manager_id", "outlet_id", "rated_on", "score"])
    frame.insert(0, "rating_id", [f"PG{i + 1:06d}" for i in range(len(frame))])
    frame["rated_on"] = frame["rated_on"].astype("datetime64[s]")
    return frame
