"""Payouts (spec §4): base × coefficient of the grade; a pool split to the fen."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from wsbuilder import (
    ENGINES, STANDARD_PEOPLE, WsBuilder, avg_of, col, person_scheme, role, scored, value_rows,
)

Table = pd.DataFrame
LIN100 = {"rule": "linear", "floor": 0, "target": 100}
GRADES = [[90, "A"], [60, "B"], [0, "C"]]
BASE_PAY = {"P1": "2000", "P2": "1500.5", "P3": "", "P4": "1000", "P5": "abc", "P6": "12.345",
            "M1": "9000"}


def _inds(tag: str) -> list[dict[str, Any]]:
    return [scored("t", avg_of(f"{tag}t"), 100, LIN100),
            role("k", avg_of(f"{tag}k"), "info"),
            role("veto", avg_of(f"{tag}v"), "veto")]


SCHEMES: dict[str, dict[str, Any]] = {
    "coef": person_scheme(_inds("c"), grades=GRADES, payout={
        "base": 1000, "coefficient": {"A": 1.5, "B": 0.123456}}),
    "formula": person_scheme(_inds("c"), grades=GRADES, payout={
        "base": "k * 10 + 100", "coefficient": {"A": 1, "B": 1, "C": 0.5}}),
    "attr": person_scheme(_inds("c"), grades=GRADES, payout={
        "base": "base_pay", "coefficient": {"A": 1, "B": 2, "C": 1}}),
    "pool": person_scheme(_inds("p"), payout={"pool": 100}),
    "ratio": person_scheme(_inds("r"), payout={"pool": 10, "within": ["unit"]}),
    "zero": person_scheme(_inds("z"), payout={"pool": 100}),
}
VALUES: dict[str, dict[str, Any]] = {
    # coef/formula/attr: totals 95, 70, 30, 90 (vetoed), 60, 0
    "P1": {"ct": 95, "ck": 5, "pt": 10, "rt": 1},
    "P2": {"ct": 70, "ck": 2.5, "pt": 10, "rt": 2},
    "P3": {"ct": 30, "pt": 10, "rt": 4},
    "P4": {"ct": 90, "cv": 1, "ck": 1, "pt": 50, "pv": 1, "rt": 30, "rv": 1},
    "P5": {"ct": 60, "ck": 0},
    "P6": {"rt": 3, "ck": 3},
}


@pytest.fixture(scope="module", params=ENGINES)
def tables(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> dict[str, Table]:
    b = WsBuilder(tmp_path_factory.mktemp("pay")).standard_org().standard_sources()
    b.people([(*p, BASE_PAY[p[0]]) for p in STANDARD_PEOPLE], extra=["level", "base_pay"])
    for code, spec in SCHEMES.items():
        b.scheme(code, spec)
    b.facts("tx", value_rows(VALUES))
    return {code: b.run(code, "2026-10", request.param, save=False) for code in SCHEMES}


def test_coefficient_by_grade(tables: dict[str, Table]) -> None:
    t = tables["coef"]
    assert col(t, "grade") == {"P1": "A", "P2": "B", "P3": "C", "P4": "C", "P5": "B", "P6": "C"}
    assert col(t, "payout") == {
        "P1": 1500.0,  # 1000 × 1.5
        "P2": 123.46,  # 1000 × 0.123456 = 123.456 → 123.46
        "P3": 0.0,     # grade C has no coefficient → 0
        "P4": 0.0,     # vetoed: grade C
        "P5": 123.46,
        "P6": 0.0,
    }


def test_base_formula_over_indicators(tables: dict[str, Table]) -> None:
    t = tables["formula"]
    assert col(t, "payout") == {
        "P1": 150.0,   # (5 × 10 + 100) × 1
        "P2": 125.0,   # (2.5 × 10 + 100) × 1
        "P3": 0.0,     # k missing → base missing → 0
        "P4": 55.0,    # vetoed → C: (1 × 10 + 100) × 0.5
        "P5": 100.0,   # (0 × 10 + 100) × 1
        "P6": 65.0,    # total 0 → C: (3 × 10 + 100) × 0.5
    }


def test_base_numeric_attribute(tables: dict[str, Table]) -> None:
    t = tables["attr"]
    assert col(t, "payout") == {
        "P1": 2000.0,  # 2000 × 1 (A)
        "P2": 3001.0,  # 1500.5 × 2 (B)
        "P3": 0.0,     # empty attribute → missing base → 0
        "P4": 1000.0,  # C × 1
        "P5": 0.0,     # 'abc' is not a number → missing → 0
        "P6": 12.35,   # 12.345 × 1 → 12.35 (half away from zero; 12.345 is 12.3449… as double)
    }


def test_pool_split_largest_remainder_ties_to_lower_id(tables: dict[str, Table]) -> None:
    t = tables["pool"]
    # totals P1 P2 P3 10 each, P4 vetoed (0), P5 P6 0: 100 × 10/30 = 33.333… → 33.33 each,
    # 1 fen left; equal remainders → lower id first: P1
    assert col(t, "payout") == {
        "P1": 33.34, "P2": 33.33, "P3": 33.33, "P4": 0.0, "P5": 0.0, "P6": 0.0}
    assert round(sum(col(t, "payout").values()), 2) == 100.0


def test_pool_within_groups(tables: dict[str, Table]) -> None:
    t = tables["ratio"]
    # within unit; each group splits the pool of 10.00
    # H1 totals 1, 2, 4 (sum 7): 1.428571…, 2.857142…, 5.714285… → floors 1.42 2.85 5.71 = 9.98;
    #   2 fen to the largest remainders (.857…, .714…) → 1.43 2.86 5.71
    # H2: P4 vetoed → 0, P5 0: every total 0 → equal shares 5.00 5.00
    # H3: P6 alone → 10.00
    assert col(t, "payout") == {
        "P1": 1.43, "P2": 2.86, "P3": 5.71, "P4": 5.0, "P5": 5.0, "P6": 10.0}


def test_pool_all_zero_equal_shares(tables: dict[str, Table]) -> None:
    t = tables["zero"]
    # 100 / 6 = 16.666… → 16.66 × 6 = 99.96; 4 fen to P1..P4 (equal remainders, lower ids)
    assert col(t, "payout") == {
        "P1": 16.67, "P2": 16.67, "P3": 16.67, "P4": 16.67, "P5": 16.66, "P6": 16.66}

