"""The workbook's supporting sheets: 图表 Chart, 等级分布 Grades, 指标说明 Indicators."""

from __future__ import annotations

from collections import Counter
from typing import Any

from xlsxwriter.workbook import Workbook

from kaohe.report.common import (
    Kind,
    Row,
    display_width,
    grade_colours,
    grade_labels,
    group_text,
    missing_zh,
    plain,
    role_zh,
)
from kaohe.report.xlsx_style import Formats, print_setup, set_widths, shown_width, write_cell
from kaohe.results import RunResult

CHART_SHEET = "图表"
GRADES_SHEET = "等级分布"
INDICATORS_SHEET = "指标说明"
# More bars than this are unreadable on one screen; the ranking sheet has everyone.
CHART_TOP = 30
NO_GRADE = "无等级"
DERIVED = "派生指标 derived"
# 口径 and the rule as a sentence for people; no formula (issue 13: the workbook is sent to
# the halls; the formula stays in the scheme, for those who write schemes).
INDICATOR_HEADERS = ("指标", "类别", "权重", "口径", "计分规则", "缺失处理", "显示格式")
FORMAT_ZH = {"percent": "百分比", "count": "数量", "yuan": "金额（元）", "hours": "小时",
             "score": "分数", "number": "数值"}


def top_rows(rows: list[Row], n: int = CHART_TOP) -> list[Row]:
    """The n highest totals across all peer groups; ties keep the table's order."""
    order = sorted(range(len(rows)), key=lambda i: -float(plain(rows[i].get("total")) or 0.0))
    return [rows[i] for i in order[:n]]


def _bar_labels(rows: list[Row]) -> list[str]:
    """Bar labels are names; a name that occurs twice gets its id so the bars can be told apart."""
    names = Counter(str(r.get("name") or r.get("id")) for r in rows)
    out = []
    for r in rows:
        name = str(r.get("name") or r.get("id"))
        out.append(f"{name}({r.get('id')})" if names[name] > 1 else name)
    return out


def write_chart(book: Workbook, fmts: Formats, result: RunResult, rows: list[Row]) -> None:
    """A horizontal bar chart of the top totals; its data sits beside it in the same sheet,
    because the ranking sheet is ordered by group and its top totals are not contiguous."""
    ws = book.add_worksheet(CHART_SHEET)
    print_setup(ws)
    top = top_rows(rows)
    headers = ["名次", "名称", "分组", "总分"] if result.peers else ["名次", "名称", "总分"]
    for c, h in enumerate(headers):
        ws.write_string(0, c, h, fmts.header)
    widths = [display_width(h) for h in headers]
    labels = _bar_labels(top)
    for i, (row, label) in enumerate(zip(top, labels, strict=True)):
        cells: list[tuple[Any, Kind]] = [(i + 1, "int"), (label, "text")]
        if result.peers:
            cells.append((group_text(row, result.peers), "text"))
        cells.append((row.get("total"), "points"))
        for c, (value, kind) in enumerate(cells):
            write_cell(ws, i + 1, c, value, fmts.cell(kind))
            widths[c] = max(widths[c], shown_width(value, kind))
    set_widths(ws, widths)
    if not top:
        ws.write_string(2, 0, "无考核对象 no entities")
        return

    n = len(top)
    total_col = len(headers) - 1
    chart = book.add_chart({"type": "bar"})
    chart.add_series({
        "name": "总分 Total",
        "categories": [CHART_SHEET, 1, 1, n, 1],
        "values": [CHART_SHEET, 1, total_col, n, total_col],
        "fill": {"color": "#5B9BD5"},
        "data_labels": {"value": True, "num_format": "0.00"},
    })
    what = f"总分前 {n} 名 Top {n} totals" if len(result.table) > n else "总分 Totals"
    chart.set_title({"name": f"{result.title or result.scheme} {result.period} {what}",
                     "name_font": {"size": 12}})
    # In an xlsxwriter bar chart the x axis is the (vertical) category axis: reverse it so the
    # highest total is on top, as in the table.
    chart.set_x_axis({"reverse": True})
    chart.set_y_axis({"min": 0, "num_format": "0", "major_gridlines": {"visible": True}})
    chart.set_legend({"none": True})
    chart.set_size({"width": 760, "height": max(320, 60 + 22 * n)})
    ws.insert_chart(1, len(headers) + 1, chart)


