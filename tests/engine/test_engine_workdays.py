"""Working days (spec §17): org/calendar.csv and date_diff('workday', a, b).

Calendar: 国庆 2026-10-01..10-07 off (10-01 Thu … 10-07 Wed; 10-03/04 are a weekend anyway),
调休 Saturday 2026-10-10 and Sunday 2026-09-27 worked.
apps (person, done, applied, due), all done in October; date_diff('workday', applied, done)
counts the working days d with applied < d <= done:
    A  Fri 10-09 17:00 → Mon 10-12 09:00   10-10 (调休) + 10-12                    = 2
    B  Fri 10-16 10:00 → Mon 10-19 08:00   across a weekend: 10-19                = 1
    C  Wed 09-30 09:00 → Thu 10-08 10:00   the holiday: 10-08 only               = 1
    D  Tue 10-20 09:00 → Tue 10-20 18:00   the same day                           = 0
    E  Mon 10-26 → (due) Fri 10-23          b before a: −(10-26) … = −1 (10-24/25 weekend)
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot

from kaohe.engine.backends.duckdb_backend import _date_diff
from kaohe.errors import ConfigError
from kaohe.formula.workdays import expand_workdays
from kaohe.workspace.calendar import Calendar, load_calendar
from wsbuilder import WsBuilder, col, role

CALENDAR = ("day,working\n2026-10-01,否\n2026-10-02,否\n2026-10-05,false\n2026-10-06,否\n"
            "2026-10-07,否\n2026-10-10,是\n2026-09-27,true\n2026-10-03,否\n")
APPS = {"time": "done", "person": "person_id", "columns": {
    "person_id": "string", "done": "datetime", "applied": "datetime", "due": "date",
    "c": "string"}}
ROWS = [("A", "2026-10-12 09:00:00", "2026-10-09 17:00:00", None),
        ("B", "2026-10-19 08:00:00", "2026-10-16 10:00:00", None),
        ("C", "2026-10-08 10:00:00", "2026-09-30 09:00:00", None),
        ("D", "2026-10-20 18:00:00", "2026-10-20 09:00:00", None),
        ("E", "2026-10-26 10:00:00", "2026-10-26 08:00:00", "2026-10-23")]


def diff(c: str) -> dict[str, Any]:
    return role(f"d_{c}", f"sum(date_diff('workday', applied, done)) filter (where c = '{c}')",
                "info", source="apps")


@pytest.fixture(scope="module")
def t(tmp_path_factory: pytest.TempPathFactory) -> Any:
    b = WsBuilder(tmp_path_factory.mktemp("wd")).standard_org().standard_sources()
    (b.root / "org/calendar.csv").write_text(CALENDAR, encoding="utf-8")
    b.source("apps", APPS).scheme("s", {
        "entity": "person", "period": "month", "population": {"position": "营业员"},
        "indicators": [*(diff(c) for c in "ABCD"),
                       role("back", "sum(date_diff('workday', done, due))", "info",
                            source="apps"),
                       role("on_time", "count(*) filter (where date_diff('workday', applied, "
                                       "done) <= 1) / count(*)", "info", source="apps"),
                       role("month_days", "date_diff('workday', period_start(0), "
                                          "period_end(0))", "info", source=None),
                       role("sep_days", "date_diff('workday', period_start(-1), "
                                        "period_start(0))", "info", source=None)]})
    b.facts("apps", [{"person_id": "P1", "c": c, "done": d, "applied": a, "due": due}
                     for c, d, a, due in ROWS])
    return b.run("s", "2026-10", save=False)


def test_workdays_across_weekend_holiday_and_adjusted_day(t: Any) -> None:
    assert [col(t, f"v_d_{c}")["P1"] for c in "ABCD"] == [2, 1, 1, 0]


def test_workdays_backwards_are_negative(t: Any) -> None:
    # E: from Mon 10-26 back to Fri 10-23: −(working days in (10-23, 10-26]) = −1
    assert col(t, "v_back")["P1"] == -1


def test_workdays_in_a_combined_formula(t: Any) -> None:
    # A 2, B 1, C 1, D 0, E 0 (applied and done the same day): 4 of 5 within 1 day
    assert col(t, "v_on_time")["P1"] == pytest.approx(0.8)


def test_working_days_of_the_month_in_a_derived_formula(t: Any) -> None:
    # (10-01, 11-01]: 22 weekdays of October minus 10-01 itself (a < d), minus 10-02, 05,
    # 06, 07 off, plus 10-10 worked = 21 − 4 + 1 = 18 (11-01 is a Sunday)
    assert col(t, "v_month_days")["P6"] == 18
    # (09-01, 10-01]: September's 22 weekdays minus 09-01 itself, plus 09-27 worked,
    # 10-01 is off = 21 + 1 = 22
    assert col(t, "v_sep_days")["P6"] == 22


def brute(cal: Calendar, a: date, b: date) -> int:
    """Working days d with a < d <= b, negative when b < a: counted day by day."""
    lo, hi, sign = (a, b, 1) if a <= b else (b, a, -1)
    n = sum(1 for i in range(1, (hi - lo).days + 1) if cal.working(lo + timedelta(days=i)))
    return sign * n


def test_arithmetic_matches_counting_day_by_day() -> None:
    """The SQL arithmetic against a day-by-day count, for 400 random pairs over 2024–2028
    with a calendar of 60 random overrides (weekends worked, weekdays off, restated days)."""
    rng = random.Random(8)
    start = date(2024, 1, 1)
    overrides = {start + timedelta(days=rng.randrange(1500)): rng.random() < 0.5
                 for _ in range(60)}
    cal = Calendar(overrides)
    pairs = [(start + timedelta(days=rng.randrange(1800)), start + timedelta(
        days=rng.randrange(1800))) for _ in range(400)]
    pairs += [(date(2026, 10, 9), date(2026, 10, 9)), (date(1900, 1, 1), date(1900, 1, 8))]
    tree = expand_workdays(sqlglot.parse_one("date_diff('workday', a, b)", read="duckdb"), cal)
    sql = tree.transform(_date_diff).sql(dialect="duckdb")
    con = duckdb.connect()
    con.execute("CREATE TABLE p (a TIMESTAMP, b DATE)")
    con.executemany("INSERT INTO p VALUES (?, ?)", [[f"{a} 13:30:00", b] for a, b in pairs])
    got = [r[0] for r in con.execute(f"SELECT {sql} FROM p").fetchall()]
    assert got == [brute(cal, a, b) for a, b in pairs]


def test_calendar_errors_name_file_row_and_column(tmp_path: Path) -> None:
    (tmp_path / "org").mkdir()
    (tmp_path / "org/calendar.csv").write_text(
        "day,working\n2026-10-01,否\n2026-13-01,是\n2026-10-02,maybe\n2026-10-01,是\n",
        encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_calendar(tmp_path)
    text = str(exc.value)
    assert "calendar.csv:3 [day] '2026-13-01'" in text
    assert "calendar.csv:4 [working] 'maybe'" in text and "是/否" in text
    assert "calendar.csv:5 [day] '2026-10-01'" in text and "duplicate" in text


def test_calendar_needs_its_columns(tmp_path: Path) -> None:
    (tmp_path / "org").mkdir()
    (tmp_path / "org/calendar.csv").write_text("date,off\n2026-10-01,1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_calendar(tmp_path)
    assert "day, working" in str(exc.value)


def test_no_calendar_is_the_default_week(tmp_path: Path) -> None:
    cal = load_calendar(tmp_path)
    assert cal.working(date(2026, 10, 1)) and not cal.working(date(2026, 10, 3))


@pytest.mark.parametrize("unit", ["week", "workdays", "month", "quarter"])
def test_other_units_are_refused(tmp_path: Path, unit: str) -> None:
    from kaohe.errors import Problems

    b = WsBuilder(tmp_path).standard_org().standard_sources()
    b.source("apps", APPS).scheme("bad", {"entity": "person", "period": "month", "indicators": [
        role("x", f"avg(date_diff('{unit}', applied, done))", "info", source="apps")]})
    with pytest.raises(Problems) as exc:
        b.run("bad", "2026-10", save=False)
    assert "indicator x" in str(exc.value) and "date_diff" in str(exc.value)


def test_kaohe_check_reports_a_bad_calendar(tmp_path: Path) -> None:
    from kaohe.cli.checking import check_workspace

    b = WsBuilder(tmp_path).standard_org().standard_sources()
    (b.root / "org/calendar.csv").write_text("day,working\n2026-10-01,maybe\n",
                                             encoding="utf-8")
    problems, checked = check_workspace(b.root)
    assert "calendar" not in checked
    assert any("calendar.csv:2 [working] 'maybe'" in str(p) for p in problems)


def test_payout_base_may_use_working_days_of_the_period(tmp_path: Path) -> None:
    """A daily rate × the month's working days: (10-01, 11-01] holds 18 working days with
    the calendar above, so 50 × 18 = 900 yuan for grade A (coefficient 1)."""
    b = WsBuilder(tmp_path).standard_org().standard_sources()
    (b.root / "org/calendar.csv").write_text(CALENDAR, encoding="utf-8")
    b.scheme("pay", {"entity": "person", "period": "month", "population": {"position": "营业员"},
                     "indicators": [role("n", "count(*)", "info", source="pz")],
                     "grades": [[0, "A"]],
                     "payout": {"base": "50 * date_diff('workday', period_start(0), "
                                        "period_end(0))", "coefficient": {"A": 1}}})
    assert col(b.run("pay", "2026-10", save=False), "payout")["P1"] == 900
