"""Spark computes what DuckDB computes for spec §7, §11 and §17, on one workspace using all of
them: windows and offsets (同比), prev of source and derived codes, period_start/period_end,
results: windows with count(distinct id), wavg with a missing rater, working days over a
calendar with holidays and 调休. Hand-computed values are asserted in the DuckDB tests named
below; here a few are repeated for Spark, and every column is compared between the engines.
One Spark session for the whole module (about 20 s to start)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))

import test_engine_results_windows as rw  # noqa: E402
import test_engine_wavg as wv  # noqa: E402
import test_engine_windows as w  # noqa: E402
import test_engine_workdays as wd  # noqa: E402
from strategies_windows import window_cases  # noqa: E402
from test_engine_reference import COMMON, _seeded, check_case, compare_engines  # noqa: E402
from wsbuilder import (  # noqa: E402
    STANDARD_SOURCES, WsBuilder, col, person_scheme, scored,
)

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> WsBuilder:
    b = WsBuilder(tmp_path_factory.mktemp("spark_v2w")).standard_org().standard_sources()
    (b.root / "org/calendar.csv").write_text(wd.CALENDAR, encoding="utf-8")
    b.source("ratings", wv.RATINGS).source("apps", wd.APPS)
    b.scheme("w", person_scheme(w.INDICATORS)).scheme("wavg", wv.SCHEME)
    b.source("mz", STANDARD_SOURCES["pz"])  # the monthly scheme's facts, apart from w's
    b.scheme("m", person_scheme([scored("vol", "sum(n)", 100, rw.LIN100, source="mz")]))
    b.scheme("p", rw.PERSON).scheme("u", rw.UNIT)
    b.scheme("wd", {"entity": "person", "period": "month", "indicators": [
        *(wd.diff(c) for c in "ABCD"),
        {"code": "month_days", "role": "info",
         "value": "date_diff('workday', period_start(0), period_end(0))"}]})
    b.facts("pz", [{"person_id": p, "at": at, "n": n} for p, at, n in w.PZ])
    b.facts("mz", [{"person_id": p, "at": f"2026-{m}-12 10:00:00", "n": n}
                   for m, vals in rw.TOTALS.items() for p, n in vals.items()])
    b.facts("tx", [{"person_id": p, "unit_id": "H1", "at": at, "end_at": end, "n": 1}
                   for p, at, end in w.TX])
    b.facts("ratings", [{"unit_id": u, "day": "2026-10-20", "rater": r, "score": s}
                        for u, r, s in [("H1", "公司", 80), ("H1", "合作方", 90),
                                        ("H1", "用户", 70), ("H2", "公司", 80),
                                        ("H2", "用户", 60)]])
    b.facts("apps", [{"person_id": "P1", "c": c, "done": d, "applied": a, "due": due}
                     for c, d, a, due in wd.ROWS])
    for month in ("2026-08", "2026-09", "2026-10"):
        b.run("m", month)
    return b


@pytest.mark.parametrize("scheme", ["w", "wavg", "p", "u", "wd"])
def test_spark_equals_duckdb(ws: WsBuilder, scheme: str) -> None:
    duck = ws.run_output(scheme, "2026-10", "duckdb", save=False).result.table
    spark = ws.run_output(scheme, "2026-10", "spark", save=False).result.table
    compare_engines(duck, spark)


def test_hand_values_on_spark(ws: WsBuilder) -> None:
    t = ws.run("w", "2026-10", "spark", save=False)
    assert col(t, "v_q")["P1"] == 14 and col(t, "v_y")["P1"] == 7  # window 3; offset 12
    assert col(t, "v_chg")["P2"] == -5 and col(t, "v_julys")["P1"] == 2
    assert col(t, "v_dchg")["P1"] == pytest.approx(7 / 3)
    assert col(t, "v_avg_chg")["P2"] is None
    r = ws.run("wavg", "2026-10", "spark", save=False)
    assert col(r, "v_rating")["H2"] == pytest.approx(5200 / 70)
    u = ws.run("u", "2026-10", "spark", save=False)
    assert col(u, "v_people3")["H1"] == 3
    d = ws.run("wd", "2026-10", "spark", save=False)
    assert [col(d, f"v_d_{c}")["P1"] for c in "ABCD"] == [2, 1, 1, 0]
    assert col(d, "v_month_days")["P1"] == 18


@_seeded
@settings(max_examples=6, **COMMON)
@given(case=window_cases(max_rows=20))
def test_random_windows_on_both_engines(case: Any) -> None:
    check_case(case, engines=("duckdb", "spark"))


def test_workday_arithmetic_on_spark_matches_counting_day_by_day() -> None:
    """The working-day arithmetic rendered for Spark, on 300 random pairs and a calendar of
    60 random overrides, against the day-by-day count (DuckDB: test_engine_workdays)."""
    import random
    from datetime import date, datetime, timedelta

    import pyarrow as pa
    import sqlglot

    from kaohe.engine.backends import spark_backend
    from kaohe.formula.workdays import expand_workdays
    from kaohe.workspace.calendar import Calendar

    rng = random.Random(17)
    start = date(2024, 1, 1)
    cal = Calendar({start + timedelta(days=rng.randrange(1500)): rng.random() < 0.5
                    for _ in range(60)})
    pairs = [(start + timedelta(days=rng.randrange(1800)), start + timedelta(
        days=rng.randrange(1800))) for _ in range(300)]
    tree = expand_workdays(sqlglot.parse_one("date_diff('workday', a, b)", read="duckdb"), cal)
    expr = tree.transform(spark_backend._date_diff).sql(dialect="spark")
    spark = spark_backend.session()
    table = pa.table({"i": list(range(len(pairs))),
                      "a": [datetime.combine(a, datetime.min.time()) + timedelta(hours=13)
                            for a, _ in pairs],
                      "b": [b for _, b in pairs]})
    spark.createDataFrame(table).createOrReplaceTempView("k_pairs")
    got = [r[0] for r in spark.sql(f"SELECT {expr} FROM k_pairs ORDER BY i").collect()]
    assert got == [wd.brute(cal, a, b) for a, b in pairs]
