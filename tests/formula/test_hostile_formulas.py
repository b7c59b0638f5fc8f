"""Hostile formulas are refused by the checker, before any SQL runs (spec §3).

Every case of hostile.HOSTILE goes through compile_scheme (what ``kaohe check`` and every run
call) with duckdb.connect and the Spark session patched to fail: a rejection must come from
the allow-list, not from an engine. The error must be a FormulaError naming the scheme, the
indicator and the offending part.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator

import duckdb
import pytest

from formula_support import (
    INDICATOR, SCHEME, SOURCES, indicator, outcome, render, scheme,
)
from hostile import HOSTILE, Hostile
from kaohe.engine.backends import duckdb_backend, spark_backend
from kaohe.engine.compiled import CompiledScheme, compile_scheme
from kaohe.engine.plan import build_plan
from kaohe.errors import FormulaError, Problems
from kaohe.periods import Period
import sqlglot
from sqlglot import exp


class EngineTouched(AssertionError):
    pass


@pytest.fixture
def no_engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any attempt to open an engine while checking formulas fails the test."""

    def refuse(*_a: object, **_k: object) -> None:
        raise EngineTouched("an engine was opened while checking formulas")

    monkeypatch.setattr(duckdb, "connect", refuse)
    monkeypatch.setattr(duckdb, "sql", refuse)
    monkeypatch.setattr(duckdb, "execute", refuse)
    monkeypatch.setattr(spark_backend, "session", refuse)
    yield


def _assert_names_everything(err: FormulaError, case: Hostile) -> None:
    text = str(err)
    assert err.scheme == SCHEME and SCHEME in text, text
    assert err.indicator == INDICATOR and INDICATOR in text, text
    low = text.lower()
    assert any(frag.lower() in low for frag in case.expect), (
        f"{case.reason}: the error does not name the offending part "
        f"(expected one of {case.expect!r}): {text}")


def test_corpus_is_large_and_ids_unique() -> None:
    ids = [c.id for c in HOSTILE]
    assert len(ids) >= 40
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", HOSTILE, ids=[c.id for c in HOSTILE])
def test_hostile_formula_is_rejected(case: Hostile, no_engine: None) -> None:
    try:
        compile_scheme(scheme(indicator(case.formula)), SOURCES)
    except Problems as exc:
        assert len(exc.problems) == 1, exc.problems
        err = exc.problems[0]
        assert type(err) is FormulaError, f"{case.reason}: {type(err).__name__}: {err}"
        _assert_names_everything(err, case)
        return
    except EngineTouched:
        raise
    except Exception as exc:  # RecursionError, sqlglot errors, ...: a crash, not a rejection
        pytest.fail(f"{case.reason}: crashed with {type(exc).__name__}: {exc}"[:300])
    pytest.fail(f"accepted: {case.reason}")


def test_hostile_formulas_all_reported_at_once(no_engine: None) -> None:
    """``kaohe check`` lists every problem: one scheme with many hostile indicators reports
    each, in order, each naming its own indicator."""
    picked = [c for c in HOSTILE if not c.reason.startswith("HOLE")][:25]
    inds = [indicator(c.formula, code=f"i{n}") for n, c in enumerate(picked)]
    with pytest.raises(Problems) as info:
        compile_scheme(scheme(*inds), SOURCES)
    problems = info.value.problems
    assert [getattr(p, "indicator", None) for p in problems] == [i.code for i in inds]


# ---- depth: the parser and every later tree walk must stay within the stack --------------

