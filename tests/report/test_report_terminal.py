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
        ["排名", "编号", "名称", "所属单位", "总分", "等级", "标记"]
    assert [c.strip() for c in header[1].strip("┃").split("┃")] == \
        ["Rank", "ID", "Name", "Unit", "Total", "Grade", "Flag"]
    assert "营业员星级考核 2026-10 考核结果" in text
    # One table per peer group, headed by the group (no group_name in the fixture: its key),
    # ranks 1..n within each group, the group's rows in rank order.
    lines = text.splitlines()
    u01 = next(i for i, line in enumerate(lines) if "分组 U01" in line)
    u02 = next(i for i, line in enumerate(lines) if "分组 U02" in line)
    assert u01 < u02
    rows = _table_lines(text)
    names = [next(n for n in ("张三", "李四", "王五", "赵六", "钱七") if n in line)
             for line in rows]
    assert names == ["张三", "李四", "王五", "赵六", "钱七"]
    ranks = [line.strip("│").split("│")[0].strip() for line in rows]
    assert ranks == ["1", "2", "3", "1", "2"]
    assert "P001" in rows[0] and "97.00" in rows[0] and "城东营业厅" in rows[0]
    assert "P004" in rows[3] and "81.67" in rows[3]
    assert "否决" in rows[2] and "末位淘汰" in rows[4]
    assert "末位淘汰" not in rows[0] and "否决" not in rows[0]
    assert "前 3 / 共 3" in text and "前 2 / 共 2" in text


def test_limit_and_flagged_line(result: RunResult) -> None:
    # two groups share a limit of 2: at least 3 rows each is shown (all of U01's, all of U02's)
    text = _render(result, limit=2)
    assert len(_table_lines(text)) == 5
    one = _render(result_single_group(result), limit=2)
    lines = _table_lines(one)
    assert len(lines) == 2
    assert "钱七" not in "\n".join(lines)
    # The eliminated clerk is listed even though she is not in the top rows.
    flagged = [line for line in one.splitlines() if line.startswith("末位淘汰")]
    assert flagged == ["末位淘汰 eliminate (1): 钱七（P005，ALL）"]
    assert "前 2 / 共 5" in one


def result_single_group(result: RunResult) -> RunResult:
    """The fixture with everyone in one peer group (ranked by total, as the engine would)."""
    table = result.table.assign(g_unit="ALL").sort_values("total", ascending=False)
    table = table.assign(rank=range(1, len(table) + 1), group_size=len(table))
    return RunResult(**{**result.__dict__, "table": table})


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
