"""The workbook a marketing department (市场部) sends out as the period's notice (通报).

Sheets: 排名 Ranking (the table), 图表 Chart (top totals), 等级分布 Grades, 指标说明 Indicators,
and 预警清单 Alerts when the scheme declares alerts.
"""

from __future__ import annotations

from pathlib import Path

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from kaohe.report.common import (
    YES,
    Column,
    Row,
    base_columns,
    display_width,
    flag_columns,
    grade_colours,
    grade_labels,
    indicator_columns,
    is_true,
    plain,
    records,
    report_title,
)
from kaohe.report.xlsx_alerts import write_alerts
from kaohe.report.xlsx_sheets import write_chart, write_grades, write_indicators
from kaohe.report.xlsx_style import Formats, excel_col, set_widths, shown_width, write_cell
from kaohe.results import RunResult

RANKING_SHEET = "排名 Ranking"
TITLE_ROW = 0
INFO_ROW = 1
HEADER_ROW = 2
FIRST_DATA_ROW = 3
# Keep 排名 and 名称 visible while scrolling right through the indicator columns.
FROZEN_COLUMNS = 2


def _info_line(result: RunResult, rows: list[Row]) -> str:
    parts = [
        f"方案 scheme: {result.scheme}",
        f"期间 period: {result.period}",
        f"运行 run: {result.run_id}",
        f"共 {len(rows)} 个考核对象 entities",
    ]
    if result.has_payout:
        total = sum(float(r["payout"]) for r in rows if plain(r.get("payout")) is not None)
        parts.append(f"兑现合计 payout total: {total:,.2f}")
    parts.append("灰色 = 数据缺失 grey = missing; 红色行 = 末位淘汰 red row = eliminated")
    return " · ".join(parts)


def write_ranking(book: Workbook, fmts: Formats, result: RunResult, rows: list[Row]) -> None:
    ws = book.add_worksheet(RANKING_SHEET)
    cols: list[Column] = base_columns(result) + indicator_columns(result) + flag_columns(result)
    ws.write_string(TITLE_ROW, 0, report_title(result), fmts.title)
    ws.write_string(INFO_ROW, 0, _info_line(result, rows), fmts.info)
    ws.set_row(TITLE_ROW, 24)

    # Indicator headers ('明查暗访扣分 得分') wrap at the space onto two lines rather than make
    # every indicator column as wide as its full header.
    widths = [max(display_width(part) for part in c.header.split(" ")) if c.code
              else display_width(c.header) for c in cols]
    for c, col in enumerate(cols):
        ws.write_string(HEADER_ROW, c, col.header, fmts.header)
    for i, row in enumerate(rows):
        r = FIRST_DATA_ROW + i
        for c, col in enumerate(cols):
            value = col.get(row)
            missing = col.code is not None and is_true(row.get(f"m_{col.code}"))
            write_cell(ws, r, c, value, fmts.cell(col.kind, missing))
            widths[c] = max(widths[c], shown_width(value, col.kind))
    set_widths(ws, widths)
    ws.set_row(HEADER_ROW, 32)  # room for the two-line indicator headers

    last_row = FIRST_DATA_ROW + max(len(rows), 1) - 1
    last_col = len(cols) - 1
    ws.freeze_panes(FIRST_DATA_ROW, FROZEN_COLUMNS)
    ws.autofilter(HEADER_ROW, 0, last_row if rows else HEADER_ROW, last_col)
    if not rows:
        return
    _grade_rules(ws, fmts, result, cols, last_row)
    # Conditional (not fixed) fills so the highlight follows the row when the user sorts.
    elim = excel_col(next(i for i, c in enumerate(cols) if c.header == "末位淘汰"))
    ws.conditional_format(FIRST_DATA_ROW, 0, last_row, last_col, {
        "type": "formula",
        "criteria": f'=${elim}{FIRST_DATA_ROW + 1}="{YES}"',
        "format": fmts.eliminated,
    })


def _grade_rules(ws: Worksheet, fmts: Formats, result: RunResult, cols: list[Column],
                 last_row: int) -> None:
    """One fill per grade label, first grade green through last red. Added before the
    eliminated-row rule so the grade cell keeps its colour on an eliminated row."""
    labels = grade_labels(result)
    if not labels:
        return
    gcol = next(i for i, c in enumerate(cols) if c.header == "等级")
    for label, colour in zip(labels, grade_colours(len(labels)), strict=True):
        quoted = '"' + label.replace('"', '""') + '"'
        ws.conditional_format(FIRST_DATA_ROW, gcol, last_row, gcol, {
            "type": "cell", "criteria": "==", "value": quoted,
            "format": fmts.grade_fill(colour),
        })


def write_xlsx(result: RunResult, path: Path) -> None:
    rows = records(result)
    book = xlsxwriter.Workbook(str(path))
    try:
        book.set_properties({
            "title": report_title(result),
            "subject": f"{result.scheme} {result.period}",
            "author": "kaohe",
            "comments": f"run {result.run_id}",
        })
        fmts = Formats(book)
        write_ranking(book, fmts, result, rows)
        write_chart(book, fmts, result, rows)
        write_grades(book, fmts, result, rows)
        write_indicators(book, fmts, result)
        write_alerts(book, fmts, result)
    finally:
        book.close()
