"""S12 供电所规范化管理 (``station_standard``): a hand-computed small county of five stations
run with the demo's own scheme and source files on DuckDB and on Spark (with the 台区 line loss
of ``area_loss`` beside it), and the planted anomalies of the power demo found."""

from __future__ import annotations

import sys
from pathlib import Path
from string import Template
from typing import Any

import pandas as pd
import pytest

from kaohe.demo.power.generate import BANDS, TEMPLATES

sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))

from wsbuilder import ENGINES, WsBuilder  # noqa: E402

SOURCES = ("ledgers", "work_tickets", "voltage", "supply_customers", "outages", "defects",
           "repairs", "area_energy")
STATIONS = ("S1", "S2", "S3", "S4", "S5")
MONTH = "2026-09-01"
RUN_MIN = 30 * 1440  # September in minutes: 43,200


def _ledgers(station: str, absent_paper: int = 0, bad_paper: int = 0,
             bad_electronic: int = 0) -> list[dict[str, Any]]:
    rows = []
    for kind, n, bad, skip in (("纸质", 27, bad_paper, absent_paper),
                               ("电子", 22, bad_electronic, 0)):
        for k in range(skip, n):
            rows.append({"station_id": station, "checked_on": "2026-09-30",
                         "ledger_id": f"{kind}{k}", "kind": kind,
                         "complete": "false" if k - skip < bad else "true"})
    return rows


def _tickets(station: str, executed: int, unqualified: int = 0,
             returned: int = 0) -> list[dict[str, Any]]:
    rows = [{"status": "已执行", "qualified": "false" if k < unqualified else "true"}
            for k in range(executed)]
    rows += [{"status": "执行前退回", "qualified": "false"} for _ in range(returned)]
    return [{"ticket_id": f"{station}-T{k}", "station_id": station, "issued_on": "2026-09-10",
             "kind": "工作票", **r} for k, r in enumerate(rows)]


def _voltage(station: str, out: dict[str, int]) -> list[dict[str, Any]]:
    return [{"point_id": f"{station}-{c}", "station_id": station, "point_class": c,
             "month": MONTH, "run_min": RUN_MIN, "over_min": minutes, "under_min": 0}
            for c, minutes in out.items()]


