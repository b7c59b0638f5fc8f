"""The version-2 consequence examples of docs/scheme-language.md run as written.

Each example is a workspace under docs/examples/NAME (org, sources, schemes, data/SOURCE.csv);
the chapter shows its scheme file, marked ``<!-- example: docs/examples/…/x.yaml -->`` right
before the code block, and this test checks the block is the file, imports the data, runs the
scheme and compares with the values computed by hand below.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from kaohe.engine.run import run_scheme
from kaohe.workspace import Workspace
from kaohe.workspace.importer import import_file

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "scheme-language.md"
MARK = re.compile(r"<!-- example: (docs/examples/[\w/.-]+) -->\s*```yaml\n(.*?)```", re.S)


def run_example(name: str, scheme: str, period: str, tmp_path: Path) -> dict[str, Any]:
    root = tmp_path / name
    shutil.copytree(ROOT / "docs" / "examples" / name, root)
    ws = Workspace.open(root)
    for data in sorted((root / "data").glob("*.csv")):
        import_file(ws.store, ws.org, ws.source(data.stem), data)
    result = run_scheme(ws, scheme, period).result
    return {e["id"]: e for e in result.entities()}


def test_doc_blocks_are_the_example_files() -> None:
    text = DOC.read_text(encoding="utf-8")
    found = MARK.findall(text)
    shown = {path for path, _block in found}
    for path in ("docs/examples/forced_distribution/schemes/dept_month.yaml",
                 "docs/examples/channel_commission/schemes/channel_commission.yaml",
                 "docs/examples/post_budget/schemes/post_budget.yaml"):
        assert path in shown, path
    for path, block in found:
        assert block == (ROOT / path).read_text(encoding="utf-8"), path


def test_forced_distribution(tmp_path: Path) -> None:
    got = run_example("forced_distribution", "dept_month", "2026-10", tmp_path)
    # totals: D1 (97+95)/2 = 96, D2 93, D3 (94+92)/2 = 93, D4 91, D5 85, D6 57.5
    assert {k: e["total"] for k, e in got.items()} == {
        "D1": 96.0, "D2": 93.0, "D3": 93.0, "D4": 91.0, "D5": 85.0, "D6": 57.5}
    # of 6: 优秀 floor(1.2) = 1 → D1; 93 93 cannot join 优秀 (1 + 2 > 1) → 良好 together
    # (2 ≤ floor(2.4) = 2); D4 91: 良好 full → 合格, though 91 ≥ 90; D6 < 60 → 不合格
    assert {k: e["grade"] for k, e in got.items()} == {
        "D1": "优秀", "D2": "良好", "D3": "良好", "D4": "合格", "D5": "合格", "D6": "不合格"}
    assert {k: e["payout"] for k, e in got.items()} == {
        "D1": 12000.0, "D2": 11000.0, "D3": 11000.0, "D4": 10000.0, "D5": 10000.0, "D6": 0.0}
    assert [k for k, e in got.items() if e["alert"]] == ["D6"]


def test_channel_commission(tmp_path: Path) -> None:
    got = run_example("channel_commission", "channel_commission", "2026-10", tmp_path)
    assert set(got) == {"CH1", "CH2", "CH3"}
    # CH1: 12 cards, 11 active (mou ≥ 5) → 11/12 = 0.917 → (0.917 − 0.5)/0.4 > 1 → 100 → 五星
    #      星级 500 × 1.5 = 750; tiers 5 × 10 + 5 × 15 + 2 × 20 = 165; 1 fake → −30
    # CH2: 6 cards, 2 active → 0.333 < 0.5 → 0 → 三星 (no coefficient: 0);
    #      tiers 5 × 10 + 1 × 15 = 65; 4 fake → −120; payout 65 − 120 = −55 (a clawback)
    # CH3: 3 cards, all active → 五星 750; tiers 3 × 10 = 30; no fake → 0
    assert {k: e["payout_lines"] for k, e in got.items()} == {
        "CH1": {"星级奖励": 750.0, "开户酬金": 165.0, "养卡扣回": -30.0},
        "CH2": {"星级奖励": 0.0, "开户酬金": 65.0, "养卡扣回": -120.0},
        "CH3": {"星级奖励": 750.0, "开户酬金": 30.0, "养卡扣回": 0.0},
    }
    assert {k: e["payout"] for k, e in got.items()} == {
        "CH1": 885.0, "CH2": -55.0, "CH3": 780.0}


def test_post_budget(tmp_path: Path) -> None:
    got = run_example("post_budget", "post_budget", "2026-10", tmp_path)
    # A1: 50/50 actual → 100; 1 small error → −20; 3000 × 100 / 100 = 3000
    # A2: 49/50 = 0.98 → 0.9 × 100 = 90; −20 − 50 = −70; 2500 × 90 / 100 = 2250
    # A3: 40/40 → 100, altered card (涂改) −10 → 90 → 合格, demoted one step → 待岗;
    #     1 small + 11 big errors → −20 − 550 = −570 → min −500; 2000 × 90 / 100 = 1800
    assert {k: (e["total"], e["grade"], e["alert"]) for k, e in got.items()} == {
        "A1": (100.0, "合格", False), "A2": (90.0, "合格", False), "A3": (90.0, "待岗", True)}
    assert {k: e["payout_lines"] for k, e in got.items()} == {
        "A1": {"绩效工资": 3000.0, "差错扣款": -20.0},
        "A2": {"绩效工资": 2250.0, "差错扣款": -70.0},
        "A3": {"绩效工资": 1800.0, "差错扣款": -500.0},
    }
    assert {k: e["payout"] for k, e in got.items()} == {"A1": 2980.0, "A2": 2180.0, "A3": 1300.0}


@pytest.mark.parametrize("name", ["forced_distribution", "channel_commission", "post_budget"])
def test_examples_pass_check(name: str) -> None:
    from kaohe.cli.checking import check_workspace

    problems, _checked = check_workspace(ROOT / "docs" / "examples" / name, None)
    assert problems == []
