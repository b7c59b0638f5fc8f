"""print_ranking on a recording rich Console."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from kaohe.report import print_ranking
from kaohe.results import RunResult


def _render(result: RunResult, **kwargs: Any) -> str:
    console = Console(record=True, width=160, color_system=None)
    print_ranking(result, console=console, **kwargs)
    return console.export_text()


def _table_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("│")]


def test_headers_and_order(result: RunResult) -> None:
    text = _render(result)
    header = [line for line in text.splitlines() if line.startswith("┃")]
    assert [c.strip() for c in header[0].strip("┃").split("┃")] == \
        ["排名", "名称", "所属单位", "分组", "总分", "等级", "标记"]
    assert [c.strip() for c in header[1].strip("┃").split("┃")] == \
        ["Rank", "Name", "Unit", "Group", "Total", "Grade", "Flag"]
    assert "营业员星级考核 2026-10 考核结果" in text
    lines = _table_lines(text)
    # Highest total first across both groups.
    names = [next(n for n in ("张三", "李四", "王五", "赵六", "钱七") if n in line)
             for line in lines]
    assert names == ["张三", "李四", "赵六", "钱七", "王五"]
    assert "97.00" in lines[0] and "U01" in lines[0] and "城东营业厅" in lines[0]
    assert "81.67" in lines[2] and "U02" in lines[2]
    assert "末位淘汰" in lines[3]
    assert "否决" in lines[4]
    assert "末位淘汰" not in lines[0] and "否决" not in lines[0]


def test_limit_and_flagged_line(result: RunResult) -> None:
    text = _render(result, limit=2)
    lines = _table_lines(text)
    assert len(lines) == 2
    assert "钱七" not in "\n".join(lines)
    # The eliminated clerk is listed even though she is not in the top rows.
    flagged = [line for line in text.splitlines() if line.startswith("末位淘汰")]
    assert flagged == ["末位淘汰 eliminate (1): 钱七（P005，U02）"]
    assert "前 2 / 共 5" in text


def test_no_peers_and_no_flags(result_factory: Any, rows_factory: Any) -> None:
    rows = rows_factory(3)
    rows[-1] = rows[-1][:8] + (False,) + rows[-1][9:]  # nobody eliminated
    text = _render(result_factory(rows=rows, peers=False, has_payout=False), limit=0)
    assert "分组" not in text and "Group" not in text
    assert len(_table_lines(text)) == 3
    assert "末位淘汰 eliminate: 无 none" in text


def test_empty(result_factory: Any) -> None:
    res = result_factory()
    empty = RunResult(**{**res.__dict__, "table": res.table.iloc[0:0]})
    assert "无考核对象 no entities" in _render(empty)
