"""The demo organisation and its history over the assessed months.

company (公司) → branches (分公司) → counties (县公司) → outlets (自营厅 / 合作厅 / 特约厅 / 代理店)
→ staff. Ids are numeric-looking strings with leading zeros on purpose: a reader that guesses
integers turns the outlet "0102005" into 102005 and the clerk "0010023" into 10023, and then
nothing joins — the demo must catch that.

Besides the three org tables the builder returns the history painted onto a person × day grid
(``unit_of``, ``pos_of``) with the spec's rule "latest start wins", so the fact generators can
place every fact in the hall where the person really was that day, and hidden per-person traits
(skill, diligence …) that make results differ between people persistently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kaohe.demo.calendar import Calendar
from kaohe.demo.names import BRANCHES, COUNTIES, ROADS, SHOPS, TOWNS, person_names

OUTLET_KINDS = ("自营厅", "合作厅", "特约厅", "代理店")
POSITIONS = ("营业员", "值班经理", "营业厅主任", "客户经理", "渠道经理")
CLERK, DUTY_MANAGER, HEAD, ACCOUNT_MANAGER, CHANNEL_MANAGER = range(len(POSITIONS))
SIZES = ("大", "中", "小")

# Staff per outlet by size (inclusive ranges), chosen so that ~80 outlets hold ~500 people.
_STAFF = {"大": (12, 16), "中": (6, 9), "小": (3, 4)}
_SEATS = {"大": (8, 12), "中": (4, 7), "小": (1, 3)}
_FEMALE = {CLERK: 0.82, DUTY_MANAGER: 0.7, HEAD: 0.55, ACCOUNT_MANAGER: 0.5, CHANNEL_MANAGER: 0.35}


@dataclass
class Org:
    """The org tables (as written to org/*.csv) plus the history and traits behind the facts.

    Person index i is row i of ``people``; unit index j is row j of ``units``.
    """

    units: pd.DataFrame
    people: pd.DataFrame
    assignments: pd.DataFrame
    unit_of: np.ndarray  # int32 [person, day]: unit index as of the day, -1 when not assigned
    pos_of: np.ndarray  # int8 [person, day]: index into POSITIONS, -1 when not assigned
    unit_open: np.ndarray  # bool [unit, day]: False while a hall is closed (renovation)
    traits: dict[str, np.ndarray]  # hidden per-person traits that drive the facts
    anomalies: dict[str, str] = field(default_factory=dict)

    @property
    def unit_ids(self) -> np.ndarray:
        return self.units["id"].to_numpy(dtype=object)

    @property
    def person_ids(self) -> np.ndarray:
        return self.people["id"].to_numpy(dtype=object)

    @property
    def is_outlet(self) -> np.ndarray:
        return self.units["kind"].isin(OUTLET_KINDS).to_numpy()

    def unit_attr(self, column: str) -> np.ndarray:
        return self.units[column].to_numpy(dtype=object)


@dataclass
class _Units:
    rows: list[dict[str, str]] = field(default_factory=list)
    county_of: list[int] = field(default_factory=list)  # county row index of each unit (-1 above)

    def add(self, row: dict[str, str], county: int) -> int:
        self.rows.append(row)
        self.county_of.append(county)
        return len(self.rows) - 1


def _build_units(rng: np.random.Generator, scale: float) -> _Units:
    units = _Units()
    blank = {"area": "", "size": "", "seats": ""}
    units.add({"id": "00", "name": "江南移动通信公司", "kind": "公司", "parent_id": "", **blank}, -1)
    # Beyond scale 1 the org grows (more counties) so that per-person volumes stay realistic.
    n_counties = max(1, round(4 * max(scale, 1.0)))
    width = max(2, len(str(n_counties)))
    for b, (_, branch_name) in enumerate(BRANCHES):
        bid = f"{b + 1:02d}"
        units.add({"id": bid, "name": branch_name, "kind": "分公司", "parent_id": "00", **blank}, -1)
        pool = COUNTIES[b]
        for c in range(n_counties):
            short = pool[c % len(pool)] + ("" if c < len(pool) else str(c // len(pool) + 1))
            cid = f"{bid}{c + 1:0{width}d}"
            cname = f"{short}{'区' if c == 0 else '县'}公司"
            county = units.add(
                {"id": cid, "name": cname, "kind": "县公司", "parent_id": bid, **blank}, -1
            )
            units.county_of[county] = county
            _add_outlets(rng, units, county, cid, short, urban=(c == 0))
    return units


def _add_outlets(
    rng: np.random.Generator, units: _Units, county: int, cid: str, short: str, urban: bool
) -> None:
    roads = list(rng.permutation(ROADS))
    towns = list(rng.permutation(TOWNS))
    shops = list(rng.permutation(SHOPS))
    counts = {
        "自营厅": int(rng.integers(1, 3)) + (1 if urban else 0),
        "合作厅": int(rng.integers(1, 3)),
        "特约厅": int(rng.integers(1, 3)),
        "代理店": int(rng.integers(2, 4)) - (1 if urban else 0),
    }
    n = 0
    for kind in OUTLET_KINDS:
        for k in range(counts[kind]):
            n += 1
            if kind == "自营厅":
                size = "大" if (k == 0 and (urban or rng.random() < 0.5)) else "中"
                area, name = "城区", f"{short}{roads.pop()}营业厅"
            elif kind == "合作厅":
                size = "中" if rng.random() < 0.5 else "小"
                area = "城区" if rng.random() < 0.6 else "农村"
                place = roads.pop() if area == "城区" else towns.pop()
                name = f"{short}{place}合作营业厅"
            elif kind == "特约厅":
                size = "中" if rng.random() < 0.3 else "小"
                area = "农村" if rng.random() < 0.7 else "城区"
                place = towns.pop() if area == "农村" else roads.pop()
                name = f"{short}{place}特约营业厅"
            else:
                size = "小"
                area = "农村" if rng.random() < 0.75 else "城区"
                place = towns.pop() if area == "农村" else short + roads.pop()
                name = f"{place}{shops.pop()}通讯"
            lo, hi = _SEATS[size]
            row = {
                "id": f"{cid}{n:03d}", "name": name, "kind": kind, "parent_id": cid,
                "area": area, "size": size, "seats": str(int(rng.integers(lo, hi + 1))),
            }
            units.add(row, county)


def _outlet_positions(rng: np.random.Generator, kind: str, size: str) -> list[int]:
    """The positions of one outlet's staff: managers first, the rest clerks."""
    lo, hi = _STAFF[size]
    if kind == "代理店":
        lo, hi = 2, 4  # an agent store is the owner's shop: a few clerks, no company managers
    n = int(rng.integers(lo, hi + 1))
    managers: list[int] = []
    if kind == "自营厅":
        extra = 2 if size == "大" else 1
        managers = [HEAD] + [DUTY_MANAGER] * extra + [ACCOUNT_MANAGER] * extra
    elif kind == "合作厅":
        managers = [HEAD] + ([DUTY_MANAGER] if size == "中" else [])
    elif kind == "特约厅" and size == "中":
        managers = [HEAD]
    return managers + [CLERK] * max(1, n - len(managers))


@dataclass
class _Assignment:
    person: int
    unit: int
    pos: int
    start: np.datetime64
    end: np.datetime64 | None


@dataclass(frozen=True)
class _Events:
    """Who plays which part in the demo's story, by person or unit index."""

    weak: list[int]  # steady last places
    high_volume: int  # abnormally many transactions
    renovated: int  # hall closed for a month
    joiner_units: np.ndarray  # where each newcomer starts
    joiner_start: np.ndarray  # datetime64[D], sorted


def build_org(rng: np.random.Generator, cal: Calendar, scale: float) -> Org:
    units = _build_units(rng, scale)
    udf = pd.DataFrame(units.rows)
    kind = udf["kind"].to_numpy(dtype=object)
    size = udf["size"].to_numpy(dtype=object)
    county_of = np.asarray(units.county_of)
    outlets = np.flatnonzero(np.isin(kind, OUTLET_KINDS))

    unit0, pos0, hired0, assignments = _initial_staff(rng, cal, kind, size, county_of, outlets)
    n0 = len(unit0)

    anomalies: dict[str, str] = {}
    events = _history_events(rng, cal, unit0, pos0, kind, size, outlets, county_of, assignments)
    n_join = len(events.joiner_units)
    n = n0 + n_join
    for k in range(n_join):
        start = events.joiner_start[k]
        assignments.append(_Assignment(n0 + k, int(events.joiner_units[k]), CLERK, start, None))
    hired = np.concatenate([hired0, events.joiner_start])
    unit_first = np.concatenate([unit0, events.joiner_units.astype(int)])
    pos_first = np.concatenate([pos0, np.full(n_join, CLERK)])

    people = _people_table(rng, n, hired, unit_first, pos_first, kind)
    traits = _traits(rng, n, people, kind[unit_first])
    traits["skill"][n0:] *= 0.75  # newcomers are still learning the counter
    # Deliberate characters: two weak clerks (steady last places → elimination after three
    # months) and one clerk with an abnormally high volume of tiny payments (splitting bills).
    for idx in events.weak:
        traits["skill"][idx] = 0.22
        traits["dev_share"][idx] = 0.05
        traits["quiz_mean"][idx] = 58.0
        traits["said_prob"][idx] = 0.35
        traits["speed"][idx] = 3.0
        traits["courtesy"][idx] = 3.0
    hv = events.high_volume
    traits["skill"][hv] = 3.4
    traits["dev_share"][hv] = 0.03
    anomalies["high_volume_person"] = str(people["id"].iat[hv])
    anomalies["weak_clerks"] = ",".join(str(people["id"].iat[i]) for i in events.weak)

    unit_of, pos_of = _paint(cal, n, assignments)
    unit_open = np.ones((len(udf), cal.n_days), dtype=bool)
    closed = events.renovated
    month = len(cal.months) // 2
    lo, hi = cal.month_bounds[month], cal.month_bounds[month + 1]
    unit_open[closed, lo:hi] = False
    anomalies["renovated_unit"] = str(udf["id"].iat[closed])
    anomalies["renovation_month"] = cal.months[month]

    adf = pd.DataFrame(
        {
            "person_id": [people["id"].iat[a.person] for a in assignments],
            "unit_id": [udf["id"].iat[a.unit] for a in assignments],
            "position": [POSITIONS[a.pos] for a in assignments],
            "start": [str(a.start) for a in assignments],
            "end": ["" if a.end is None else str(a.end) for a in assignments],
        }
    ).sort_values(["person_id", "start"], kind="stable", ignore_index=True)
    return Org(udf, people, adf, unit_of, pos_of, unit_open, traits, anomalies)


def _initial_staff(
    rng: np.random.Generator,
    cal: Calendar,
    kind: np.ndarray,
    size: np.ndarray,
    county_of: np.ndarray,
    outlets: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[_Assignment]]:
    """Everyone employed when the window opens: unit, position and hire day per person (in hire
    order, so employee numbers follow seniority) and their assignments up to then."""
    # Initial staff, slot by slot (a few hundred slots: a plain loop is clearer than tricks).
    p_unit: list[int] = []
    p_pos: list[int] = []
    for u in outlets:
        for pos in _outlet_positions(rng, kind[u], size[u]):
            p_unit.append(int(u))
            p_pos.append(pos)
    for c in np.flatnonzero(kind == "县公司"):
        for pos in (CHANNEL_MANAGER, ACCOUNT_MANAGER, ACCOUNT_MANAGER):
            p_unit.append(int(c))
            p_pos.append(pos)
    unit0 = np.asarray(p_unit)
    pos0 = np.asarray(p_pos)
    n0 = len(unit0)

    # Managers joined long ago, clerks more recently; employee numbers follow the hire order.
    tenure = np.where(
        pos0 == CLERK, rng.integers(60, 6 * 365, n0), rng.integers(3 * 365, 15 * 365, n0)
    )
    hired0 = cal.start - tenure.astype("timedelta64[D]")
    order = np.argsort(hired0, kind="stable")
    unit0, pos0, hired0 = unit0[order], pos0[order], hired0[order]

    assignments: list[_Assignment] = []
    first_start = hired0.copy()
    # A quarter of the staff worked in another outlet of the county before: history matters.
    for i in range(n0):
        u = unit0[i]
        days_in = int((cal.start - hired0[i]).astype(int))
        if kind[u] in OUTLET_KINDS and days_in > 200 and rng.random() < 0.25:
            others = _county_outlets(outlets, county_of, kind, u)
            if len(others):
                switch = hired0[i] + np.timedelta64(int(rng.integers(60, days_in - 30)), "D")
                prev = int(rng.choice(others))
                prev_pos = CLERK if pos0[i] in (CLERK, DUTY_MANAGER) else int(pos0[i])
                end = switch - np.timedelta64(1, "D")
                assignments.append(_Assignment(i, prev, prev_pos, hired0[i], end))
                first_start[i] = switch
        assignments.append(_Assignment(i, int(u), int(pos0[i]), first_start[i], None))

    return unit0, pos0, hired0, assignments


def _county_outlets(
    outlets: np.ndarray, county_of: np.ndarray, kind: np.ndarray, u: int
) -> np.ndarray:
    """Other outlets a person of outlet ``u`` could move to: same county, and the company's own
    staff stay in its own halls while partners' staff stay with partners."""
    own = kind[outlets] == "自营厅"
    same = outlets[(county_of[outlets] == county_of[u]) & (own == (kind[u] == "自营厅"))]
    return same[same != u]


def _history_events(
    rng: np.random.Generator,
    cal: Calendar,
    unit0: np.ndarray,
    pos0: np.ndarray,
    kind: np.ndarray,
    size: np.ndarray,
    outlets: np.ndarray,
    county_of: np.ndarray,
    assignments: list[_Assignment],
) -> _Events:
    """Moves, promotions, departures, secondments and joiners inside the assessed months.

    Edits the open assignments in ``assignments`` in place; returns who got which role so the
    caller can give them traits, plus the joiners (new people) to append.
    """
    D = cal.n_days
    one = np.timedelta64(1, "D")
    open_of = {a.person: a for a in assignments if a.end is None}
    in_outlet = np.isin(kind[unit0], OUTLET_KINDS)
    clerks = rng.permutation(np.flatnonzero((pos0 == CLERK) & in_outlet))
    n_clerks = len(clerks)
    n_move = max(2, round(0.07 * n_clerks))
    n_leave = max(1, round(0.03 * n_clerks))
    take = iter(clerks)

    def pick(count: int, ok: np.ndarray | None = None) -> list[int]:
        chosen: list[int] = []
        for i in take:
            if ok is None or ok[i]:
                chosen.append(int(i))
            if len(chosen) == count:
                break
        return chosen

    def day(lo: int, hi: int) -> np.datetime64:
        return cal.days[int(rng.integers(lo, hi))]

    for i in pick(n_move):
        others = _county_outlets(outlets, county_of, kind, int(unit0[i]))
        if not len(others):
            continue
        when = day(3, D - 3)
        open_of[i].end = when - one
        assignments.append(_Assignment(i, int(rng.choice(others)), CLERK, when, None))
    big_self = (kind[unit0] == "自营厅") & (size[unit0] != "小")
    for i in pick(2, big_self):
        when = day(10, D - 10)
        open_of[i].end = when - one
        assignments.append(_Assignment(i, int(unit0[i]), DUTY_MANAGER, when, None))
    for i in pick(n_leave):
        open_of[i].end = day(3, D - 3)
    # A secondment (支援) to a busier hall: the home assignment stays open, and while both
    # match the later start wins, so the person counts for the hall they help.
    for i in pick(2):
        others = _county_outlets(outlets, county_of, kind, int(unit0[i]))
        if len(others):
            s = int(rng.integers(5, D - 20))
            assignments.append(
                _Assignment(i, int(rng.choice(others)), CLERK, cal.days[s], cal.days[s + 13])
            )
    # The characters must stay put all months so their streaks are easy to follow.
    weak: list[int] = []
    seen_counties: set[int] = set()
    for i in take:
        c = int(county_of[unit0[i]])
        if c not in seen_counties and kind[unit0[i]] != "代理店":
            weak.append(int(i))
            seen_counties.add(c)
        if len(weak) == 2:
            break
    high = pick(1, (kind[unit0] == "自营厅") & (size[unit0] == "大"))
    busy = {int(unit0[i]) for i in (*weak, *high)}
    candidates = [u for u in outlets if kind[u] == "自营厅" and int(u) not in busy]
    renovated = int(rng.choice(candidates))

    n_join = max(2, round(0.04 * n_clerks))
    sizes = np.array([{"大": 4.0, "中": 2.0, "小": 1.0}[size[u]] for u in outlets])
    joiner_units = rng.choice(outlets, size=n_join, p=sizes / sizes.sum())
    joiner_start = np.sort(cal.days[rng.integers(5, D - 5, n_join)])
    return _Events(weak, high[0], renovated, joiner_units, joiner_start)


def _people_table(
    rng: np.random.Generator,
    n: int,
    hired: np.ndarray,
    unit_first: np.ndarray,
    pos_first: np.ndarray,
    kind: np.ndarray,
) -> pd.DataFrame:
    female = rng.random(n) < np.array([_FEMALE[int(p)] for p in pos_first])
    own = kind[unit_first] == "自营厅"
    county_staff = kind[unit_first] == "县公司"
    employment = np.where(
        own | county_staff,
        np.where((pos_first == CLERK) & (rng.random(n) < 0.55), "劳务派遣", "合同制"),
        "渠道人员",
    )
    part_time = (pos_first == CLERK) & (rng.random(n) < 0.1)
    return pd.DataFrame(
        {
            # 7-digit employee numbers starting "001…": leading zeros are part of the id.
            "id": [f"{10000 + i + 1:07d}" for i in range(n)],
            "name": person_names(rng, female),
            "gender": np.where(female, "女", "男"),
            "hired": [str(h) for h in hired],
            "employment": employment,
            "hours": np.where(part_time, "兼职", "全职"),
        }
    )


def _traits(
    rng: np.random.Generator, n: int, people: pd.DataFrame, first_kind: np.ndarray
) -> dict[str, np.ndarray]:
    part_time = people["hours"].to_numpy() == "兼职"
    agent = first_kind == "代理店"
    return {
        "skill": rng.lognormal(0.0, 0.22, n),  # transaction volume multiplier
        "work_prob": np.where(part_time, 0.45, 0.82),  # chance to be on shift on a given day
        "dev_share": rng.beta(2.2, 9.0, n),  # share of development business (开户, 宽带 …)
        "quiz_mean": np.clip(rng.normal(88.0, 6.0, n), 55.0, 99.0),
        "quiz_rate": np.where(agent, 0.7, 0.93),  # chance to answer the daily question
        "said_prob": rng.beta(12.0, 2.0, n),  # says the extra sentence (多说一句话)
        "speed": rng.lognormal(0.0, 0.35, n),  # ticket handling time multiplier (>1 slower)
        "courtesy": rng.lognormal(0.0, 0.4, n),  # complaint rate multiplier
    }


def _paint(cal: Calendar, n: int, assignments: list[_Assignment]) -> tuple[np.ndarray, np.ndarray]:
    """The person × day grid of unit and position, painted in start order: latest start wins."""
    unit_of = np.full((n, cal.n_days), -1, dtype=np.int32)
    pos_of = np.full((n, cal.n_days), -1, dtype=np.int8)
    last = cal.n_days - 1
    for a in sorted(assignments, key=lambda a: a.start):
        lo = max(0, cal.day_index(a.start))
        hi = last if a.end is None else min(last, cal.day_index(a.end))
        if lo <= hi:
            unit_of[a.person, lo : hi + 1] = a.unit
            pos_of[a.person, lo : hi + 1] = a.pos
    return unit_of, pos_of
