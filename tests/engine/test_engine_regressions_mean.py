"""Regression tests: vs_mean computed from a peer mean rounded to 9 decimals (8/3 became
2.666666667, so 15 × 1/(8/3) = 5.625 showed as 5.62). Fixed: only "m = 0" is judged rounded.
"""

from __future__ import annotations

import pandas as pd
import pytest

from wsbuilder import ENGINES, WsBuilder, avg_of, col, person_scheme, scored, value_rows

Table = pd.DataFrame


@pytest.fixture(scope="module", params=ENGINES)
def thirds(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Table:
    b = WsBuilder(tmp_path_factory.mktemp("thirds")).standard_org().standard_sources()
    b.scheme("s", person_scheme([
        scored("hi", avg_of("a"), 15, {"rule": "vs_mean"}),
        scored("hi25", avg_of("a"), 25, {"rule": "vs_mean"}),
        scored("lo", avg_of("b"), 15, {"rule": "vs_mean", "direction": "lower"}),
    ], peers=["unit"]))
    b.facts("tx", value_rows({"P1": {"a": 1, "b": 0}, "P2": {"a": 2, "b": 5},
                              "P3": {"a": 5, "b": 8}}))
    return b.run("s", "2026-10", request.param, save=False)


def test_vs_mean_of_a_mean_in_thirds(thirds: Table) -> None:
    # H1, a = 1, 2, 5: m = 8/3. P1: 15 × 1/(8/3) = 45/8 = 5.625 → 5.63; 25 × 3/8 = 9.375 → 9.38.
    # The engine cuts m to 9 decimals (2.666666667): 15/2.666666667 = 5.62499999929… → 5.62,
    # 25/2.666666667 = 9.37499999883… → 9.37.
    assert col(thirds, "p_hi")["P1"] == 5.63
    assert col(thirds, "p_hi25")["P1"] == 9.38
    # H1, b = 0, 5, 8: m = 13/3; lower, P3: 15 × (13/3)/8 = 65/8 = 8.125 → 8.13 (engine: 8.12)
    assert col(thirds, "p_lo")["P3"] == 8.13
