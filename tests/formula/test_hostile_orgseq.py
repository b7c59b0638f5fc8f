"""Hostile derived formulas with the names of spec §15 (peer statistics, group_size,
attributes): each refused by compile_scheme before any engine is opened, naming the scheme,
the indicator and the part (the source-formula cases are in hostile.HOSTILE)."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from formula_support import INDICATOR, SCHEME, SOURCES, indicator, scheme
from hostile import PEER_HOSTILE, Hostile
from kaohe.engine.backends import spark_backend
from kaohe.engine.compiled import compile_scheme
from kaohe.errors import FormulaError, Problems


@pytest.fixture
def no_engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("an engine was opened while checking formulas")

    monkeypatch.setattr(duckdb, "connect", refuse)
    monkeypatch.setattr(spark_backend, "session", refuse)
    yield


@pytest.mark.parametrize("case", PEER_HOSTILE, ids=[c.id for c in PEER_HOSTILE])
def test_hostile_derived_formula_is_rejected(case: Hostile, no_engine: None) -> None:
    s = scheme(indicator("count(*)", code="n"), indicator("n - peer_mean(n)", code="d",
                                                          source=None),
               indicator(case.formula, source=None))
    with pytest.raises(Problems) as info:
        compile_scheme(s, SOURCES, attr_kinds={"kind": "text", "budget": "number"})
    (err,) = info.value.problems
    assert type(err) is FormulaError, err
    text = str(err)
    assert err.scheme == SCHEME and err.indicator == INDICATOR, text
    assert any(f.lower() in text.lower() for f in case.expect), (case.reason, text)


def test_valid_v2_derived_names_compile(no_engine: None) -> None:
    s = scheme(indicator("count(*)", code="n"),
               indicator("n - peer_mean(n) + peer_count(n) + group_size + budget", code="d",
                         source=None),
               indicator("case when kind = 'x' and true then peer_max(n) else peer_min(n) end",
                         source=None))
    cs = compile_scheme(s, SOURCES, attr_kinds={"kind": "text", "budget": "number"})
    assert cs.derived_attributes == (("budget", "number"), ("kind", "text"))
    sql = cs.derived["d"].sql(dialect="duckdb")
    assert 'AVG("v_n") OVER (PARTITION BY "_g")' in sql and "COUNT(*) OVER" in sql
