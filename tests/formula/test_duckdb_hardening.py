"""Defence in depth: even if hostile SQL got past the formula checker, the DuckDB connection a
run uses cannot read or write files, load extensions, or unlock its configuration.

Three ways in:
- the backend's own setup, ``duckdb_backend.hardened_connection`` + ``lock`` (factored out of
  ``execute`` while these tests were being written);
- ``harden`` (formula_support): the two SET statements the backend ran before that, on an
  in-memory connection — a record of what DuckDB itself guarantees;
- ``test_backend_*`` drive duckdb_backend.execute itself with a spy connection that, when the
  plan would run, runs hostile statements instead on the very connection the backend prepared
  (store open, inputs registered, settings locked).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from formula_support import SOURCES, TICKETS, harden, indicator, scheme
from kaohe.engine.backends import duckdb_backend
from kaohe.engine.backends.base import FactInput, RunInputs
from kaohe.engine.compiled import compile_scheme
from kaohe.engine.plan import SORT_KEY
from kaohe.periods import Period

PASSWD = "/etc/passwd"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """Real files, so that a refusal is the hardening and not a missing file."""
    csv = tmp_path / "data.csv"
    csv.write_text("a,b\n1,2\n", encoding="utf-8")
    parquet = tmp_path / "data.parquet"
    pq.write_table(pa.table({"a": [1]}), parquet)
    other = tmp_path / "other.db"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE x AS SELECT 1 AS a")
    con.close()
    return {"csv": csv, "parquet": parquet, "db": other, "out": tmp_path / "out.csv",
            "export": tmp_path / "export"}


def hostile_sql(f: dict[str, Path]) -> dict[str, str]:
    return {
        "read_csv_passwd": f"SELECT * FROM read_csv('{PASSWD}')",
        "read_csv_file": f"SELECT * FROM read_csv('{f['csv']}')",
        "file_as_table": f"SELECT * FROM '{f['csv']}'",
        "read_parquet": f"SELECT * FROM read_parquet('{f['parquet']}')",
        "read_json_auto": f"SELECT * FROM read_json_auto('{f['csv']}')",
        "read_text": f"SELECT * FROM read_text('{PASSWD}')",
        "read_blob": f"SELECT * FROM read_blob('{PASSWD}')",
        "glob": "SELECT * FROM glob('/etc/*')",
        "copy_to": f"COPY (SELECT 1 AS a) TO '{f['out']}'",
        "attach": f"ATTACH '{f['db']}' AS other",
        "export_database": f"EXPORT DATABASE '{f['export']}'",
        "install": "INSTALL httpfs",
        "load": "LOAD httpfs",
        "set_external_access": "SET enable_external_access = true",
        "reset_external_access": "RESET enable_external_access",
        "unlock": "SET lock_configuration = false",
        "reset_lock": "RESET lock_configuration",
        "allowed_directories": "SET allowed_directories = ['/']",
        "allowed_paths": f"SET allowed_paths = ['{PASSWD}']",
        "autoinstall": "SET autoinstall_known_extensions = true",
        "threads": "SET threads = 1",
        "pragma_threads": "PRAGMA threads = 1",
    }


# statements that succeed on an ordinary connection: proof that the refusal is the hardening
# (INSTALL/LOAD are left out: unhardened, INSTALL would try the network)
WORKS_UNHARDENED = ("read_csv_passwd", "read_csv_file", "file_as_table", "read_parquet",
                    "glob", "copy_to", "attach", "export_database", "unlock", "threads")
HOSTILE_IDS = sorted(hostile_sql({k: Path("/x") for k in
                                  ("csv", "parquet", "db", "out", "export")}))


def test_control_the_statements_work_without_hardening(files: dict[str, Path]) -> None:
    con = duckdb.connect(":memory:")
    try:
        sql = hostile_sql(files)
        for key in WORKS_UNHARDENED:
            con.execute(sql[key])
    finally:
        con.close()


def _backend_connection(store: Path | None = None) -> duckdb.DuckDBPyConnection:
    connect = getattr(duckdb_backend, "hardened_connection", None)
    lock = getattr(duckdb_backend, "lock", None)
    assert connect is not None and lock is not None, \
        "duckdb_backend no longer exposes hardened_connection/lock: update these tests"
    con = connect(store)
    con.register("k_pop", pa.table({"entity_id": ["p1", "p2"]}))
    lock(con)
    return con


def _replica_connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.register("k_pop", pa.table({"entity_id": ["p1", "p2"]}))
    return harden(con)


SETUPS: dict[str, Callable[[], duckdb.DuckDBPyConnection]] = {
    "backend": _backend_connection, "replica": _replica_connection,
}


@pytest.mark.parametrize("setup", sorted(SETUPS))
@pytest.mark.parametrize("key", HOSTILE_IDS)
def test_hardened_connection_refuses(key: str, setup: str, files: dict[str, Path]) -> None:
    con = SETUPS[setup]()
    try:
        with pytest.raises(duckdb.Error):
            con.execute(hostile_sql(files)[key])
    finally:
        con.close()
    assert not files["out"].exists() and not files["export"].exists()


@pytest.mark.parametrize("setup", sorted(SETUPS))
def test_hardened_connection_still_reads_registered_inputs(setup: str) -> None:
    """Hardening does not break what runs need: Arrow inputs registered before the lock."""
    con = SETUPS[setup]()
    try:
        assert con.sql("SELECT count(*) FROM k_pop").fetchall() == [(2,)]
        assert con.sql("SELECT current_setting('enable_external_access'), "
                       "current_setting('lock_configuration')").fetchall() == [(False, True)]
    finally:
        con.close()


# ---- the backend's own setup, driven through execute -----------------------------------------

class _Result:
    def to_arrow_table(self) -> pa.Table:
        return pa.table({"id": pa.array([], pa.string()), "rank": pa.array([], pa.int64()),
                         SORT_KEY: pa.array([], pa.string())})


Probes = Callable[[duckdb.DuckDBPyConnection], dict[str, str]]


class SpyConnection:
    """Forwards to a real connection; when the backend runs its plan, runs probes instead."""

    def __init__(self, real: duckdb.DuckDBPyConnection, probes: Probes) -> None:
        self.real = real
        self.probes = probes
        self.outcomes: dict[str, str] = {}
        self.settings: tuple[Any, ...] = ()

    def execute(self, query: str, *args: Any) -> Any:
        return self.real.execute(query, *args)

    def register(self, name: str, table: Any) -> Any:
        return self.real.register(name, table)

    def sql(self, query: str) -> _Result:
        (row,) = self.real.sql("SELECT current_setting('enable_external_access'), "
                               "current_setting('lock_configuration')").fetchall()
        self.settings = tuple(row)
        for key, probe in self.probes(self.real).items():
            try:
                self.real.execute(probe)
                self.outcomes[key] = "ran"
            except duckdb.Error as exc:
                self.outcomes[key] = f"refused: {type(exc).__name__}"
        return _Result()

    def close(self) -> None:
        self.real.close()


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "kaohe.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE fact_tickets (id VARCHAR, person_id VARCHAR, "
                "opened_at TIMESTAMP, qty BIGINT)")
    con.execute("INSERT INTO fact_tickets VALUES ('r1', 'p1', TIMESTAMP '2024-01-02', 1)")
    con.close()
    return path


def _run_backend(monkeypatch: pytest.MonkeyPatch, store: Path, probes: Probes) -> SpyConnection:
    real_connect = duckdb.connect
    spies: list[SpyConnection] = []

    def connect(*args: Any, **kwargs: Any) -> SpyConnection:
        spies.append(SpyConnection(real_connect(*args, **kwargs), probes))
        return spies[-1]

    monkeypatch.setattr(duckdb, "connect", connect)
    cs = compile_scheme(scheme(indicator("count(*)")), SOURCES)
    inputs = RunInputs(small={"k_pop": pa.table({"entity_id": ["p1"]})},
                       facts={"tickets": FactInput(source=TICKETS, store_table=TICKETS.table)},
                       store_path=store)
    duckdb_backend.execute(cs, Period.parse("2024-01"), inputs)
    monkeypatch.undo()
    assert len(spies) == 1
    return spies[0]


def test_backend_connection_is_locked_before_the_plan_runs(
        monkeypatch: pytest.MonkeyPatch, store: Path) -> None:
    spy = _run_backend(monkeypatch, store, lambda con: {})
    assert spy.settings == (False, True)


def _store_probes(store: Path) -> Probes:
    def probes(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
        # wherever the backend put the store (attached as a catalog, or as the main database)
        ((db,),) = con.sql("SELECT database_name FROM duckdb_tables() "
                           "WHERE table_name = 'fact_tickets'").fetchall()
        row = "VALUES ('x', 'p', NULL, 1)"
        return {
            "store_insert": f"INSERT INTO \"{db}\".main.fact_tickets {row}",
            "store_create": f"CREATE TABLE \"{db}\".main.evil AS SELECT 1 AS a",
            "store_drop": f"DROP TABLE \"{db}\".main.fact_tickets",
            # disabling external access puts an attached store's own path on allowed_paths:
            # attached again (beside it, or after DETACH) it must still be read-only
            "store_attach_again_write": f"ATTACH '{store}' AS again; "
                                        f"INSERT INTO again.main.fact_tickets {row}",
            "store_reattach_write": f"DETACH \"{db}\"; ATTACH '{store}' AS again2; "
                                    f"INSERT INTO again2.main.fact_tickets {row}",
        }
    return probes


def test_backend_connection_refuses_hostile_sql(
        monkeypatch: pytest.MonkeyPatch, store: Path, files: dict[str, Path]) -> None:
    def probes(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
        return {**hostile_sql(files), **_store_probes(store)(con)}

    spy = _run_backend(monkeypatch, store, probes)
    ran = sorted(k for k, v in spy.outcomes.items() if not v.startswith("refused"))
    assert not ran, f"hostile SQL ran on the backend's connection: {ran}"
    assert len(spy.outcomes) == len(hostile_sql(files)) + 5
    assert not files["out"].exists() and not files["export"].exists()
    con = duckdb.connect(str(store), read_only=True)
    try:
        assert con.sql("SELECT count(*) FROM fact_tickets").fetchall() == [(1,)]
        assert con.sql("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'evil'"
                       ).fetchall() == [(0,)]
    finally:
        con.close()


@pytest.mark.parametrize("in_store", [False, True], ids=["memory", "store"])
def test_backend_temp_directory_is_not_a_way_out(
        in_store: bool, store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """HOLE: with external access off, DuckDB still allows its temp directory
    (``<store>.tmp/`` or ``<cwd>/.tmp/``: current_setting('allowed_directories')). Once it
    exists (DuckDB creates it when a query spills), SQL on the hardened connection can COPY
    files into it, read them back and glob it. Opening the connection with
    ``config={"enable_external_access": False, "temp_directory": ""}`` empties the list."""
    monkeypatch.chdir(tmp_path)  # the in-memory connection's temp directory is ./.tmp
    con = _backend_connection(store if in_store else None)
    try:
        ((dirs,),) = con.sql("SELECT current_setting('allowed_directories')").fetchall()
        written = []
        for d in dirs:
            assert Path(d).resolve().is_relative_to(tmp_path.resolve()), d
            Path(d).mkdir(parents=True, exist_ok=True)  # as a spill would
            try:
                con.execute(f"COPY (SELECT 42 AS a) TO '{Path(d) / 'planted.csv'}'")
                written.append(d)
            except duckdb.Error:
                pass
    finally:
        con.close()
    assert not written, f"the hardened connection wrote files into {written}"
