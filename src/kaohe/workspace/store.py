"""The store: one DuckDB file in the workspace holding facts, imports and run history.

Connections are short-lived (one per operation) so that a run can open its own hardened
connection without sharing a database instance whose configuration it locks.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from kaohe.workspace.sources import IMPORT_ORDER, Source

SQL_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "decimal": "DECIMAL(18,4)",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "TIMESTAMP",
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS imports (
    import_id VARCHAR PRIMARY KEY, source VARCHAR, file VARCHAR, rows BIGINT,
    replaced_period VARCHAR, deleted BIGINT, imported_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY, scheme VARCHAR, period VARCHAR, period_start DATE,
    status VARCHAR, engine VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP,
    scheme_yaml VARCHAR, entities BIGINT, run_no INTEGER);
CREATE TABLE IF NOT EXISTS run_entities (
    run_id VARCHAR, entity_id VARCHAR, name VARCHAR, group_key VARCHAR, total DOUBLE,
    rank BIGINT, group_size BIGINT, grade VARCHAR, vetoed BOOLEAN, bottom BOOLEAN,
    eliminate BOOLEAN, payout DOUBLE, entity_no INTEGER);
CREATE TABLE IF NOT EXISTS run_codes (run_no INTEGER, code_no SMALLINT, code VARCHAR);
CREATE TABLE IF NOT EXISTS run_values (
    run_no INTEGER, entity_no INTEGER, code_no SMALLINT, value DOUBLE, points DOUBLE,
    missing BOOLEAN);
CREATE SEQUENCE IF NOT EXISTS run_no_seq START WITH 1;
CREATE VIEW IF NOT EXISTS run_indicators AS
    SELECT r.run_id, e.entity_id, c.code, v.value, v.points, v.missing
    FROM run_values v
    JOIN runs r ON r.run_no = v.run_no
    JOIN run_entities e ON e.run_id = r.run_id AND e.entity_no = v.entity_no
    JOIN run_codes c ON c.run_no = v.run_no AND c.code_no = v.code_no;
"""

# Stores written before run_values (kaohe up to 0.x) hold each indicator row with three
# strings: run_indicators(run_id, entity_id, code, value, points, missing). Opening such a
# store for writing numbers its runs, entities and codes and moves the rows to run_values;
# run_indicators becomes a view with the same columns.
_MIGRATE = """
ALTER TABLE runs ADD COLUMN run_no INTEGER;
UPDATE runs SET run_no = n.no FROM (
    SELECT run_id, CAST(row_number() OVER (ORDER BY started_at, run_id) AS INTEGER) AS no
    FROM runs) n WHERE runs.run_id = n.run_id;
ALTER TABLE run_entities ADD COLUMN entity_no INTEGER;
UPDATE run_entities SET entity_no = n.no FROM (
    SELECT run_id, entity_id,
           CAST(row_number() OVER (PARTITION BY run_id ORDER BY entity_id) - 1 AS INTEGER) AS no
    FROM run_entities) n WHERE run_entities.run_id = n.run_id
    AND run_entities.entity_id = n.entity_id;
CREATE TABLE run_codes AS
    SELECT r.run_no, CAST(row_number() OVER (PARTITION BY r.run_no ORDER BY c.code) - 1
                          AS SMALLINT) AS code_no, c.code
    FROM (SELECT DISTINCT run_id, code FROM run_indicators) c JOIN runs r USING (run_id);
CREATE TABLE run_values AS
    SELECT r.run_no, e.entity_no, c.code_no, i.value, i.points, i.missing
    FROM run_indicators i JOIN runs r USING (run_id)
    JOIN run_entities e ON e.run_id = i.run_id AND e.entity_id = i.entity_id
    JOIN run_codes c ON c.run_no = r.run_no AND c.code = i.code
    ORDER BY r.run_no, c.code_no, e.entity_no;
DROP TABLE run_indicators;
"""


def quote(name: str) -> str:
    """Quote an identifier that kaohe itself validated (source and column names)."""
    return '"' + name.replace('"', '""') + '"'


def _old_layout(con: duckdb.DuckDBPyConnection) -> bool:
    ((n,),) = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = "
                          "'run_indicators' AND table_type = 'BASE TABLE'").fetchall()
    return bool(n)


def _unsequenced(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Fact tables written before the import-order column ``_kaohe_seq`` existed."""
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables t WHERE table_name LIKE 'fact\\_%' "
        "ESCAPE '\\' AND table_type = 'BASE TABLE' AND NOT EXISTS (SELECT 1 FROM "
        "information_schema.columns c WHERE c.table_name = t.table_name AND c.column_name = "
        f"'{IMPORT_ORDER}')").fetchall()
    return [str(r[0]) for r in rows]


def _add_import_order(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Give an old fact table the import-order column: its rows in stored order (rowid), all
    before any later import (whose ordinal starts at 1, spec §14 and docs/operations.md)."""
    con.execute(f"ALTER TABLE {quote(table)} ADD COLUMN {IMPORT_ORDER} BIGINT")
    con.execute(f"UPDATE {quote(table)} SET {IMPORT_ORDER} = rowid")


def _migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Move an old store's run_indicators rows to run_values, all or nothing."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(_MIGRATE)
        ((start,),) = con.execute("SELECT coalesce(max(run_no), 0) + 1 FROM runs").fetchall()
        con.execute(f"CREATE SEQUENCE run_no_seq START WITH {int(start)}")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._checked = False  # the layout of the run tables is current

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        if read_only and not self.path.exists():
            read_only = False
        if read_only and not self._checked:
            with duckdb.connect(str(self.path), read_only=True) as con:
                old = _old_layout(con) or bool(_unsequenced(con))
            if old:  # migrate once, through a writing connection
                with self.connect():
                    pass
            self._checked = True
        con = duckdb.connect(str(self.path), read_only=read_only)
        try:
            if not read_only:
                if not self._checked and _old_layout(con):
                    _migrate(con)
                if not self._checked:
                    for table in _unsequenced(con):
                        _add_import_order(con, table)
                con.execute(_SCHEMA)
                self._checked = True
            yield con
        finally:
            con.close()

    @staticmethod
    def ensure_fact_table(con: duckdb.DuckDBPyConnection, source: Source) -> None:
        cols = ", ".join(f"{quote(c.name)} {SQL_TYPES[c.type]}" for c in source.columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS {quote(source.table)} ({cols}, "
                    f"_import_id VARCHAR, {IMPORT_ORDER} BIGINT)")

    def has_table(self, con: duckdb.DuckDBPyConnection, table: str) -> bool:
        row = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
        ).fetchone()
        return bool(row and row[0])


def arrow_query(con: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> pa.Table:
    """A parameterised query as Arrow. DuckDB warns that this path copies the rows; the
    results read here (run history, one period's facts) are small enough for that."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")
        return con.execute(sql, params).to_arrow_table()
