"""Hypothesis strategies: random orgs, facts and schemes in a restricted formula vocabulary.

Every formula is a (YAML text, Python function) pair from a fixed menu, so the reference
evaluator never parses SQL. vs_mean only reads values that are integers or never negative
(the mean of other values is 0 only by binary accident). Decimal mode (``cases(decimal=True)``)
makes values that are exact in decimal but not in binary — avg(0.3, 0.6) = 0.45, 19.95 / 3 —
to check that they tie and meet thresholds as they do by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction as F
from typing import Any

from hypothesis import strategies as st

from reference import RefOrg, SourceMeta

Rows = Sequence[dict[str, Any]]

UNITS: dict[str, dict[str, str]] = {
    "R": {"name": "市公司", "kind": "city", "parent_id": ""},
    "C1": {"name": "东县", "kind": "county", "parent_id": "R"},
    "C2": {"name": "西县", "kind": "county", "parent_id": "R"},
    "H1": {"name": "一厅", "kind": "hall", "parent_id": "C1"},
    "H2": {"name": "二厅", "kind": "hall", "parent_id": "C1"},
    "H3": {"name": "三厅", "kind": "hall", "parent_id": "C2"},
    "H4": {"name": "四厅", "kind": "hall", "parent_id": "C2"},
}
HALLS = ["H1", "H2", "H3", "H4"]
PEOPLE = [f"P{i}" for i in range(1, 9)]
SOURCES: dict[str, SourceMeta] = {
    "ptx": SourceMeta(time="at", person="person_id", unit="unit_id"),
    "pon": SourceMeta(time="at", person="person_id"),
    "uon": SourceMeta(time="day", unit="unit_id"),
}
SOURCE_YAML: dict[str, dict[str, Any]] = {
    "ptx": {"time": "at", "person": "person_id", "unit": "unit_id", "columns": {
        "person_id": "string", "unit_id": "string", "at": "datetime", "n": "integer",
        "d": "decimal", "c": "string"}},
    "pon": {"time": "at", "person": "person_id", "columns": {
        "person_id": "string", "at": "datetime", "n": "integer", "d": "decimal",
        "c": "string"}},
    "uon": {"time": "day", "unit": "unit_id", "columns": {
        "unit_id": "string", "day": "date", "n": "integer", "d": "decimal", "c": "string"}},
}


def _ns(rows: Rows, col: str = "n") -> list[F]:
    return [F(r[col]) for r in rows if r[col] is not None]


def _avg(xs: list[F]) -> F | None:
    return sum(xs, F(0)) / len(xs) if xs else None


def _div(a: F | None, b: F | None) -> F | None:
    return None if a is None or b is None or b == 0 else a / b


@dataclass(frozen=True)
class Agg:
    text: str
    fn: Callable[[Rows], F | None]
    exact: bool = False   # integer-valued: safe in derived arithmetic and for means
    nonneg: bool = False  # never negative: its peer mean is 0 only when every value is 0


AGGS: list[Agg] = [
    Agg("count(*)", lambda rs: F(len(rs)), True, True),
    Agg("count(*) filter (where c = 'x')", lambda rs: F(sum(r["c"] == "x" for r in rs)),
        True, True),
    Agg("count(n)", lambda rs: F(len(_ns(rs))), True, True),
    Agg("count(distinct c)", lambda rs: F(len({r["c"] for r in rs if r["c"] is not None})),
        True, True),
    Agg("sum(n)", lambda rs: sum(_ns(rs), F(0)), True),
    Agg("sum(n) filter (where c = 'y')", lambda rs: sum(_ns([r for r in rs if r["c"] == "y"]),
                                                         F(0)), True),
    Agg("min(n)", lambda rs: min(_ns(rs), default=None), True),
    Agg("max(n)", lambda rs: max(_ns(rs), default=None), True),
    Agg("avg(n)", lambda rs: _avg(_ns(rs))),
    Agg("sum(d)", lambda rs: sum(_ns(rs, "d"), F(0))),
    Agg("avg(d)", lambda rs: _avg(_ns(rs, "d"))),
    # filters on every kind of aggregate (the plan folds them, and counts distinct apart)
    Agg("count(distinct c) filter (where n > 1)",
        lambda rs: F(len({r["c"] for r in rs if r["c"] is not None and r["n"] is not None
                          and r["n"] > 1})), True, True),
    Agg("count(n) filter (where c <> 'x')",
        lambda rs: F(len(_ns([r for r in rs if r["c"] is not None and r["c"] != "x"]))),
        True, True),
    Agg("avg(n) filter (where c = 'x')", lambda rs: _avg(_ns([r for r in rs if r["c"] == "x"]))),
    Agg("max(d) filter (where c = 'y')",
        lambda rs: max(_ns([r for r in rs if r["c"] == "y"], "d"), default=None)),
    Agg("count(*) filter (where c = 'x') / count(*)",
        lambda rs: _div(F(sum(r["c"] == "x" for r in rs)), F(len(rs))), nonneg=True),
    Agg("sum(n) / count(*)", lambda rs: _div(sum(_ns(rs), F(0)), F(len(rs)))),
    Agg("sum(d) / count(*)", lambda rs: _div(sum(_ns(rs, "d"), F(0)), F(len(rs)))),
    Agg("max(n) - min(n)", lambda rs: None if not _ns(rs) else max(_ns(rs)) - min(_ns(rs)),
        True, True),
]
Derived = tuple[str, Callable[[F, F], F | None]]
DERIVED: list[Derived] = [
    ("{a} + {b}", lambda a, b: a + b),
    ("{a} - {b}", lambda a, b: a - b),
    ("{a} / {b}", _div),
]
NUMBERS = [-1, 0, 0.15, 0.25, 0.45, 0.5, 0.9, 1, 2, 3, 5, 6.65, 8, 10]
# decimal mode: only decimal aggregates, thresholds that exact values often hit
DECIMAL_AGGS = [a for a in AGGS if a.text in ("avg(d)", "sum(d) / count(*)")]
DECIMAL_NUMBERS = [0.15, 0.3, 0.45, 6.65]
TIE_DECIMALS = ["0.1", "0.2", "0.3", "0.45", "0.6", "0.15"]


@dataclass
class Case:
    org: RefOrg
    facts: dict[str, list[dict[str, Any]]]  # python-typed rows
    scheme: dict[str, Any]  # with fn / base_fn; see yaml_scheme()
    periods: list[str] = field(default_factory=list)
    kind: str = "month"

    def yaml_scheme(self) -> dict[str, Any]:
        out = {k: v for k, v in self.scheme.items() if k != "payout"}
        out["indicators"] = [{k: v for k, v in i.items() if k != "fn"}
                             for i in self.scheme["indicators"]]
        if self.scheme.get("payout") is not None:
            out["payout"] = {k: v for k, v in self.scheme["payout"].items() if k != "base_fn"}
        return out


# --- org ------------------------------------------------------------------------------------

@st.composite
def orgs(draw: st.DrawFn, first: date, last: date) -> RefOrg:
    units = {u: {**a, "budget": draw(st.sampled_from(["100", "250.5", ""]))}
             for u, a in UNITS.items()}
    people: dict[str, dict[str, str]] = {}
    assignments: list[tuple[str, str, str, date, date | None]] = []
    span = (last - first).days
    for p in PEOPLE:
        people[p] = {"name": f"员工{p}", "level": draw(st.sampled_from(["A", "B", ""])),
                     "base_pay": draw(st.sampled_from(["1000", "2500.5", "", "n/a"]))}
        hall = draw(st.sampled_from(HALLS))
        position = draw(st.sampled_from(["营业员", "营业员", "营业员", "店长"]))
        day = first + timedelta(days=draw(st.integers(0, span)))
        how = draw(st.sampled_from(["stay", "stay", "move", "overlap", "left", "joined"]))
        jan = date(2026, 1, 1)
        other = draw(st.sampled_from(HALLS))
        if how == "stay":
            assignments.append((p, hall, position, jan, None))
        elif how == "move":
            assignments += [(p, hall, position, jan, day - timedelta(days=1)),
                            (p, other, "营业员", day, None)]
        elif how == "overlap":  # the later start wins while both run
            assignments += [(p, hall, position, jan, None), (p, other, "营业员", day, None)]
        elif how == "left":
            assignments.append((p, hall, position, jan, day))
        else:
            assignments.append((p, hall, position, day, None))
    return RefOrg(units=units, people=people, assignments=assignments)


# --- facts ----------------------------------------------------------------------------------

@st.composite
def fact_rows(draw: st.DrawFn, source: str, first: date, last: date, max_rows: int,
              decimal: bool = False) -> list[dict[str, Any]]:
    if decimal:
        return draw(decimal_rows(source))
    span = (last - first).days
    out = []
    for _ in range(draw(st.integers(0, max_rows))):
        day = first + timedelta(days=draw(st.integers(0, span)))
        clock = draw(st.sampled_from([(0, 0, 0), (9, 30, 0), (23, 59, 59)]))
        row: dict[str, Any] = {
            "n": draw(st.one_of(st.none(), st.integers(-3, 12))),
            "d": draw(st.one_of(st.none(), st.sampled_from(TIE_DECIMALS).map(Decimal),
                                st.integers(-300, 1200).map(lambda x: Decimal(x) / 100))),
            "c": draw(st.sampled_from([None, "x", "y", "z"])),
        }
        out.append(_place(draw, row, source, datetime(day.year, day.month, day.day, *clock)))
    return out


def _place(draw: st.DrawFn, row: dict[str, Any], source: str, at: datetime,
           owner: str | None = None) -> dict[str, Any]:
    meta = SOURCES[source]
    if meta.time == "at":
        row["at"] = at
    else:
        row["day"] = at.date()
    if meta.person:
        row["person_id"] = owner or draw(st.sampled_from(PEOPLE))
    if meta.unit:
        # with a person column, a row may leave its unit empty (spec §13: its person's unit)
        hall = draw(st.sampled_from([*HALLS, None] if meta.person else list(UNITS)))
        row["unit_id"] = owner if owner and not meta.person else hall
    return row


# groups of decimal rows whose average is exact in decimal but not in binary floating point
DECIMAL_GROUPS = [("0.3", "0.6"), ("0.45",), ("0.1", "0.2"), ("0.15",), ("0.1", "0.2", "0.6"),
                  ("0.3",), ("6.65", "6.65", "6.65"), ("6.65",)]


@st.composite
def decimal_rows(draw: st.DrawFn, source: str) -> list[dict[str, Any]]:
    """For each person (or unit), mostly one group of October rows."""
    owners = PEOPLE if SOURCES[source].person else list(UNITS)
    out = []
    for owner in owners:
        k = draw(st.sampled_from([0, 1, 1, 1, 2]))
        for group in draw(st.lists(st.sampled_from(DECIMAL_GROUPS), min_size=k, max_size=k)):
            for d in group:
                row = {"n": 1, "d": Decimal(d), "c": "x"}
                out.append(_place(draw, row, source, datetime(2026, 10, 12, 9, 30), owner))
    return out


# --- schemes --------------------------------------------------------------------------------

def _derived_fn(fn: Callable[[F, F], F | None], a: str, b: str
                ) -> Callable[[dict[str, F | None]], F | None]:
    def run(values: dict[str, F | None]) -> F | None:
        x, y = values[a], values[b]
        return None if x is None or y is None else fn(x, y)
    return run


@st.composite
def rules(draw: st.DrawFn, safe_mean: bool, numbers: list[float] = NUMBERS) -> dict[str, Any]:
    names = ["linear", "steps", "deduct", "percentile"] + (["vs_mean"] if safe_mean else [])
    if numbers is DECIMAL_NUMBERS:  # the rules that compare values exactly
        names = ["steps", "percentile"]
    name = draw(st.sampled_from(names))
    direction = draw(st.sampled_from(["higher", "lower"]))
    if name == "linear":
        f, t = draw(st.lists(st.sampled_from(numbers), min_size=2, max_size=2, unique=True))
        rule: dict[str, Any] = {"rule": "linear", "floor": f, "target": t}
        cap = draw(st.sampled_from([None, 1.2]))
        return rule if cap is None else {**rule, "cap": cap}
    if name == "steps":
        steps = draw(st.lists(st.tuples(st.sampled_from(numbers),
                                        st.sampled_from([1, 0.8, 0.6, 0.25, 0])),
                              min_size=1, max_size=3))
        return {"rule": "steps", "steps": [list(s) for s in steps], "direction": direction}
    if name == "deduct":
        rule = {"rule": "deduct", "per": draw(st.sampled_from([0.5, 1, 2]))}
        mx = draw(st.sampled_from([None, 5, 40]))
        return rule if mx is None else {**rule, "max": mx}
    if name == "percentile":
        return {"rule": "percentile", "direction": direction}
    return {"rule": "vs_mean", "direction": direction, "cap": draw(st.sampled_from([1, 1.5]))}


@st.composite
def schemes(draw: st.DrawFn, entity: str, chain: bool = False, kind: str = "month",
            decimal: bool = False) -> dict[str, Any]:
    inds: list[dict[str, Any]] = []
    exact_codes: list[str] = []
    value_codes: list[str] = []

    def source_indicator(code: str) -> tuple[dict[str, Any], Agg]:
        agg = draw(st.sampled_from(DECIMAL_AGGS if decimal else AGGS))
        source = draw(st.sampled_from(list(SOURCES)))
        if agg.exact:
            exact_codes.append(code)
        value_codes.append(code)
        return {"code": code, "source": source, "value": agg.text, "fn": agg.fn}, agg

    for i in range(draw(st.integers(2 if decimal else 1, 4))):
        ind, agg = source_indicator(f"s{i}")
        ind.update(weight=draw(st.sampled_from([5, 10, 12.5, 15, 20, 25, 40])),
                   missing=draw(st.sampled_from(["zero", "full", "exclude"])),
                   score=draw(rules(agg.exact or agg.nonneg,
                                    DECIMAL_NUMBERS if decimal else NUMBERS)))
        inds.append(ind)
    for i, role in enumerate(draw(st.lists(st.sampled_from(["bonus", "penalty", "veto",
                                                            "info"]), max_size=3))):
        ind, _ = source_indicator(f"r{i}")
        ind["role"] = role
        if role in ("bonus", "penalty"):
            score: dict[str, Any] = {"per": draw(st.sampled_from([0.5, 1, 2]))}
            cap = draw(st.sampled_from([None, 3, 5]))
            ind["score"] = score if cap is None else {**score, "cap": cap}
        inds.append(ind)
    if len(exact_codes) >= 2 and draw(st.booleans()):
        a, b = draw(st.lists(st.sampled_from(exact_codes), min_size=2, max_size=2, unique=True))
        text, fn = draw(st.sampled_from(DERIVED))
        inds.append({"code": "dv", "value": text.format(a=a, b=b), "fn": _derived_fn(fn, a, b),
                     "weight": 10, "missing": draw(st.sampled_from(["zero", "exclude"])),
                     "score": draw(rules(False))})
        value_codes.append("dv")

    attrs = (["unit", "level", "ancestor:county", "position"] if entity == "person"
             else ["parent", "kind", "ancestor:county"])
    peers = draw(st.sampled_from([[], [], [attrs[0], attrs[1]], *[[a] for a in attrs]]))
    population: dict[str, Any] = draw(st.sampled_from(
        [{}, {"position": "营业员"}, {"level": ["A", "B"]},
         {"position": "营业员", "ancestor:county": "C1"}] if entity == "person"
        else [{}, {"kind": "hall"}, {"kind": ["hall", "county"]}]))
    labels = [f"G{i}" for i in range(draw(st.integers(0, 4)))]
    grades = [[draw(st.sampled_from([0, 20, 33.33, 50, 60, 80, 95])), g] for g in labels]
    scheme: dict[str, Any] = {"entity": entity, "period": kind, "indicators": inds}
    if population:
        scheme["population"] = population
    if peers:
        scheme["peers"] = peers
    if grades:
        scheme["grades"] = grades
    if chain:
        scheme["elimination"] = {"bottom": draw(st.integers(1, 2)),
                                 "consecutive": draw(st.integers(2, 3))}
    elif draw(st.booleans()):
        scheme["elimination"] = {"bottom": draw(st.integers(1, 3)), "consecutive": 1}
    scheme["payout"] = draw(payouts(entity, labels, value_codes, attrs))
    if scheme["payout"] is None:
        del scheme["payout"]
    return scheme


def _attr_number(text: str | None) -> F | None:
    try:
        return F(text) if text else None
    except ValueError:
        return None


@st.composite
def payouts(draw: st.DrawFn, entity: str, labels: list[str], codes: list[str],
            attrs: list[str]) -> dict[str, Any] | None:
    kind = draw(st.sampled_from(["none", "coefficient", "pool"]))
    if kind == "none":
        return None
    if kind == "pool":
        pool = draw(st.sampled_from(["100", "1000.01", "0.05", "7"]))
        within = draw(st.sampled_from([[], [], [attrs[0]]]))
        out: dict[str, Any] = {"pool": float(pool) if "." in pool else int(pool)}
        return {**out, "within": within} if within else out
    attr = "base_pay" if entity == "person" else "budget"
    choices: list[tuple[Any, Callable[[dict[str, F | None], dict[str, str]], F | None]]] = [
        (1000, lambda v, a: F(1000)),
        (attr, lambda v, a: _attr_number(a.get(attr))),
    ]
    code = draw(st.sampled_from(codes))
    choices.append((f"{code} * 10 + 100",
                    lambda v, a: None if v[code] is None else v[code] * 10 + 100))
    base, fn = draw(st.sampled_from(choices))
    coefficient = {g: draw(st.sampled_from([0, 0.6, 1, 1.5, 0.123]))
                   for g in labels if draw(st.booleans())}
    return {"base": base, "coefficient": coefficient, "base_fn": fn}


@st.composite
def cases(draw: st.DrawFn, entity: str | None = None, chain: bool = False,
          max_rows: int = 25, decimal: bool = False) -> Case:
    """decimal: only decimal aggregates over October rows with values that tie often."""
    entity = entity or draw(st.sampled_from(["person", "person", "unit"]))
    first, last = (date(2026, 7, 28), date(2026, 11, 2)) if chain else (
        date(2026, 9, 28), date(2026, 11, 2))
    org = draw(orgs(first, last))
    if decimal:
        first, last = date(2026, 10, 1), date(2026, 10, 31)
    facts = {s: draw(fact_rows(s, first, last, max_rows, decimal)) for s in SOURCES}
    kind = "month" if chain or decimal else draw(
        st.sampled_from(["month"] * 4 + ["day", "quarter", "year"]))
    scheme = draw(schemes(entity, chain, kind, decimal))
    periods = [{"month": "2026-10", "day": "2026-10-15", "quarter": "2026-Q4",
                "year": "2026"}[kind]]
    if chain:  # sometimes a month is never run: a missing run breaks the streak
        skip = draw(st.sampled_from([None, None, None, "2026-08", "2026-09"]))
        periods = [p for p in ("2026-08", "2026-09", "2026-10") if p != skip]
    return Case(org=org, facts=facts, scheme=scheme, periods=periods, kind=kind)
