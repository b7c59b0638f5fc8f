"""Every construct of spec §3, compiled: the exact SQL per engine, then the value it computes.

In the style of SQLGlot's tests/dialects ``validate_all``: each case lists the formula, the SQL
the compiler produces for DuckDB and for Spark (rendered with each backend's ``_date_diff``
transform), and the value over the three rows of formula_support.ROWS, computed by hand. The
SQL shown is ``inline(compiled)``: the outer expression with each part put back in its place.
The value is computed the way the plan computes it (parts over the facts, then the outer
expression, cast to DOUBLE) on a tiny in-memory DuckDB table — and on Spark (marked spark).

``spark=None`` means: the DuckDB text with identifiers in backticks instead of double quotes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pytest
from sqlglot import exp

from formula_support import (
    ROWS, SOURCES, TICKETS, compile_one, for_engine, indicator, inline, render, scheme,
    tiny_duckdb, value_query,
)
from kaohe.engine.compiled import compile_scheme
from kaohe.formula import CompiledValue
from kaohe.workspace.store import SQL_TYPES


@dataclass(frozen=True)
class Case:
    id: str
    formula: str
    value: float | None  # over ROWS, by hand
    duckdb: str
    spark: str | None = None

    def expected(self, dialect: str) -> str:
        if dialect == "duckdb":
            return self.duckdb
        return self.spark if self.spark is not None else self.duckdb.replace('"', "`")


def c(name: str) -> str:
    """A fact column as the compiler qualifies it."""
    return f'"f"."{name}"'


CNT = "COALESCE(COUNT(*), 0)"
SUMQ = 'COALESCE(SUM("f"."qty"), 0)'


def div(a: str, b: str) -> str:
    """What `/` must become on every engine (spec §3: x / 0 is missing)."""
    return f"CAST(({a}) AS DOUBLE) / NULLIF(CAST({b} AS DOUBLE), 0)"


def cnt_where(cond: str) -> str:
    return f"COALESCE(COUNT(*) FILTER(WHERE {cond}), 0)"


CASES = [
    # aggregates; count and sum are 0 over no rows (COALESCE), the others stay missing
    Case("count_star", "count(*)", 3, CNT),
    Case("count_column", "count(qty)", 3, 'COALESCE(COUNT("f"."qty"), 0)'),
    Case("count_column_nulls", "count(amount)", 2, 'COALESCE(COUNT("f"."amount"), 0)'),
    Case("count_distinct", "count(distinct status)", 2,
         'COALESCE(COUNT(DISTINCT "f"."status"), 0)'),
    Case("sum", "sum(qty)", 10, SUMQ),
    Case("sum_decimal", "sum(amount)", 15.0, 'COALESCE(SUM("f"."amount"), 0)'),
    Case("avg", "avg(amount)", 7.5, 'AVG(CAST("f"."amount" AS DOUBLE))'),
    Case("min", "min(qty)", 2, 'MIN("f"."qty")'),
    Case("max", "max(amount)", 10.5, 'MAX("f"."amount")'),
    # each with an optional filter (where ...)
    Case("count_star_filter", "count(*) filter (where ok)", 1, cnt_where('"f"."ok"')),
    Case("count_column_filter", "count(closed_at) filter (where status = 'closed')", 1,
         'COALESCE(COUNT("f"."closed_at") FILTER(WHERE "f"."status" = \'closed\'), 0)'),
    Case("count_distinct_filter", "count(distinct status) filter (where qty > 2)", 1,
         'COALESCE(COUNT(DISTINCT "f"."status") FILTER(WHERE "f"."qty" > 2), 0)'),
    Case("sum_filter", "sum(qty) filter (where status = 'closed')", 8,
         'COALESCE(SUM("f"."qty") FILTER(WHERE "f"."status" = \'closed\'), 0)'),
    Case("avg_filter", "avg(qty) filter (where status = 'closed')", 4.0,
         'AVG(CAST("f"."qty" AS DOUBLE)) FILTER(WHERE "f"."status" = \'closed\')'),
    Case("min_filter", "min(qty) filter (where status = 'closed')", 3,
         'MIN("f"."qty") FILTER(WHERE "f"."status" = \'closed\')'),
    Case("max_filter", "max(qty) filter (where ok is not null)", 3,
         'MAX("f"."qty") FILTER(WHERE NOT "f"."ok" IS NULL)'),
    Case("count_empty_filter", "count(*) filter (where status = 'nope')", 0,
         cnt_where('"f"."status" = \'nope\'')),
    Case("sum_empty_filter", "sum(qty) filter (where status = 'nope')", 0,
         'COALESCE(SUM("f"."qty") FILTER(WHERE "f"."status" = \'nope\'), 0)'),
    Case("avg_empty_filter", "avg(qty) filter (where status = 'nope')", None,
         'AVG(CAST("f"."qty" AS DOUBLE)) FILTER(WHERE "f"."status" = \'nope\')'),
    # literals
    Case("number_literals", "sum(qty) + 0.5 - 1", 9.5, f"{SUMQ} + 0.5 - 1"),
    Case("string_literal_quote", "count(*) filter (where status = 'it''s')", 0,
         cnt_where('"f"."status" = \'it\'\'s\''),
         "COALESCE(COUNT(*) FILTER(WHERE `f`.`status` = 'it\\'s'), 0)"),
    Case("date_literal", "count(*) filter (where day >= date '2024-01-03')", 2,
         cnt_where('"f"."day" >= CAST(\'2024-01-03\' AS DATE)')),
    # HOLE: rejected — SQLGlot 30 parses TIMESTAMP as TIMESTAMPNTZ, not in _LITERAL_TYPES
    Case("timestamp_literal",
         "count(*) filter (where opened_at >= timestamp '2024-01-03 10:00:00')", 2,
         cnt_where('"f"."opened_at" >= CAST(\'2024-01-03 10:00:00\' AS TIMESTAMP)'),
         cnt_where("`f`.`opened_at` >= CAST('2024-01-03 10:00:00' AS TIMESTAMP_NTZ)")),
    # + - * / %
    Case("add_sub_mul", "sum(qty * 2 - 1)", 17, 'COALESCE(SUM("f"."qty" * 2 - 1), 0)'),
    Case("unary_minus", "-sum(qty)", -10, f"-{SUMQ}"),
    Case("parens", "(sum(qty) + 2) * 3", 36, f"({SUMQ} + 2) * 3"),
    Case("division", "sum(amount) / count(*)", 5.0,
         div('COALESCE(SUM("f"."amount"), 0)', CNT)),
    Case("division_is_real", "sum(qty) / count(*)", 10 / 3, div(SUMQ, CNT)),
    Case("division_by_zero", "sum(qty) / 0", None, div(SUMQ, "0")),
    Case("division_by_empty", "count(*) / count(*) filter (where status = 'nope')", None,
         div(CNT, cnt_where('"f"."status" = \'nope\''))),
    Case("division_in_aggregate", "sum(qty / 2)", 5.0,
         f"COALESCE(SUM({div(c('qty'), '2')}), 0)"),
    Case("modulo", "count(*) % 2", 1.0,
         f"CAST(({CNT}) AS DOUBLE) % NULLIF(CAST(2 AS DOUBLE), 0)"),
    Case("modulo_by_zero", "count(*) % 0", None,
         f"CAST(({CNT}) AS DOUBLE) % NULLIF(CAST(0 AS DOUBLE), 0)"),
    # comparisons, and/or/not, in, between, is null
    Case("eq_neq", "count(*) filter (where status = 'closed' and status != 'open' "
         "and status <> 'x')", 2,
         cnt_where('"f"."status" = \'closed\' AND "f"."status" <> \'open\' '
                   'AND "f"."status" <> \'x\'')),
    Case("lt_le", "count(*) filter (where qty < 3) + count(*) filter (where qty <= 3)", 3,
         f"{cnt_where(c('qty') + ' < 3')} + {cnt_where(c('qty') + ' <= 3')}"),
    Case("gt_ge", "count(*) filter (where qty > 3) * 10 + count(*) filter (where qty >= 3)",
         12, f"{cnt_where(c('qty') + ' > 3')} * 10 + {cnt_where(c('qty') + ' >= 3')}"),
    Case("and_or_not", "count(*) filter (where (status = 'open' or qty > 4) and not qty = 5)",
         1, cnt_where('("f"."status" = \'open\' OR "f"."qty" > 4) AND NOT "f"."qty" = 5')),
    Case("in_list", "count(*) filter (where qty in (2, 5))", 2,
         cnt_where('"f"."qty" IN (2, 5)')),
    Case("not_in_list", "count(*) filter (where status not in ('open'))", 2,
         cnt_where('NOT "f"."status" IN (\'open\')')),
    Case("between", "count(*) filter (where qty between 2 and 3)", 2,
         cnt_where('"f"."qty" BETWEEN 2 AND 3')),
    Case("not_between", "count(*) filter (where qty not between 2 and 3)", 1,
         cnt_where('NOT "f"."qty" BETWEEN 2 AND 3')),
    Case("is_null", "count(*) filter (where closed_at is null)", 1,
         cnt_where('"f"."closed_at" IS NULL')),
    Case("is_not_null", "count(*) filter (where amount is not null)", 2,
         cnt_where('NOT "f"."amount" IS NULL')),
    Case("comparison_as_value", "count(*) > 2", 1.0, f"{CNT} > 2"),
    # case when, coalesce, nullif, abs, round, least, greatest
    Case("case_when", "sum(case when ok then qty else 0 end)", 2,
         'COALESCE(SUM(CASE WHEN "f"."ok" THEN "f"."qty" ELSE 0 END), 0)'),
    Case("case_no_else", "max(case when status = 'nope' then qty end)", None,
         'MAX(CASE WHEN "f"."status" = \'nope\' THEN "f"."qty" END)'),
    Case("case_outside", "case when count(*) > 2 then 1 else 0 end", 1,
         f"CASE WHEN {CNT} > 2 THEN 1 ELSE 0 END"),
    Case("coalesce", "coalesce(max(amount) filter (where status = 'nope'), -1)", -1,
         'COALESCE(MAX("f"."amount") FILTER(WHERE "f"."status" = \'nope\'), -1)'),
    Case("coalesce_in_aggregate", "sum(coalesce(amount, 100))", 115.0,
         'COALESCE(SUM(COALESCE("f"."amount", 100)), 0)'),
    Case("nullif", "nullif(count(*), 3)", None, f"NULLIF({CNT}, 3)"),
    Case("abs", "abs(-sum(qty))", 10, f"ABS(-{SUMQ})"),
    Case("round", "round(sum(amount) / 7, 2)", 2.14,
         f"ROUND({div('COALESCE(SUM(' + c('amount') + '), 0)', '7')}, 2)"),
    Case("round_no_digits", "round(avg(qty))", 3, 'ROUND(AVG(CAST("f"."qty" AS DOUBLE)))'),
    Case("least", "least(sum(qty), 7)", 7, f"LEAST({SUMQ}, 7)"),
    Case("greatest", "greatest(min(qty), 4, 1)", 4, 'GREATEST(MIN("f"."qty"), 4, 1)'),
    # date_diff: whole units elapsed (DuckDB date_sub, Spark timestampdiff)
    Case("date_diff_day", "sum(date_diff('day', opened_at, closed_at))", 1,
         'COALESCE(SUM(DATE_SUB(\'day\', "f"."opened_at", "f"."closed_at")), 0)',
         "COALESCE(SUM(TIMESTAMPDIFF(DAY, `f`.`opened_at`, `f`.`closed_at`)), 0)"),
    Case("date_diff_hour", "avg(date_diff('hour', opened_at, closed_at))", 13.5,
         'AVG(CAST(DATE_SUB(\'hour\', "f"."opened_at", "f"."closed_at") AS DOUBLE))',
         "AVG(CAST(TIMESTAMPDIFF(HOUR, `f`.`opened_at`, `f`.`closed_at`) AS DOUBLE))"),
    Case("date_diff_minute", "sum(date_diff('minute', opened_at, closed_at))", 1695,
         'COALESCE(SUM(DATE_SUB(\'minute\', "f"."opened_at", "f"."closed_at")), 0)',
         "COALESCE(SUM(TIMESTAMPDIFF(MINUTE, `f`.`opened_at`, `f`.`closed_at`)), 0)"),
    Case("date_diff_unquoted_unit", "max(date_diff(day, opened_at, closed_at))", 1,
         'MAX(DATE_SUB(\'day\', "f"."opened_at", "f"."closed_at"))',
         "MAX(TIMESTAMPDIFF(DAY, `f`.`opened_at`, `f`.`closed_at`))"),
    Case("date_diff_outside", "date_diff('day', min(opened_at), max(opened_at))", 4,
         'DATE_SUB(\'day\', MIN("f"."opened_at"), MAX("f"."opened_at"))',
         "TIMESTAMPDIFF(DAY, MIN(`f`.`opened_at`), MAX(`f`.`opened_at`))"),
    Case("on_time_ratio",
         "count(*) filter (where date_diff('hour', opened_at, closed_at) <= 24) / count(*)",
         1 / 3, div(cnt_where('DATE_SUB(\'hour\', "f"."opened_at", "f"."closed_at") <= 24'),
                    CNT),
         div(cnt_where("TIMESTAMPDIFF(HOUR, `f`.`opened_at`, `f`.`closed_at`) <= 24"),
             CNT).replace('"', "`")),
    Case("shared_parts", "sum(qty) / count(*) + sum(qty)", 10 / 3 + 10,
         f"{div(SUMQ, CNT)} + {SUMQ}"),
]
IDS = [c.id for c in CASES]


def _compiled(case: Case) -> CompiledValue:
    return compile_one(case.formula)


def _close(got: Any, want: float | None) -> bool:
    if want is None or got is None:
        return got is None and want is None
    return math.isclose(float(got), want, rel_tol=1e-12, abs_tol=1e-12)


def test_cases_cover_every_construct_once() -> None:
    assert len(IDS) == len(set(IDS))
    text = " ".join(c.formula for c in CASES)
    for word in ("count(*)", "count(distinct", "sum(", "avg(", "min(", "max(", "filter (where",
                 " / ", " % ", " * ", " - ", " + ", " in (", " between ", " is null",
                 "case when", "coalesce(", "nullif(", "abs(", "round(", "least(", "greatest(",
                 "date_diff('day'", "date_diff('hour'", "date_diff('minute'", " and ", " or ",
                 "not ", " <> ", " != ", " <= ", " >= ", "date '", "timestamp '"):
        assert word in text, word


@pytest.mark.parametrize("dialect", ["duckdb", "spark"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_compiled_sql(case: Case, dialect: str) -> None:
    assert render(inline(_compiled(case)), dialect) == case.expected(dialect)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_value_on_duckdb(case: Case) -> None:
    con = tiny_duckdb()
    try:
        ((got,),) = con.sql(value_query(_compiled(case), "duckdb")).fetchall()
    finally:
        con.close()
    assert _close(got, case.value), f"{case.formula}: {got} != {case.value}"


def test_division_never_divides_unguarded() -> None:
    """No Div or Mod in any compiled tree has a divisor other than NULLIF(CAST(…), 0)."""
    for case in filter(_accepts, CASES):  # a rejected case fails in its own tests
        cv = _compiled(case)
        for tree in [cv.outer, *(p for _, p in cv.parts)]:
            for node in tree.find_all(exp.Div, exp.Mod):
                d = node.expression
                assert type(d) is exp.Nullif and type(d.this) is exp.Cast, case.id
                assert d.this.to.this == exp.DataType.Type.DOUBLE, case.id
                assert type(node.this) is exp.Cast, case.id


NO_ROWS = {  # over no rows (spec §3): count and sum are 0; avg, min, max are missing
    "count_star": 0, "count_column": 0, "count_distinct": 0, "sum": 0, "sum_filter": 0,
    "avg": None, "min": None, "max": None, "division": None, "division_is_real": None,
    "shared_parts": None, "case_outside": 0, "least": 0, "coalesce": -1,
}


@pytest.mark.parametrize("case_id", sorted(NO_ROWS))
def test_value_over_no_rows(case_id: str) -> None:
    """An entity without rows gets NULL parts from the plan's LEFT JOIN; the outer
    expression must turn count/sum parts into 0 and leave the others missing."""
    cv = _compiled(next(c for c in CASES if c.id == case_id))
    nulls = ", ".join(f'CAST(NULL AS DOUBLE) AS "{n}"' for n, _ in cv.parts)
    outer = render(exp.Cast(this=cv.outer.copy(), to=exp.DataType.build("DOUBLE")), "duckdb")
    con = tiny_duckdb()
    try:
        ((got,),) = con.sql(f"SELECT {outer} FROM (SELECT {nulls})").fetchall()
        con.execute("CREATE TABLE t_empty AS FROM t WHERE false")
        ((empty,),) = con.sql(value_query(cv, "duckdb", table="t_empty")).fetchall()
    finally:
        con.close()
    assert _close(got, NO_ROWS[case_id]), got
    assert _close(empty, NO_ROWS[case_id]), empty


# ---- the same values on Spark --------------------------------------------------------------

def _spark_literal(value: Any, ctype: str) -> str:
    if value is None:
        return f"CAST(NULL AS {_SPARK_TYPES[ctype]})"
    if ctype in ("string",):
        return "'" + str(value).replace("'", "\\'") + "'"
    if ctype == "boolean":
        return "TRUE" if value else "FALSE"
    return f"CAST('{value}' AS {_SPARK_TYPES[ctype]})"


_SPARK_TYPES = {**SQL_TYPES, "string": "STRING", "datetime": "TIMESTAMP_NTZ"}


@pytest.mark.spark
def test_values_on_spark() -> None:
    """All cases as indicators of one scheme, computed in one Spark query the way the plan
    does it: every (deduplicated) part in one aggregate over the facts, then the outers."""
    from kaohe.engine.backends.spark_backend import session

    spark = session()
    types = [col.type for col in TICKETS.columns]
    rows = ", ".join("(" + ", ".join(_spark_literal(v, t) for v, t in zip(r, types)) + ")"
                     for r in ROWS)
    names = ", ".join(col.name for col in TICKETS.columns)
    spark.sql(f"CREATE OR REPLACE TEMP VIEW kf_formula_t AS SELECT * FROM VALUES {rows} "
              f"AS v({names})")
    runnable = [c for c in CASES if _accepts(c)]  # a rejected case fails in its own tests
    cs = compile_scheme(scheme(*(indicator(c.formula, code=c.id) for c in runnable)), SOURCES)
    unique = {n: p for v in cs.values.values() for n, p in v.parts}  # as plan._parts_of
    parts = [exp.alias_(for_engine(p, "spark"), n, quote=True) for n, p in unique.items()]
    inner = exp.select(*parts).from_(exp.alias_(exp.to_table("kf_formula_t"), "f", table=True))
    outers = [exp.alias_(for_engine(exp.Cast(this=cs.values[c.id].outer.copy(),
                                             to=exp.DataType.build("DOUBLE")), "spark"),
                         c.id, quote=True) for c in runnable]
    query = exp.select(*outers).from_(exp.alias_(inner.subquery(), "a", table=True))
    (row,) = spark.sql(query.sql(dialect="spark")).collect()
    got = row.asDict()
    bad = {c.id: (got[c.id], c.value) for c in runnable if not _close(got[c.id], c.value)}
    assert not bad, bad


def _accepts(case: Case) -> bool:
    try:
        _compiled(case)
    except Exception:
        return False
    return True


def test_engine_sql_is_what_the_backends_render() -> None:
    """for_engine uses the backends' own _date_diff transforms (not a copy of them)."""
    from kaohe.engine.backends import duckdb_backend, spark_backend

    tree = compile_one("avg(date_diff('hour', opened_at, closed_at))").parts[0][1]
    assert for_engine(tree, "duckdb") == tree.copy().transform(duckdb_backend._date_diff)
    assert for_engine(tree, "spark") == tree.copy().transform(spark_backend._date_diff)
