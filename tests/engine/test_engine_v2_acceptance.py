"""Version 2 acceptance: one workspace written against SCHEMES.md §7–16, computed by hand.

Written from the spec alone, beside the per-section tests, as the check that the sections work
together on both engines. Standard org (wsbuilder): H1 = P1 P2 P3 (clerks) and M1, H2 = P4 P5,
H3 = P6; county C1 = H1 H2, C2 = H3.

Scheme ``channel`` (clerks, monthly), run for 2026-09 and then 2026-10. Card activations (tx
rows with c = 'card') per month:

    clerk  2025-10  2026-08  2026-09  2026-10  → cards  cards3 (Aug–Oct)  prev(cards)
    P1     2        3        4        5           5      12                4
    P2     0        0        2        2           2       4                2
    P3     3        1        1        3           3       5                1
    P4     0        0        0        6           6       6                0
    P5     0        0        0        0           0       0                0
    P6     1        2        2        2           2       6                2

October ratings by rater role (c = r_co / r_pa / r_us, n = the rating), combined with
wavg(r_co, 50, r_pa, 30, r_us, 20) over the raters present:

    P1 90 80 70 → (4500 + 2400 + 1400) / 100 = 83
    P2 80  —  80 → (4000 + 1600) / 70 = 80          (a missing rater is left out, not 0)
    P3 100 — — → 100;  P4 none → missing;  P5 — 50 50 → 50;  P6 80 80 80 → 80

Points: cards3 40 × clamp(cards3 / 10, 0, 1); rating 30 × clamp(r / 100, 0, 1) (missing: 0);
praise bonus 4 per praise, cap 10, and the scheme caps bonus at 5; fake penalty 5 per fake.

    clerk  cards3  rating  bonus       penalty  total
    P1     40      24.9    0           0        64.9
    P2     16      24      2 × 4 = 8 → capped 5  0        45      (capped: bonus)
    P3     20      30      0           5        45
    P4     24      0       1 × 4 = 4   0        28
    P5     0       15      0           0        15
    P6     24      24      0           10       38

Grades [[40, A, 34%], [25, B], [0, C]], everyone one group (n = 6): A holds floor(34 × 6 / 100)
= 2. P1 (64.9) takes A (1 of 2); P2 and P3 tie at 45: the tie group of 2 would make 3 > 2, so
both go, whole, to B; P6 38 B, P4 28 B, P5 15 C. demote when fake > 0 by one: P3 B → C,
P6 B → C. Alerts [C]: P3, P5, P6.

September (cards3 = Jul–Sep, no ratings, praises or fakes): P1 7 → 28, P2 2 → 8, P3 2 → 8,
P4 0, P5 0, P6 4 → 16: everyone below 30. elimination {below: 30, consecutive: 2} in October:
P4 (28) and P5 (15).

Payout lines in October:

    line                          P1    P2    P3    P4    P5    P6
    开户酬金 20 × cards            100   40    60    120   0     40
    阶梯 on cards3, marginal        21    4     5     7     0     7
      tiers [0, 1] [5, 2] [10, 3]: 12 → 5×1 + 5×2 + 2×3 = 21; 6 → 5 + 2 = 7
    整档 on cards, whole           100   0     30    120   0     0
      tiers [3, 10] [5, 20]: 5 → 5 × 20; 3 → 3 × 10; 2 is below the first tier
    扣回 −30 × fake, min −50        0     0     −30   0     0     −50 (−60 clamped)
    星级 100 × {A 2, B 1, C 0}     200   100   0     100   0     0   (grade after demotion)
    payout                        421   144   65    347   0     −3

Items (§8) in scheme ``card_check``: cards activated in September (``offset: 1`` run for
October), used in October (usage rows matched on the card number):

    card  activation rows (latest first)          person/unit   October use   total  grade
    N1    09-05 P1 H1                              P1 / H1       5 + 7 = 12    100    正常
    N2    10-15 P3 H1 (handed over), 09-10 P1 H1   P3 / H1       none → 0      0      养卡嫌疑
    N3    09-12 P2, no unit                        P2 / —        3             30     正常
    N4    09-20 P4 H2                              P4 / H2       0             0      养卡嫌疑
    N5    10-02 (October: not in the cohort); N6 08-30 (August: not in it)

Roll-ups of ``results:card_check``: clerks (their items) — P1 1 card 0 suspect, P2 1/0, P3 1/1,
P4 1/1, P5 and P6 none; halls (items of the hall, and N3 through P2's hall H1) — H1 3 cards 1
suspect, H2 1/1, H3 0/0.
"""

from __future__ import annotations

from typing import Any

import pytest

from wsbuilder import ENGINES, HALL_OF, WsBuilder