def grade_counts(result: RunResult, rows: list[Row]) -> list[tuple[str, float | None, int]]:
    """(label, minimum total, count) per grade in the order written, with zero counts kept, then
    无等级 for entities without a grade when there are any."""
    counts = Counter(plain(r.get("grade")) for r in rows)
    minimum: dict[str, float] = {}
    for low, label in result.grades:
        minimum.setdefault(label, low)
    out: list[tuple[str, float | None, int]] = [
        (label, minimum[label], counts.pop(label, 0)) for label in grade_labels(result)
    ]
    # Labels not in the scheme should not occur; list them rather than lose entities.
    ungraded = counts.pop(None, 0)
    out += [(str(label), None, n) for label, n in counts.items()]
    if ungraded:
        out.append((NO_GRADE, None, ungraded))
    return out


def write_grades(book: Workbook, fmts: Formats, result: RunResult, rows: list[Row]) -> None:
    ws = book.add_worksheet(GRADES_SHEET)
    print_setup(ws)
    headers = ["等级", "分数线", "人数" if result.entity == "person" else "数量", "占比"]
    for c, h in enumerate(headers):
        ws.write_string(0, c, h, fmts.header)
    counts = grade_counts(result, rows)
    colours = dict(zip(grade_labels(result), grade_colours(len(grade_labels(result))),
                       strict=True))
    total = len(rows)
    for i, (label, low, n) in enumerate(counts):
        r = i + 1
        write_cell(ws, r, 0, label, fmts.cell("text", fill=colours.get(label)))
        write_cell(ws, r, 1, low, fmts.cell("text"))
        write_cell(ws, r, 2, n, fmts.cell("int"))
        write_cell(ws, r, 3, n / total if total else 0.0, fmts.cell("rate"))
    r = len(counts) + 1
    write_cell(ws, r, 0, "合计", fmts.header)
    write_cell(ws, r, 1, None, fmts.header)
    write_cell(ws, r, 2, total, fmts.cell("int"))
    write_cell(ws, r, 3, 1.0 if total else 0.0, fmts.cell("rate"))
    widths = [max([display_width(h)] + [display_width(c[0]) for c in counts]) for h in headers]
    set_widths(ws, [max(w, 8) for w in widths])
    if not result.grades:
        ws.write_string(r + 2, 0, "本方案未设等级 this scheme has no grades")
    if not counts:
        return
    chart = book.add_chart({"type": "column"})
    chart.add_series({
        "name": "等级分布 Grades",
        "categories": [GRADES_SHEET, 1, 0, len(counts), 0],
        "values": [GRADES_SHEET, 1, 2, len(counts), 2],
        "points": [{"fill": {"color": colours.get(c[0], "#A6A6A6")}} for c in counts],
        "data_labels": {"value": True},
    })
    chart.set_title({"name": "等级分布 Grade distribution", "name_font": {"size": 12}})
    chart.set_legend({"none": True})
    chart.set_y_axis({"min": 0, "num_format": "0"})
    ws.insert_chart(1, len(headers) + 1, chart)


def write_indicators(book: Workbook, fmts: Formats, result: RunResult) -> None:
    """What each indicator is and how it scores, so the notice can be read without the scheme."""
    ws = book.add_worksheet(INDICATORS_SHEET)
    print_setup(ws)
    for c, h in enumerate(INDICATOR_HEADERS):
        ws.write_string(0, c, h, fmts.header)
    for i, ind in enumerate(result.indicators):
        fmt = FORMAT_ZH.get(ind.format.kind, "") + (f"（{ind.format.unit}）" if ind.format and
                                                   ind.format.unit else "") \
            if ind.format else FORMAT_ZH["number"]
        cells = [ind.name, role_zh(ind.role), ind.weight, ind.description or "—",
                 ind.sentence or ind.rule, missing_zh(ind.missing, ind.role), fmt]
        for c, value in enumerate(cells):
            fmt_ = fmts.cell("text") if c == 2 else fmts.wrap
            write_cell(ws, i + 1, c, value, fmt_)
    # Fixed widths: 口径 and rules wrap inside their cells instead of stretching the sheet.
    for c, width in enumerate((18, 8, 8, 44, 48, 22, 12)):
        ws.set_column(c, c, width)
    ws.freeze_panes(1, 0)

    r = len(result.indicators) + 2
    notes = [
        "说明 Notes",
        "总分 = 计分指标得分 + 加分 − 扣分，最低为 0；"
        "total = scored points + bonus − penalty, never below 0",
        "否决指标值 > 0 时总分记 0、等级记最末一档；a veto value > 0 sets the total to 0 "
        "and the grade to the last one",
        "数据缺失的指标不加分、不扣分、不否决；a missing value gives no bonus, "
        "no penalty and no veto",
    ]
    notes += list(result.scheme_rules)
    if result.grades and not result.scheme_rules:
        bands = "；".join(f"{label} ≥ {low:g}" for low, label in result.grades)
        notes.append(f"等级 grades: {bands}")
    for j, text in enumerate(notes):
        ws.write_string(r + j, 0, text, fmts.bold if j == 0 else fmts.info)
