"""``kaohe run --adjustments FILE`` / ``--no-adjustments`` and ``kaohe revisions`` (spec §19):
bad files stop with exit 2, every problem listed with its row, nothing stored; good ones store
a new revision whose JSON lists the adjustments; every revision can be read back."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))

from wsbuilder import WsBuilder, avg_of, person_scheme, scored, value_rows  # noqa: E402

from kaohe.cli.main import main, out  # noqa: E402
from kaohe.engine.revisions import revisions  # noqa: E402
from kaohe.workspace import Workspace  # noqa: E402

# totals = t; 三星 from 70 pays 1000 × 0.8, 二星 from 60 pays 1000 × 0.48
SCHEME = person_scheme(
    [scored("t", avg_of("t"), 100, {"rule": "linear", "floor": 0, "target": 100})],
    grades=[[70, "三星"], [60, "二星"], [0, "一星"]],
    payout={"base": 1000, "coefficient": {"三星": 0.8, "二星": 0.48}})
VALUES = {"P1": {"t": 90}, "P2": {"t": 72}, "P3": {"t": 65}, "P4": {"t": 50}, "P5": {"t": 40},
          "P6": {"t": 30}}


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    out.width = 220  # type: ignore[misc]
    with pytest.raises(SystemExit) as done:
        main(list(args))
    got = capsys.readouterr()
    return int(done.value.code or 0), got.out, got.err


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    b = WsBuilder(tmp_path_factory.mktemp("adj")).standard_org().standard_sources()
    b.scheme("star", SCHEME)
    b.facts("tx", value_rows(VALUES))
    return b.root


def stored(ws: Path) -> int:
    return len(revisions(Workspace.open(ws).store, "star", "2026-10"))


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_file_lists_every_problem_and_stores_nothing(
        ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = write(tmp_path / "bad.csv", "entity,code,kind,amount,reason\n"
                "P3,t,value,74,ok\n"           # row 2: fine
                "PX,t,points,1,who\n"           # row 3: unknown entity
                "P2,speed,value,1,what\n"       # row 4: unknown indicator
                "P2,t,bonus,1,\n"               # row 5: bad kind
                "P2,t,points,一,\n"             # row 6: bad amount
                "P4,,value,80,\n")              # row 7: a value without an indicator
    before = stored(ws)
    status, _out, err = run_cli(capsys, "-w", str(ws), "run", "star", "--period", "2026-10",
                                "--adjustments", str(bad))
    assert status == 2
    for piece in ("5 个问题", "第 3 行", "'PX'", "第 4 行", "'speed'", "第 5 行", "'bonus'",
                  "第 6 行", "'一'", "第 7 行", "bad.csv"):
        assert piece in err, piece
    assert "第 2 行" not in err
    assert stored(ws) == before


def test_missing_column_and_wrong_type(ws: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    nocol = write(tmp_path / "nocol.csv", "entity,code,amount\nP3,t,74\n")
    status, _o, err = run_cli(capsys, "-w", str(ws), "run", "star", "-p", "2026-10",
                              "--adjustments", str(nocol))
    assert status == 2 and "[kind]" in err and "[reason]" in err
    txt = write(tmp_path / "a.txt", "x")
    status, _o, err = run_cli(capsys, "-w", str(ws), "run", "star", "-p", "2026-10",
                              "--adjustments", str(txt))
    assert status == 2 and ".csv or .xlsx" in err
    status, _o, err = run_cli(capsys, "-w", str(ws), "run", "star", "-p", "2026-10",
                              "--adjustments", str(nocol), "--no-adjustments")
    assert status == 2


def test_xlsx_revision_json_keep_drop_and_read_back(
        ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = stored(ws)
    assert run_cli(capsys, "-w", str(ws), "run", "star", "-p", "2026-10")[0] == 0
    wb = openpyxl.Workbook()
    sheet = wb.active
    for r in (["entity", "code", "kind", "amount", "reason"], ["P3", "t", "value", 74, "漏计"],
              ["P6", None, "points", -5, "扣分"]):
        sheet.append(r)
    wb.save(tmp_path / "adj.xlsx")
    status, text, _e = run_cli(capsys, "-w", str(ws), "run", "star", "-p", "2026-10",
                               "--adjustments", str(tmp_path / "adj.xlsx"),
                               "--out", str(tmp_path / "r.json"))
    assert status == 0 and f"第 {first + 2} 版" in text and "含 2 项调整" in text
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["revision"] == first + 2
    e = {x["id"]: x for x in data["entities"]}
    # P3: 74 → 三星 → 800 (1000 × 0.8); P6: 30 − 5 = 25, still 一星, paid 0
    assert (e["P3"]["grade"], e["P3"]["payout"], e["P3"]["indicators"]["t"]["value"]) == (
        "三星", 800.0, 74.0)
    assert e["P6"]["total"] == 25.0
    assert e["P6"]["adjustments"] == [{"code": None, "kind": "points", "amount": -5.0,
                                       "reason": "扣分"}]
    assert "adjustments" not in e["P1"]
    # a plain run keeps them, --no-adjustments drops them
    run_cli(capsys, "-w", str(ws), "run", "star", "-p", "2026-10", "--out",
            str(tmp_path / "kept.json"))
    kept = {x["id"]: x for x in json.loads((tmp_path / "kept.json").read_text("utf-8"))
            ["entities"]}
    assert kept["P3"]["payout"] == 800.0 and len(kept["P3"]["adjustments"]) == 1
    run_cli(capsys, "-w", str(ws), "run", "star", "-p", "2026-10", "--no-adjustments",
            "--out", str(tmp_path / "none.json"))
    none = {x["id"]: x for x in json.loads((tmp_path / "none.json").read_text("utf-8"))
            ["entities"]}
    assert none["P3"]["payout"] == 480.0 and "adjustments" not in none["P3"]  # 1000 × 0.48
    # the list, and the adjusted revision read back after two later ones
    status, text, _e = run_cli(capsys, "-w", str(ws), "revisions", "star", "-p", "2026-10")
    assert status == 0 and text.count("第 ") == first + 4 and "调整 adjustments: 2" in text
    status, _t, _e = run_cli(capsys, "-w", str(ws), "revisions", "star", "-p", "2026-10",
                             "--revision", str(first + 2), "--out", str(tmp_path / "back.json"))
    back: dict[str, Any] = json.loads((tmp_path / "back.json").read_text("utf-8"))
    b = {x["id"]: x for x in back["entities"]}
    assert (back["revision"], back["run_id"], back["latest"]) == (first + 2, data["run_id"],
                                                                 False)
    assert (b["P3"]["payout"], b["P6"]["total"]) == (800.0, 25.0)
    status, _t, err = run_cli(capsys, "-w", str(ws), "revisions", "star", "-p", "2026-10",
                              "--revision", "99")
    assert status == 2 and "99" in err


def test_adjustments_refuse_a_range(ws: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    f = write(tmp_path / "a.csv", "entity,code,kind,amount,reason\nP3,t,value,74,x\n")
    status, _o, err = run_cli(capsys, "-w", str(ws), "run", "star", "-p", "2026-09..2026-10",
                              "--adjustments", str(f))
    assert status == 2 and "2026-09..2026-10" in err
