"""Random schemes with grade quotas, demotion, alerts, caps and payout lines (spec §9, §10, §12,
§16): the engine against the reference evaluator (reference.py with reference_consequences.py).

The cases of strategies.cases(), each given v2 consequences drawn here. Derandomized like
test_engine_reference (set KAOHE_HYPOTHESIS_SEED to explore).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction as F
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference import num
from strategies import Case, cases
from test_engine_reference import COMMON, _seeded, check_case

Ctx = dict[str, Any]


@dataclass
class CaseV2(Case):
    def yaml_scheme(self) -> dict[str, Any]:
        pay = self.scheme.get("payout")
        if not isinstance(pay, list):
            return super().yaml_scheme()
        out = {k: v for k, v in self.scheme.items() if k != "payout"}  # Case reads dicts only
        out["indicators"] = [{k: v for k, v in i.items() if k != "fn"}
                             for i in self.scheme["indicators"]]
        out["payout"] = [{k: v for k, v in line.items() if not k.endswith("_fn")}
                         for line in pay]
        return out


def _opt(v: F | None, f: Callable[[F], F]) -> F | None:
    return None if v is None else f(v)


@st.composite
def amount_lines(draw: st.DrawFn, codes: list[str], labels: list[str], i: int
                 ) -> dict[str, Any]:
    code = draw(st.sampled_from(codes))
    label = labels[0] if labels else "none"
    menu: list[tuple[str, Callable[[Ctx], F | None]]] = [
        (f"20 * {code}", lambda c: _opt(c["values"][code], lambda v: 20 * v)),
        (f"-30 * {code}", lambda c: _opt(c["values"][code], lambda v: -30 * v)),
        (f"{code} * total / 100", lambda c: _opt(c["values"][code],
                                                 lambda v: v * c["total"] / 100)),
        (f"case when grade = '{label}' then 100 else 0 end + group_size",
         lambda c: F(100 if c["grade"] == label else 0) + c["group_size"]),
        ("rank * 10.5 - total", lambda c: F(c["rank"]) * F("10.5") - c["total"]),
    ]
    text, fn = draw(st.sampled_from(menu))
    line: dict[str, Any] = {"name": f"A{i}", "amount": text, "amount_fn": fn}
    bounds = draw(st.sampled_from([(None, None), (-50, None), (None, 120), (-10, 15.5)]))
    for key, b in zip(("min", "max"), bounds, strict=True):
        if b is not None:
            line[key] = b
    return line


@st.composite
def v2_cases(draw: st.DrawFn, **kw: Any) -> CaseV2:
    case = draw(cases(**kw))
    s = dict(case.scheme)
    codes = [i["code"] for i in s["indicators"]]
    grades = [list(g) for g in s.get("grades") or []]
    for g in grades[:-1]:
        q = draw(st.sampled_from([None, "10%", "12.5%", 20, "33.3%", 50]))
        if q is not None:
            g.append(q)
    if grades:
        s["grades"] = grades
        labels = [g[1] for g in grades]
        if draw(st.booleans()):
            s["demote"] = [{"when": draw(st.sampled_from(codes)),
                            "steps": draw(st.integers(1, 2))}]
        if draw(st.booleans()):
            s["alerts"] = draw(st.lists(st.sampled_from(labels), min_size=1, unique=True))
    else:
        labels = []
    if draw(st.booleans()):
        caps = {k: draw(st.sampled_from([0, 1.5, 4])) for k in ("bonus", "penalty")
                if draw(st.booleans())}
        if caps:
            s["caps"] = caps
    if draw(st.booleans()):
        lines: list[dict[str, Any]] = [draw(amount_lines(codes, labels, i))
                                       for i in range(draw(st.integers(1, 2)))]
        tier_code = draw(st.sampled_from(codes))
        table = draw(st.sampled_from([[[0, 10], [2, 15], [5, 20]], [[1, 0.5]],
                                      [[-1, 1], [0.5, 2.25]]]))
        lines.append({"name": "T", "on": tier_code, "tiers": table,
                      "mode": draw(st.sampled_from(["marginal", "whole"]))})
        if labels:
            coef = {labels[0]: 1.5, labels[-1]: 0.5}
            lines.append({"name": "C", "base": 100, "coefficient": coef,
                          "base_fn": lambda v, a: F(100), "max": 120})
        if draw(st.booleans()):
            lines.append({"name": "P", "pool": draw(st.sampled_from([10, 0.05, 99.99]))})
        s["payout"] = lines
    return CaseV2(org=case.org, facts=case.facts, scheme=s, periods=case.periods,
                  kind=case.kind)


@_seeded
@settings(max_examples=50, **COMMON)
@given(case=v2_cases())
def test_engine_matches_reference_v2(case: CaseV2) -> None:
    check_case(case)


@_seeded
@settings(max_examples=15, **COMMON)
@given(case=v2_cases(decimal=True))
def test_decimal_values_match_reference_v2(case: CaseV2) -> None:
    check_case(case)


@pytest.mark.spark
@_seeded
@settings(max_examples=6, **COMMON)
@given(case=v2_cases())
def test_duckdb_and_spark_agree_v2(case: CaseV2) -> None:
    check_case(case, engines=("duckdb", "spark"))


def test_num_accepts_quota_text() -> None:
    assert num("12.5") == F(25, 2)
