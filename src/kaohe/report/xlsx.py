"""The workbook a marketing department (市场部) sends out as the period's notice (通报).

Sheets (Chinese names): 排名 (the table, two header rows: 指标 over 值/得分), 图表 (top totals),
等级分布 (grades), 指标说明 (口径 and rules), and 预警清单 when the scheme declares alerts. Every
sheet prints A4 landscape, fitted to the page width, with its header rows on every page.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
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
    top_records,
)
from kaohe.report.safe import write_text
from kaohe.report.xlsx_alerts import write_alerts
from kaohe.report.xlsx_sheets import CHART_TOP, write_chart, write_grades, write_indicators
from kaohe.report.xlsx_style import (
    Formats, excel_col, print_setup, set_widths, shown_width, write_cell,
)
from kaohe.results import RunResult

RANKING_SHEET = "排名"
TITLE_ROW = 0
INFO_ROW = 1
HEADER_ROW = 2  # 指标 (an indicator's name over its 值 and 得分 columns)
SUB_HEADER_ROW = 3  # 值 / 得分
FIRST_DATA_ROW = 4
# Keep 排名 and 名称 visible while scrolling right through the indicator columns.
FROZEN_COLUMNS = 2


def _info_line(result: RunResult, rows: list[Row]) -> str:
    n = len(result.table)
    parts = [
        f"方案 scheme: {result.scheme}",
        f"期间 period: {result.period}",
        f"运行 run: {result.run_id}",
        f"共 {n} 个考核对象 entities",
    ]
    if len(rows) < n:
        parts.append(f"本表列出前 {len(rows):,} 个 this sheet lists the first {len(rows):,} "
                     "(全部见 CSV/Parquet 输出 all of them: --out .csv or .parquet)")
    if result.has_payout:
        total = float(pd.to_numeric(result.table["payout"], errors="coerce").fillna(0).sum())
        parts.append(f"兑现合计 payout total: {total:,.2f}")
    parts.append("灰色 = 数据缺失 grey = missing; 红色行 = 末位淘汰 red row = eliminated")
    return " · ".join(parts)


def write_ranking(book: Workbook, fmts: Formats, result: RunResult, rows: list[Row]) -> None:
    ws = book.add_worksheet(RANKING_SHEET)
    cols: list[Column] = base_columns(result) + indicator_columns(result) + flag_columns(result)
    ws.write_string(TITLE_ROW, 0, report_title(result), fmts.title)
    ws.write_string(INFO_ROW, 0, _info_line(result, rows), fmts.info)
    ws.set_row(TITLE_ROW, 24)

    # Two header rows: an indicator's name merged over its 值 and 得分 columns, every other
    # header merged down over both rows.
    widths = [display_width(c.header.rsplit(" ", 1)[-1]) if c.code else
              display_width(c.header) for c in cols]
    _write_headers(ws, fmts, cols)
    for i, row in enumerate(rows):
        r = FIRST_DATA_ROW + i
        for c, col in enumerate(cols):
            value = col.get(row)
            missing = col.code is not None and is_true(row.get(f"m_{col.code}"))
            write_cell(ws, r, c, value, fmts.cell(col.kind, missing))
            widths[c] = max(widths[c], shown_width(value, col.kind))
    set_widths(ws, widths)
    ws.set_row(HEADER_ROW, 32)  # room for indicator names that wrap

    last_row = FIRST_DATA_ROW + max(len(rows), 1) - 1
    last_col = len(cols) - 1
    ws.freeze_panes(FIRST_DATA_ROW, FROZEN_COLUMNS)
    ws.autofilter(SUB_HEADER_ROW, 0, last_row if rows else SUB_HEADER_ROW, last_col)
    print_setup(ws, (HEADER_ROW, SUB_HEADER_ROW))
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


def _write_headers(ws: Worksheet, fmts: Formats, cols: list[Column]) -> None:
    """指标 → 值/得分: consecutive columns of one indicator share a merged top cell."""
    c = 0
    while c < len(cols):
        col = cols[c]
        if col.code is None:
            ws.merge_range(HEADER_ROW, c, SUB_HEADER_ROW, c, "", fmts.header)
            write_text(ws, HEADER_ROW, c, col.header, fmts.header)
            c += 1
            continue
        end = c
        while end + 1 < len(cols) and cols[end + 1].code == col.code:
            end += 1
        top = col.header.rsplit(" ", 1)[0]
        if end > c:
            ws.merge_range(HEADER_ROW, c, HEADER_ROW, end, "", fmts.header)
        write_text(ws, HEADER_ROW, c, top, fmts.header)
        for k in range(c, end + 1):
            write_text(ws, SUB_HEADER_ROW, k, cols[k].header.rsplit(" ", 1)[-1], fmts.header)
        c = end + 1


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


# Excel holds 1,048,576 rows a sheet and is slow long before; an item scheme can have millions
# of entities (spec §8), so the ranking sheet lists the first ROW_LIMIT and says so.
ROW_LIMIT = 100_000


def write_xlsx(result: RunResult, path: Path, row_limit: int = ROW_LIMIT) -> None:
    rows = records(result, row_limit)
    grades = [{"grade": g} for g in result.table["grade"].tolist()] if result.grades else rows
    top = top_records(result, CHART_TOP)
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
        write_chart(book, fmts, result, top)
        write_grades(book, fmts, result, grades)
        write_indicators(book, fmts, result)
        write_alerts(book, fmts, result)
    finally:
        book.close()
