"""Derived indicators (spec §3): no source; names are codes of the scheme's other indicators.

Cycles are SchemeErrors naming the cycle; aggregates and unknown names are FormulaErrors; the
payout base may also name numeric attributes.
"""

from __future__ import annotations

import pytest
from sqlglot import exp

from formula_support import SCHEME, indicator, outcome, render, scheme, tiny_duckdb
from kaohe.engine.compiled import CompiledScheme
from kaohe.errors import FormulaError, Problems, SchemeError
from kaohe.scheme.model import Indicator

N = indicator("count(*)", code="n")  # a source indicator the derived ones can name
Q = indicator("sum(qty)", code="q")


def derived(code: str, value: str) -> Indicator:
    return indicator(value, code=code, source=None)


def problems(*inds: Indicator, base: str | None = None,
             attributes: tuple[str, ...] = ()) -> list[SchemeError]:
    res = outcome(scheme(*inds, base=base), attributes)
    assert isinstance(res, Problems), f"accepted: {[i.value for i in inds]} base={base}"
    assert all(isinstance(p, SchemeError) for p in res.problems), res.problems
    return [p for p in res.problems if isinstance(p, SchemeError)]


def accepted(*inds: Indicator, base: str | None = None,
             attributes: tuple[str, ...] = ()) -> CompiledScheme:
    res = outcome(scheme(*inds, base=base), attributes)
    assert isinstance(res, CompiledScheme), res
    return res


# ---- cycles ---------------------------------------------------------------------------------

CYCLES = {
    "two": ([derived("a", "b"), derived("b", "a")], "a → b → a"),
    "three": ([derived("a", "b + 1"), derived("b", "c * 2"), derived("c", "a / n")],
              "a → b → c → a"),
    "behind_a_chain": ([derived("x", "a"), derived("a", "b"), derived("b", "a")],
                       "a → b → a"),
    "in_case": ([derived("a", "case when b > 0 then 1 else n end"),
                 derived("b", "coalesce(a, 0)")], "a → b → a"),
}


@pytest.mark.parametrize("case", sorted(CYCLES))
def test_cycle_is_a_scheme_error_naming_the_cycle(case: str) -> None:
    inds, cycle = CYCLES[case]
    (err,) = problems(N, *inds)
    assert type(err) is SchemeError, err
    assert err.scheme == SCHEME
    text = str(err)
    assert "cycle" in text and cycle in text, text


def test_self_reference_is_a_cycle() -> None:
    """HOLE (message): ``a: a + n`` is reported as 'unknown name a' (a derived formula may
    not name its own code), not as the cycle it is; the user is told a exists nowhere."""
    (err,) = problems(N, derived("a", "a + n"))
    text = str(err)
    assert "cycle" in text or "循环" in text, text
    assert "a → a" in text, text


def test_cycles_are_reported_with_the_other_problems() -> None:
    """HOLE (minor): ``kaohe check`` lists every problem, but compile_scheme skips the cycle
    check as soon as any formula has a problem, so a cycle shows up only on the next try."""
    errs = problems(N, derived("a", "b"), derived("b", "a"), derived("c", "nosuch"))
    texts = " | ".join(str(e) for e in errs)
    assert "nosuch" in texts and "a → b → a" in texts, texts


def test_acyclic_levels() -> None:
    cs = accepted(N, Q, derived("ratio", "q / n"), derived("pct", "ratio * 100"),
                  derived("both", "pct + ratio"), derived("alone", "n + 1"))
    level = {code: i for i, codes in enumerate(cs.levels) for code in codes}
    assert level["ratio"] < level["pct"] < level["both"]
    assert level["alone"] == level["ratio"] == 0
    assert set(cs.derived) == {"ratio", "pct", "both", "alone"}


# ---- what a derived formula may not contain -------------------------------------------------

