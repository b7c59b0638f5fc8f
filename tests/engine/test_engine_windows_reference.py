"""Random windows, offsets, prev chains, period dates and wavg: the engine against the
reference evaluator (reference_windows.py). Derandomized; KAOHE_HYPOTHESIS_SEED explores."""

from __future__ import annotations

from hypothesis import given, settings

from strategies_windows import window_cases
from test_engine_reference import COMMON, _seeded, check_case


@_seeded
@settings(max_examples=40, **COMMON)
@given(case=window_cases())
def test_windows_match_reference(case: object) -> None:
    check_case(case)  # type: ignore[arg-type]
