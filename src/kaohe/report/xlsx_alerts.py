"""The workbook's 预警清单 (alerts) sheet (spec §12): the alerted entities, most severe first, then
by rank and id, with the indicators that cost them points."""

from __future__ import annotations

from typing import Any

from xlsxwriter.workbook import Workbook

from kaohe.alerts import from_result
from kaohe.report.common import Kind, display_width, grade_colours
from kaohe.report.xlsx_style import Formats, print_setup, set_widths, shown_width, write_cell
from kaohe.results import RunResult

ALERTS_SHEET = "预警清单"
HEADERS = ("预警等级", "排名", "编号", "名称", "人员", "单位", "总分", "失分指标")
KINDS: tuple[Kind, ...] = ("text", "int", "text", "text", "text", "text", "points", "text")


def write_alerts(book: Workbook, fmts: Formats, result: RunResult) -> None:
    """Nothing for a scheme without alerts."""
    if not result.alerts:
        return
    ws = book.add_worksheet(ALERTS_SHEET)
    print_setup(ws)
    for c, h in enumerate(HEADERS):
        ws.write_string(0, c, h, fmts.header)
    widths = [display_width(h) for h in HEADERS]
    colours = dict(zip(result.alerts, grade_colours(len(result.alerts) + 1)[::-1],
                       strict=False))
    rows = from_result(result)
    for i, r in enumerate(rows):
        cells: list[Any] = [r.grade, r.rank, r.id, r.name, r.person, r.unit, r.total,
                            "；".join(r.costs)]
        for c, (value, kind) in enumerate(zip(cells, KINDS, strict=True)):
            fill = colours.get(r.grade) if c == 0 else None
            write_cell(ws, i + 1, c, value, fmts.cell(kind, fill=fill))
            widths[c] = max(widths[c], shown_width(value, kind))
    set_widths(ws, [min(w, 60) for w in widths])
    ws.freeze_panes(1, 0)
    if not rows:
        ws.write_string(2, 0, "本期无预警 no alerts this period")
    else:
        ws.autofilter(0, 0, len(rows), len(HEADERS) - 1)
