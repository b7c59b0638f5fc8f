"""Issue 13: ``kaohe explain`` for people — the 口径, values in their format, the rule as a
sentence, 0 (not a dash) for a count over no rows, money as ¥3,999.00 and the peer group's name
instead of its unit id. Scheme e: clerks ranked per hall; vol = count(*) of tx, linear 0..10
(W 100); payout 3999 × 1 for the one grade. P1 has 5 rows in October, P2 none."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from rich.console import Console

from kaohe.cli.explaining import explain_entity

sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))  # wsbuilder
from wsbuilder import WsBuilder, person_scheme, scored  # noqa: E402


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> WsBuilder:
    b = WsBuilder(tmp_path_factory.mktemp("explain")).standard_org().standard_sources()
    b.scheme("e", person_scheme(
        [scored("vol", "count(*)", 100, {"rule": "linear", "floor": 0, "target": 10},
                description="本月以本人工号办理的业务笔数。",
                format={"kind": "count", "unit": "笔"})],
        peers=["unit"], grades=[[0, "合格"]],
        payout={"base": 3999, "coefficient": {"合格": 1}}))
    b.facts("tx", [{"person_id": "P1", "unit_id": "H1", "at": f"2026-10-0{d} 10:00:00", "n": 1}
                   for d in range(1, 6)])
    return b


def explain(ws: WsBuilder, who: str) -> str:
    buf = io.StringIO()
    explain_entity(ws.workspace(), "e", "2026-10", who, 0, None,
                   Console(file=buf, width=220, color_system=None))
    return buf.getvalue()


def test_a_count_over_no_rows_is_zero(ws: WsBuilder) -> None:
    text = explain(ws, "P2")
    assert "COUNT(*) = 0" in text and "COUNT(*) = —" not in text
    assert "0 笔" in text  # the value in its format


def test_money_group_name_definition_and_sentence(ws: WsBuilder) -> None:
    text = explain(ws, "P1")
    assert "兑现金额 payout ¥3,999.00" in text  # 3999 × 1, not 3999.0000
    assert "3999.0000" not in text
    assert "分组 group 城东厅" in text and "分组 group H1" not in text  # H1 is 城东厅
    assert "5 笔" in text  # five rows
    assert "口径：本月以本人工号办理的业务笔数。" in text
    # linear 0..10 with W 100 and unit 笔: the sentence shape
    assert "目标 10 笔得满分 100 分，按比例计分" in text
    assert "50.00" in text  # 100 × 5 / 10
