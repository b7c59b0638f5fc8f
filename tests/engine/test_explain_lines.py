"""How a payout line is explained (spec §10: "explain shows how each line was computed"): the
tiers crossed with their amounts, the formula with its numbers, min/max, missing inputs; and
payout lines kept by the store, also in a store from before them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from kaohe.engine.explain_lines import UNKNOWN, evaluate, explain_lines
from kaohe.engine.stored_lines import read_lines
from kaohe.scheme.loader import parse_scheme
from kaohe.workspace.store import Store

SCHEME = parse_scheme("""\
entity: person
period: month
indicators:
  - {code: cards, source: s, value: count(*), role: info}
  - {code: t, source: s, value: count(*), weight: 100, score: {rule: linear, target: 10}}
grades: [[90, A], [0, B]]
payout:
  - {name: 阶梯, on: cards, tiers: [[0, 10], [100, 15], [300, 20]]}
  - {name: 整档, on: cards, tiers: [[50, 2], [100, 3]], mode: whole, max: 500}
  - {name: 绩效, amount: budget * total / 100}
  - {name: 扣回, amount: -30 * cards, min: -100}
  - {name: 星级, base: 1000, coefficient: {A: 1.5}}
  - {name: 池, pool: 100}
""", "x")


def _steps(row: dict[str, object]) -> dict[str, tuple[str, ...]]:
    return {e.name: e.steps for e in explain_lines(SCHEME, row)}


def test_tiers_formula_bounds() -> None:
    row = {"v_cards": 250.0, "v_t": 95.0, "a_budget": 2000.0, "total": 95.0, "rank": 1,
           "group_size": 3, "grade": "A", "l_阶梯": 3250.0}
    steps = _steps(row)
    assert steps["阶梯"] == ("cards = 250", "[0, 100): 100 × 10 = 1000",
                             "[100, 300): 150 × 15 = 2250", "合计 sum = 3250",
                             "取整到分 to the fen: 3250.00")
    assert steps["整档"][1] == "整档 whole: 250 ≥ 100 → 250 × 3 = 750"
    assert "超过上限 above max 500 → 500" in steps["整档"]
    assert steps["绩效"][0] == "budget * total / 100 = 2000 * 95 / 100 = 1900"
    assert steps["扣回"][0] == "-30 * cards = -30 * 250 = -7500"
    assert "低于下限 below min -100 → -100" in steps["扣回"]
    assert steps["星级"][1] == "等级 grade A → 系数 coefficient 1.5: 1000 × 1.5 = 1500"
    amounts = {e.name: e.amount for e in explain_lines(SCHEME, row)}
    assert amounts["阶梯"] == 3250.0  # the engine's amount, from the row


def test_missing_inputs() -> None:
    row = {"v_cards": None, "v_t": 40.0, "a_budget": None, "total": 40.0, "rank": 2,
           "group_size": 3, "grade": "B"}
    steps = _steps(row)
    assert steps["阶梯"] == ("cards 缺失 missing → 0",)
    assert steps["绩效"][-1].startswith("结果缺失 the amount is missing → 0")
    assert steps["星级"][-1] == "取整到分 to the fen: 0.00"  # B has no coefficient: 1000 × 0


def test_evaluator_matches_sql_semantics() -> None:
    names = {"a": None, "b": None}
    assert evaluate("coalesce(a, 3) + 1", names, "x") == 4
    assert evaluate("10 / 0", names, "x") is None  # division by 0 is missing
    assert evaluate("case when a > 1 then 1 else 2 end", names, "x") == 2
    assert evaluate("greatest(a, 2, 5)", names, "x") == 5
    assert evaluate("round(2.345, 2) + nullif(3, 3)", names, "x") is None
    assert evaluate("round(2.345, 2)", names, "x") == Decimal("2.35")
    # a part the evaluator does not know is not reported as missing
    assert evaluate("date_diff('day', a, b)", names, "x") == UNKNOWN


def test_old_store_has_no_lines_and_gains_the_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as con:  # a store written before payout lines
        con.execute("CREATE TABLE runs (run_id VARCHAR PRIMARY KEY, scheme VARCHAR, period "
                    "VARCHAR, period_start DATE, status VARCHAR, engine VARCHAR, started_at "
                    "TIMESTAMP, finished_at TIMESTAMP, scheme_yaml VARCHAR, entities BIGINT, "
                    "run_no INTEGER)")
    store = Store(path)
    assert read_lines(store, "r1") == {}
    with store.connect() as con:  # any writing connection brings the layout up to date
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"run_lines", "run_line_names", "run_payout_lines"} <= tables
    assert read_lines(store, "r1") == {}
