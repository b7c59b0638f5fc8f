"""The S9 pack's schemes on Spark: the partner star rating and commission of the last month
(relative indicators against peers and the previous month, the weighted multi-party rating,
the 养卡 veto read from the stored yangka_watch results, payout lines with tiers, caps and the
clawback read from the stored card_audit results) computed on Spark equals DuckDB's, on the
small packs workspace (scale 0.02: ~60 partner outlets) — one Spark run, whole tables compared.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from kaohe.engine.run import run_scheme
from kaohe.workspace import Workspace

pytestmark = pytest.mark.spark


def test_channel_partner_on_spark_equals_duckdb(packs_demo: dict[str, Any]) -> None:
    ws = Workspace.open(packs_demo["root"])
    period = packs_demo["manifest"]["periods"]["channel_partner"][-1]
    duck = packs_demo["results"]["channel_partner", period].sort_values("id")
    spark = run_scheme(ws, "channel_partner", period, engine="spark",
                       save=False).result.table.sort_values("id")
    duck, spark = duck.reset_index(drop=True), spark.reset_index(drop=True)
    assert len(duck) >= 20  # every partner outlet of the small org
    lines = [c for c in duck.columns if c.startswith("l_")]
    assert "l_养卡扣回" in lines and "l_开户酬金" in lines
    pd.testing.assert_frame_equal(duck, spark[duck.columns], check_dtype=False)
    # the planted 养卡 partner: vetoed to 不达标 and clawed back on Spark too
    fake = spark.set_index("id").loc[packs_demo["manifest"]["anomalies"]["fake_partner"]]
    assert fake["grade"] == "不达标" and fake["l_养卡扣回"] < 0
