"""The order facts were imported in: the ``_kaohe_seq`` column of every fact table.

Import stores a file's rows clustered by month, unit, person and time (importer.cluster_order),
so a table's physical order is not the order the rows arrived in. Spec §8 (an item's latest
row: among rows with the same time, the one imported last) and §14 (sequence columns: rows
ordered by time, then by the order imported) need that order, so each fact row carries

    _kaohe_seq BIGINT   larger = imported later: every row of a later import is above every
                        row already in the table, and within one file a later row is above an
                        earlier one (the file's row number decides, not the stored order).

It is unique within a table, so (time, _kaohe_seq) orders a source's rows totally.

Stores written before the column existed get it on opening for writing: rows numbered by
their import's time, then by their place in the table (which, within one import, keeps the
file's order for rows of the same month, unit, person and time — the ties that matter).
"""

from __future__ import annotations

import duckdb

SEQ = "_kaohe_seq"


def next_seq_sql(table: str) -> str:
    """SQL for the number the next imported row starts after (the table's largest)."""
    return f"SELECT COALESCE(MAX({SEQ}), 0) FROM {table}"


def tables_without_seq(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT t.table_name FROM information_schema.tables t WHERE t.table_name LIKE 'fact\\_%'"
        " ESCAPE '\\' AND t.table_type = 'BASE TABLE' AND NOT EXISTS (SELECT 1 FROM "
        "information_schema.columns c WHERE c.table_name = t.table_name AND c.column_name = ?)",
        [SEQ]).fetchall()
    return [str(r[0]) for r in rows]


def add_seq(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Add and fill ``_kaohe_seq`` in an old fact table (inside the caller's transaction)."""
    q = '"' + table.replace('"', '""') + '"'
    con.execute(f"ALTER TABLE {q} ADD COLUMN {SEQ} BIGINT")
    has_imports = con.execute("SELECT count(*) FROM information_schema.tables "
                              "WHERE table_name = 'imports'").fetchone()
    order = "rowid"
    join = ""
    if has_imports and has_imports[0]:
        join = "LEFT JOIN imports i ON i.import_id = f._import_id"
        order = "i.imported_at NULLS FIRST, f.rowid"
    con.execute(
        f"UPDATE {q} SET {SEQ} = n.no FROM (SELECT f.rowid AS rid, row_number() OVER "
        f"(ORDER BY {order}) AS no FROM {q} f {join}) n WHERE {q}.rowid = n.rid")
