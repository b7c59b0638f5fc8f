"""S13 营业稽查与反窃电 in the power demo: the planted thefts head the inspection list, and the
rule inputs agree with pandas over the collection-system files."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest


@pytest.fixture(scope="module")
def demo(power_demo: dict[str, Any]) -> dict[str, Any]:
    return power_demo


def test_planted_thefts_head_the_inspection_list(demo: dict[str, Any]) -> None:
    planted = {v for k, v in demo["manifest"]["anomalies"].items() if k.startswith("theft_")}
    assert len(planted) == 3
    rows = sorted(demo["results"]["theft_check"].entities(), key=lambda e: (e["rank"], e["id"]))
    assert {e["id"] for e in rows[:3]} == planted
    assert all(e["grade"] == "高度嫌疑" and e["alert"] for e in rows[:3])
    # the list for inspection is short: well under 1% of the meters
    assert sum(e["alert"] for e in rows) < len(rows) / 100


def test_rule_inputs_match_pandas(demo: dict[str, Any]) -> None:
    frames = [pd.read_parquet(f) for f in demo["manifest"]["sources"]["consumption"]]
    data = pd.concat(frames, ignore_index=True)
    data["month"] = data["month"].astype(str)
    planted = [v for k, v in demo["manifest"]["anomalies"].items() if k.startswith("theft_")]
    result = {e["id"]: e for e in demo["results"]["theft_check"].entities()}
    for meter in planted:
        mine = data[data["meter_id"] == meter].set_index("month")["kwh"]
        values = result[meter]["indicators"]
        assert values["kwh"]["value"] == mine["2026-09-01"]
        assert values["kwh_last_year"]["value"] == mine["2025-09-01"]
        expected = mine[["2026-06-01", "2026-07-01", "2026-08-01"]].mean()
        assert values["kwh_3m"]["value"] == pytest.approx(expected, abs=1e-9)


def test_station_recovered_money_matches_pandas(demo: dict[str, Any]) -> None:
    found = pd.read_csv(demo["manifest"]["sources"]["theft_inspections"][0],
                        dtype={"station_id": str})
    sep = found[found["day"] >= "2026-09-01"]
    recovered = sep.groupby("station_id")["recovered"].sum()
    for row in demo["results"]["theft_station"].entities():
        got = row["indicators"]["recovered"]["value"]
        assert got == pytest.approx(recovered.get(row["id"], 0.0), abs=0.005), row["id"]
