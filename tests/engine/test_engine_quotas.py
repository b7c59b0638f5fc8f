"""Grade quotas (spec §9): tie groups kept whole, closed grades, floors, vetoes, several groups.

Total = the planted value t (linear 0..100, W 100); a veto indicator vv. Peers: unit.
Grades of scheme q1: [[90, A, 20%], [75, B, 40%], [0, C]];
scheme q2: [[90, A, 12.5%], [80, B], [60, C, 50%], [0, D]] (a grade without quota between).
"""

from __future__ import annotations

import random
from fractions import Fraction as F
from typing import Any

import pandas as pd
import pytest

from reference_consequences import quota_cap, quota_grades
from wsbuilder import WsBuilder, avg_of, col, role, scored

LIN100 = {"rule": "linear", "floor": 0, "target": 100}
INDS = [scored("t", avg_of("t"), 100, LIN100), role("vv", avg_of("vv"), "veto")]
Q1 = [[90, "A", "20%"], [75, "B", 40], [0, "C"]]
Q2 = [[90, "A", "12.5%"], [80, "B"], [60, "C", "50%"], [0, "D"]]

# group → [(person, total, vetoed)]
GROUPS: dict[str, list[tuple[str, float, bool]]] = {
    "G1": [("a1", 98, False), ("a2", 95, False), ("a3", 95, False), ("a4", 93, False),
           ("a5", 80, False), ("a6", 80, False), ("a7", 78, False), ("a8", 70, False),
           ("a9", 60, False), ("a10", 50, False)],
    "G2": [("b1", 95, False), ("b2", 92, False), ("b3", 85, False), ("b4", 85, False),
           ("b5", 70, False), ("b6", 65, False), ("b7", 65, False), ("b8", 40, False)],
    "G3": [("c1", 99, False), ("c2", 80, False), ("c3", 80, False), ("c4", 10, False)],
    "G4": [("d1", 100, True), ("d2", 97, False), ("d3", 96, False), ("d4", 91, False),
           ("d5", 88, False), ("d6", 0, True), ("d7", 70, False), ("d8", 75, False),
           ("d9", 75, False), ("d10", 74, False)],
    "G5": [("e1", 95, False), ("e2", 90, False), ("e3", 90, False), ("e4", 76, False),
           ("e5", 74, False)],
}


def build(root: Any, groups: dict[str, list[tuple[str, float, bool]]]) -> WsBuilder:
    b = WsBuilder(root)
    b.units([("R", "市公司", "city", "")] + [(g, g, "hall", "R") for g in groups])
    people = [(p, p) for members in groups.values() for p, _t, _v in members]
    b.people(people)
    b.assignments([(p, g, "营业员", "2026-01-01", "") for g, members in groups.items()
                   for p, _t, _v in members])
    from wsbuilder import STANDARD_SOURCES
    b.source("tx", STANDARD_SOURCES["tx"])
    rows = []
    for g, members in groups.items():
        for p, t, v in members:
            rows.append({"person_id": p, "unit_id": g, "at": "2026-10-10 10:00:00", "c": "t",
                         "n": t})
            if v:
                rows.append({"person_id": p, "unit_id": g, "at": "2026-10-10 10:00:00",
                             "c": "vv", "n": 1})
    b.facts("tx", rows)
    return b


def scheme(grades: list[list[Any]], **more: Any) -> dict[str, Any]:
    return {"entity": "person", "period": "month", "peers": ["unit"], "indicators": INDS,
            "grades": grades, **more}


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    b = build(tmp_path_factory.mktemp("quota"), GROUPS)
    b.scheme("q1", scheme(Q1))
    b.scheme("q2", scheme(Q2))
    b.scheme("plain", scheme([[90, "A"], [75, "B"], [0, "C"]]))
    return {c: b.run(c, "2026-10", save=False) for c in ("q1", "q2", "plain")}


