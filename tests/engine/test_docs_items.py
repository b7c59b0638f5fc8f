"""The examples of docs/scheme-language.md's chapter on items and roll-up run as written:
every ``# sources/…`` / ``# schemes/…`` block is written to a workspace, facts are imported,
and each scheme runs for 2026-10 with values checked by hand."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wsbuilder import WsBuilder, col

DOC = Path(__file__).parents[2] / "docs" / "scheme-language.md"
CHAPTER = "## Version 2: items and roll-up"


def _blocks() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(CHAPTER)
    end = text.find("\n## ", start + 1)
    chapter = text[start:end if end > 0 else None]
    out = {}
    for block in re.findall(r"```yaml\n(.*?)```", chapter, re.S):
        first = block.splitlines()[0]
        if first.startswith("# sources/") or first.startswith("# schemes/"):
            out[first[2:].strip()] = block
    return out


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> WsBuilder:
    root = tmp_path_factory.mktemp("docs_items")
    b = WsBuilder(root)
    b.units([("R", "市公司", "city", "", ""), ("H1", "城东厅", "hall", "R", ""),
             ("A1", "甲代理", "代理点", "R", "Q1"), ("A2", "乙代理", "代理点", "R", "Q1"),
             ("A3", "丙代理", "代理点", "R", "")], extra=["channel_manager"])
    b.people([("P1", "张三"), ("Q1", "渠道王")])
    b.assignments([("P1", "H1", "客户经理", "2026-01-01", ""),
                   ("Q1", "R", "渠道经理", "2026-01-01", "")])
    blocks = _blocks()
    assert len(blocks) == 9, sorted(blocks)  # 4 sources, 5 schemes
    for name, text in blocks.items():
        (root / name).write_text(text, encoding="utf-8")
    b.facts("activations", [
        {"number": "13800000001", "clerk": "P1", "hall": "H1", "at": "2026-07-03 10:00"},
        {"number": "13800000002", "clerk": "P1", "hall": "H1", "at": "2026-07-09 10:00"}])
    b.facts("calls", [{"msisdn": "13800000001", "hall": "H1", "at": "2026-10-02 09:00",
                       "minutes": 3}] * 2)
    b.facts("usage", [
        {"customer": "K1", "manager": "P1", "hall": "H1", "day": "2026-08-02", "level": "VIP",
         "amount": 30},
        {"customer": "K2", "manager": "P1", "hall": "H1", "day": "2026-10-02", "level": "金卡",
         "amount": 150}])
    b.facts("hall_sales", [{"unit_id": u, "day": "2026-10-05", "n": n}
                           for u, n in (("A1", 20), ("A2", 40), ("A3", 4))])
    return b


def test_yangka(ws: WsBuilder) -> None:
    t = ws.run("yangka", "2026-10")
    # two July cards; 2 calls → 20 points (疑似养卡), none → 0
    assert col(t, "total") == {"13800000001": 20, "13800000002": 0}
    assert set(col(t, "grade").values()) == {"疑似养卡"}


def test_zero_use_and_manager_rollup(ws: WsBuilder) -> None:
    t = ws.run("zero_use", "2026-10")
    # K1: no October spend → 0, 红色; K2: 150 → 100, 正常
    assert col(t, "grade") == {"K1": "红色", "K2": "正常"}
    m = ws.run("manager_warnings", "2026-10")
    # P1: one red customer → penalty 1, total max(0 − 1, 0) = 0; two customers
    assert m.loc["P1", "v_red"] == 1 and m.loc["P1", "p_red"] == -1
    assert m.loc["P1", "v_customers"] == 2


def test_channel_manager_via(ws: WsBuilder) -> None:
    ws.run("partner_star", "2026-10")
    t = ws.run("channel_manager", "2026-10")
    # A1 20 → 50, A2 40 → 100: avg 75 → 70 × (75 − 60) / 30 = 35; sales 60 → 30 × 60/200 = 9
    assert t.loc["Q1", "v_partners"] == 75 and t.loc["Q1", "v_sales"] == 60
    assert t.loc["Q1", "total"] == 44
