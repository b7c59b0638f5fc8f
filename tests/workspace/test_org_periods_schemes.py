"""Org as of a day (spec §1), periods (§5) and scheme validation with paths to bad keys (§4)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kaohe.errors import ConfigError, InputError, Problems
from kaohe.periods import Period, parse_period
from kaohe.scheme import parse_scheme
from kaohe.workspace.org import load_org


def _org(tmp_path: Path, assignments: str, units: str | None = None) -> Path:
    (tmp_path / "org").mkdir()
    (tmp_path / "org/units.csv").write_text(units or (
        "id,name,kind,parent_id\nC,公司,公司,\nB,分公司,分公司,C\nU1,一厅,自营厅,B\n"
        "U2,二厅,合作厅,B\n"), encoding="utf-8")
    (tmp_path / "org/people.csv").write_text("id,name,level\nP1,张三,3\nP2,李四,\n",
                                             encoding="utf-8")
    (tmp_path / "org/assignments.csv").write_text(
        "person_id,unit_id,position,start,end\n" + assignments, encoding="utf-8")
    return tmp_path


def test_as_of_a_day_latest_start_wins(tmp_path: Path) -> None:
    org = load_org(_org(tmp_path,
                        "P1,U1,营业员,2026-01-01,2026-10-15\n"
                        "P1,U2,值班经理,2026-10-16,\n"
                        "P2,U1,营业员,2026-01-01,\n"
                        "P2,U2,营业员,2026-06-01,\n"))  # overlapping: the later start wins
    on = org.positions_on(date(2026, 10, 15)).set_index("person_id")
    assert on.loc["P1", "unit_id"] == "U1"  # end day is inclusive
    on = org.positions_on(date(2026, 10, 31)).set_index("person_id")
    assert (on.loc["P1", "unit_id"], on.loc["P1", "position"]) == ("U2", "值班经理")
    assert on.loc["P2", "unit_id"] == "U2"
    assert org.positions_on(date(2025, 12, 31)).empty
    assert org.ancestors("U1") == ["U1", "B", "C"]
    assert org.ancestor_of_kind("U2", "分公司") == "B"
    assert sorted(org.closure().itertuples(index=False, name=None))[:2] == [("B", "B"),
                                                                           ("B", "U1")]


def test_org_errors_are_all_listed(tmp_path: Path) -> None:
    root = _org(tmp_path, "P9,U1,营业员,2026-01-01,\nP1,U7,营业员,2026-13-01,\n"
                          "P2,U1,营业员,2026-05-01,2026-04-01\n",
                units="id,name,kind,parent_id\nC,公司,公司,\nU1,一厅,自营厅,X\nU1,重复,自营厅,C\n")
    with pytest.raises(ConfigError) as info:
        load_org(root)
    msg = str(info.value)
    for expected in ("unknown parent unit", "duplicate id", "unknown person", "unknown unit",
                     "expected a date", "end is before start"):
        assert expected in msg


@pytest.mark.parametrize(("text", "kind", "start", "end"), [
    ("2026-10", "month", date(2026, 10, 1), date(2026, 11, 1)),
    ("2026-12", "month", date(2026, 12, 1), date(2027, 1, 1)),
    ("2026-Q4", "quarter", date(2026, 10, 1), date(2027, 1, 1)),
    ("2026-q1", "quarter", date(2026, 1, 1), date(2026, 4, 1)),
    ("2026", "year", date(2026, 1, 1), date(2027, 1, 1)),
    ("2026-10-15", "day", date(2026, 10, 15), date(2026, 10, 16)),
    ("2028-02-29", "day", date(2028, 2, 29), date(2028, 3, 1)),
])
def test_periods_cover_start_to_next_start(text: str, kind: str, start: date, end: date) -> None:
    p = Period.parse(text)
    assert (p.kind, p.start, p.end, str(p).upper()) == (kind, start, end, text.upper())


def test_period_shift_and_errors() -> None:
    assert str(Period.parse("2026-01").shift(-1)) == "2025-12"
    assert str(Period.parse("2026-Q1").shift(-2)) == "2025-Q3"
    for bad in ("2026-13", "2026-Q5", "26-10", "2026-02-30", "october"):
        with pytest.raises(InputError):
            Period.parse(bad)
    with pytest.raises(InputError, match="month"):
        parse_period("2026-Q4", "month")


GOOD = """\
name: 营业员星级考核
entity: person
period: month
indicators:
  - {code: volume, name: 业务量, source: transactions, value: count(*), weight: 100,
     score: {rule: linear, floor: 0, target: 300}}
grades: [[60, 合格], [0, 不合格]]
"""


def test_scheme_loads_frozen() -> None:
    s = parse_scheme(GOOD, "clerk")
    assert s.code == "clerk" and s.indicators[0].weight == 100.0
    with pytest.raises(AttributeError):
        s.name = "x"  # type: ignore[misc]


def test_scheme_problems_carry_paths() -> None:
    bad = """\
entity: persons
period: week
peers: [unit]
indicators:
  - {code: a, source: s, value: count(*), weight: -1, score: {rule: linear, floor: 1, target: 1}}
  - {code: a, source: s, value: count(*), role: bonus, weight: 3}
  - {code: c, source: s, value: count(*), weight: 5, score: {rule: wavy}}
  - {code: d, source: s, value: count(*), weight: 5, missing: maybe,
     score: {rule: steps, steps: [[1, 0.5], [2]]}}
grades: [[60, 合格], [x, 不合格]]
elimination: {bottom: 0, consecutive: 3}
payout: {base: 100, coefficient: {优秀: 1.5}}
colour: red
"""
    with pytest.raises(Problems) as info:
        parse_scheme(bad, "s1")
    text = str(info.value)
    for expected in ("entity", "period", "indicators[0] (a).weight", "floor and target must differ",
                     "indicators[1] (a).weight", "indicators[2] (c).score.rule",
                     "indicators[3] (d).missing", "indicators[3] (d).score.steps[1]",
                     "duplicate indicator code 'a'", "grades[1][0]", "elimination",
                     "payout.coefficient.优秀", "colour: 未知键 unknown key"):
        assert expected in text, expected
    assert info.value.exit_status == 2


def test_renamed_key_alias() -> None:
    s = parse_scheme(GOOD.replace("name: 营业员星级考核", "title: 营业员星级考核"), "c")
    assert s.name == "营业员星级考核"
