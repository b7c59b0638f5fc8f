"""``results:SCHEME`` sources with window and offset, and their ``id`` column (spec §7).

Monthly scheme m: total = sum(n) (linear 0..100, W 100); runs stored for Aug, Sep and Oct
(no July run). Totals:
         Aug  Sep  Oct                 Aug  Sep  Oct
    P1    80   30   90            P4    60   60    0
    P2    20   70    0            P5     0    0    0
    P3     0    0   55            P6     0    0    0
Halls: H1 = P1 P2 P3 (and M1, no monthly results), H2 = P4 P5, H3 = P6; C1 = H1 + H2.
"""

from __future__ import annotations

from typing import Any

import pytest

from wsbuilder import WsBuilder, col, person_scheme, role, scored

LIN100 = {"rule": "linear", "floor": 0, "target": 100}
MONTHLY = person_scheme([scored("vol", "sum(n)", 100, LIN100, source="pz")])
SRC = "results:m"
PERSON = {"entity": "person", "period": "month", "population": {"position": "营业员"},
          "indicators": [
              role("avg3", "avg(total)", "info", source=SRC, window=3),
              role("months4", "count(*)", "info", source=SRC, window=4),
              role("last", "max(total)", "info", source=SRC, offset=1),
              role("rise", "avg3 - prev(avg3)", "info", source=None)]}
UNIT = {"entity": "unit", "period": "month", "indicators": [
    role("people3", "count(distinct id) filter (where total >= 50)", "info", source=SRC,
         window=3),
    role("months3", "count(*) filter (where total >= 50)", "info", source=SRC, window=3),
    role("people1", "count(distinct id) filter (where total >= 50)", "info", source=SRC)]}
TOTALS = {"08": {"P1": 80, "P2": 20, "P4": 60}, "09": {"P1": 30, "P2": 70, "P4": 60},
          "10": {"P1": 90, "P3": 55}}


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> WsBuilder:
    b = WsBuilder(tmp_path_factory.mktemp("rw")).standard_org().standard_sources()
    b.scheme("m", MONTHLY).scheme("p", PERSON).scheme("u", UNIT)
    b.facts("pz", [{"person_id": p, "at": f"2026-{m}-12 10:00:00", "n": n}
                   for m, vals in TOTALS.items() for p, n in vals.items()])
    for month in ("2026-08", "2026-09", "2026-10"):
        b.run("m", month)
    return b


def test_person_reads_its_own_results_over_a_window(ws: WsBuilder) -> None:
    t = ws.run("p", "2026-10", save=False)
    avg3 = col(t, "v_avg3")
    # P1 (80 + 30 + 90) / 3; P2 (20 + 70 + 0) / 3; P3 55 / 3; P4 (60 + 60) / 3
    assert avg3["P1"] == pytest.approx(200 / 3) and avg3["P2"] == pytest.approx(30)
    assert avg3["P3"] == pytest.approx(55 / 3) and avg3["P4"] == pytest.approx(40)
    assert avg3["P5"] == 0
    # window 4 reaches July, which has no run: 3 completed periods each
    assert col(t, "v_months4") == {e: 3 for e in ("P1", "P2", "P3", "P4", "P5", "P6")}
    # offset 1: September's totals
    assert col(t, "v_last") == {"P1": 30, "P2": 70, "P3": 0, "P4": 60, "P5": 0, "P6": 0}
    # prev(avg3) = Jul..Sep = Aug + Sep only: P1 (80 + 30) / 2 = 55 → rise 200/3 − 55
    assert col(t, "v_rise")["P1"] == pytest.approx(200 / 3 - 55)
    assert col(t, "v_rise")["P4"] == pytest.approx(40 - 60)


def test_unit_counts_distinct_people_across_the_window(ws: WsBuilder) -> None:
    t = ws.run("u", "2026-10", save=False)
    # people with a total >= 50 in some month of Aug..Oct: H1 P1 P2 P3, H2 P4
    assert col(t, "v_people3") == {"R": 4, "C1": 4, "C2": 0, "H1": 3, "H2": 1, "H3": 0}
    # person-months >= 50: H1 P1 ×2 (80, 90), P2 ×1, P3 ×1; H2 P4 ×2
    assert col(t, "v_months3") == {"R": 6, "C1": 6, "C2": 0, "H1": 4, "H2": 2, "H3": 0}
    # October only: P1 and P3
    assert col(t, "v_people1") == {"R": 2, "C1": 2, "C2": 0, "H1": 2, "H2": 0, "H3": 0}


def test_results_rows_carry_the_entity_id(ws: WsBuilder) -> None:
    from kaohe.engine.history import results_rows
    from kaohe.periods import Period

    w = ws.workspace()
    rows = results_rows(w.store, w.source(SRC), w.scheme("m"), Period.parse("2026-10"),
                        (Period.parse("2026-08").start, Period.parse("2026-11").start))
    got: Any = rows.to_pydict()
    assert got["id"] == got["entity_id"]
    assert len(got["id"]) == 18  # 6 clerks × 3 months
