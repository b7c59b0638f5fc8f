"""The store: one DuckDB file in the workspace holding facts, imports and run history.

Connections are short-lived (one per operation) so that a run can open its own hardened
connection without sharing a database instance whose configuration it locks. Each one holds the
store's lock file (``lock.StoreLock``) while it is open: writers one at a time, readers
together, and whoever comes second waits for its turn instead of failing.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from kaohe.workspace.import_order import SEQ, add_seq, tables_without_seq
from kaohe.workspace.lock import DEFAULT_WAIT, OnWait, StoreLock
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
    scheme_yaml VARCHAR, entities BIGINT, run_no INTEGER);
CREATE TABLE IF NOT EXISTS run_entities (
    run_id VARCHAR, entity_id VARCHAR, name VARCHAR, group_key VARCHAR, total DOUBLE,
    rank BIGINT, group_size BIGINT, grade VARCHAR, vetoed BOOLEAN, bottom BOOLEAN,
    eliminate BOOLEAN, payout DOUBLE, entity_no INTEGER, person_id VARCHAR, unit_id VARCHAR);
CREATE TABLE IF NOT EXISTS run_codes (run_no INTEGER, code_no SMALLINT, code VARCHAR);
CREATE TABLE IF NOT EXISTS run_values (
    run_no INTEGER, entity_no INTEGER, code_no SMALLINT, value DOUBLE, points DOUBLE,
    missing BOOLEAN);
CREATE SEQUENCE IF NOT EXISTS run_no_seq START WITH 1;
CREATE TABLE IF NOT EXISTS run_line_names (run_no INTEGER, line_no SMALLINT, name VARCHAR);
CREATE TABLE IF NOT EXISTS run_lines (
    run_no INTEGER, entity_no INTEGER, line_no SMALLINT, amount DOUBLE);
CREATE TABLE IF NOT EXISTS run_adjustments (
    run_no INTEGER, row_no INTEGER, entity_id VARCHAR, code VARCHAR, kind VARCHAR,
    amount DOUBLE, reason VARCHAR);
CREATE VIEW IF NOT EXISTS run_payout_lines AS
    SELECT r.run_id, e.entity_id, n.line_no, n.name AS line, l.amount
    FROM run_lines l
    JOIN runs r ON r.run_no = l.run_no
    JOIN run_entities e ON e.run_id = r.run_id AND e.entity_no = l.entity_no
    JOIN run_line_names n ON n.run_no = l.run_no AND n.line_no = l.line_no;
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


# Item results (spec §8) keep each item's person and unit; stores written before have neither.
_ITEM_COLUMNS = ("person_id", "unit_id")


def _missing_item_columns(con: duckdb.DuckDBPyConnection) -> bool:
    rows = con.execute("SELECT column_name FROM information_schema.columns "
                       "WHERE table_name = 'run_entities'").fetchall()
    names = {str(r[0]) for r in rows}
    return bool(names) and not set(_ITEM_COLUMNS) <= names


def _needs_upgrade(con: duckdb.DuckDBPyConnection) -> bool:
    return _old_layout(con) or _missing_item_columns(con) or bool(tables_without_seq(con))


def _upgrade(con: duckdb.DuckDBPyConnection) -> None:
    """Later additions, all or nothing: item columns of run_entities, ``_kaohe_seq`` of fact
    tables (kaohe.workspace.import_order)."""
    con.execute("BEGIN TRANSACTION")
    try:
        for c in _ITEM_COLUMNS:
            con.execute(f"ALTER TABLE run_entities ADD COLUMN IF NOT EXISTS {c} VARCHAR")
        for table in tables_without_seq(con):
            add_seq(con, table)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


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
    def __init__(self, path: Path, wait: float = DEFAULT_WAIT,
                 on_wait: OnWait | None = None) -> None:
        self.path = path
        self._checked = False  # the layout of the run tables is current
        # how long a connection waits for another process's, and whom it tells that it waits
        self.lock = StoreLock(path, wait, on_wait)

    def wait_for_lock(self, wait: float, on_wait: OnWait | None = None) -> None:
        """Wait up to ``wait`` seconds for another process's connection (the CLI's --wait)."""
        self.lock.wait, self.lock.on_wait = wait, on_wait

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold the shared lock around a connection opened elsewhere (the engine's hardened
        read-only connection), so that no writer changes the store under it."""
        with self.lock.hold(exclusive=False):
            yield

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        if read_only and not self.path.exists():
            read_only = False
        if read_only and not self._checked:
            # the first reader checks the layout on the connection it then uses (one open
            # less: each costs ~10 ms); an old layout is migrated through a writing connection
            with self.lock.hold(exclusive=False):
                con = duckdb.connect(str(self.path), read_only=True)
                try:
                    current = not _needs_upgrade(con)
                    if current:
                        self._checked = True
                        yield con
                        return
                finally:
                    con.close()
            with self.connect():
                pass
            self._checked = True
        with self.lock.hold(exclusive=not read_only):
            con = duckdb.connect(str(self.path), read_only=read_only)
            try:
                if not read_only:
                    if not self._checked and _old_layout(con):
                        _migrate(con)
                    con.execute(_SCHEMA)
                    if not self._checked and _needs_upgrade(con):
                        _upgrade(con)
                    self._checked = True
                yield con
            finally:
                con.close()

    @staticmethod
    def ensure_fact_table(con: duckdb.DuckDBPyConnection, source: Source) -> None:
        cols = ", ".join(f"{quote(c.name)} {SQL_TYPES[c.type]}" for c in source.columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS {quote(source.table)} ({cols}, _import_id VARCHAR"
                    f", {SEQ} BIGINT)")

    def has_table(self, con: duckdb.DuckDBPyConnection, table: str) -> bool:
        """Whether the store has table (or view) ``table``. The name is bound, not looked up
        in information_schema: listing the catalog loads every table's entry first (~8 ms on
        a fresh connection to a store of 30 tables, and connections are opened per
        operation), binding one name takes ~0.5 ms. A failed bind aborts an explicit
        transaction, so not inside one (no caller is)."""
        try:
            con.execute(f"SELECT 1 FROM {quote(table)} LIMIT 0")
        except duckdb.CatalogException:
            return False
        return True


def arrow_query(con: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> pa.Table:
    """A parameterised query as Arrow. DuckDB warns that this path copies the rows; the
    results read here (run history, one period's facts) are small enough for that."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")
        return con.execute(sql, params).to_arrow_table()
