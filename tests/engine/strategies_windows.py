"""Hypothesis strategies for windows, offsets, prev, period dates and wavg (spec §7, §11).

Facts span 2025-09 … 2026-11; the run is 2026-10 (monthly) or 2026-Q4 (quarterly), so that
windows of 1–3 periods, offsets 0, 1 and 12 (a year back for a monthly scheme) and prev
chains all reach stored rows. Formulas come from the fixed menu of strategies.AGGS (each with
its Python twin), plus dated aggregates and derived prev/wavg formulas written here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from fractions import Fraction as F
from typing import Any

from hypothesis import strategies as st

from reference_windows import Values, wavg, workdays
from strategies import AGGS, SOURCES, Agg, Case, Rows, fact_rows, orgs, rules


def _dated_count(k: int) -> tuple[str, Callable[[Rows, Any], F]]:
    """count(*) of the rows in the period k periods from the instance's last one."""
    def fn(rows: Rows, dates: Callable[[int], tuple[date, date]], _k: int = k) -> F:
        start, end = dates(_k)
        lo, hi = datetime.combine(start, datetime.min.time()), datetime.combine(
            end, datetime.min.time())
        return F(sum(1 for r in rows if lo <= _time(r) < hi))
    fn.dated = True  # type: ignore[attr-defined]
    text = (f"count(*) filter (where {{t}} >= period_start({k}) and {{t}} < "
            f"period_end({k}))")
    return text, fn


def _workdays_since_start() -> tuple[str, Callable[[Rows, Any], F]]:
    """sum of the working days (default week) from the instance's period start to each row."""
    def fn(rows: Rows, dates: Callable[[int], tuple[date, date]]) -> F:
        start = dates(0)[0]
        return F(sum(workdays(start, _time(r).date(), lambda d: d.weekday() < 5)
                     for r in rows))
    fn.dated = True  # type: ignore[attr-defined]
    return "sum(date_diff('workday', period_start(0), {t}))", fn


def _time(r: dict[str, Any]) -> datetime:
    t = r.get("at") if "at" in r else r["day"]
    return t if isinstance(t, datetime) else datetime.combine(t, datetime.min.time())


def _prev_fn(text: str, fn: Callable[[Values], F | None]) -> tuple[str, Callable[..., Any]]:
    return text, fn


def _minus(a: F | None, b: F | None) -> F | None:
    return None if a is None or b is None else a - b


@st.composite
def window_cases(draw: st.DrawFn, max_rows: int = 30) -> Case:
    first, last = date(2025, 9, 1), date(2026, 11, 2)
    org = draw(orgs(date(2026, 9, 28), last))
    facts = {s: draw(fact_rows(s, first, last, max_rows)) for s in SOURCES}
    kind = draw(st.sampled_from(["month", "month", "month", "quarter"]))
    entity = draw(st.sampled_from(["person", "person", "unit"]))
    inds: list[dict[str, Any]] = []
    exact: list[str] = []
    for i in range(draw(st.integers(1, 4))):
        source = draw(st.sampled_from(list(SOURCES)))
        window = draw(st.sampled_from([1, 1, 2, 3]))
        offset = draw(st.sampled_from([0, 0, 1, 12] if kind == "month" else [0, 1]))
        ind: dict[str, Any] = {"code": f"s{i}", "source": source}
        pick = draw(st.integers(0, 5))
        if pick <= 1:
            text, fn = (_dated_count(draw(st.sampled_from([0, -1, -2]))) if pick == 0
                        else _workdays_since_start())
            ind.update(value=text.format(t=SOURCES[source].time), fn=fn)
            exact.append(ind["code"])
        else:
            agg: Agg = draw(st.sampled_from(AGGS))
            ind.update(value=agg.text, fn=agg.fn)
            if agg.exact:
                exact.append(ind["code"])
        if window != 1:
            ind["window"] = window
        if offset:
            ind["offset"] = offset
        ind.update(weight=draw(st.sampled_from([10, 20, 25])),
                   missing=draw(st.sampled_from(["zero", "full", "exclude"])),
                   score=draw(rules(ind["code"] in exact)))
        inds.append(ind)
    if exact:
        a = draw(st.sampled_from(exact))
        b = draw(st.sampled_from(exact))
        k = draw(st.sampled_from([1, 1, 2] + ([12] if kind == "month" else [])))
        menu: list[tuple[str, Callable[[Values], F | None]]] = [
            (f"{a} - prev({a})", lambda v: _minus(v[a], v.prev(a))),
            (f"prev({a}, {k})", lambda v: v.prev(a, k)),
            (f"wavg({a}, 3, prev({b}), 1)",
             lambda v: wavg((v[a], F(3)), (v.prev(b), F(1)))),
        ]
        text, fn = draw(st.sampled_from(menu))
        inds.append({"code": "dv", "value": text, "fn": fn, "role": "info"})
        if draw(st.booleans()):  # prev of a derived code
            inds.append({"code": "dw", "value": "dv - prev(dv)", "role": "info",
                         "fn": lambda v: _minus(v["dv"], v.prev("dv"))})
    scheme: dict[str, Any] = {"entity": entity, "period": kind, "indicators": inds}
    if entity == "person" and draw(st.booleans()):
        scheme["population"] = {"position": "营业员"}
    period = "2026-10" if kind == "month" else "2026-Q4"
    return Case(org=org, facts=facts, scheme=scheme, periods=[period], kind=kind)