OCT = "2026-10-10 10:00:00"
MONTHS = {"2025-10": "2025-10-10 10:00:00", "2026-08": "2026-08-10 10:00:00",
          "2026-09": "2026-09-10 10:00:00", "2026-10": OCT}
CARDS = {  # person: cards in 2025-10, 2026-08, 2026-09, 2026-10
    "P1": (2, 3, 4, 5), "P2": (0, 0, 2, 2), "P3": (3, 1, 1, 3), "P4": (0, 0, 0, 6),
    "P5": (0, 0, 0, 0), "P6": (1, 2, 2, 2),
}
RATINGS = {"P1": (90, 80, 70), "P2": (80, None, 80), "P3": (100, None, None),
           "P4": (None, None, None), "P5": (None, 50, 50), "P6": (80, 80, 80)}
PRAISES = {"P2": 2, "P4": 1}
FAKES = {"P3": 1, "P6": 2}

CHANNEL = {
    "entity": "person", "period": "month", "population": {"position": "营业员"},
    "indicators": [
        {"code": "cards", "name": "本月开卡", "source": "tx",
         "value": "count(*) filter (where c = 'card')", "role": "info"},
        {"code": "cards3", "name": "近三月开卡", "source": "tx", "window": 3,
         "value": "count(*) filter (where c = 'card')", "weight": 40,
         "score": {"rule": "linear", "floor": 0, "target": 10}},
        {"code": "cards_ly", "name": "去年同月开卡", "source": "tx", "offset": 12,
         "value": "count(*) filter (where c = 'card')", "role": "info"},
        {"code": "cards_pm", "name": "上月开卡（按日期）", "source": "tx", "window": 2,
         "value": "count(*) filter (where c = 'card' and at >= period_start(-1)"
                  " and at < period_end(-1))", "role": "info"},
        {"code": "growth", "name": "环比增量", "value": "cards - prev(cards)", "role": "info"},
        {"code": "yoy", "name": "同比基数", "value": "prev(cards, 12)", "role": "info"},
        {"code": "r_co", "name": "公司评价", "source": "tx",
         "value": "avg(n) filter (where c = 'r_co')", "role": "info"},
        {"code": "r_pa", "name": "合作方评价", "source": "tx",
         "value": "avg(n) filter (where c = 'r_pa')", "role": "info"},
        {"code": "r_us", "name": "用户评价", "source": "tx",
         "value": "avg(n) filter (where c = 'r_us')", "role": "info"},
        {"code": "rating", "name": "多方评价", "value": "wavg(r_co, 50, r_pa, 30, r_us, 20)",
         "weight": 30, "score": {"rule": "linear", "floor": 0, "target": 100}},
        {"code": "distance", "name": "与均值之差", "value": "cards3 - peer_mean(cards3)",
         "role": "info"},
        {"code": "praise", "name": "表扬", "source": "tx",
         "value": "count(*) filter (where c = 'praise')", "role": "bonus",
         "score": {"per": 4, "cap": 10}},
        {"code": "fake", "name": "虚假开卡", "source": "tx",
         "value": "count(*) filter (where c = 'fake')", "role": "penalty",
         "score": {"per": 5}},
    ],
    "grades": [[40, "A", "34%"], [25, "B"], [0, "C"]],
    "demote": [{"when": "fake", "steps": 1}],
    "caps": {"bonus": 5},
    "alerts": ["C"],
    "elimination": {"below": 30, "consecutive": 2},
    "payout": [
        {"name": "开户酬金", "amount": "20 * cards"},
        {"name": "阶梯", "on": "cards3", "tiers": [[0, 1], [5, 2], [10, 3]], "mode": "marginal"},
        {"name": "整档", "on": "cards", "tiers": [[3, 10], [5, 20]], "mode": "whole"},
        {"name": "扣回", "amount": "-30 * fake", "min": -50},
        {"name": "星级", "base": 100, "coefficient": {"A": 2, "B": 1, "C": 0}},
    ],
}

CARD_SOURCES = {
    "cards": {"time": "at", "person": "person_id", "unit": "unit_id", "columns": {
        "number": {"type": "string"}, "at": {"type": "datetime"},
        "person_id": {"type": "string"}, "unit_id": {"type": "string"},
        "plan": {"type": "string"}}},
    "usage": {"time": "day", "columns": {
        "number": {"type": "string"}, "day": {"type": "date"}, "amount": {"type": "decimal"},
        "person_id": {"type": "string"}}, "person": "person_id"},
}
CARD_CHECK = {
    "entity": {"source": "cards", "key": "number", "offset": 1}, "period": "month",
    "indicators": [{"code": "use", "name": "当月使用金额", "source": "usage",
                    "value": "sum(amount)", "weight": 100,
                    "score": {"rule": "linear", "floor": 0, "target": 10}}],
    "grades": [[20, "正常"], [0, "养卡嫌疑"]],
    "alerts": ["养卡嫌疑"],
}
ROLLUP = [{"code": "n", "name": "新卡数", "source": "results:card_check", "value": "count(*)",
           "role": "info"},
          {"code": "suspect", "name": "养卡嫌疑", "source": "results:card_check",
           "value": "count(*) filter (where grade = '养卡嫌疑')", "role": "info"}]