def _timed(kind: str, station: str, k: int, start: str, minutes: int | None,
           **extra: Any) -> dict[str, Any]:
    at = pd.Timestamp(start)
    end = "" if minutes is None else str(at + pd.Timedelta(minutes=minutes))
    cols = {"defect": ("defect_id", "found_at", "closed_at"),
            "repair": ("repair_id", "received_at", "arrived_at"),
            "outage": ("outage_id", "start_at", "end_at")}[kind]
    return {cols[0]: f"{station}-{kind}{k}", "station_id": station, cols[1]: str(at),
            cols[2]: end, **extra}


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> WsBuilder:
    b = WsBuilder(tmp_path_factory.mktemp("s12") / "ws")
    b.units([("3301", "县公司", "县公司", "", "")]
            + [(s, f"{s}供电所", "供电所", "3301", "农村") for s in STATIONS], extra=["area"])
    b.people([("M1", "台区经理甲")])
    b.assignments([("M1", "S1", "台区经理", "2020-01-01", "")])
    for name in SOURCES:
        (b.root / "sources" / f"{name}.yaml").write_text(
            (TEMPLATES / "sources" / f"{name}.yaml").read_text(encoding="utf-8"),
            encoding="utf-8")
    for code in ("station_standard", "area_loss"):
        text = (TEMPLATES / "schemes" / f"{code}.yaml").read_text(encoding="utf-8")
        b.scheme(code, Template(text).substitute(BANDS))
    # ledgers: S2 keeps 24 of its 27 paper ledgers, one of them incomplete, and 2 of 22
    # electronic ones incomplete; everyone else keeps all 49, complete
    b.facts("ledgers", [r for s in STATIONS for r in (
        _ledgers(s, absent_paper=3, bad_paper=1, bad_electronic=2) if s == "S2"
        else _ledgers(s))])
    # 两票: S3 has 4 returned before execution (not unqualified); S4 1 of 20 unqualified; S5 none
    b.facts("work_tickets", _tickets("S1", 10) + _tickets("S2", 10)
            + _tickets("S3", 8, returned=4) + _tickets("S4", 20, unqualified=1))
    # voltage: S4 has no class-D point (its weight drops out), C 2% out; S5: A 3%, B 1% out
    full = {"A": 0, "B": 0, "C": 0, "D": 0}
    b.facts("voltage", _voltage("S1", full) + _voltage("S2", full) + _voltage("S3", full)
            + _voltage("S4", {"A": 0, "B": 0, "C": 864})
            + _voltage("S5", {"A": 1296, "B": 432, "C": 0, "D": 0}))
    b.facts("supply_customers", [{"station_id": s, "month": MONTH, "customers": 1000}
                                 for s in STATIONS])
    b.facts("outages", [
        _timed("outage", "S1", 1, "2026-09-05 10:00", 60, customers_out=100, cause="故障停电"),
        _timed("outage", "S3", 1, "2026-09-12 09:00", 480, customers_out=90,
               cause="电源不足限电"),
        _timed("outage", "S4", 1, "2026-09-14 08:00", 180, customers_out=240, cause="故障停电"),
        _timed("outage", "S4", 2, "2026-09-20 08:00", 120, customers_out=180, cause="计划检修"),
    ])
    # defects of S1: urgent closed at exactly 24 h (in time) and at 30 h (late), major at 72 h,
    # ordinary at 29 days, six ordinary after a day: 9 of 10 in time
    b.facts("defects", [
        _timed("defect", "S1", 1, "2026-09-02 08:00", 24 * 60, level="紧急"),
        _timed("defect", "S1", 2, "2026-09-03 08:00", 30 * 60, level="紧急"),
        _timed("defect", "S1", 3, "2026-09-04 08:00", 72 * 60, level="重大"),
        _timed("defect", "S1", 4, "2026-09-01 08:00", 29 * 1440, level="一般"),
        *(_timed("defect", "S1", 5 + k, "2026-09-10 08:00", 1440, level="一般")
          for k in range(6))])
    # repairs of S2: remote in 110 minutes (limit 120: in time), rural in 100 (limit 90: late),
    # urban in exactly 45, seven rural in 60: 9 of 10 in time
    b.facts("repairs", [
        _timed("repair", "S2", 1, "2026-09-07 14:00", 110, zone="偏远"),
        _timed("repair", "S2", 2, "2026-09-08 14:00", 100, zone="农村"),
        _timed("repair", "S2", 3, "2026-09-09 14:00", 45, zone="城区"),
        *(_timed("repair", "S2", 4 + k, "2026-09-10 14:00", 60, zone="农村")
          for k in range(7))])
    # 台区 energy: one area per station, supplied 10,000 kWh; S5 has a second, negative area
    sold = {"S1": 9700, "S2": 9500, "S3": 9400, "S4": 9650, "S5": 9800}
    areas = [{"area_id": f"{s}-A1", "station_id": s, "manager_id": "M1", "month": MONTH,
              "supplied": 10000, "sold": v} for s, v in sold.items()]
    areas.append({"area_id": "S5-A2", "station_id": "S5", "manager_id": "M1", "month": MONTH,
                  "supplied": 10000, "sold": 10150})
    b.facts("area_energy", areas)
    return b


