"""``kaohe whatif`` (engine/whatif.py): a draft back-tested on stored periods, nothing stored.

Scheme m (monthly clerks of the standard org, P1…P6): vol = sum(n) of pz, linear 0..100;
cnt = count(*) of pz, linear 0..2; grades 优 ≥ 80, 良 ≥ 50, 差; the last place is eliminated;
payout lines 星级奖 (100 × {优: 2, 良: 1}) and 量奖 (vol yuan). Stored weights vol 60 / cnt 40;
the draft changes only the weights: vol 90 / cnt 10. pz rows are the same in Sep and Oct:
P1 90 (1 row), P2 30 + 30, P3 5 + 5, P4 50 + 50, P5 20, P6 40.

By hand (points = weight × min(v / target, 1)):
        stored 60/40                       draft 90/10
  P1    54 + 20 = 74  良  100 + 90 = 190   81 + 5 = 86   优  200 + 90 = 290
  P2    36 + 40 = 76  良  100 + 60 = 160   54 + 10 = 64  良  160
  P3     6 + 40 = 46  差    0 + 10 = 10     9 + 10 = 19  差   10  (last: eliminated)
  P4    60 + 40 = 100 优  200 + 100 = 300  90 + 10 = 100 优  300
  P5    12 + 20 = 32  差    0 + 20 = 20    18 + 5 = 23   差   20  (stored last: eliminated)
  P6    24 + 20 = 44  差    0 + 40 = 40    36 + 5 = 41   差   40
  payout sum per month: 720 → 820.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

import kaohe

sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))  # wsbuilder
from wsbuilder import WsBuilder, dump_yaml, person_scheme, scored  # noqa: E402

from kaohe.engine.whatif import load_draft, what_if  # noqa: E402

SRC = str(Path(kaohe.__file__).parents[1])


def scheme(vol: float, cnt: float) -> dict:
    return person_scheme(
        [scored("vol", "sum(n)", vol, {"rule": "linear", "floor": 0, "target": 100},
                source="pz"),
         scored("cnt", "count(*)", cnt, {"rule": "linear", "floor": 0, "target": 2},
                source="pz")],
        grades=[[80, "优"], [50, "良"], [0, "差"]],
        elimination={"bottom": 1, "consecutive": 1},
        payout=[{"name": "星级奖", "base": 100, "coefficient": {"优": 2, "良": 1}},
                {"name": "量奖", "amount": "vol"}])


def _digest(root: Path) -> dict[str, str]:
    """Every file of the workspace but the aggregate cache, by content."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and ".aggregates" not in str(p.relative_to(root)) \
                and "drafts" not in p.parts:
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> WsBuilder:
    b = WsBuilder(tmp_path_factory.mktemp("whatif")).standard_org().standard_sources()
    b.scheme("m", scheme(60, 40))
    amounts = {"P1": [90], "P2": [30, 30], "P3": [5, 5], "P4": [50, 50], "P5": [20],
               "P6": [40]}
    rows = [{"person_id": p, "at": f"2026-{m}-{10 + i:02d} 10:00:00", "n": n}
            for m in ("09", "10") for p, ns in amounts.items() for i, n in enumerate(ns)]
    b.facts("pz", rows)
    for period in ("2026-09", "2026-10"):
        b.run("m", period)
    (b.root / "drafts").mkdir()
    (b.root / "drafts" / "m_draft.yaml").write_text(dump_yaml({"name": "m", **scheme(90, 10)}),
                                                    encoding="utf-8")
    return b