def _tx_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(person: str, at: str, c: str, n: float | None = None) -> None:
        rows.append({"person_id": person, "unit_id": HALL_OF[person], "at": at, "c": c, "n": n})

    for person, counts in CARDS.items():
        for at, k in zip(MONTHS.values(), counts, strict=True):
            for _ in range(k):
                add(person, at, "card")
    for person, ratings in RATINGS.items():
        for c, r in zip(("r_co", "r_pa", "r_us"), ratings, strict=True):
            if r is not None:
                add(person, OCT, c, r)
    for person, k in PRAISES.items():
        for _ in range(k):
            add(person, OCT, "praise")
    for person, k in FAKES.items():
        for _ in range(k):
            add(person, OCT, "fake")
    return rows


@pytest.fixture(scope="module", params=ENGINES)
def runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> dict[str, dict[str, dict[str, Any]]]:
    engine = str(request.param)
    b = WsBuilder(tmp_path_factory.mktemp(f"v2-{engine}")).standard_org().standard_sources()
    for name, spec in CARD_SOURCES.items():
        b.source(name, spec)
    b.scheme("channel", CHANNEL)
    b.scheme("card_check", CARD_CHECK)
    b.scheme("card_mgr", {"entity": "person", "period": "month",
                          "population": {"position": "营业员"}, "indicators": ROLLUP})
    b.scheme("card_hall", {"entity": "unit", "period": "month",
                           "population": {"kind": "hall"}, "indicators": ROLLUP})
    b.facts("tx", _tx_rows())
    b.facts("cards", [
        {"number": "N1", "at": "2026-09-05 09:00:00", "person_id": "P1", "unit_id": "H1"},
        {"number": "N2", "at": "2026-09-10 09:00:00", "person_id": "P1", "unit_id": "H1"},
        {"number": "N2", "at": "2026-10-15 09:00:00", "person_id": "P3", "unit_id": "H1"},
        {"number": "N3", "at": "2026-09-12 09:00:00", "person_id": "P2", "unit_id": None},
        {"number": "N4", "at": "2026-09-20 09:00:00", "person_id": "P4", "unit_id": "H2"},
        {"number": "N5", "at": "2026-10-02 09:00:00", "person_id": "P1", "unit_id": "H1"},
        {"number": "N6", "at": "2026-08-30 09:00:00", "person_id": "P6", "unit_id": "H3"},
    ])
    b.facts("usage", [
        {"number": "N1", "day": "2026-10-03", "amount": 5.0, "person_id": "P1"},
        {"number": "N1", "day": "2026-10-04", "amount": 7.0, "person_id": "P1"},
        {"number": "N1", "day": "2026-09-20", "amount": 100.0, "person_id": "P1"},
        {"number": "N3", "day": "2026-10-05", "amount": 3.0, "person_id": "P2"},
        {"number": "N4", "day": "2026-10-06", "amount": 0.0, "person_id": "P4"},
    ])
    out: dict[str, dict[str, dict[str, Any]]] = {}
    b.run("channel", "2026-09", engine)
    for code in ("channel", "card_check", "card_mgr", "card_hall"):
        result = b.run_output(code, "2026-10", engine).result
        out[code] = {str(e["id"]): e for e in result.entities()}
    return out


def _values(ents: dict[str, dict[str, Any]], code: str) -> dict[str, Any]:
    return {e: ents[e]["indicators"][code]["value"] for e in sorted(ents)}


CLERKS = ("P1", "P2", "P3", "P4", "P5", "P6")


def test_windows_offsets_and_prev(runs: dict[str, dict[str, dict[str, Any]]]) -> None:
    ch = runs["channel"]
    assert _values(ch, "cards") == dict(zip(CLERKS, (5, 2, 3, 6, 0, 2), strict=True))
    assert _values(ch, "cards3") == dict(zip(CLERKS, (12, 4, 5, 6, 0, 6), strict=True))
    assert _values(ch, "cards_ly") == dict(zip(CLERKS, (2, 0, 3, 0, 0, 1), strict=True))
    assert _values(ch, "yoy") == _values(ch, "cards_ly")
    assert _values(ch, "cards_pm") == dict(zip(CLERKS, (4, 2, 1, 0, 0, 2), strict=True))
    assert _values(ch, "growth") == dict(zip(CLERKS, (1, 0, 2, 6, 0, 0), strict=True))


