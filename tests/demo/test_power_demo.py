"""The power demo (``kaohe demo --kind power``) at test scale: it builds, every scheme runs, the
planted anomalies are caught by id, and a few values agree with an independent pandas
computation over the generated files (not the engine)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from kaohe.demo.power.generate import SCHEMES
from kaohe.demo.power.runner import demo_kind


@pytest.fixture(scope="module")
def demo(power_demo: dict[str, Any]) -> dict[str, Any]:
    return power_demo


def _csv(path: str) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"area_id": str, "station_id": str, "manager_id": str,
                                    "person_id": str, "reader_id": str, "segment_id": str})


def _fen(x: float | Decimal) -> Decimal:
    return Decimal(str(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _entity(result: Any, entity_id: str) -> dict[str, Any]:
    for row in result.entities():
        if row["id"] == entity_id:
            return row
    raise AssertionError(f"{entity_id} not in {result.scheme}")


def test_every_scheme_runs_and_the_marker_says_power(demo: dict[str, Any]) -> None:
    assert set(demo["results"]) == set(SCHEMES)
    for code, result in demo["results"].items():
        assert len(result.entities()) > 0, code
    assert demo_kind(demo["root"]) == "power"
    assert demo["manifest"]["counts"]["meters"] > 3000
    assert len(demo["manifest"]["periods"]["reading_daily"]) == 2


def test_planted_loss_areas_are_alerted(demo: dict[str, Any]) -> None:
    anomalies = demo["manifest"]["anomalies"]
    area_loss = demo["results"]["area_loss"]  # 2026-09
    negative = _entity(area_loss, anomalies["area_negative"])
    high = _entity(area_loss, anomalies["area_high"])
    assert (negative["grade"], negative["alert"]) == ("负损", True)
    assert (high["grade"], high["alert"]) == ("高损", True)


def test_area_loss_rate_and_yoy_match_pandas(demo: dict[str, Any]) -> None:
    energy = _csv(demo["manifest"]["sources"]["area_energy"][0])
    area = demo["manifest"]["anomalies"]["area_high"]
    rows = energy[energy["area_id"] == area].set_index("month")
    now = rows.loc["2026-09-01"]
    year_before = rows.loc["2025-09-01"]
    rate = (now["supplied"] - now["sold"]) / now["supplied"]
    rate_ly = (year_before["supplied"] - year_before["sold"]) / year_before["supplied"]
    values = _entity(demo["results"]["area_loss"], area)["indicators"]
    assert values["loss_rate"]["value"] == pytest.approx(rate, abs=1e-9)
    assert values["yoy_drop"]["value"] == pytest.approx(rate_ly - rate, abs=1e-9)


def test_station_loss_rate_matches_pandas(demo: dict[str, Any]) -> None:
    energy = _csv(demo["manifest"]["sources"]["area_energy"][0])
    sep = energy[energy["month"] == "2026-09-01"]
    result = demo["results"]["loss_station"]
    for station, rows in sep.groupby("station_id"):
        expected = (rows["supplied"].sum() - rows["sold"].sum()) / rows["supplied"].sum()
        got = _entity(result, str(station))["indicators"]["loss_rate"]["value"]
        assert got == pytest.approx(expected, abs=1e-9), station


def test_segment_kept_three_years_is_flagged(demo: dict[str, Any]) -> None:
    reader = demo["manifest"]["anomalies"]["reader_kept_segment"]
    row = _entity(demo["results"]["reading_month"], reader)
    assert row["indicators"]["segments_over_2y"]["value"] == 1
    assert (row["grade"], row["alert"]) == ("待改进", True)
    others = [r for r in demo["results"]["reading_month"].entities()
              if r["id"] != reader]
    assert all(r["indicators"]["segments_over_2y"]["value"] == 0 for r in others)


def test_misreading_reader_pays_the_most_misread_deductions(demo: dict[str, Any]) -> None:
    reader = demo["manifest"]["anomalies"]["reader_misreads"]
    faults = _csv(demo["manifest"]["sources"]["reading_faults"][0])
    sep = faults[(faults["day"] >= "2026-09-01") & (faults["kind"] == "错抄漏抄估抄")]
    per_person = (sep.assign(yuan=sep["qty"] * sep["size"].map({"小": 20, "大": 50}))
                  .groupby("person_id")["yuan"].sum())
    assert per_person.idxmax() == reader
    row = _entity(demo["results"]["reading_month"], reader)
    assert row["payout_lines"]["错抄漏抄扣款"] == -float(per_person[reader])


RATES = {"改变抄表日": 20, "抄表簿延误": 20, "档案不符未报": 20, "地址不符": 10, "涂改抄表卡": 50,
         "异常未报": 20, "抄后计算差错": 5, "延误后续工作": 50, "临时用电未结算": 100,
         "基础数据错误": 10}


def test_deduction_lines_add_up_to_the_fen(demo: dict[str, Any]) -> None:
    """Every reader's September payout = budget × total / 100 (to the fen) less the deduction
    table applied to the fault register, computed here from the files."""
    root: Path = demo["root"]
    people = pd.read_csv(root / "org" / "people.csv", dtype={"id": str}).set_index("id")
    faults = _csv(demo["manifest"]["sources"]["reading_faults"][0])
    sep = faults[faults["day"] >= "2026-09-01"]
    checked = 0
    for row in demo["results"]["reading_month"].entities():
        mine = sep[sep["person_id"] == row["id"]]
        yuan = Decimal(0)
        for kind, rate in RATES.items():
            yuan += rate * int(mine.loc[mine["kind"] == kind, "qty"].sum())
        mis = mine[mine["kind"] == "错抄漏抄估抄"]
        yuan += 20 * int(mis.loc[mis["size"] == "小", "qty"].sum())
        yuan += 50 * int(mis.loc[mis["size"] == "大", "qty"].sum())
        yuan += _fen(mine.loc[mine["kind"] == "引起投诉", "amount"].sum())
        budget = Decimal(int(people.loc[row["id"], "budget"]))
        share = _fen(budget * Decimal(str(row["total"])) / 100)
        lines = row["payout_lines"]
        assert _fen(lines["岗位目标费用"]) == share
        assert _fen(sum(Decimal(str(v)) for k, v in lines.items() if k != "岗位目标费用")) \
            == -yuan
        assert _fen(row["payout"]) == share - yuan
        checked += 1
    assert checked >= 10


def test_actual_reading_rate_matches_pandas(demo: dict[str, Any]) -> None:
    frame = pd.read_parquet(demo["manifest"]["sources"]["readings"][-1])  # 2026-09
    rates = frame.groupby("reader_id")["method"].apply(lambda m: (m == "实抄").mean())
    result = demo["results"]["reading_month"]
    for reader, rate in rates.items():
        got = _entity(result, str(reader))["indicators"]["actual_rate"]["value"]
        assert got == pytest.approx(rate, abs=1e-12)


def test_year_payout_is_built_from_the_months(demo: dict[str, Any]) -> None:
    """The yearly line 月度兑现合计 is the sum of the three monthly payouts (stored runs)."""
    from kaohe.workspace import Workspace

    ws = Workspace.open(demo["root"])
    with ws.store.connect(read_only=True) as con:
        monthly = dict(con.execute(
            "SELECT e.entity_id, sum(e.payout) FROM run_entities e JOIN runs u USING (run_id) "
            "WHERE u.scheme = 'reading_month' AND u.status = 'done' "
            "GROUP BY e.entity_id").fetchall())
    year = demo["results"]["reading_year"]
    for row in year.entities():
        assert _fen(row["payout_lines"]["月度兑现合计"]) == _fen(monthly[row["id"]])
