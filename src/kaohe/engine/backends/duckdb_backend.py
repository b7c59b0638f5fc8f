"""DuckDB: a read-only connection to the store, hardened before any formula runs.

The whole database instance is opened read-only with external access off from the start, the
small inputs are registered from Arrow, then the configuration is locked: no SQL on this
connection can read another file, load an extension, write (even to a database it attaches)
or undo the lock — a second wall behind the formula allow-list.

A run's memory is bounded (``duckdb`` in kaohe.yaml, docs/operations.md): DuckDB keeps at most
``memory_limit`` of buffers and hash tables and spills the rest to a fresh folder of the run,
removed afterwards. That folder is the only path the connection may write, and only DuckDB's
own spill files go there.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlglot import exp

from kaohe.engine.backends.base import RunInputs
from kaohe.engine.aggregate_cache import AggregateCache
from kaohe.engine.plan import Plan, aggregate_queries, build_plan, sorted_result
from kaohe.engine.compiled import CompiledScheme
from kaohe.errors import EngineError
from kaohe.periods import Period
from kaohe.workspace.config import DuckDBSettings

DIALECT = "duckdb"


def _date_diff(node: exp.Expression) -> exp.Expression:
    # date_diff(unit, a, b) is whole units elapsed from a to b (truncated), on every engine:
    # DuckDB's date_sub; its date_diff would count unit boundaries crossed instead.
    if type(node) is exp.DateDiff:
        unit = str(node.args["unit"].name).lower()
        return exp.Anonymous(this="DATE_SUB", expressions=[
            exp.Literal.string(unit), node.expression, node.this])
    return node


def render(plan: Plan) -> str:
    return plan.query.transform(_date_diff).sql(dialect=DIALECT)


def render_expression(tree: exp.Expression) -> str:
    """Any kaohe tree as DuckDB SQL (explain lists enriched fact rows with it)."""
    return tree.transform(_date_diff).sql(dialect=DIALECT)


def fact_relation(table: str) -> exp.Table:
    return exp.Table(this=exp.to_identifier(table, quoted=True))


def hardened_connection(store: Path | None, spill: Path | None = None,
                        settings: DuckDBSettings | None = None) -> duckdb.DuckDBPyConnection:
    """The connection formulas run on: read-only, no external access (lock it once the
    inputs are registered, with ``lock``). Without ``spill`` nothing may spill to disk (an
    empty temp_directory also takes the spill folder off the allowed paths); with it, the run
    spills there beyond ``settings.memory_limit``."""
    config: dict[str, str | bool | int] = {"enable_external_access": False,
                                           "temp_directory": str(spill or "")}
    if settings is not None:
        config["memory_limit"] = settings.memory_limit
        if settings.threads:
            config["threads"] = settings.threads
    if store is not None:
        return duckdb.connect(str(store), read_only=True, config=config)
    return duckdb.connect(":memory:", config=config)


@contextmanager
def spill_folder(settings: DuckDBSettings) -> Iterator[Path]:
    """A fresh folder for one run's spill files, under ``settings.temp_directory`` (or the
    system's temporary folder), removed afterwards."""
    base = settings.temp_directory or None
    if base:
        Path(base).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="kaohe-spill-", dir=base))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def lock(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("SET lock_configuration = true")


def execute(cs: CompiledScheme, period: Period, inputs: RunInputs,
            threads: int | None = None,
            aggregates: AggregateCache | None = None,
            settings: DuckDBSettings | None = None) -> tuple[pa.Table, str]:
    """The run's result and its SQL. With ``aggregates``, each aggregation is run on its own
    (or taken from that cache) and the plan reads its result (engine/aggregate_cache.py); the
    SQL returned is still the whole computation in one query (explain, tests). ``settings``:
    the run's memory limit, spill folder and threads (kaohe.yaml ``duckdb:``)."""
    settings = settings or DuckDBSettings()
    with spill_folder(settings) as spill:
        return _execute(cs, period, inputs, threads, aggregates, settings, spill)


def _execute(cs: CompiledScheme, period: Period, inputs: RunInputs, threads: int | None,
             aggregates: AggregateCache | None, settings: DuckDBSettings,
             spill: Path) -> tuple[pa.Table, str]:
    facts: dict[str, exp.Expression] = {}
    memory: dict[str, pa.Table] = {}
    for name, fi in inputs.facts.items():
        if fi.store_table is not None:
            facts[name] = fact_relation(fi.store_table)
        else:
            assert fi.rows is not None
            facts[name] = fact_relation("mem_" + fi.source.table)
            memory["mem_" + fi.source.table] = fi.rows
    aggs = aggregate_queries(cs, period, facts)
    sql = render(build_plan(cs, period, facts, aggs))  # the whole computation, as returned
    run_sql = sql
    in_store = any(fi.store_table for fi in inputs.facts.values())
    con = hardened_connection(inputs.store_path if in_store else None, spill, settings)
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        for name, table in {**inputs.small, **memory}.items():
            con.register(name, table)
        lock(con)
        try:
            if aggregates is not None:
                kept = aggregates.tables(con, cs, period, aggs, render_expression,
                                         {**inputs.small, **memory})
                for alias, table in kept.items():
                    con.register(f"k_agg_{alias}", table)
                run_sql = render(build_plan(cs, period, facts, aggs,
                                            {alias: f"k_agg_{alias}" for alias in kept}))
            result = con.sql(run_sql).to_arrow_table()
        except duckdb.Error as exc:
            raise EngineError(f"计算失败 the DuckDB run failed: {exc}") from exc
    finally:
        con.close()
    return sorted_result(result), sql
