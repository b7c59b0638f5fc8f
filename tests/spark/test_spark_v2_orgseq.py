"""Spec §13–15 on Spark: every workspace of tests/engine/orgseq_cases.py computes, on Spark,
the same result rows as on DuckDB, and the hand-computed values; so do the examples of the docs
chapter (test_docs_orgseq.py). One module, one session."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))

import orgseq_cases as oc  # noqa: E402
from test_docs_orgseq import docs_workspace  # noqa: E402
from wsbuilder import WsBuilder, col  # noqa: E402

pytestmark = pytest.mark.spark

DOCS = {
    "repeat_complaints": {"complaints": {"H1": 3, "H2": 2}, "total": {"H1": 90, "H2": 90}},
    "area_manager_duty": {"duty_days": {"A1": 3, "A2": 2}, "away_days": {"A1": 1, "A2": 1},
                          "in_county": {"A1": 2, "A2": 3}},
    "clerk_vs_hall": {"above_mean": {"P1": 10, "P2": 0, "P3": -10, "P4": 0},
                      "total": {"P1": 90, "P2": 65, "P3": 40, "P4": 58}},
}
CASES = [
    (oc.empty_unit, "units", {"n": oc.EMPTY_UNIT_UNITS}),
    (oc.empty_unit, "people", {"n": oc.EMPTY_UNIT_PEOPLE}),
    (oc.sequences, "seq", {c: {p: v[c] for p, v in oc.SEQUENCE_EXPECTED.items()}
                           for c in oc.SEQUENCE_EXPECTED["P1"]}),
    (oc.org_refs, "org", {c: {p: v[c] for p, v in oc.ORG_EXPECTED.items()}
                          for c in oc.ORG_EXPECTED["P1"]}),
    (oc.peers, "peer", {c: {p: v[c] for p, v in oc.PEER_EXPECTED.items()}
                        for c in oc.PEER_EXPECTED["P1"]}),
]


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    cols = [c for c in a.columns if c != "run_id"]
    pd.testing.assert_frame_equal(a[cols].sort_index().reset_index(drop=True),
                                  b[cols].sort_index().reset_index(drop=True),
                                  check_dtype=False)


def test_spark_equals_duckdb_and_hand(tmp_path: Path) -> None:
    built: dict[str, WsBuilder] = {}
    for i, (make, scheme, expected) in enumerate(CASES):
        key = make.__name__
        if key not in built:
            built[key] = make(tmp_path / key)
        b = built[key]
        for period in ("2026-10", "2026-09", "2026-11") if scheme == "seq" else ("2026-10",):
            duck = b.run(scheme, period, "duckdb", save=False)
            spark = b.run(scheme, period, "spark", save=False)
            _same(duck, spark)
        t = b.run(scheme, "2026-10", "spark", save=False)
        for code, values in expected.items():
            got = col(t, code if code == "total" else f"v_{code}")
            assert {e: got[e] for e in values} == values, (i, scheme, code)
    docs = docs_workspace(tmp_path / "docs")
    for scheme, expected in DOCS.items():
        duck = docs.run(scheme, "2026-10", "duckdb", save=False)
        spark = docs.run(scheme, "2026-10", "spark", save=False)
        _same(duck, spark)
        for code, values in expected.items():
            got = col(spark, code if code == "total" else f"v_{code}")
            assert {e: got[e] for e in values} == values, (scheme, code)
