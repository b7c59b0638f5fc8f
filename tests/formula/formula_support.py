"""Shared fixtures for the formula tests: one source, scheme builders, renderers, a tiny table.

Named ``formula_support`` (not ``helpers``/``conftest``) because the test folders have no
``__init__.py`` and pytest puts each folder on ``sys.path``; a distinct name cannot collide.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import duckdb
from sqlglot import exp

from kaohe.engine.backends import duckdb_backend, spark_backend
from kaohe.engine.compiled import CompiledScheme, compile_scheme
from kaohe.errors import Problems
from kaohe.formula import CompiledValue
from kaohe.scheme.model import Indicator, Payout, Scheme
from kaohe.workspace.sources import Column, Source
from kaohe.workspace.store import SQL_TYPES

SCHEME = "sch_formula"
INDICATOR = "ind_formula"

TICKETS = Source(
    name="tickets", title="工单", time="opened_at", person="person_id", unit=None, key=("id",),
    columns=(
        Column("id", "string"), Column("person_id", "string"),
        Column("opened_at", "datetime"), Column("closed_at", "datetime"),
        Column("amount", "decimal"), Column("qty", "integer"), Column("status", "string"),
        Column("ok", "boolean"), Column("day", "date"),
    ),
)
SOURCES: Mapping[str, Source] = {"tickets": TICKETS}

# Three known rows (hand-computed values in test_formula_compile.py are over these):
#   r1: opened 01-01 08:00, closed 01-02 09:30 (25.5 h), amount 10.5, qty 2, open,   ok true
#   r2: opened 01-03 10:00, closed 01-03 12:45 (2.75 h), amount 4.5,  qty 3, closed, ok false
#   r3: opened 01-05 23:00, closed NULL,                 amount NULL, qty 5, closed, ok NULL
ROWS: tuple[tuple[Any, ...], ...] = (
    ("r1", "p1", "2024-01-01 08:00:00", "2024-01-02 09:30:00", "10.5", 2, "open", True,
     "2024-01-01"),
    ("r2", "p1", "2024-01-03 10:00:00", "2024-01-03 12:45:00", "4.5", 3, "closed", False,
     "2024-01-03"),
    ("r3", "p1", "2024-01-05 23:00:00", None, None, 5, "closed", None, "2024-01-05"),
)


def indicator(value: str, code: str = INDICATOR, source: str | None = "tickets") -> Indicator:
    return Indicator(code=code, name=code, value=value, source=source, role="info")


def scheme(*indicators: Indicator, base: str | None = None, code: str = SCHEME) -> Scheme:
    return Scheme(code=code, name=code, entity="person", period="month",
                  indicators=tuple(indicators),
                  payout=Payout(base=base) if base is not None else None)


def compile_one(value: str) -> CompiledValue:
    """Compile a single source indicator; raises Problems like ``kaohe check`` would."""
    return compile_scheme(scheme(indicator(value)), SOURCES).values[INDICATOR]


def outcome(s: Scheme, attributes: Sequence[str] = ()) -> CompiledScheme | Problems:
    try:
        return compile_scheme(s, SOURCES, attributes)
    except Problems as exc:
        return exc


def inline(cv: CompiledValue) -> exp.Expression:
    """The compiled value as one aggregate expression over ``f``: each part column in
    ``outer`` replaced by its part. Used to show the compiled SQL as a single string."""
    parts = dict(cv.parts)

    def put(node: exp.Expression) -> exp.Expression:
        if type(node) is exp.Column and not node.table and node.name in parts:
            return parts[node.name].copy()
        return node

    return cv.outer.copy().transform(put)


Transform = Callable[[exp.Expression], exp.Expression]
DIALECTS: dict[str, Transform] = {
    "duckdb": duckdb_backend._date_diff,
    "spark": spark_backend._date_diff,
}


def for_engine(e: exp.Expression, dialect: str) -> exp.Expression:
    """The tree as the backend renders it (its ``_date_diff`` transform)."""
    return e.copy().transform(DIALECTS[dialect])


def render(e: exp.Expression, dialect: str) -> str:
    return for_engine(e, dialect).sql(dialect=dialect)


def value_select(cv: CompiledValue, dialect: str, table: str = "t") -> exp.Select:
    """The value as the plan computes it: parts over ``<table> AS f``, then the outer
    expression over the parts, cast to DOUBLE (plan.build_plan's ``dbl``)."""
    parts = [exp.alias_(for_engine(p, dialect), n, quote=True) for n, p in cv.parts]
    inner = exp.select(*(parts or [exp.alias_(exp.Literal.number(1), "_one")]))
    inner = inner.from_(exp.alias_(exp.to_table(table), "f", table=True))
    outer = exp.Cast(this=cv.outer.copy(), to=exp.DataType.build("DOUBLE"))
    return exp.select(for_engine(outer, dialect)).from_(
        exp.alias_(inner.subquery(), "a", table=True))


def value_query(cv: CompiledValue, dialect: str, table: str = "t") -> str:
    return value_select(cv, dialect, table).sql(dialect=dialect)


def tiny_duckdb() -> duckdb.DuckDBPyConnection:
    """An in-memory table ``t`` with ROWS, typed as the store types them (store.SQL_TYPES)."""
    con = duckdb.connect(":memory:")
    cols = ", ".join(f'"{c.name}" {SQL_TYPES[c.type]}' for c in TICKETS.columns)
    con.execute(f"CREATE TABLE t ({cols})")
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [list(r) for r in ROWS])
    return con


def harden(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """The two statements duckdb_backend.execute runs before the plan (not factored out
    there yet — keep in sync)."""
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con