def test_q1_hand_computed(tables: dict[str, pd.DataFrame]) -> None:
    g = col(tables["q1"], "grade")
    # G1, n 10: cap A = floor(20 × 10 / 100) = 2, cap B = 4.
    # 98 → A (1); 95 95 would make A 3 > 2 → B, whole (2); 93: A is closed (no better than the
    # tie group before) → B (3); 80 80 → B 5 > 4 → C; the rest C.
    assert [g[f"a{i}"] for i in range(1, 11)] == ["A", "B", "B", "B"] + ["C"] * 6
    # G2, n 8: cap A = 1, cap B = floor(3.2) = 3. 95 A; 92 B (1); 85 85 B (3); 70 < 75 → C.
    assert [g[f"b{i}"] for i in range(1, 9)] == ["A", "B", "B", "B", "C", "C", "C", "C"]
    # G3, n 4: cap A = floor(0.8) = 0 → 99 cannot be A → B (cap B = floor(1.6) = 1);
    # 80 80 would make B 3 > 1 → C; 10 → C.
    assert [g[f"c{i}"] for i in range(1, 5)] == ["B", "C", "C", "C"]
    # G4, n 10 (vetoed counted): cap A = 2, B = 4. d1, d6 vetoed → C, no quota used.
    # 97 96 A; 91 A full → B (1); 88 B (2); 75 75 B (4); 74 C (min 75); 70 C.
    assert [g[f"d{i}"] for i in range(1, 11)] == [
        "C", "A", "A", "B", "B", "C", "C", "B", "B", "C"]
    # G5, n 5: cap A = 1, B = 2. 95 A; 90 90 B (2, exactly full); 76: B full → C; 74 C.
    assert [g[f"e{i}"] for i in range(1, 6)] == ["A", "B", "B", "C", "C"]


def test_q2_fraction_and_grade_without_quota(tables: dict[str, pd.DataFrame]) -> None:
    g = col(tables["q2"], "grade")
    # G1: cap A = floor(12.5 × 10 / 100) = 1, C = 5. 98 A; 95 95 93 80 80 B (no quota);
    # 78 < 80 → C (1); 70 C; 60 C (3); 50 < 60 → D.
    assert [g[f"a{i}"] for i in range(1, 11)] == ["A"] + ["B"] * 5 + ["C"] * 3 + ["D"]
    # G2: cap A = floor(12.5 × 8 / 100) = 1 exactly. 95 A; 92 85 85 B; 70 65 65 C (3 ≤ 4); 40 D
    assert [g[f"b{i}"] for i in range(1, 9)] == ["A", "B", "B", "B", "C", "C", "C", "D"]
    # G3: cap A = floor(0.5) = 0. 99 80 80 → B; 10 → D.
    assert [g[f"c{i}"] for i in range(1, 5)] == ["B", "B", "B", "D"]
    # G4: cap A = 1, C = 5. 97 A; 96 91 88 B; 75 75 74 70 → C (4); vetoed → D.
    assert [g[f"d{i}"] for i in range(1, 11)] == [
        "D", "A", "B", "B", "B", "D", "C", "C", "C", "C"]


def test_without_quotas_grades_as_before(tables: dict[str, pd.DataFrame]) -> None:
    g = col(tables["plain"], "grade")
    assert g["a4"] == "A" and g["a5"] == "B" and g["c1"] == "A" and g["d1"] == "C"


def test_no_lower_total_gets_a_better_grade(tables: dict[str, pd.DataFrame]) -> None:
    for code, grades in (("q1", Q1), ("q2", Q2)):
        t = tables[code]
        order = [label for _m, label, *_q in grades]
        for _g, part in t.groupby("g_unit"):
            live = part[~part["vetoed"]].sort_values("total", ascending=False)
            idx = [order.index(x) for x in live["grade"]]
            assert idx == sorted(idx)


def _random_groups(seed: int) -> dict[str, list[tuple[str, float, bool]]]:
    rng = random.Random(seed)
    out: dict[str, list[tuple[str, float, bool]]] = {}
    for k in range(12):
        n = rng.randint(1, 14)
        out[f"R{k}"] = [(f"r{k}_{i}", float(rng.choice([100, 95, 95, 90, 88, 80, 80, 75, 60,
                                                          59.5, 30, 0])), rng.random() < 0.1)
                        for i in range(n)]
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_engine_matches_the_reference_walk(tmp_path: Any, seed: int) -> None:
    groups = _random_groups(seed)
    b = build(tmp_path, groups)
    grades = [[90, "A", "12.5%"], [80, "B", "30%"], [75, "C"], [60, "D", 25], [0, "E"]]
    b.scheme("r", scheme(grades))
    t = b.run("r", "2026-10", save=False)
    totals = {p: F(0) if v else F(str(x)) for m in groups.values() for p, x, v in m}
    vetoed = {p: v for m in groups.values() for p, _x, v in m}
    unit = {p: g for g, m in groups.items() for p, _x, _v in m}
    expected = quota_grades(totals, vetoed, unit, [(g[0], g[1]) for g in grades],
                            [g[2] if len(g) > 2 else None for g in grades])
    assert col(t, "grade") == expected


def test_quota_cap_is_exact() -> None:
    # 12.5% of 8 = 1 exactly; 33.3% of 3 = 0.999 → 0; 20% of 5 = 1
    assert (quota_cap("12.5%", 8), quota_cap("33.3", 3), quota_cap(20, 5)) == (1, 0, 1)