@pytest.mark.parametrize("engine", ENGINES)
def test_station_standard_and_area_loss_by_hand(county: WsBuilder, engine: str) -> None:
    t = county.run("station_standard", "2026-09", engine, save=False)
    # Weights: ledgers 8 + 7, 两票 15, voltage 15, RS-1 10, RS-3 10, defects 10, arrival 10,
    # line loss 15 (linear 8% → 3%).
    # S1: all full except defects 9/10 = 0.9 → 10 × (0.9 − 0.8)/0.2 = 5; RS-1 = 1 − 100 ch ÷
    #     (1000 × 720 h) = 0.999861 ≥ 0.9995 → 10; loss 3% → 15. Total 95.
    # S2: paper 23/27 = 0.851852 → 8 × 0.259259 = 2.074074; electronic 20/22 = 0.909091 → 7 ×
    #     0.545455 = 3.818182; arrival 9/10 → 5; loss 5% → 15 × 0.6 = 9; the rest full (15 +
    #     15 + 10 + 10 + 10). Total 79.892256.
    # S3: 两票 8/8 = 1 (the 4 returned count nowhere) → 15; the 8 h 限电 for 90 customers =
    #     720 ch: RS-1 = 1 − 720/720,000 = 0.999 → 10 × (0.999 − 0.998)/0.0015 = 6.666667,
    #     RS-3 leaves it out → 1 → 10; loss 6% → 15 × 0.4 = 6. Total 87.666667.
    # S4: 两票 19/20 = 0.95 → 7.5; voltage (3·1 + 1 + 0.98)/5 = 0.996 (no D) → 15 × 0.92 =
    #     13.8; 3 h × 240 + 2 h × 180 = 1080 ch → RS 0.9985 → 3.333333 (RS-1 and RS-3); loss
    #     3.5% → 13.5. Total 15 + 7.5 + 13.8 + 6.666667 + 10 + 10 + 13.5 = 76.466667.
    # S5: voltage (3 × 0.97 + 0.99 + 1 + 1)/6 = 0.983333 (not the plain mean 0.99) → 15 ×
    #     0.666667 = 10; no tickets, defects or repairs: full; loss (20,000 − 19,950)/20,000 =
    #     0.25% → 15. Total 95.
    expected = {"S1": 95.0, "S2": 79.89, "S3": 87.67, "S4": 76.47, "S5": 95.0}
    assert t["total"].to_dict() == pytest.approx(expected, abs=0.001)
    assert t.loc["S2", "v_paper_ledgers"] == pytest.approx(23 / 27)
    assert t.loc["S2", "p_paper_ledgers"] == 2.07  # 8 × (23/27 − 0.8)/0.2, shown to the fen
    assert t.loc["S3", "v_two_tickets"] == 1.0 and t.loc["S3", "v_returned_tickets"] == 4
    assert t.loc["S4", "v_voltage"] == pytest.approx(0.996)
    assert t.loc["S5", "v_voltage"] == pytest.approx(5.9 / 6)
    assert t.loc["S3", "v_rs1"] == pytest.approx(0.999)
    assert t.loc["S3", "v_rs3"] == pytest.approx(1.0)
    assert t.loc["S4", "v_rs1"] == pytest.approx(0.9985)
    assert t.loc["S1", "v_defects_on_time"] == pytest.approx(0.9)
    assert t.loc["S2", "v_arrival"] == pytest.approx(0.9)
    # Forced distribution of 5 stations: 标杆 at most 20% × 5 = 1, 规范化 40% × 5 = 2. S1 and
    # S5 tie at 95: together they would overflow 标杆, so both are 规范化 (2 of 2); S3 (87.67)
    # finds 规范化 full and is 达标; S2 and S4 达标. Nobody below 60: no warnings.
    assert t["grade"].to_dict() == {"S1": "规范化供电所", "S5": "规范化供电所",
                                    "S3": "达标供电所", "S2": "达标供电所", "S4": "达标供电所"}
    assert t["rank"].to_dict() == {"S1": 1, "S5": 1, "S3": 3, "S2": 4, "S4": 5}
    assert not t["alert"].any()

    areas = county.run("area_loss", "2026-09", engine, save=False)
    # loss rates 3%, 5%, 6%, 3.5%, 2%, −1.5%: 经济 (0–4%), 合格, 高损 (≥ 6%), 经济, 经济, 负损
    # (≤ −1%); the last two are warnings
    assert areas["grade"].to_dict() == {"S1-A1": "经济", "S2-A1": "合格", "S3-A1": "高损",
                                        "S4-A1": "经济", "S5-A1": "经济", "S5-A2": "负损"}
    assert set(areas.index[areas["alert"].astype(bool)]) == {"S3-A1", "S5-A2"}
    assert areas.loc["S5-A2", "v_loss_rate"] == pytest.approx(-0.015)


# --- the planted anomalies of the power demo -------------------------------------------------

@pytest.fixture(scope="module")
def demo(power_demo: dict[str, Any]) -> dict[str, Any]:
    return power_demo


def _csv(demo: dict[str, Any], source: str, **kw: Any) -> pd.DataFrame:
    return pd.read_csv(demo["manifest"]["sources"][source][0], dtype={"station_id": str}, **kw)


def _stations(demo: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in demo["results"]["station_standard"].entities()}


