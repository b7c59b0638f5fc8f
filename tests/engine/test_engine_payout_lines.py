"""Payout lines (spec §10): amount formulas, tiers in both modes, base × coefficient, pool,
min/max, negative lines, missing inputs, the single-dict form as one line 兑现.

Standard org; peers unit. Total = t (linear 0..100, W 100); P4 is vetoed (total 0, grade C).
Grades [[90, A], [60, B], [0, C]].

    person  t   cards fake mis big  budget   rank/size  grade
    P1      95  250   2    3   1    2000     1/3        A
    P2      80  50    0    30  0    1500.5   2/3        B
    P3      60  —     —    1   —    333.33   3/3        B
    P4      90v 400   1    —   —    1000     2/2        C (vetoed: total 0)
    P5      70  100   —    0   0    ''       1/2        B
    P6      50  10    5    2   20   12.345   1/1        C
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from reference import round2
from reference_consequences import line_amount, pool_split, tiers
from fractions import Fraction as F
from wsbuilder import (
    ENGINES, STANDARD_PEOPLE, WsBuilder, avg_of, col, person_scheme, role, scored, value_rows,
)

LIN100 = {"rule": "linear", "floor": 0, "target": 100}
INDS = [scored("t", avg_of("t"), 100, LIN100)] + [
    role(c, avg_of(c), "info") for c in ("cards", "fake", "mis", "big")] + [
    role("vv", avg_of("vv"), "veto")]
BUDGET = {"P1": "2000", "P2": "1500.5", "P3": "333.33", "P4": "1000", "P5": "", "P6": "12.345",
          "M1": "1"}
LINES: list[dict[str, Any]] = [
    {"name": "星级奖金", "base": 1000, "coefficient": {"A": 1.5, "B": 1.0}},
    {"name": "开户酬金", "amount": "20 * cards", "max": 3000},
    {"name": "阶梯酬金", "on": "cards", "tiers": [[0, 10], [100, 15], [300, 20]]},
    {"name": "整档酬金", "on": "cards", "tiers": [[50, 2], [100, 3]], "mode": "whole"},
    {"name": "绩效工资", "amount": "budget * total / 100"},
    {"name": "养卡扣回", "amount": "-30 * fake"},
    {"name": "差错扣款", "amount": "-20 * mis - 50 * big", "min": -500},
    {"name": "排名奖", "amount": "case when rank = 1 and grade = 'A' then 200 "
                              "when rank = 1 then 100 else 0 end + group_size"},
    {"name": "奖池", "pool": 100, "within": ["unit"]},
]
VALUES: dict[str, dict[str, Any]] = {
    "P1": {"t": 95, "cards": 250, "fake": 2, "mis": 3, "big": 1},
    "P2": {"t": 80, "cards": 50, "fake": 0, "mis": 30, "big": 0},
    "P3": {"t": 60, "mis": 1},
    "P4": {"t": 90, "vv": 1, "cards": 400, "fake": 1},
    "P5": {"t": 70, "cards": 100, "mis": 0, "big": 0},
    "P6": {"t": 50, "cards": 10, "fake": 5, "mis": 2, "big": 20},
}
EXPECTED: dict[str, dict[str, float]] = {
    # 1000 × coefficient of the grade (C has none → 0)
    "星级奖金": {"P1": 1500, "P2": 1000, "P3": 1000, "P4": 0, "P5": 1000, "P6": 0},
    # 20 × cards, max 3000; P3 has no cards → 0
    "开户酬金": {"P1": 3000, "P2": 1000, "P3": 0, "P4": 3000, "P5": 2000, "P6": 200},
    # marginal: P1 100×10 + 150×15 = 3250; P4 1000 + 200×15 + 100×20 = 6000; P5 100 → 1000
    "阶梯酬金": {"P1": 3250, "P2": 500, "P3": 0, "P4": 6000, "P5": 1000, "P6": 100},
    # whole: P1 250×3; P2 50×2; P4 400×3; P5 100×3; P6 10 < 50 → 0
    "整档酬金": {"P1": 750, "P2": 100, "P3": 0, "P4": 1200, "P5": 300, "P6": 0},
    # budget × total / 100: 1200.4; P3 333.33×0.6 = 199.998 → 200; P4 total 0; P5 no budget;
    # P6 12.345 × 0.5 = 6.1725 → 6.17
    "绩效工资": {"P1": 1900, "P2": 1200.4, "P3": 200, "P4": 0, "P5": 0, "P6": 6.17},
    "养卡扣回": {"P1": -60, "P2": 0, "P3": 0, "P4": -30, "P5": 0, "P6": -150},
    # P1 −60 − 50; P2 −600 → min −500; P3 big missing → the amount is missing → 0 (min not
    # applied); P6 −40 − 1000 → −500
    "差错扣款": {"P1": -110, "P2": -500, "P3": 0, "P4": 0, "P5": 0, "P6": -500},
    # rank 1 and A → 200, rank 1 → 100, + group size
    "排名奖": {"P1": 203, "P2": 3, "P3": 3, "P4": 2, "P5": 102, "P6": 101},
    # H1 95 80 60 of 235: 4042.55, 3404.26, 2553.19 fen → floors 9999, 1 fen to P1;
    # H2: P4 0, P5 all; H3: P6 all
    "奖池": {"P1": 40.43, "P2": 34.04, "P3": 25.53, "P4": 0, "P5": 100, "P6": 100},
}
PAYOUT = {"P1": 10473.43, "P2": 3337.44, "P3": 1228.53, "P4": 10172.0, "P5": 4502.0,
          "P6": -142.83}


@pytest.fixture(scope="module", params=ENGINES)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[WsBuilder, str]:
    b = WsBuilder(tmp_path_factory.mktemp("lines")).standard_org().standard_sources()
    b.people([(*p, BUDGET[p[0]]) for p in STANDARD_PEOPLE], extra=["level", "budget"])
    grades = [[90, "A"], [60, "B"], [0, "C"]]
    b.scheme("lines", person_scheme(INDS, peers=["unit"], grades=grades, payout=LINES))
    b.scheme("single", person_scheme(INDS, peers=["unit"], grades=grades,
                                     payout={"base": "budget", "coefficient": {"A": 2}}))
    b.facts("tx", value_rows(VALUES))
    return b, str(request.param)


@pytest.fixture(scope="module")
def table(built: tuple[WsBuilder, str]) -> pd.DataFrame:
    b, engine = built
    return b.run("lines", "2026-10", engine, save=False)


def test_each_line_by_hand(table: pd.DataFrame) -> None:
    for name, expected in EXPECTED.items():
        assert col(table, f"l_{name}") == {p: float(v) for p, v in expected.items()}, name


def test_payout_is_the_sum_of_rounded_lines_and_may_be_negative(table: pd.DataFrame) -> None:
    assert col(table, "payout") == PAYOUT
    for p in PAYOUT:
        assert round(sum(EXPECTED[n][p] for n in EXPECTED), 2) == PAYOUT[p]


def test_lines_against_the_reference() -> None:
    """The same lines from reference_consequences (exact fractions), as a second check on
    the hand-written numbers above."""
    f = F
    for p, v in VALUES.items():
        cards = v.get("cards")
        got = {
            "阶梯酬金": line_amount(None if cards is None else tiers(
                f(cards), [(0, 10), (100, 15), (300, 20)])),
            "整档酬金": line_amount(None if cards is None else tiers(
                f(cards), [(50, 2), (100, 3)], "whole")),
            "开户酬金": line_amount(None if cards is None else 20 * f(cards), hi=3000),
        }
        for name, amount in got.items():
            assert amount == round2(f(str(EXPECTED[name][p]))), (p, name)
    split = pool_split(100, {"P1": f(95), "P2": f(80), "P3": f(60)})
    assert {k: float(x) for k, x in split.items()} == {"P1": 40.43, "P2": 34.04, "P3": 25.53}


def test_json_payout_lines(built: tuple[WsBuilder, str]) -> None:
    b, engine = built
    result = b.run_output("lines", "2026-10", engine, save=False).result
    p1 = next(e for e in result.entities() if e["id"] == "P1")
    assert list(p1["payout_lines"]) == [line["name"] for line in LINES]
    assert p1["payout_lines"]["奖池"] == 40.43 and p1["payout"] == 10473.43
    single = b.run_output("single", "2026-10", engine, save=False).result
    by = {e["id"]: e for e in single.entities()}
    # budget × 2 for grade A only: P1 4000; P2 (B) 0
    assert by["P1"]["payout_lines"] == {"兑现": 4000.0} and by["P1"]["payout"] == 4000.0
    assert by["P2"]["payout_lines"] == {"兑现": 0.0}
