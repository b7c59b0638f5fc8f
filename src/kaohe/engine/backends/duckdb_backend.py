"""DuckDB: an in-memory connection, hardened before any formula runs.

The store is attached read-only, the small inputs registered from Arrow; then external access
is switched off and the configuration locked, so that no SQL on this connection can read a
file, load an extension or undo the lock — a second wall behind the formula allow-list.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
from sqlglot import exp

from kaohe.engine.backends.base import RunInputs
from kaohe.engine.plan import Plan, build_plan
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


def fact_relation(table: str, in_store: bool) -> exp.Table:
    if in_store:
        return exp.Table(this=exp.to_identifier(table, quoted=True),
                         db=exp.to_identifier("main"), catalog=exp.to_identifier("store"))
    return exp.Table(this=exp.to_identifier(table, quoted=True))


def execute(cs: CompiledScheme, period: Period, inputs: RunInputs,
            threads: int | None = None) -> tuple[pa.Table, str]:
    facts: dict[str, exp.Expression] = {}
    memory: dict[str, pa.Table] = {}
    for name, fi in inputs.facts.items():
        if fi.store_table is not None:
            facts[name] = fact_relation(fi.store_table, True)
        else:
            assert fi.rows is not None
            facts[name] = fact_relation(fi.source.table, False)
            memory[fi.source.table] = fi.rows
    plan = build_plan(cs, period, facts)
    sql = render(plan)
    con = duckdb.connect(":memory:")
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        if any(fi.store_table for fi in inputs.facts.values()):
            path = str(inputs.store_path).replace("'", "''")
            con.execute(f"ATTACH '{path}' AS store (READ_ONLY)")
        for name, table in {**inputs.small, **memory}.items():
            con.register(name, table)
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        try:
            result = con.sql(sql).to_arrow_table()
        except duckdb.Error as exc:
            raise EngineError(f"计算失败 the DuckDB run failed: {exc}") from exc
    finally:
        con.close()
    return result, sql