def test_planted_ledgers_tickets_and_voltage(demo: dict[str, Any]) -> None:
    a = demo["manifest"]["anomalies"]
    st = _stations(demo)
    ledgers = _csv(demo, "ledgers")
    sep = ledgers[ledgers["checked_on"] == "2026-09-30"]
    paper = sep[(sep["kind"] == "纸质") & sep["complete"]].groupby("station_id").size() / 27
    for sid, row in st.items():
        assert row["indicators"]["paper_ledgers"]["value"] == pytest.approx(paper.get(sid, 0))
    # 3 paper ledgers not kept and 2 more incomplete: at most 22 of 27
    assert paper[a["ledgers_missing"]] <= 22 / 27
    assert paper.idxmin() == a["ledgers_missing"]
    tickets = _csv(demo, "work_tickets")
    sept = tickets[tickets["issued_on"] >= "2026-09-01"]
    executed = sept[sept["status"] == "已执行"]
    rate = executed.groupby("station_id")["qualified"].mean()
    for sid, value in rate.items():
        assert st[sid]["indicators"]["two_tickets"]["value"] == pytest.approx(value)
    returned = st[a["tickets_returned"]]["indicators"]
    assert returned["returned_tickets"]["value"] >= 6
    assert returned["two_tickets"]["value"] == 1.0  # returned tickets are not unqualified
    assert rate.idxmin() == a["tickets_unqualified"]
    v_a = {sid: row["indicators"]["v_a"]["value"] for sid, row in st.items()}
    assert v_a[a["voltage_low"]] == pytest.approx(0.75, abs=1e-4)
    assert min(v_a, key=lambda s: v_a[s]) == a["voltage_low"]


def test_planted_outages_defects_and_repairs(demo: dict[str, Any]) -> None:
    a = demo["manifest"]["anomalies"]
    st = _stations(demo)
    fault, shortage = st[a["outage_fault"]]["indicators"], st[a["outage_shortage"]]["indicators"]
    assert fault["rs1"]["value"] == pytest.approx(fault["rs3"]["value"])
    # supply shortage counts in RS-1 only
    assert shortage["rs1"]["value"] < shortage["rs3"]["value"]
    rs1 = {sid: row["indicators"]["rs1"]["value"] for sid, row in st.items()}
    assert sorted(rs1, key=lambda s: rs1[s])[:2] == sorted(
        [a["outage_fault"], a["outage_shortage"]], key=lambda s: rs1[s])
    defects = _csv(demo, "defects", parse_dates=["found_at", "closed_at"])
    late = defects.set_index("defect_id").loc[a["defect_late"]]
    assert (late["level"], (late["closed_at"] - late["found_at"]).total_seconds()) == (
        "紧急", 30 * 3600)
    sept = defects[defects["found_at"] >= "2026-09-01"]
    limit = sept["level"].map({"紧急": 24, "重大": 72, "一般": 720})
    hours = (sept["closed_at"] - sept["found_at"]).dt.total_seconds() // 3600
    on_time = (hours <= limit).groupby(sept["station_id"]).mean()
    for sid, value in on_time.items():
        assert st[sid]["indicators"]["defects_on_time"]["value"] == pytest.approx(value)
    repairs = _csv(demo, "repairs", parse_dates=["received_at", "arrived_at"])
    sept_r = repairs[repairs["received_at"] >= "2026-09-01"]
    minutes = (sept_r["arrived_at"] - sept_r["received_at"]).dt.total_seconds() // 60
    in_time = minutes <= sept_r["zone"].map({"城区": 45, "农村": 90, "偏远": 120})
    by_id = dict(zip(sept_r["repair_id"], in_time, strict=True))
    assert by_id[a["repair_remote"]] and not by_id[a["repair_rural_late"]]
    for sid, value in in_time.groupby(sept_r["station_id"]).mean().items():
        assert st[sid]["indicators"]["arrival"]["value"] == pytest.approx(value)


def test_forced_distribution_across_the_stations(demo: dict[str, Any]) -> None:
    st = _stations(demo)
    assert len(st) == 12
    grades = [row["grade"] for row in st.values()]
    # 20% of 12 = 2.4 → at most 2 标杆; 40% of 12 = 4.8 → at most 4 规范化
    assert grades.count("标杆供电所") <= 2 and grades.count("规范化供电所") <= 4
    # the quotas bite: some station at or above 80 is graded lower than its total alone gives
    assert any(row["total"] >= 80 and row["grade"] == "达标供电所" for row in st.values())
    # a better total never gets a worse grade
    order = ["标杆供电所", "规范化供电所", "达标供电所", "未达标供电所"]
    ranked = sorted(st.values(), key=lambda r: -r["total"])
    ranks = [order.index(r["grade"]) for r in ranked]
    assert ranks == sorted(ranks)


def test_station_standard_source_files_exist(demo: dict[str, Any]) -> None:
    root: Path = demo["root"]
    assert (root / "schemes" / "station_standard.yaml").exists()
    assert "$" not in (root / "schemes" / "station_standard.yaml").read_text(encoding="utf-8")
