"""fold_filter: a part with its FILTER folded into the aggregate computes the same value.

The plan aggregates parts in the folded form (``agg(CASE WHEN c THEN x END)``, count(*) as a
sum of 0/1). Here every part of every accepted formula of test_formula_compile's CASES is
computed both ways over the rows of formula_support, grouped three ways (by status, by ok —
NULL included — and by qty), on DuckDB and on Spark: the values and their types must be equal.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlglot import exp

from formula_support import SOURCES, TICKETS, for_engine, indicator, scheme, tiny_duckdb
from kaohe.engine.compiled import CompiledScheme, compile_scheme
from kaohe.errors import Problems
from kaohe.formula import fold_filter, is_distinct, split_filter
from test_formula_compile import CASES, ROWS, _spark_literal

GROUPS = ("status", "ok", "qty")


def _compiled() -> CompiledScheme:
    accepted = []
    for c in CASES:
        try:
            compile_scheme(scheme(indicator(c.formula)), SOURCES)
        except Problems:
            continue
        accepted.append(c)
    return compile_scheme(scheme(*(indicator(c.formula, code=c.id) for c in accepted)),
                          SOURCES)


def _parts() -> dict[str, exp.Expression]:
    return {n: p for v in _compiled().values.values() for n, p in v.parts}


def _query(parts: dict[str, exp.Expression], by: str, table: str, dialect: str,
           fold: bool) -> str:
    cols = [exp.alias_(for_engine(fold_filter(p) if fold else p, dialect), n, quote=True)
            for n, p in parts.items()]
    key = exp.column(by, table="f", quoted=True)
    q = exp.select(key, *cols).from_(exp.alias_(exp.to_table(table), "f", table=True))
    return q.group_by(key.copy()).order_by(key.copy()).sql(dialect=dialect)


def test_cases_have_filters_on_every_aggregate() -> None:
    kinds = {type(split_filter(p)[0]) for p in _parts().values() if split_filter(p)[1]}
    assert kinds >= {exp.Count, exp.Sum, exp.Avg, exp.Min, exp.Max}


def test_fold_shapes() -> None:
    parts = _parts()
    for p in parts.values():
        folded = fold_filter(p)
        if is_distinct(p):
            assert folded == p  # the plan counts it apart, its filter in a WHERE
        else:
            assert not folded.find(exp.Filter)
    star = [p for p in parts.values() if split_filter(p)[1] is not None
            and type(split_filter(p)[0]) is exp.Count
            and type(split_filter(p)[0].this) is exp.Star]
    assert star
    for p in star:
        assert fold_filter(p).sql(dialect="duckdb").startswith("CAST(SUM(CASE WHEN ")


def _typed(rows: list[tuple[Any, ...]]) -> list[tuple[tuple[str, Any], ...]]:
    return [tuple((type(v).__name__, v) for v in r) for r in rows]


@pytest.mark.parametrize("by", GROUPS)
def test_same_values_on_duckdb(by: str) -> None:
    parts = _parts()
    con = tiny_duckdb()
    try:
        plain = con.sql(_query(parts, by, "t", "duckdb", fold=False)).fetchall()
        folded = con.sql(_query(parts, by, "t", "duckdb", fold=True)).fetchall()
    finally:
        con.close()
    assert _typed(folded) == _typed(plain)


@pytest.mark.spark
def test_same_values_on_spark() -> None:
    from kaohe.engine.backends.spark_backend import session

    spark = session()
    types = [c.type for c in TICKETS.columns]
    rows = ", ".join("(" + ", ".join(_spark_literal(v, t) for v, t in zip(r, types, strict=True))
                     + ")" for r in ROWS)
    names = ", ".join(c.name for c in TICKETS.columns)
    spark.sql(f"CREATE OR REPLACE TEMP VIEW kf_fold_t AS SELECT * FROM VALUES {rows} "
              f"AS v({names})")
    parts = _parts()
    for by in GROUPS:
        plain = [tuple(r) for r in spark.sql(_query(parts, by, "kf_fold_t", "spark", False))
                 .collect()]
        folded = [tuple(r) for r in spark.sql(_query(parts, by, "kf_fold_t", "spark", True))
                  .collect()]
        assert _typed(folded) == _typed(plain), by
