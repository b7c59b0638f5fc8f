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
from kaohe.engine.plan import Plan, build_plan, sorted_result
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
            threads: int | None = None) -> tuple[pa.Table, str]:
    facts: dict[str, exp.Expression] = {}
    memory: dict[str, pa.Table] = {}
    for name, fi in inputs.facts.items():
        if fi.store_table is not None:
            facts[name] = fact_relation(fi.store_table)
        else:
            assert fi.rows is not None
            facts[name] = fact_relation("mem_" + fi.source.table)
            memory["mem_" + fi.source.table] = fi.rows
    plan = build_plan(cs, period, facts)
    sql = render(plan)
    in_store = any(fi.store_table for fi in inputs.facts.values())
    con = hardened_connection(inputs.store_path if in_store else None)
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        for name, table in {**inputs.small, **memory}.items():
            con.register(name, table)
        lock(con)
        try:
            result = con.sql(sql).to_arrow_table()
        except duckdb.Error as exc:
            raise EngineError(f"计算失败 the DuckDB run failed: {exc}") from exc
    finally:
        con.close()
    return sorted_result(result), sql