def test_wavg_and_peer_mean(runs: dict[str, dict[str, dict[str, Any]]]) -> None:
    ch = runs["channel"]
    rating = _values(ch, "rating")
    assert rating["P4"] is None
    assert {p: round(v, 9) for p, v in rating.items() if v is not None} == {
        "P1": 83, "P2": 80, "P3": 100, "P5": 50, "P6": 80}
    # mean of cards3 over the six clerks: 33 / 6 = 5.5
    assert _values(ch, "distance") == dict(zip(CLERKS, (6.5, -1.5, -0.5, 0.5, -5.5, 0.5),
                                               strict=True))


def test_totals_caps_quotas_demotion_alerts(runs: dict[str, dict[str, dict[str, Any]]]
                                            ) -> None:
    ch = runs["channel"]
    assert {p: ch[p]["total"] for p in CLERKS} == dict(zip(
        CLERKS, (64.9, 45.0, 45.0, 28.0, 15.0, 38.0), strict=True))
    assert ch["P2"]["indicators"]["praise"]["points"] == 8  # shown as earned; the cap binds
    assert ch["P2"]["capped"] == ["bonus"]
    assert not ch["P4"].get("capped")
    assert {p: ch[p]["grade"] for p in CLERKS} == dict(zip(
        CLERKS, ("A", "B", "C", "B", "C", "C"), strict=True))
    assert {p for p in CLERKS if ch[p]["alert"]} == {"P3", "P5", "P6"}
    assert {p: ch[p]["rank"] for p in CLERKS} == dict(zip(CLERKS, (1, 2, 2, 5, 6, 4),
                                                         strict=True))


def test_elimination_below(runs: dict[str, dict[str, dict[str, Any]]]) -> None:
    ch = runs["channel"]
    assert {p for p in CLERKS if ch[p]["eliminate"]} == {"P4", "P5"}


def test_payout_lines(runs: dict[str, dict[str, dict[str, Any]]]) -> None:
    ch = runs["channel"]
    expected = {
        "P1": {"开户酬金": 100, "阶梯": 21, "整档": 100, "扣回": 0, "星级": 200},
        "P2": {"开户酬金": 40, "阶梯": 4, "整档": 0, "扣回": 0, "星级": 100},
        "P3": {"开户酬金": 60, "阶梯": 5, "整档": 30, "扣回": -30, "星级": 0},
        "P4": {"开户酬金": 120, "阶梯": 7, "整档": 120, "扣回": 0, "星级": 100},
        "P5": {"开户酬金": 0, "阶梯": 0, "整档": 0, "扣回": 0, "星级": 0},
        "P6": {"开户酬金": 40, "阶梯": 7, "整档": 0, "扣回": -50, "星级": 0},
    }
    assert {p: ch[p]["payout_lines"] for p in CLERKS} == expected
    assert {p: ch[p]["payout"] for p in CLERKS} == dict(zip(
        CLERKS, (421, 144, 65, 347, 0, -3), strict=True))


def test_items_population_attributes_and_values(runs: dict[str, dict[str, dict[str, Any]]]
                                                ) -> None:
    cc = runs["card_check"]
    assert set(cc) == {"N1", "N2", "N3", "N4"}
    assert {n: (cc[n]["person"], cc[n]["unit"]) for n in cc} == {
        "N1": ("P1", "H1"), "N2": ("P3", "H1"), "N3": ("P2", None), "N4": ("P4", "H2")}
    assert _values(cc, "use") == {"N1": 12, "N2": 0, "N3": 3, "N4": 0}
    assert {n: (cc[n]["total"], cc[n]["grade"], cc[n]["alert"]) for n in cc} == {
        "N1": (100, "正常", False), "N2": (0, "养卡嫌疑", True), "N3": (30, "正常", False),
        "N4": (0, "养卡嫌疑", True)}


def test_item_rollup_to_people_and_halls(runs: dict[str, dict[str, dict[str, Any]]]) -> None:
    mgr, hall = runs["card_mgr"], runs["card_hall"]
    assert {p: (mgr[p]["indicators"]["n"]["value"], mgr[p]["indicators"]["suspect"]["value"])
            for p in CLERKS} == {"P1": (1, 0), "P2": (1, 0), "P3": (1, 1), "P4": (1, 1),
                                 "P5": (0, 0), "P6": (0, 0)}
    assert {h: (hall[h]["indicators"]["n"]["value"], hall[h]["indicators"]["suspect"]["value"])
            for h in hall} == {"H1": (3, 1), "H2": (1, 1), "H3": (0, 0)}
