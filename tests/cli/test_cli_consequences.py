"""Payout lines and alerts through the CLI and the reports (spec §10, §12): ``kaohe run`` prints
the alerted entities after the ranking, ``kaohe alerts`` lists them from the stored run, the
CSV/JSON/Excel outputs carry one column per line, explain shows how each line was computed,
and the store keeps the lines."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))

from wsbuilder import WsBuilder, avg_of, person_scheme, role, scored, value_rows  # noqa: E402

from kaohe.cli.main import main, out  # noqa: E402
from kaohe.engine.stored_lines import read_lines  # noqa: E402

LIN = {"rule": "linear", "floor": 0, "target": 100}
SCHEME = person_scheme(
    [scored("t", avg_of("t"), 90, LIN), role("cards", avg_of("cards"), "info"),
     role("late", avg_of("late"), "penalty", score={"per": 2}),
     role("major", avg_of("major"), "veto")],
    peers=["unit"], grades=[[80, "绿色"], [60, "橙色"], [0, "红色"]], alerts=["红色", "橙色"],
    payout=[{"name": "阶梯酬金", "on": "cards", "tiers": [[0, 10], [100, 15]]},
            {"name": "扣回", "amount": "-30 * late", "min": -50}])
# totals: P1 t 100 → 90; P2 t 70 → 63 − 2×2 = 59 (红色); P3 t 80 → 72 (橙色);
# P4 vetoed → 0 (红色); P5 t 90 → 81; P6 t 50 → 45 − 2 = 43 (红色)
VALUES: dict[str, dict[str, Any]] = {
    "P1": {"t": 100, "cards": 120}, "P2": {"t": 70, "late": 2, "cards": 50},
    "P3": {"t": 80}, "P4": {"t": 90, "major": 1, "cards": 10}, "P5": {"t": 90},
    "P6": {"t": 50, "late": 1},
}


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    out.width = 220  # type: ignore[misc]
    with pytest.raises(SystemExit) as done:
        main(list(args))
    got = capsys.readouterr()
    return int(done.value.code or 0), got.out, got.err


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    b = WsBuilder(tmp_path_factory.mktemp("cli2")).standard_org().standard_sources()
    b.scheme("warn", SCHEME)
    b.facts("tx", value_rows(VALUES))
    return b.root


def test_run_prints_alerts_and_writes_lines(ws: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    status, text, err = run_cli(capsys, "-w", str(ws), "run", "warn", "--period", "2026-10",
                                "--out", str(tmp_path / "r.csv"))
    assert status == 0, err
    listed = text[text.index("预警 alerts: 4"):]
    # most severe first (红色 before 橙色), then by rank, then id. 红色: P6 (rank 1 of H3),
    # P4 (rank 2 of H2), P2 (rank 3 of H1: 90, 72, 59); then 橙色: P3
    order = [listed.index(name) for name in ("周九", "钱七", "李四", "王五")]
    assert order == sorted(order)
    assert "否决 veto" in listed  # P4's veto is named
    with (tmp_path / "r.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    p1 = next(r for r in rows if r["编号"] == "P1")
    # 120 cards: 100 × 10 + 20 × 15 = 1300; no late → 0
    assert (p1["阶梯酬金"], p1["扣回"], p1["兑现金额"], p1["预警"]) == ("1300", "0", "1300", "")
    p2 = next(r for r in rows if r["编号"] == "P2")
    # 50 × 10 = 500; −30 × 2 = −60 → min −50
    assert (p2["阶梯酬金"], p2["扣回"], p2["兑现金额"], p2["预警"]) == ("500", "-50", "450", "是")


def test_json_and_excel(ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _text, err = run_cli(capsys, "-w", str(ws), "run", "warn", "--period", "2026-10",
                                 "--out", str(tmp_path / "r.json"))
    assert status == 0, err
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    p6 = next(e for e in data["entities"] if e["id"] == "P6")
    assert p6["payout_lines"] == {"阶梯酬金": 0.0, "扣回": -30.0} and p6["alert"] is True
    assert p6["payout"] == -30.0
    status, _text, err = run_cli(capsys, "-w", str(ws), "run", "warn", "--period", "2026-10",
                                 "--out", str(tmp_path / "r.xlsx"))
    assert status == 0, err
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    sheet = book["预警清单"]
    ids = [sheet.cell(row=r, column=3).value for r in range(2, 6)]
    assert ids == ["P6", "P4", "P2", "P3"]
    assert sheet.cell(row=2, column=1).value == "红色"
    ranking = book.worksheets[0]
    headers = [c.value for c in ranking[3]]
    assert "阶梯酬金" in headers and "扣回" in headers and "预警" in headers


def test_alerts_command_reads_the_stored_run(ws: Path, capsys: pytest.CaptureFixture[str]
                                             ) -> None:
    status, _text, err = run_cli(capsys, "-w", str(ws), "run", "warn", "--period", "2026-10")
    assert status == 0, err
    status, text, err = run_cli(capsys, "-w", str(ws), "alerts", "warn", "--period", "2026-10")
    assert status == 0, err
    order = [text.index(p) for p in ("P6", "P4", "P2", "P3")]
    assert order == sorted(order) and "P1" not in text and "P5" not in text
    # what cost points: P2 lost 90 − 63 = 27 of t and −4 of late
    line = next(x for x in text.splitlines() if "P2" in x)
    assert "−27.00" in line and "-4.00" in line
    status, _text, err = run_cli(capsys, "-w", str(ws), "alerts", "warn", "--period", "2026-09")
    assert status == 2 and "没有已完成的运行" in err


def test_store_keeps_the_lines(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kaohe.workspace import Workspace

    status, text, err = run_cli(capsys, "-w", str(ws), "run", "warn", "--period", "2026-10")
    assert status == 0, err
    run_id = text.split("run id:")[1].split()[0]
    lines = read_lines(Workspace.open(ws).store, run_id)
    assert lines["P1"] == {"阶梯酬金": 1300.0, "扣回": 0.0}
    assert list(lines["P2"]) == ["阶梯酬金", "扣回"] and lines["P2"]["扣回"] == -50.0


def test_explain_shows_each_line(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, text, err = run_cli(capsys, "-w", str(ws), "explain", "warn", "--period",
                                "2026-10", "--entity", "P2")
    assert status == 0, err
    assert "[0, 100): 50 × 10 = 500" in text
    assert "-30 * late = -30 * 2 = -60" in text and "低于下限 below min -50 → -50" in text


def test_parquet_has_the_line_columns(ws: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    status, _text, err = run_cli(capsys, "-w", str(ws), "run", "warn", "--period", "2026-10",
                                 "--out", str(tmp_path / "r.parquet"))
    assert status == 0, err
    table = pq.read_table(tmp_path / "r.parquet")
    assert table.schema.field("l_阶梯酬金").type == pa.float64()
    assert table.schema.field("alert").type == pa.bool_()
    meta = json.loads(table.schema.metadata[b"kaohe"])
    assert meta["payout_lines"] == ["阶梯酬金", "扣回"] and meta["alerts"] == ["红色", "橙色"]
    rows = {r["id"]: r for r in table.to_pylist()}
    assert rows["P2"]["l_扣回"] == -50.0 and rows["P2"]["alert"] is True


def test_check_reports_unknown_pool_within(ws: Path, capsys: pytest.CaptureFixture[str]
                                           ) -> None:
    (ws / "schemes" / "badpool.yaml").write_text(
        "entity: person\nperiod: month\nindicators:\n"
        "  - {code: t, source: tx, value: count(*), weight: 100, "
        "score: {rule: linear, target: 10}}\n"
        "payout: [{name: 池, pool: 10, within: [nope]}, {name: 额, amount: '2 * t'}]\n",
        encoding="utf-8")
    try:
        status, _text, err = run_cli(capsys, "-w", str(ws), "check", "badpool")
    finally:
        (ws / "schemes" / "badpool.yaml").unlink()
    assert status == 2 and "payout[0].within" in err and "'nope'" in err
