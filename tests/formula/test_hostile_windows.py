"""Misused v2 functions in derived formulas are refused before anything runs (spec §7, §11,
§17): the corpus hostile.V2_DERIVED, each as the formula of a derived indicator beside the
source indicators n, r and o (offset 36). Source-formula cases are in hostile.HOSTILE."""

from __future__ import annotations

import pytest

from formula_support import INDICATOR, SCHEME, SOURCES, indicator, scheme
from hostile import V2_DERIVED, Hostile
from kaohe.engine.compiled import compile_scheme
from kaohe.errors import Problems, SchemeError
from kaohe.scheme.model import Indicator
from test_hostile_formulas import no_engine  # noqa: F401  (fixture)


def _scheme(formula: str) -> object:
    o = Indicator(code="o", name="o", value="count(*)", source="tickets", role="info",
                  offset=36)
    return scheme(indicator("count(*)", code="n"),
                  indicator("sum(amount) / count(*)", code="r"), o,
                  indicator(formula, source=None))


@pytest.mark.parametrize("case", V2_DERIVED, ids=[c.id for c in V2_DERIVED])
def test_misused_v2_function_is_refused(case: Hostile, no_engine: None) -> None:  # noqa: F811
    with pytest.raises(Problems) as info:
        compile_scheme(_scheme(case.formula), SOURCES)  # type: ignore[arg-type]
    problems = info.value.problems
    assert len(problems) == 1, problems
    err = problems[0]
    assert isinstance(err, SchemeError)
    text = str(err)
    assert err.scheme == SCHEME and f"indicator {INDICATOR}" in text, text
    assert any(f.lower() in text.lower() for f in case.expect), f"{case.reason}: {text}"


def test_prev_self_reference_is_a_cycle(no_engine: None) -> None:  # noqa: F811
    with pytest.raises(Problems) as info:
        compile_scheme(_scheme(f"n + prev({INDICATOR})"), SOURCES)  # type: ignore[arg-type]
    assert "cycle" in str(info.value) and INDICATOR in str(info.value)
