"""The .xlsx report, read back with openpyxl and zipfile."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from kaohe.report import write_result
from kaohe.results import RunResult

RANKING_HEADERS = [
    "排名", "名称", "编号", "所属单位", "分组", "总分", "等级",
    "业务办理量 值", "业务办理量 得分", "工单及时率 值", "工单及时率 得分",
    "明查暗访扣分 值", "明查暗访扣分 得分", "表扬加分 值", "表扬加分 得分",
    "重大投诉 值", "平均等候时长 值", "否决", "末位淘汰", "兑现金额",
]


@pytest.fixture
def book_path(result: RunResult, tmp_path: Path) -> Path:
    path = tmp_path / "report.xlsx"
    write_result(result, path)
    return path


@pytest.fixture
def book(book_path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(book_path)


def _rows(ws: Worksheet, first: int = 1) -> list[tuple[Any, ...]]:
    return list(ws.iter_rows(min_row=first, values_only=True))


def headers(ws: Worksheet) -> list[str]:
    """The ranking's two header rows as one header per column: '指标 值', '指标 得分', or the
    header merged over both rows ('排名')."""
    top: list[str] = []
    last = ""
    merged = {(m.min_row, m.min_col): m for m in ws.merged_cells.ranges}
    spans = {c: m for (r, c), m in merged.items() if r == 3}
    for cell in ws[3]:
        if cell.value is not None:
            last = str(cell.value)
        elif not any(m.min_col <= cell.column <= m.max_col for m in spans.values()):
            last = ""
        top.append(last)
    out = []
    for name, sub in zip(top, [c.value for c in ws[4]], strict=True):
        out.append(f"{name} {sub}" if sub else name)
    return out


def _by_header(ws: Worksheet) -> dict[str, int]:
    return {h: i + 1 for i, h in enumerate(headers(ws)) if h}


def _rgb(colour: str) -> tuple[int, int, int]:
    colour = colour[-6:]
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def test_sheets(book: openpyxl.Workbook) -> None:
    assert book.sheetnames == ["排名", "图表", "等级分布", "指标说明"]  # Chinese names


def test_ranking_layout(book: openpyxl.Workbook) -> None:
    ws = book["排名"]
    assert ws["A1"].value == "营业员星级考核 2026-10 考核结果"
    assert "兑现合计 payout total: 3,700.00" in ws["A2"].value
    assert headers(ws) == RANKING_HEADERS
    # Frozen below the two header rows, with 排名 and 名称 kept in view.
    assert ws.freeze_panes == "C5"
    assert ws.auto_filter.ref == "A4:T9"
    assert ws["A3"].font.b


def test_ranking_values(book: openpyxl.Workbook) -> None:
    ws = book["排名"]
    rows = _rows(ws, 5)
    assert len(rows) == 5
    table = [dict(zip(RANKING_HEADERS, r, strict=True)) for r in rows]
    assert [r["名称"] for r in table] == ["张三", "李四", "王五", "赵六", "钱七"]
    assert [r["排名"] for r in table] == [1, 2, 3, 1, 2]
    assert [r["分组"] for r in table] == ["U01", "U01", "U01", "U02", "U02"]
    zhang, li, wang, zhao, qian = table
    assert zhang["总分"] == 97 and zhao["总分"] == pytest.approx(81.67)
    assert zhang["等级"] == "五星" and qian["等级"] == "一星"
    assert zhang["工单及时率 值"] == pytest.approx(0.985)
    assert li["工单及时率 值"] is None and li["工单及时率 得分"] == 30
    assert wang["否决"] == "是" and wang["总分"] == 0 and wang["重大投诉 值"] == 1
    assert qian["末位淘汰"] == "是" and zhang["末位淘汰"] in ("", None)
    assert qian["平均等候时长 值"] is None
    assert [r["兑现金额"] for r in table] == [1500, 1200, 0, 1000, 0]


def test_number_formats(book: openpyxl.Workbook) -> None:
    ws = book["排名"]
    col = _by_header(ws)
    row = 5
    fmt = {h: ws.cell(row, col[h]).number_format for h in col}
    assert fmt["总分"] == "0.00"
    assert fmt["业务办理量 得分"] == "0.00"
    assert fmt["表扬加分 得分"] == "0.00"
    assert fmt["工单及时率 值"] == "0.00%"  # a ratio in [0, 1]
    assert fmt["业务办理量 值"] == "0"  # a count
    assert fmt["平均等候时长 值"] == "#,##0.00"
    assert fmt["兑现金额"] == "#,##0.00"
    assert fmt["排名"] == "0"


def test_missing_cells_are_grey(book: openpyxl.Workbook) -> None:
    ws = book["排名"]
    col = _by_header(ws)
    li_value = ws.cell(6, col["工单及时率 值"])
    assert li_value.fill.fgColor.rgb == "FFE7E6E6"
    assert ws.cell(6, col["工单及时率 得分"]).fill.fgColor.rgb == "FFE7E6E6"
    assert ws.cell(5, col["工单及时率 值"]).fill.fill_type is None


def test_conditional_formats(book: openpyxl.Workbook) -> None:
    ws = book["排名"]
    rules = {str(cf.sqref): cf.rules for cf in ws.conditional_formatting}
    grade_rules = rules["G5:G9"]
    assert [r.formula[0] for r in grade_rules] == ['"五星"', '"四星"', '"三星"', '"二星"', '"一星"']
    colours = [r.dxf.fill.bgColor.rgb for r in grade_rules]
    assert len(set(colours)) == 5
    r, g, _ = _rgb(colours[0])
    assert g > r, "first grade is green"
    r, g, _ = _rgb(colours[-1])
    assert r > g, "last grade is red"
    (elim,) = rules["A5:T9"]
    assert elim.type == "expression" and elim.formula == ['$S5="是"']
    assert elim.dxf.fill.bgColor.rgb == "FFF8CBAD"
    # Grade rules come first so a grade cell keeps its colour on an eliminated row.
    assert max(r.priority for r in grade_rules) < elim.priority


def test_column_widths_fit_cjk(book: openpyxl.Workbook) -> None:
    ws = book["排名"]
    dims = ws.column_dimensions
    # '城东营业厅' is five double-width characters.
    assert dims["D"].width >= 10
    # '明查暗访扣分' (12 cells wide) spans its 值 and 得分 columns (L:M), which stay narrow
    assert "L3:M3" in [str(m) for m in ws.merged_cells.ranges]
    assert dims["M"].width < 17
    assert book["排名"]["L3"].alignment.wrap_text


def test_no_payout_column(result_no_payout: RunResult, tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    write_result(result_no_payout, path)
    ws = openpyxl.load_workbook(path)["排名"]
    assert headers(ws) == RANKING_HEADERS[:-1]
    assert "兑现合计" not in ws["A2"].value
    assert ws.auto_filter.ref == "A4:S9"


def test_no_peers_no_group_column(result_factory: Any, tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    write_result(result_factory(peers=False), path)
    book = openpyxl.load_workbook(path)
    assert "分组" not in headers(book["排名"])
    assert [c.value for c in book["图表"][1]] == ["名次", "名称", "总分"]


def test_chart(book_path: Path, book: openpyxl.Workbook) -> None:
    ws = book["图表"]
    assert _rows(ws) == [
        ("名次", "名称", "分组", "总分"),
        (1, "张三", "U01", 97),
        (2, "李四", "U01", 88),
        (3, "赵六", "U02", 81.67),
        (4, "钱七", "U02", 37),
        (5, "王五", "U01", 0),
    ]
    with zipfile.ZipFile(book_path) as z:
        names = z.namelist()
        assert "xl/charts/chart1.xml" in names
        chart = z.read("xl/charts/chart1.xml").decode("utf-8")
        rels = z.read("xl/worksheets/_rels/sheet2.xml.rels").decode("utf-8")
    assert '<c:barDir val="bar"/>' in chart
    assert "<c:f>图表!$D$2:$D$6</c:f>" in chart
    assert "<c:f>图表!$B$2:$B$6</c:f>" in chart
    assert "总分 Totals" in chart
    assert "drawing" in rels  # the chart is placed on the chart sheet


def test_chart_top_30(result_factory: Any, rows_factory: Any, tmp_path: Path) -> None:
    path = tmp_path / "many.xlsx"
    write_result(result_factory(rows=rows_factory(40), has_payout=False), path)
    ws = openpyxl.load_workbook(path)["图表"]
    rows = _rows(ws, 2)
    assert len(rows) == 30
    assert rows[0][1] == "员工01" and rows[-1][1] == "员工30"
    with zipfile.ZipFile(path) as z:
        chart = z.read("xl/charts/chart1.xml").decode("utf-8")
    assert "总分前 30 名 Top 30 totals" in chart
    assert "$D$2:$D$31" in chart
    ranking = openpyxl.load_workbook(path)["排名"]
    assert ranking.max_row == 4 + 40  # title, info, two header rows, then the 40 rows


def test_indicator_sheet(book: openpyxl.Workbook) -> None:
    ws = book["指标说明"]
    rows = _rows(ws)
    assert rows[0] == ("指标", "类别", "权重", "口径", "计分规则", "缺失处理", "显示格式")
    by_name = {r[0]: r for r in rows[1:7]}
    assert list(by_name) == ["业务办理量", "工单及时率", "明查暗访扣分", "表扬加分", "重大投诉",
                             "平均等候时长"]
    # the 口径 and the sentence the result carries; no formula anywhere on the sheet
    assert by_name["业务办理量"] == ("业务办理量", "计分", 40, "本月以本人工号办理的业务笔数。",
                                "目标 300 笔得满分 40 分，按比例计分", "记 0 分", "数量（笔）")
    assert not any("count(" in str(c) for r in rows for c in r)
    assert by_name["工单及时率"][1] == "计分" and by_name["工单及时率"][5] == "记满分（权重分）"
    assert by_name["工单及时率"][3] == "—" and by_name["工单及时率"][6] == "数值"
    assert by_name["表扬加分"][1] == "加分" and by_name["表扬加分"][2] is None
    assert by_name["表扬加分"][5] == "不加分"
    assert by_name["重大投诉"][1] == "否决" and by_name["重大投诉"][5] == "不否决"
    assert by_name["平均等候时长"][1] == "仅展示"
    notes = [r[0] for r in rows[7:] if r[0]]
    assert notes[0] == "说明 Notes"
    assert any("五星 ≥ 95" in n for n in notes)


def test_grade_sheet(book: openpyxl.Workbook) -> None:
    ws = book["等级分布"]
    rows = _rows(ws)
    assert rows[0] == ("等级", "分数线", "人数", "占比")
    assert [(r[0], r[1], r[2]) for r in rows[1:]] == [
        ("五星", 95, 1), ("四星", 85, 1), ("三星", 75, 1), ("二星", 60, 0), ("一星", 0, 2),
        ("合计", None, 5),
    ]
    assert rows[5][3] == pytest.approx(0.4)
    assert ws["D2"].number_format == "0.00%"
    # Grade labels carry their grade colour: first green, last red.
    r, g, _ = _rgb(ws["A2"].fill.fgColor.rgb)
    assert g > r
    r, g, _ = _rgb(ws["A6"].fill.fgColor.rgb)
    assert r > g


def test_grade_sheet_counts_ungraded(result_factory: Any, tmp_path: Path) -> None:
    res = result_factory()
    res.table.loc[res.table["id"] == "P005", "grade"] = None
    path = tmp_path / "r.xlsx"
    write_result(res, path)
    rows = _rows(openpyxl.load_workbook(path)["等级分布"])
    assert ("一星", 0, 1) in [(r[0], r[1], r[2]) for r in rows]
    assert ("无等级", None, 1) in [(r[0], r[1], r[2]) for r in rows]
    assert rows[-1][:3] == ("合计", None, 5)


def test_empty_result(result_factory: Any, tmp_path: Path) -> None:
    res = result_factory()
    empty = RunResult(**{**res.__dict__, "table": res.table.iloc[0:0]})
    path = tmp_path / "empty.xlsx"
    write_result(empty, path)
    book = openpyxl.load_workbook(path)
    ws = book["排名"]
    assert headers(ws) == RANKING_HEADERS
    assert ws.max_row == 4


def test_fonts_headers_and_page_setup(book: openpyxl.Workbook) -> None:
    """Issue 13: 宋体 body, 微软雅黑 titles and headers, 指标 merged over 值/得分, A4 landscape
    fitted to the page width with the header rows printed on every page."""
    ws = book["排名"]
    assert ws["A1"].font.name == "微软雅黑"  # the title
    assert ws["A3"].font.name == "微软雅黑" and ws["H4"].font.name == "微软雅黑"  # headers
    assert ws["B5"].font.name == "宋体" and ws["F5"].font.name == "宋体"  # body cells
    merged = {str(m) for m in ws.merged_cells.ranges}
    # 排名 spans both header rows; 业务办理量 spans its 值 (H) and 得分 (I); 重大投诉 has no
    # points: one column (P), not merged sideways
    assert "A3:A4" in merged and "H3:I3" in merged and "H3:I4" not in merged
    assert ws["H3"].value == "业务办理量" and (ws["H4"].value, ws["I4"].value) == ("值", "得分")
    assert ws["P3"].value == "重大投诉" and ws["P4"].value == "值"
    assert not any(m.startswith("P3:") and m != "P3:P3" for m in merged)
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert sheet.page_setup.paperSize in (9, "9"), sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert sheet.page_setup.fitToWidth in (1, "1", None)  # None: the default, 1
        assert sheet.page_setup.fitToHeight in (0, "0")
    assert ws.print_title_rows == "$3:$4"
    assert book["指标说明"].print_title_rows == "$1:$1"
    assert book["指标说明"]["A2"].font.name == "宋体"
