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

from kaohe.workspace.sources import Source

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
    scheme_yaml VARCHAR, entities BIGINT);
CREATE TABLE IF NOT EXISTS run_entities (
    run_id VARCHAR, entity_id VARCHAR, name VARCHAR, group_key VARCHAR, total DOUBLE,
    rank BIGINT, group_size BIGINT, grade VARCHAR, vetoed BOOLEAN, bottom BOOLEAN,
    eliminate BOOLEAN, payout DOUBLE);
CREATE TABLE IF NOT EXISTS run_indicators (
    run_id VARCHAR, entity_id VARCHAR, code VARCHAR, value DOUBLE, points DOUBLE,
    missing BOOLEAN);
"""


def quote(name: str) -> str:
    """Quote an identifier that kaohe itself validated (source and column names)."""
    return '"' + name.replace('"', '""') + '"'


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        if read_only and not self.path.exists():
            read_only = False
        con = duckdb.connect(str(self.path), read_only=read_only)
        try:
            if not read_only:
                con.execute(_SCHEMA)
            yield con
        finally:
            con.close()

    @staticmethod
    def ensure_fact_table(con: duckdb.DuckDBPyConnection, source: Source) -> None:
        cols = ", ".join(f"{quote(c.name)} {SQL_TYPES[c.type]}" for c in source.columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS {quote(source.table)} ({cols}, _import_id VARCHAR)")

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
