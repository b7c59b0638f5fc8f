"""Spark computes what DuckDB computes for items (spec §8), roll-up and via (§18): the same
workspaces as tests/engine/test_engine_items.py, every scheme on both engines, whole tables
compared. One module, one Spark session."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))

from items_cases import customers_workspace, via_workspace, yangka_workspace  # noqa: E402
from wsbuilder import WsBuilder  # noqa: E402

pytestmark = pytest.mark.spark


def _same(b: WsBuilder, code: str) -> pd.DataFrame:
    duck = b.run(code, "2026-10", "duckdb", save=False).reset_index(drop=True)
    spark = b.run(code, "2026-10", "spark", save=False).reset_index(drop=True)
    pd.testing.assert_frame_equal(duck, spark[duck.columns], check_dtype=False)
    return duck


def test_items_rollup_and_via_on_spark(tmp_path: Path) -> None:
    y = yangka_workspace(tmp_path / "y")
    assert len(_same(y, "yangka")) == 4
    _same(y, "yangka_c")
    y.run("yangka", "2026-10")  # stored: the roll-up reads it
    assert _same(y, "clerk_fake")["v_fake"].sum() == 3
    assert _same(y, "hall_fake").set_index("id").loc["R", "v_fake"] == 3

    c = customers_workspace(tmp_path / "c")
    t = _same(c, "zero_use").set_index("id")
    assert t.loc["K3", "person"] == "P6" and t.loc["K2", "person"] == "P3"
    c.run("zero_use", "2026-10")
    _same(c, "mgr")
    assert _same(c, "hall_red").set_index("id").loc["H2", "v_custs"] == 2
    assert _same(c, "referrals").set_index("id").loc["P4", "v_refs"] == 1

    v = via_workspace(tmp_path / "v")
    v.run("partner_star", "2026-10")
    assert _same(v, "cm").set_index("id").loc["M1", "v_vol_via"] == 30