def _where(exc: BaseException) -> str:
    """The innermost kaohe frame of a traceback: the kaohe call that recursed too deep."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/kaohe/" in f.filename]
    return f"{frames[-1].name}" if frames else "?"


def _full_pipeline(value: str, derived: bool = False) -> str:
    """compile_scheme, then build the plan and render it for both engines.
    Returns 'rejected' or 'accepted'; any other exception propagates."""
    if derived:
        s = scheme(indicator("count(*)", code="n"), indicator(value, source=None))
    else:
        s = scheme(indicator(value))
    res = outcome(s)
    if isinstance(res, Problems):
        assert all(type(p) is FormulaError for p in res.problems), res.problems
        return "rejected"
    assert isinstance(res, CompiledScheme)
    plan = build_plan(res, Period.parse("2024-01"), {"tickets": exp.to_table("t")})
    duckdb_backend.render(plan)
    spark_backend.render(plan)
    return "accepted"


CHAINS: dict[str, Callable[[int], str]] = {
    "neg_in_sum": lambda n: "sum(" + "- " * n + "qty)",
    "neg_outside": lambda n: "- " * n + "count(*)",
    "neg_in_md5": lambda n: "md5(" + "- " * n + "qty)",  # rejected; the error renders it
    "not_in_filter": lambda n: "count(*) filter (where " + "not " * n + "ok)",
    "abs_op_in_sum": lambda n: "sum(" + "@ " * n + "qty)",
    "case_in_sum": lambda n: "sum(" + "case when ok then " * n + "1" + " end" * n + ")",
    "plus_chain": lambda n: "count(*)" + " + 1" * n,
    "is_null_chain": lambda n: "count(*) filter (where ok" + " is null" * n + ")",
}
DEPTHS = list(range(20, 800, 15))


@pytest.mark.parametrize("chain", sorted(CHAINS))
def test_deep_chains_never_crash(chain: str) -> None:
    """Every depth up to the token limit is accepted or a FormulaError — never a
    RecursionError. (HOLE: ~330–470 unary minus pass the parser, then name_part's
    part.sql() / _fail's node.sql() / transform recurse past Python's limit.)"""
    crashes = []
    for n in DEPTHS:
        formula = CHAINS[chain](n)
        if len(formula) > 4000:
            break
        try:
            _full_pipeline(formula)
        except RecursionError as exc:
            crashes.append(f"{n} ({_where(exc)})")
    assert not crashes, f"RecursionError (not FormulaError) at depths {crashes}"


def test_deep_derived_chain_never_crashes() -> None:
    """HOLE: a derived indicator ``- - … - n`` (~350–450 deep) crashes with RecursionError."""
    crashes = []
    for n in DEPTHS:
        try:
            _full_pipeline("- " * n + "n", derived=True)
        except RecursionError as exc:
            crashes.append(f"{n} ({_where(exc)})")
    assert not crashes, f"RecursionError (not FormulaError) at depths {crashes}"


def test_deep_formula_rejection_is_quick_and_clean() -> None:
    """The brief's 10,000-deep chains: rejected by the cheap token checks, with a message."""
    for formula in ("(" * 10_000 + "1" + ")" * 10_000, "- " * 10_000 + "1",
                    "not " * 10_000 + "true"):
        res = outcome(scheme(indicator(formula)))
        assert isinstance(res, Problems)
        assert "4000" in str(res.problems[0])


# ---- what reaches the engine: nothing of the user's text but the checked tree ------------

def test_string_literals_are_escaped_in_engine_sql() -> None:
    """A quote inside a string literal cannot end the literal in the rendered SQL."""
    value = "count(*) filter (where status = 'a'';drop table t;--')"
    cv = compile_scheme(scheme(indicator(value)), SOURCES).values[INDICATOR]
    ((_, part),) = cv.parts
    for dialect in ("duckdb", "spark"):
        sql = "SELECT " + render(part, dialect) + " FROM t AS f"
        trees = sqlglot.parse(sql, read=dialect)
        assert len(trees) == 1, sql
        strings = [lit.this for lit in trees[0].find_all(exp.Literal) if lit.is_string]
        assert strings == ["a';drop table t;--"], sql


def test_no_user_comment_reaches_engine_sql() -> None:
    """HOLE: comments are kept by SQLGlot and rendered into the engine's SQL."""
    value = "sum(amount) /* hello */ + 1"
    res = outcome(scheme(indicator(value)))
    if isinstance(res, Problems):
        return  # rejecting comments outright is fine too
    assert isinstance(res, CompiledScheme)
    cv = res.values[INDICATOR]
    for dialect in ("duckdb", "spark"):
        texts = [render(cv.outer, dialect)] + [render(p, dialect) for _, p in cv.parts]
        assert not any("hello" in t for t in texts), texts
