"""Spark reads a source's facts from Parquet named in kaohe.yaml (docs/operations.md) and
computes what DuckDB computes from the store."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kaohe.engine.run import run_scheme
from kaohe.workspace import Workspace
from kaohe.workspace.importer import import_file

pytestmark = pytest.mark.spark

SCHEME = """\
name: 办理量考核
entity: unit
period: month
population: {kind: 营业厅}
peers: [parent]
indicators:
  - {code: n, name: 办理量, source: transactions, value: count(*), weight: 60,
     score: {rule: linear, floor: 0, target: 4}}
  - {code: amt, name: 金额, source: transactions, value: "sum(amount) filter (where ok)",
     weight: 40, score: {rule: percentile}}
  - {code: late, name: 超时, source: transactions,
     value: "count(*) filter (where date_diff('hour', at, done_at) >= 2)", role: penalty,
     score: {per: 1.5}}
grades: [[60, 合格], [0, 不合格]]
payout: {pool: 100.00, within: [parent]}
"""


def _workspace(tmp_path: Path) -> Path:
    """The workspace's files and the facts as Parquet (returned); nothing imported yet."""
    (tmp_path / "org").mkdir()
    (tmp_path / "sources").mkdir()
    (tmp_path / "schemes").mkdir()
    (tmp_path / "org/units.csv").write_text(
        "id,name,kind,parent_id\nC,县公司,县公司,\nA,一厅,营业厅,C\nB,二厅,营业厅,C\n"
        "B1,二厅便民点,代理点,B\n", encoding="utf-8")
    (tmp_path / "org/people.csv").write_text("id,name\n01,张三\n", encoding="utf-8")
    (tmp_path / "org/assignments.csv").write_text(
        "person_id,unit_id,position,start,end\n01,A,营业员,2026-01-01,\n", encoding="utf-8")
    (tmp_path / "sources/transactions.yaml").write_text(
        "name: transactions\ntime: at\nunit: unit_id\nkey: [id]\ncolumns:\n"
        "  id: {type: string}\n  unit_id: {type: string}\n  at: {type: datetime}\n"
        "  done_at: {type: datetime}\n  amount: {type: decimal}\n  ok: {type: boolean}\n",
        encoding="utf-8")
    (tmp_path / "schemes/hall.yaml").write_text(SCHEME, encoding="utf-8")
    t = datetime
    facts = pa.table({
        "id": ["1", "2", "3", "4", "5", "6"],
        "unit_id": ["A", "A", "B", "B1", "B1", "A"],
        "at": [t(2026, 10, 1, 9), t(2026, 10, 31, 23, 59), t(2026, 10, 2, 9), t(2026, 10, 3, 9),
               t(2026, 10, 4, 9), t(2026, 11, 1, 0)],  # the last is November
        "done_at": [t(2026, 10, 1, 11), t(2026, 11, 1, 0, 30), t(2026, 10, 2, 10, 59),
                    t(2026, 10, 3, 12), t(2026, 10, 4, 9), t(2026, 11, 1, 5)],
        "amount": pa.array([10, 20, 5, 7, 8, 100], pa.decimal128(18, 4)),
        "ok": [True, False, True, True, True, True],
    })
    data = tmp_path / "facts.parquet"
    pq.write_table(facts, data)
    return data


def test_parquet_source_on_spark_equals_store_on_duckdb(tmp_path: Path) -> None:
    data = _workspace(tmp_path)
    (tmp_path / "kaohe.yaml").write_text(
        f"engine: duckdb\nspark:\n  sources:\n    transactions: {{parquet: '{data}'}}\n",
        encoding="utf-8")
    ws = Workspace.open(tmp_path)
    import_file(ws.store, ws.org, ws.sources["transactions"], data)
    duck = run_scheme(ws, "hall", "2026-10", engine="duckdb", save=False).result.table
    spark = run_scheme(ws, "hall", "2026-10", engine="spark", save=False).result.table
    cols = [c for c in duck.columns]
    assert duck[cols].to_dict("records") == spark[cols].to_dict("records")
    by_id = duck.set_index("id")
    # A: rows 1, 2 → n = 2 → 60 × 2/4 = 30; amt (ok only) = 10; late: row 1 (2 h) → −1.5
    # B: its own row 3 and B1's rows 4, 5 → n = 3 → 45; amt = 5 + 7 + 8 = 20; late: row 4 (3 h)
    # percentile in group C: A is worst (r = 1) → 0; B best → 40
    assert by_id.loc["A", "v_n"] == 2 and by_id.loc["B", "v_n"] == 3
    assert by_id.loc["A", "total"] == 28.5 and by_id.loc["B", "total"] == 83.5
    # pool 100.00 in proportion: 10000 fen × 2850/11200 = 2544.6 → 2544 (+1: larger remainder
    # .64 vs B's .36 ) → 25.45; B: 10000 × 8350/11200 = 7455.36 → 7455 → 74.55
    assert by_id.loc["A", "payout"] == 25.45 and by_id.loc["B", "payout"] == 74.55


def test_store_facts_go_to_spark_and_back_as_parquet_in_the_exchange_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Facts from the store (no spark.sources), the small inputs and the result cross as
    Parquet files in the configured exchange folder, which is emptied after the run; the
    result is DuckDB's."""
    from kaohe.engine.backends import spark_backend

    data = _workspace(tmp_path)
    exchange = tmp_path / "exchange"
    (tmp_path / "kaohe.yaml").write_text(f"engine: duckdb\nspark:\n  exchange: '{exchange}'\n",
                                         encoding="utf-8")
    ws = Workspace.open(tmp_path)
    assert ws.settings.spark.exchange == str(exchange)
    import_file(ws.store, ws.org, ws.sources["transactions"], data)
    shipped: list[Path] = []
    ship = spark_backend._ship

    def spy(spark: object, table: pa.Table, folder: Path, name: str) -> object:
        shipped.append(folder / name)
        return ship(spark, table, folder, name)

    monkeypatch.setattr(spark_backend, "_ship", spy)
    duck = run_scheme(ws, "hall", "2026-10", engine="duckdb", save=False).result.table
    spark = run_scheme(ws, "hall", "2026-10", engine="spark", save=False).result.table
    assert duck.to_dict("records") == spark.to_dict("records")
    names = {p.name for p in shipped}
    assert {"k_pop", "k_tree", "k_pu", "k_fact_transactions"} <= names
    assert all(p.parent.parent == exchange for p in shipped)
    assert exchange.is_dir() and not any(exchange.iterdir())  # the run's folder is removed
