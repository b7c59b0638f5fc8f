"""DuckDB: a read-only connection to the store, hardened before any formula runs.

The whole database instance is opened read-only with external access off from the start, the
small inputs are registered from Arrow, then the configuration is locked: no SQL on this
connection can read another file, load an extension, write (even to a database it attaches)
or undo the lock — a second wall behind the formula allow-list.
"""

from __future__ import annotations

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


def hardened_connection(store: Path | None) -> duckdb.DuckDBPyConnection:
    """The connection formulas run on: read-only, no external access (lock it once the
    inputs are registered, with ``lock``)."""
    # an empty temp_directory also takes the spill folder off the allowed paths
    config = {"enable_external_access": False, "temp_directory": ""}
    if store is not None:
        return duckdb.connect(str(store), read_only=True, config=config)
    return duckdb.connect(":memory:", config=config)


def lock(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("SET lock_configuration = true")


def execute(cs: CompiledScheme, period: Period, inputs: RunInputs,
            threads: int | None = None,
            aggregates: AggregateCache | None = None) -> tuple[pa.Table, str]:
    """The run's result and its SQL. With ``aggregates``, each aggregation is run on its own
    (or taken from that cache) and the plan reads its result (engine/aggregate_cache.py); the
    SQL returned is still the whole computation in one query (explain, tests)."""
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
    con = hardened_connection(inputs.store_path if in_store else None)
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
