"""Data completeness (workspace.completeness): a period whose data is far below the previous
periods' is reported, in kaohe.yaml's terms, and ``kaohe run`` warns in Chinese.

The workspace: scheme m reads source pz (person facts). pz rows per month:
  2026-07: P1..P6, 2 rows each → 12 rows, 6 people
  2026-08: P1..P6, 3 rows each → 18 rows, 6 people
  2026-09: P1..P5, 2 rows each → 10 rows, 5 people
  2026-10: P1 only, 1 row     →  1 row,  1 person
  2026-11: P1..P3, 2 rows each →  6 rows, 3 people
Source tx has no rows at all (never imported): nothing to compare, never reported.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaohe.cli.main import _register, cli
from kaohe.errors import ConfigError
from kaohe.periods import Period
from kaohe.workspace.completeness import (
    CompletenessSettings,
    coverage,
    parse_completeness,
    shortfalls,
)

sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))  # wsbuilder
from wsbuilder import WsBuilder, person_scheme, role, scored  # noqa: E402

PLAN = {"07": (6, 2), "08": (6, 3), "09": (5, 2), "10": (1, 1), "11": (3, 2)}


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> WsBuilder:
    b = WsBuilder(tmp_path_factory.mktemp("complete")).standard_org().standard_sources()
    b.scheme("m", person_scheme(
        [scored("vol", "sum(n)", 100, {"rule": "linear", "floor": 0, "target": 10},
                source="pz"),
         role("t", "count(*)", "info", source="tx")]))
    rows = []
    for month, (people, each) in PLAN.items():
        for p in range(1, people + 1):
            rows += [{"person_id": f"P{p}", "at": f"2026-{month}-0{k + 1} 10:00:00", "n": 1}
                     for k in range(each)]
    b.facts("pz", rows)
    return b


def test_coverage_counts_rows_and_people_per_month(ws: WsBuilder) -> None:
    got = {(c.source, c.period): (c.rows, c.entities) for c in coverage(ws.workspace())}
    assert got == {("pz", "2026-07"): (12, 6), ("pz", "2026-08"): (18, 6),
                   ("pz", "2026-09"): (10, 5), ("pz", "2026-10"): (1, 1),
                   ("pz", "2026-11"): (6, 3)}
    # a quarter adds its months' rows; people are counted once: Q3 = 12 + 18 + 10 rows, 6 people
    quarters = {c.period: (c.rows, c.entities) for c in coverage(ws.workspace(), "quarter")}
    assert quarters == {"2026-Q3": (40, 6), "2026-Q4": (7, 3)}


def test_a_thin_month_is_short_of_the_median_of_the_previous_three(ws: WsBuilder) -> None:
    w = ws.workspace()
    scheme = w.scheme("m")
    # 2026-09: 10 rows vs median(12, 18) = 15 (only Jul and Aug have data): 10 >= 7.5, and
    # 5 people >= 0.5 × 6: complete
    assert shortfalls(w, scheme, Period.parse("2026-09")) == []
    # 2026-10: 1 row vs median(12, 18, 10) = 12: 1 < 6 → short
    (s,) = shortfalls(w, scheme, Period.parse("2026-10"))
    assert (s.source, s.rows, s.entities, s.usual_rows, s.usual_entities) == \
        ("pz", 1, 1, 12.0, 6.0)
    assert s.compared == ("2026-07", "2026-08", "2026-09")
    assert "只有 1 行" in s.sentence() and "8%" in s.sentence()  # 1 / 12 = 8.3 %
    # 2026-11: 6 rows vs median(18, 10, 1) = 10 → 6 >= 5; 3 people vs median(6, 5, 1) = 5 →
    # 3 >= 2.5: complete at 50 %, short at 70 % (6 < 7)
    assert shortfalls(w, scheme, Period.parse("2026-11")) == []
    strict = CompletenessSettings(min_ratio=0.7, periods=3)
    assert [s.rows for s in shortfalls(w, scheme, Period.parse("2026-11"), strict)] == [6]
    # a month with no row at all is short; switched off (min_ratio 0) nothing is reported
    (empty,) = shortfalls(w, scheme, Period.parse("2026-12"))
    assert empty.rows == 0 and "没有任何数据" in empty.sentence()
    assert shortfalls(w, scheme, Period.parse("2026-12"), CompletenessSettings(0, 3)) == []
    # the first month with data has nothing before it to compare with
    assert shortfalls(w, scheme, Period.parse("2026-07")) == []


def test_settings_are_checked() -> None:
    assert parse_completeness({"min_ratio": 0.3}, "k") == CompletenessSettings(0.3, 3)
    for bad in ({"min_ratio": 2}, {"periods": 0}, {"periods": "3"}, {"ratio": 1}, [1]):
        with pytest.raises(ConfigError, match="completeness"):
            parse_completeness(bad, "kaohe.yaml")


def test_kaohe_run_warns_in_chinese(ws: WsBuilder) -> None:
    _register()
    runner = CliRunner()
    thin = runner.invoke(cli, ["-w", str(ws.root), "run", "m", "--period", "2026-10"])
    assert thin.exit_code == 0, thin.output
    assert "数据可能不完整" in thin.output
    assert "“" in thin.output and "2026-10 只有 1 行" in thin.output
    full = runner.invoke(cli, ["-w", str(ws.root), "run", "m", "--period", "2026-09"])
    assert full.exit_code == 0, full.output
    assert "数据可能不完整" not in full.output