REJECTED = {
    "sum": ("sum(n)", "sum(n)"),
    "count_star": ("count(*)", "count(*)"),
    "count_star_plus": ("n + count(*)", "count(*)"),
    "avg_of_codes": ("avg(n + q)", "avg("),
    "max": ("max(q)", "max(q)"),
    "source_column": ("qty", "qty"),
    "unknown": ("nosuch + n", "nosuch"),
    "internal_value_column": ("v_n", "v_n"),
    "internal_part_column": ("x0_0", "x0_0"),
    "population_column": ("entity_id", "entity_id"),
    "qualified": ("vals.v_n", "vals.v_n"),
    "read_csv": ("n + read_csv('/etc/passwd')", "read_csv"),
    "subquery": ("(select 1) + n", "select"),
    "window": ("rank() over (order by n)", "over"),
    "cast": ("cast(n as varchar)", "cast"),
    "second_statement": ("n; drop table t", ";"),
    "filter": ("count(*) filter (where n > 1)", "count(*)"),
    "like": ("case when n like 'x' then 1 end", "like"),
    "concat": ("n || 'x'", "||"),
}


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_derived_formula_rejected(case: str) -> None:
    value, fragment = REJECTED[case]
    (err,) = problems(N, Q, derived("d", value))
    assert type(err) is FormulaError, err
    assert err.scheme == SCHEME and err.indicator == "d"
    assert fragment.lower() in str(err).lower(), str(err)


def test_derived_may_not_name_a_source_column_even_if_no_indicator_has_it() -> None:
    """Names resolve against indicator codes only — never against a source's columns."""
    (err,) = problems(N, derived("d", "amount * 2"))
    assert "amount" in str(err)


# ---- compiled derived formulas --------------------------------------------------------------

def test_derived_compiles_to_value_columns_with_safe_division() -> None:
    cs = accepted(N, Q, derived("ratio", "q / n"), derived("back", "ratio * n"))
    assert render(cs.derived["ratio"], "duckdb") == \
        'CAST(("v_q") AS DOUBLE) / NULLIF(CAST("v_n" AS DOUBLE), 0)'
    assert render(cs.derived["ratio"], "spark") == \
        "CAST((`v_q`) AS DOUBLE) / NULLIF(CAST(`v_n` AS DOUBLE), 0)"
    assert render(cs.derived["back"], "duckdb") == '"v_ratio" * "v_n"'


@pytest.mark.parametrize(("value", "want"), [
    ("q / n", 10 / 3), ("q / 0", None), ("(q - n) * 2 + 1", 15.0),
    ("case when n > 2 then q else 0 end", 10.0), ("coalesce(nullif(n, 3), -1)", -1.0),
    ("round(q / n, 1)", 3.3), ("greatest(least(q, 4), n)", 4.0), ("abs(n - q)", 7.0),
])
def test_derived_value_on_duckdb(value: str, want: float | None) -> None:
    cs = accepted(N, Q, derived("d", value))
    sql = render(exp.Cast(this=cs.derived["d"], to=exp.DataType.build("DOUBLE")), "duckdb")
    con = tiny_duckdb()
    try:
        ((got,),) = con.sql(f'SELECT {sql} FROM (SELECT 3 AS "v_n", 10 AS "v_q")').fetchall()
    finally:
        con.close()
    assert got == pytest.approx(want) if want is not None else got is None


# ---- payout.base ----------------------------------------------------------------------------

def test_payout_base_names_codes_and_attributes() -> None:
    cs = accepted(N, Q, base="q * salary / 100", attributes=("salary", "age"))
    assert cs.attributes == ("salary",)
    assert cs.payout_base is not None
    assert render(cs.payout_base, "duckdb") == \
        'CAST(("v_q" * "a_salary") AS DOUBLE) / NULLIF(CAST(100 AS DOUBLE), 0)'


@pytest.mark.parametrize(("base", "fragment"), [
    ("sum(salary)", "sum(salary)"), ("nosuch * 2", "nosuch"), ("a_salary", "a_salary"),
    ("v_q", "v_q"), ("read_csv('/etc/passwd')", "read_csv"), ("q; drop table t", ";"),
])
def test_payout_base_rejected(base: str, fragment: str) -> None:
    (err,) = problems(N, Q, base=base, attributes=("salary",))
    assert type(err) is FormulaError
    assert err.indicator == "payout.base"
    assert fragment.lower() in str(err).lower(), str(err)
