"""``_kaohe_seq``: the order facts were imported in (kaohe.workspace.import_order), kept beside
the clustered storage order, and added to stores written before it existed."""

from __future__ import annotations

from pathlib import Path

import duckdb

from kaohe.workspace import Workspace
from kaohe.workspace.store import Store
from test_import import load, rows, write, ws  # noqa: F401  (the fixture)


def test_seq_follows_the_file_then_the_import(ws: Workspace, tmp_path: Path) -> None:  # noqa: F811
    load(ws, write(tmp_path / "a.csv", "流水号,营业员工号,营业厅编码,办理时间\n"
                                        "X1,0070,0101,2026-10-02 10:00\n"   # stored after X2
                                        "X2,007,0101,2026-10-02 10:00\n"))
    load(ws, write(tmp_path / "b.csv", "流水号,营业员工号,营业厅编码,办理时间\n"
                                        "Y1,007,0101,2026-09-01 10:00\n"))
    stored = [r[0] for r in rows(ws, "SELECT txn_id FROM fact_transactions ORDER BY rowid")]
    by_seq = [r[0] for r in rows(ws, "SELECT txn_id FROM fact_transactions ORDER BY _kaohe_seq")]
    assert stored[:2] == ["X2", "X1"]  # clustered: person 007 first
    assert by_seq == ["X1", "X2", "Y1"]  # file order, then the later import


def test_old_stores_get_the_seq_and_item_columns(tmp_path: Path) -> None:
    path = tmp_path / "kaohe.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE imports (import_id VARCHAR, source VARCHAR, file VARCHAR, "
                "rows BIGINT, replaced_period VARCHAR, deleted BIGINT, imported_at TIMESTAMP)")
    con.execute("INSERT INTO imports VALUES ('late', 's', 'b', 1, NULL, 0, "
                "'2026-10-02'), ('early', 's', 'a', 2, NULL, 0, '2026-10-01')")
    con.execute("CREATE TABLE fact_s (k VARCHAR, _import_id VARCHAR)")
    # stored: the later import's row first
    con.execute("INSERT INTO fact_s VALUES ('L', 'late'), ('E1', 'early'), ('E2', 'early')")
    con.execute("CREATE TABLE run_entities (run_id VARCHAR, entity_id VARCHAR, name VARCHAR, "
                "group_key VARCHAR, total DOUBLE, rank BIGINT, group_size BIGINT, grade VARCHAR, "
                "vetoed BOOLEAN, bottom BOOLEAN, eliminate BOOLEAN, payout DOUBLE, "
                "entity_no INTEGER)")
    con.close()
    store = Store(path)
    with store.connect(read_only=True) as c:  # migrates through a writing connection first
        order = [r[0] for r in c.execute("SELECT k FROM fact_s ORDER BY _kaohe_seq").fetchall()]
        cols = {r[0] for r in c.execute("SELECT column_name FROM information_schema.columns "
                                        "WHERE table_name = 'run_entities'").fetchall()}
    assert order == ["E1", "E2", "L"]
    assert {"person_id", "unit_id"} <= cols