def test_whatif_compares_the_draft_with_the_stored_runs(ws: WsBuilder) -> None:
    before = _digest(ws.root)
    w = what_if(ws.workspace(), "m", load_draft(str(ws.root / "drafts" / "m_draft.yaml"), "m"),
                "2026-09..2026-10")
    assert _digest(ws.root) == before  # no run, no history: the store is byte for byte the same
    assert w.periods == ["2026-09", "2026-10"]
    assert all(w.baseline[p] for p in w.periods)
    by = {(c.period, c.entity_id): c for c in w.changes}
    assert len(by) == 12  # six clerks × two months
    p1 = by[("2026-10", "P1")]
    assert p1.old is not None and p1.new is not None
    assert (p1.old.total, p1.old.grade, p1.old.payout) == (74.0, "良", Decimal("190.00"))
    assert (p1.new.total, p1.new.grade, p1.new.payout) == (86.0, "优", Decimal("290.00"))
    assert p1.old.lines == {"星级奖": Decimal("100.00"), "量奖": Decimal("90.00")}
    assert p1.new.lines == {"星级奖": Decimal("200.00"), "量奖": Decimal("90.00")}
    assert (p1.old.rank, p1.new.rank) == (3, 2)
    assert [(c.period, c.entity_id) for c in w.grade_moves(up=True)] == [
        ("2026-09", "P1"), ("2026-10", "P1")]
    assert w.grade_moves(up=False) == []
    assert {c.entity_id for c in w.entered_elimination()} == {"P3"}
    assert {c.entity_id for c in w.left_elimination()} == {"P5"}
    assert [c.entity_id for c in w.payout_movers()] == ["P1", "P1"]
    assert w.payout_sums() == (Decimal("1440.00"), Decimal("1640.00"))
    (g9, g10) = w.groups
    assert g9.before == {"优": 1, "良": 2, "差": 3} and g9.after == {"优": 2, "良": 1, "差": 3}
    assert (g10.payout_before, g10.payout_after) == (Decimal("720.00"), Decimal("820.00"))
    assert w.reused == 2 and w.computed == 0  # the stored runs' aggregates were kept


def test_whatif_cli_prints_chinese_and_exports_xlsx_and_json(ws: WsBuilder) -> None:
    before = _digest(ws.root)
    xlsx = ws.root / "drafts" / "out.xlsx"
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": SRC}
    cmd = [sys.executable, "-m", "kaohe", "-w", str(ws.root), "whatif", "m", "--draft",
           str(ws.root / "drafts" / "m_draft.yaml"), "--periods", "2026-09..2026-10"]
    r = subprocess.run([*cmd, "--out", str(xlsx)], capture_output=True, text=True,
                       timeout=300, env=env)
    assert r.returncode == 0, r.stderr
    assert "等级上升 2 人次" in r.stdout and "新进入末位淘汰 2" in r.stdout
    assert "1440.00 → 1640.00" in r.stdout
    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames == ["概览", "变动名单", "分组分布", "变化分布", "明细"]
    movers = list(book["变动名单"].iter_rows(values_only=True))
    assert movers[1][:3] == ("等级上升", "2026-09", "P1")
    # payout changes: P1 +100 yuan in each month, the other ten rows 0 → 20 bins of 5 yuan
    bins = list(book["变化分布"].iter_rows(min_row=3, min_col=10, max_col=11,
                                          values_only=True))
    assert bins[0] == ("+0.00…+5.00", 10) and bins[19] == ("+95.00…+100.00", 2)
    assert sum(n for _label, n in bins) == 12
    j = subprocess.run([*cmd, "--json"], capture_output=True, text=True, timeout=300, env=env)
    assert j.returncode == 0, j.stderr
    data = json.loads(j.stdout)
    assert data["summary"]["payout_change"] == "200.00"
    assert data["summary"]["left_elimination"] == 2
    assert _digest(ws.root) == before


def test_whatif_refuses_a_bad_draft_with_its_problem(ws: WsBuilder) -> None:
    bad = ws.root / "drafts" / "bad.yaml"
    bad.write_text(dump_yaml({"name": "m", **scheme(60, 40), "period": "week"}),
                   encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": SRC}
    r = subprocess.run([sys.executable, "-m", "kaohe", "-w", str(ws.root), "whatif", "m",
                        "--draft", str(bad), "--periods", "2026-10"],
                       capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 2
    assert "period" in r.stderr
