"""Store.has_table binds the one name (no catalog listing): tables and views are found, a
missing name is not, and the connection works on after a miss."""

from __future__ import annotations

from pathlib import Path

from kaohe.workspace.store import Store


def test_has_table_finds_tables_and_views_only(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.duckdb")
    with store.connect() as con:
        con.execute('CREATE TABLE "fact_tx" (n INTEGER)')
        assert store.has_table(con, "fact_tx")
        assert store.has_table(con, "runs")  # the schema's own tables
        assert store.has_table(con, "run_indicators")  # a view
        assert not store.has_table(con, "fact_pz")
        assert not store.has_table(con, 'fact_"odd')  # quoted, not SQL
        con.execute("INSERT INTO fact_tx VALUES (1)")  # a miss leaves the connection usable
    with store.connect(read_only=True) as con:
        assert store.has_table(con, "fact_tx") and not store.has_table(con, "fact_pz")
        assert con.execute("SELECT n FROM fact_tx").fetchall() == [(1,)]
