"""Windows, offsets, prev() and period dates (spec §7), computed by hand.

pz facts (person, at, n) — P1 has a row every month, P2 only in September, P4 at the edges:
    P1  2025-10-05 7 | 2026-06-20 100 | 07-10 1 | 08-10 2 | 09-10 4 | 10-10 8 | 11-01 00:00 1000
    P2  2026-09-15 5
    P4  2026-07-31 23:59:59 9 | 2026-08-01 00:00:00 6 | 2026-10-31 23:59:59 3
tx facts (person, at, end_at): rows of October whose end_at falls in July count for
period_start(-3): P1 two rows (end 07-01 00:00 and 07-31 23:00), one ending 08-01 00:00 (no);
P3 one row ending 06-30 (no).
The run is 2026-10 (a monthly scheme); other months are named where they matter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kaohe.engine.run import compile_for
from kaohe.errors import Problems
from kaohe.periods import Period
from wsbuilder import WsBuilder, col, person_scheme, role

RUN = "2026-10"


def info(code: str, value: str, source: str | None = "pz", **more: Any) -> dict[str, Any]:
    return role(code, value, "info", source=source, **more)


PZ = [("P1", "2025-10-05 10:00:00", 7), ("P1", "2026-06-20 10:00:00", 100),
      ("P1", "2026-07-10 10:00:00", 1), ("P1", "2026-08-10 10:00:00", 2),
      ("P1", "2026-09-10 10:00:00", 4), ("P1", "2026-10-10 10:00:00", 8),
      ("P1", "2026-11-01 00:00:00", 1000), ("P2", "2026-09-15 10:00:00", 5),
      ("P4", "2026-07-31 23:59:59", 9), ("P4", "2026-08-01 00:00:00", 6),
      ("P4", "2026-10-31 23:59:59", 3)]
TX = [("P1", "2026-10-02 09:00:00", "2026-07-01 00:00:00"),
      ("P1", "2026-10-03 09:00:00", "2026-07-31 23:00:00"),
      ("P1", "2026-10-04 09:00:00", "2026-08-01 00:00:00"),
      ("P3", "2026-10-05 09:00:00", "2026-06-30 12:00:00")]

INDICATORS = [
    info("m", "sum(n)"),                                       # this month
    info("q", "sum(n)", window=3),                             # Aug..Oct
    info("y", "sum(n)", offset=12),                            # 2025-10 (同比 month)
    info("yq", "sum(n)", window=3, offset=12),                 # 2025-08..2025-10
    info("late_q", "sum(n)", window=2, offset=1),              # Aug..Sep
    info("avg_m", "avg(n)"),                                   # missing without rows
    info("rows_q", "count(distinct at)", window=3),            # distinct path, own window
    info("julys", "count(*) filter (where end_at >= period_start(-3) and end_at < "
                  "period_end(-3))", source="tx"),
    info("julys_o1", "count(*) filter (where end_at >= period_start(-2) and end_at < "
                     "period_end(-2))", source="tx", offset=1),  # Sep's window: no tx rows
    info("june_in_6", "count(*) filter (where at < period_start(-3))", window=6),
    info("chg", "m - prev(m)", None),                          # 环比 of a source indicator
    info("yoy", "m - prev(m, 12)", None),                      # 同比
    info("d", "q / 3", None),                                  # a derived code ...
    info("dchg", "d - prev(d)", None),                         # ... and its prev
    info("avg_chg", "avg_m - prev(avg_m)", None),              # missing propagates
    info("pp", "prev(chg)", None),                             # prev of a derived prev
]


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> WsBuilder:
    b = WsBuilder(tmp_path_factory.mktemp("windows")).standard_org().standard_sources()
    b.scheme("w", person_scheme(INDICATORS))
    b.facts("pz", [{"person_id": p, "at": at, "n": n} for p, at, n in PZ])
    b.facts("tx", [{"person_id": p, "unit_id": "H1" if p != "P4" else "H2", "at": at,
                    "end_at": end, "n": 1} for p, at, end in TX])
    return b


@pytest.fixture(scope="module")
def t(ws: WsBuilder) -> Any:
    return ws.run("w", RUN, save=False)


def test_window_of_three_months(t: Any) -> None:
    # P1 2 + 4 + 8 (June's 100 and November's 1000 are outside); P2 5 (September);
    # P4 6 (08-01 00:00 is in) + 3 (10-31 23:59:59 is in); 07-31 23:59:59 is out
    assert col(t, "v_q") == {"P1": 14, "P2": 5, "P3": 0, "P4": 9, "P5": 0, "P6": 0}
    assert col(t, "v_m") == {"P1": 8, "P2": 0, "P3": 0, "P4": 3, "P5": 0, "P6": 0}


def test_offset_twelve_reads_the_same_month_a_year_before(t: Any) -> None:
    assert col(t, "v_y") == {"P1": 7, "P2": 0, "P3": 0, "P4": 0, "P5": 0, "P6": 0}
    assert col(t, "v_yq")["P1"] == 7  # 2025-08..2025-10 holds only 2025-10-05
    # window 2, offset 1: Aug + Sep: P1 2 + 4, P2 5, P4 6
    assert col(t, "v_late_q") == {"P1": 6, "P2": 5, "P3": 0, "P4": 6, "P5": 0, "P6": 0}


def test_distinct_count_over_its_own_window(t: Any) -> None:
    # distinct times Aug..Oct: P1 3, P2 1, P4 2; P3 has no row at all: 0
    assert col(t, "v_rows_q") == {"P1": 3, "P2": 1, "P3": 0, "P4": 2, "P5": 0, "P6": 0}


def test_period_start_and_end(t: Any) -> None:
    # October tx rows ending in July (2026-07-01 <= end_at < 2026-08-01): P1 two, P3 none
    assert col(t, "v_julys") == {"P1": 2, "P2": 0, "P3": 0, "P4": 0, "P5": 0, "P6": 0}
    assert col(t, "v_julys_o1")["P1"] == 0  # its window is September: no tx rows
    # window 6 = May..Oct; rows before period_start(-3) = July 1st: P1 June's 100 only
    assert col(t, "v_june_in_6") == {"P1": 1, "P2": 0, "P3": 0, "P4": 0, "P5": 0, "P6": 0}


def test_prev_of_a_source_indicator(t: Any) -> None:
    # m − prev(m): P1 8 − 4, P2 0 − 5, P4 3 − 0 (no September row: sum is 0)
    assert col(t, "v_chg") == {"P1": 4, "P2": -5, "P3": 0, "P4": 3, "P5": 0, "P6": 0}
    # m − prev(m, 12): P1 8 − 7
    assert col(t, "v_yoy")["P1"] == 1


def test_prev_of_a_derived_indicator(t: Any) -> None:
    # d = q / 3; prev(d) = prev(q) / 3 with prev(q) = Jul..Sep: P1 1 + 2 + 4 = 7, so
    # dchg = 14/3 − 7/3 = 7/3; P4: (9 − (9 + 6)) / 3 = −2; P2: (5 − 5) / 3 = 0
    got = col(t, "v_dchg")
    assert got["P1"] == pytest.approx(7 / 3, abs=1e-9)
    assert got["P4"] == pytest.approx(-2, abs=1e-9)
    assert got["P2"] == 0
    # prev(chg) = prev(m) − prev(m, 2): P1 4 − 2, P2 5 − 0, P4 0 − 6
    assert col(t, "v_pp") == {"P1": 2, "P2": 5, "P3": 0, "P4": -6, "P5": 0, "P6": 0}


def test_missing_propagates_through_prev(t: Any) -> None:
    # avg(n): P1 8 − 4; P2 has no October row (missing) ; P4 has no September row (missing)
    got = col(t, "v_avg_chg")
    assert got == {"P1": 4, "P2": None, "P3": None, "P4": None, "P5": None, "P6": None}
    assert col(t, "m_avg_chg")["P2"] is True


def test_one_scan_with_constant_bounds(ws: WsBuilder) -> None:
    """pz is read once (plus one GROUP BY per distinct count), between constant bounds that
    cover every window: 2025-08-01 (yq) to 2026-11-01, with the gap between 2025-11 and
    2026-04 left out (DuckDB prunes row groups by those constants)."""
    sql = ws.run_output("w", RUN, save=False).sql
    assert sql.count('FROM "fact_pz"') == 2  # the plain parts and count(distinct at)
    assert ("\"f\".\"at\" >= CAST('2025-08-01 00:00:00' AS TIMESTAMP) AND \"f\".\"at\" < "
            "CAST('2026-11-01 00:00:00' AS TIMESTAMP)") in sql
    assert ("\"f\".\"at\" >= CAST('2026-05-01 00:00:00' AS TIMESTAMP) AND \"f\".\"at\" < "
            "CAST('2026-11-01 00:00:00' AS TIMESTAMP)") in sql
    assert "CAST('2025-11-01 00:00:00' AS TIMESTAMP)" in sql  # the end of the year-ago part


def test_parts_are_shared_by_source_window_offset_and_expression(ws: WsBuilder) -> None:
    """sum(n) is computed once per distinct (window, offset): y and prev(m, 12) share one;
    an indicator and its prev never share (offsets differ)."""
    cs = compile_for(ws.workspace(), ws.workspace().scheme("w"), Period.parse(RUN))
    parts = {n: (cs.part_source[n], cs.part_window[n], p.sql())
             for v in cs.values.values() for n, p in v.parts}
    sums = sorted(w for s, w, sql in parts.values() if s == "pz" and sql == 'SUM("f"."n")')
    # m (1,0), q (3,0), y = prev(m, 12) (1,12), yq (3,12), late_q (2,1), prev(m) (1,1),
    # prev(prev(m)) inside prev(chg) (1,2), prev(q) inside prev(d) (3,1)
    assert sums == sorted([(1, 0), (3, 0), (1, 12), (3, 12), (2, 1), (1, 1), (1, 2), (3, 1)])
    assert cs.values["y"].parts == cs.values["m__o12"].parts
    assert len(set(parts.values())) == len(parts)  # no part computed twice


@pytest.mark.parametrize(("extra", "where", "what"), [
    ({"window": 3}, "window", "derived"),
    ({"offset": 1}, "offset", "derived"),
])
def test_window_and_offset_on_a_derived_indicator_are_errors(
        tmp_path: Path, extra: dict[str, int], where: str, what: str) -> None:
    b = WsBuilder(tmp_path).standard_org().standard_sources()
    b.scheme("bad", person_scheme([info("m", "sum(n)"), info("d", "m * 2", None, **extra)]))
    with pytest.raises(Problems) as exc:
        b.run("bad", RUN, save=False)
    text = str(exc.value)
    assert f"indicators[1] (d).{where}" in text and what in text


@pytest.mark.parametrize(("extra", "where"), [
    ({"window": 0}, "window"), ({"window": 37}, "window"), ({"window": "3"}, "window"),
    ({"offset": -1}, "offset"), ({"offset": 37}, "offset"), ({"offset": 1.5}, "offset"),
])
def test_window_and_offset_bounds(tmp_path: Path, extra: dict[str, Any], where: str) -> None:
    b = WsBuilder(tmp_path).standard_org().standard_sources()
    b.scheme("bad", person_scheme([info("m", "sum(n)", **extra)]))
    with pytest.raises(Problems) as exc:
        b.run("bad", RUN, save=False)
    assert f"indicators[0] (m).{where}" in str(exc.value)
    assert "expected an integer" in str(exc.value)


def test_prev_beyond_48_periods_is_refused_before_anything_runs(tmp_path: Path) -> None:
    b = WsBuilder(tmp_path).standard_org().standard_sources()
    b.scheme("bad", person_scheme([info("m", "sum(n)", offset=36), info("d", "prev(m, 12)",
                                                                          None),
                                   info("e", "prev(d)", None)]))
    with pytest.raises(Problems) as exc:
        b.run("bad", RUN, save=False)
    text = str(exc.value)
    # d reaches offset 36 + 12 = 48 (allowed); e reaches 49
    assert "indicator e" in text and "49" in text and "prev(d)" in text
    assert "indicator d" not in text


def test_prev_of_itself_is_a_cycle(tmp_path: Path) -> None:
    b = WsBuilder(tmp_path).standard_org().standard_sources()
    b.scheme("bad", person_scheme([info("m", "sum(n)"), info("d", "m + prev(d)", None)]))
    with pytest.raises(Problems) as exc:
        b.run("bad", RUN, save=False)
    assert "cycle" in str(exc.value) and "d → d" in str(exc.value)
