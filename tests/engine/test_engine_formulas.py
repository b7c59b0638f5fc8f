"""Formula semantics (spec §3): aggregates over no rows, x/0, derived indicators, date_diff."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from kaohe.errors import InputError
from wsbuilder import ENGINES, WsBuilder, col, person_scheme, role, row

Table = pd.DataFrame


def info(code: str, value: str, source: str | None = "tx") -> dict[str, Any]:
    return role(code, value, "info", source=source)


INDICATORS = [
    info("cnt", "count(*)"),
    info("cnt_n", "count(n)"),
    info("cnt_d", "count(distinct c)"),
    info("cnt_x", "count(*) filter (where c = 'x')"),
    info("sum_n", "sum(n)"),
    info("sum_x", "sum(n) filter (where c = 'x')"),
    info("avg_n", "avg(n)"),
    info("min_n", "min(n)"),
    info("max_n", "max(n)"),
    info("ratio", "count(*) filter (where c = 'x') / count(*)"),
    info("cnt_dx", "count(distinct c) filter (where n > 0)"),
    info("cnt_dn", "count(distinct n)"),
    info("cnt_nx", "count(n) filter (where c = 'x')"),
    info("avg_x", "avg(n) filter (where c = 'x')"),
    info("min_y", "min(n) filter (where c = 'y')"),
    info("by_zero", "sum(n) / 0"),
    info("mixed", "coalesce(max(n), -1) + count(*) * 100"),
    info("cased", "sum(case when c in ('x', 'y') then n else 0 end)"),
    info("between", "count(*) filter (where n between 1 and 2 and c is not null)"),
    info("funcs", "round(abs(min(n)) + greatest(max(n), 0) + least(count(*), 1), 1)"),
    info("late", "count(*) filter (where at >= date '2026-10-15')"),
    info("late_ts", "count(*) filter (where at >= timestamp '2026-10-15 00:00:01')"),
    info("days", "sum(date_diff('day', at, end_at))"),
    info("hours", "sum(date_diff('hour', at, end_at))"),
    info("minutes", "sum(date_diff('minute', at, end_at))"),
    info("back", "sum(date_diff('hour', end_at, at))"),
    info("hall", "count(*)", source="hall"),
    info("hall_days", "max(date_diff('day', date '2026-10-01', day))", source="hall"),
    info("d_ratio", "cnt_x / cnt", source=None),
    info("d_pct", "d_ratio * 100", source=None),
    info("d_div0", "sum_n / cnt", source=None),
    info("d_missing", "avg_n + 1", source=None),
    info("d_coalesce", "coalesce(avg_n, 0) - min_n", source=None),
]

TX: list[dict[str, Any]] = [
    # P1: three rows; n 0.1, 0.2 and empty
    {"person_id": "P1", "at": "2026-10-01 00:00:00", "n": "0.1", "c": "x"},
    {"person_id": "P1", "at": "2026-10-15 00:00:00", "n": "0.2", "c": "y"},
    {"person_id": "P1", "at": "2026-10-31 23:59:59", "c": "x"},
    # P2: only rows whose n is empty
    {"person_id": "P2", "at": "2026-10-02 09:00:00", "c": "z"},
    {"person_id": "P2", "at": "2026-10-03 09:00:00"},
    # P3: date_diff rows — 23:30 → next day 00:10 + 1 day: 24 h 40 min
    {"person_id": "P3", "at": "2026-10-05 23:30:00", "end_at": "2026-10-07 00:10:00", "n": -2,
     "c": "x"},
    {"person_id": "P3", "at": "2026-10-06 08:00:00", "end_at": "2026-10-06 08:59:59", "n": 1.5,
     "c": "y"},
    # outside October: never counted
    {"person_id": "P1", "at": "2026-09-30 23:59:59", "n": 100, "c": "x"},
    {"person_id": "P1", "at": "2026-11-01 00:00:00", "n": 100, "c": "x"},
]


@pytest.fixture(scope="module", params=ENGINES)
def t(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Table:
    b = WsBuilder(tmp_path_factory.mktemp("formulas")).standard_org().standard_sources()
    b.scheme("f", person_scheme(INDICATORS))
    b.facts("tx", TX)
    b.facts("hall", [{"unit_id": "H1", "day": "2026-10-31"},
                     {"unit_id": "H2", "day": "2026-11-01"}])
    return b.run("f", "2026-10", request.param, save=False)


def _values(t: Table, entity: str) -> dict[str, Any]:
    r = row(t, entity)
    return {k[2:]: (round(v, 9) if isinstance(v, float) else v)
            for k, v in r.items() if k.startswith("v_")}


def test_aggregates_over_rows(t: Table) -> None:
    v = _values(t, "P1")
    assert (v["cnt"], v["cnt_n"], v["cnt_d"], v["cnt_x"]) == (3, 2, 2, 2)
    assert (v["sum_n"], v["sum_x"], v["avg_n"], v["min_n"], v["max_n"]) == (
        0.3, 0.1, 0.15, 0.1, 0.2)      # 0.1 + 0.2 = 0.3 exactly (decimal)
    assert v["ratio"] == pytest.approx(2 / 3)
    assert v["mixed"] == 300.2        # 0.2 + 3 × 100
    assert v["cased"] == 0.3
    assert v["funcs"] == 1.3          # round(0.1 + 0.2 + 1, 1)
    assert v["late"] == 2             # 15th 00:00 and 31st 23:59:59
    assert v["late_ts"] == 1          # 31st 23:59:59
    assert v["hall"] == 1             # unit-only source: H1 has one October row


def test_no_rows_count_and_sum_are_zero_others_missing(t: Table) -> None:
    v = _values(t, "P4")  # P4 has no rows at all
    assert (v["cnt"], v["cnt_n"], v["cnt_d"], v["cnt_x"], v["sum_n"], v["sum_x"]) == (
        0, 0, 0, 0, 0, 0)
    assert (v["avg_n"], v["min_n"], v["max_n"]) == (None, None, None)
    assert v["ratio"] is None         # 0 / 0 is missing
    assert v["mixed"] == -1           # coalesce(missing max, −1) + 0
    assert v["days"] == 0
    assert row(t, "P4")["m_avg_n"] is True and row(t, "P4")["m_sum_n"] is False


def test_sum_over_null_values_is_zero(t: Table) -> None:
    v = _values(t, "P2")  # two rows, n empty in both
    assert (v["cnt"], v["cnt_n"], v["sum_n"], v["avg_n"], v["max_n"]) == (2, 0, 0, None, None)
    assert v["cnt_d"] == 1            # count(distinct c): 'z' (null not counted)


def test_filters_and_distinct_counts(t: Table) -> None:
    # count(distinct) beside other parts is counted apart and joined back: an entity with
    # rows, none of them counted, gets 0; one with no rows at all gets 0 from the formula
    want = {"P1": (2, 2, 1, 0.1, 0.2), "P2": (0, 0, 0, None, None),
            "P3": (1, 2, 1, -2, 1.5), "P4": (0, 0, 0, None, None)}
    for e, values in want.items():
        v = _values(t, e)
        assert (v["cnt_dx"], v["cnt_dn"], v["cnt_nx"], v["avg_x"], v["min_y"]) == values, e
        assert row(t, e)["m_cnt_dx"] is False


def test_division_by_zero_is_missing(t: Table) -> None:
    for e in ("P1", "P2", "P4"):
        assert _values(t, e)["by_zero"] is None
        assert row(t, e)["m_by_zero"] is True


def test_date_diff_counts_whole_units_elapsed(t: Table) -> None:
    v = _values(t, "P3")
    # 24 h 40 min → 1 day (not 2 calendar days), 24 hours (not 25 boundaries), 1480 minutes;
    # 59 min 59 s → 0 days, 0 hours, 59 minutes
    assert (v["days"], v["hours"], v["minutes"]) == (1, 24, 1480 + 59)
    # b before a (spec silent; both engines truncate toward zero): −24 h 40 min → −24,
    # −59 min 59 s → 0
    assert v["back"] == -24
    assert v["funcs"] == 4.5          # round(|−2| + 1.5 + 1, 1)
    assert v["between"] == 1          # n = 1.5 only


def test_derived_indicators(t: Table) -> None:
    p1, p4 = _values(t, "P1"), _values(t, "P4")
    assert p1["d_ratio"] == pytest.approx(2 / 3)
    assert p1["d_pct"] == pytest.approx(200 / 3)       # derived of a derived
    assert p1["d_div0"] == pytest.approx(0.1)          # 0.3 / 3
    assert p1["d_missing"] == 1.15
    assert p1["d_coalesce"] == 0.05                    # 0.15 − 0.1
    assert (p4["d_ratio"], p4["d_pct"], p4["d_div0"]) == (None, None, None)  # 0 / 0
    assert p4["d_missing"] is None                     # missing + 1 is missing
    assert p4["d_coalesce"] is None                    # 0 − missing


def test_unit_only_source_counts_for_every_clerk_of_the_hall(t: Table) -> None:
    # hall rows: H1 on 2026-10-31 (in October), H2 on 2026-11-01 (not)
    assert col(t, "v_hall") == {"P1": 1, "P2": 1, "P3": 1, "P4": 0, "P5": 0, "P6": 0}
    # date columns: 2026-10-01 → 2026-10-31 is 30 days; H2 and H3 have no October rows
    assert col(t, "v_hall_days") == {
        "P1": 30, "P2": 30, "P3": 30, "P4": None, "P5": None, "P6": None}


def test_derived_cycle_is_an_error(tmp_path_factory: pytest.TempPathFactory) -> None:
    b = WsBuilder(tmp_path_factory.mktemp("cycle")).standard_org().standard_sources()
    b.scheme("c", person_scheme([info("a", "b + 1", source=None), info("b", "a * 2", source=None),
                                 info("n", "count(*)")]))
    with pytest.raises(InputError, match="cycle"):
        b.run("c", "2026-10", save=False)
