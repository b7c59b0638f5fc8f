"""Workbook styling shared by every sheet: formats, cell writing, column widths."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from kaohe.report.common import YES, Kind, display_width, plain
from kaohe.report.safe import write_value

NUM_FORMATS: dict[Kind, str | None] = {
    "int": "0",
    "text": None,
    "points": "0.00",
    "number": "#,##0.00",
    "rate": "0.00%",
    "money": "#,##0.00",
    "flag": None,
}
BORDER_COLOUR = "#BFBFBF"
HEADER_FILL = "#DDEBF7"
MISSING_FILL = "#E7E6E6"
ELIMINATED_FILL = "#F8CBAD"
ELIMINATED_FONT = "#9C0006"
MIN_WIDTH = 6
MAX_WIDTH = 40
# Chinese office fonts: 宋体 for the body, 微软雅黑 for titles and headers (issue 13)
BODY_FONT = "宋体"
HEAD_FONT = "微软雅黑"


class OfficeWorkbook(Workbook):
    """A workbook as a 市场部 sends it: every format in 宋体 unless it names its font, and every
    sheet printed A4 landscape, fitted to the page width. The web's exports, the S9 statement
    and the what-if workbook are made with it; report/xlsx.py styles its sheets itself."""

    def __init__(self, filename: Any, options: dict[str, Any] | None = None) -> None:
        super().__init__(filename, options or {})
        self.formats[0].set_font_name(BODY_FONT)

    def add_format(self, properties: dict[str, Any] | None = None) -> Format:
        return super().add_format({"font_name": BODY_FONT, **(properties or {})})

    def add_worksheet(self, name: str | None = None, worksheet_class: Any = None) -> Worksheet:
        ws = super().add_worksheet(name, worksheet_class)
        print_setup(ws, None)
        return ws


class Formats:
    """Cell formats made once per workbook (xlsxwriter keeps every format it is given)."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        self._cache: dict[tuple[Any, ...], Format] = {}
        # the workbook's default (cells written without a format, empty cells)
        book.formats[0].set_font_name(BODY_FONT)
        self.title = book.add_format({"bold": True, "font_size": 16, "font_name": HEAD_FONT})
        self.bold = book.add_format({"bold": True, "font_name": HEAD_FONT})
        self.info = book.add_format({"font_color": "#595959", "italic": True,
                                     "font_name": BODY_FONT})
        self.header = book.add_format({
            "bold": True, "bg_color": HEADER_FILL, "border": 1, "border_color": BORDER_COLOUR,
            "text_wrap": True, "align": "center", "valign": "vcenter", "font_name": HEAD_FONT,
        })
        self.eliminated = book.add_format({
            "bg_color": ELIMINATED_FILL, "font_color": ELIMINATED_FONT, "bold": True,
        })
        self.wrap = book.add_format({"text_wrap": True, "valign": "top", "border": 1,
                                     "border_color": BORDER_COLOUR, "font_name": BODY_FONT})

    def cell(self, kind: Kind, missing: bool = False, fill: str | None = None) -> Format:
        key = (kind, missing, fill)
        if key not in self._cache:
            props: dict[str, Any] = {"border": 1, "border_color": BORDER_COLOUR,
                                     "font_name": BODY_FONT}
            num = NUM_FORMATS.get(kind)
            if num:
                props["num_format"] = num
            if kind == "flag":
                props["align"] = "center"
            if missing:
                props["bg_color"] = MISSING_FILL
            elif fill:
                props["bg_color"] = fill
            self._cache[key] = self.book.add_format(props)
        return self._cache[key]

    def grade_fill(self, colour: str) -> Format:
        key = ("grade", colour)
        if key not in self._cache:
            self._cache[key] = self.book.add_format({"bg_color": colour})
        return self._cache[key]


def print_setup(ws: Worksheet, title_rows: tuple[int, int] | None = (0, 0)) -> None:
    """A4 landscape, every column on one page's width (as many pages down as needed), the
    header rows repeated on every printed page."""
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    if title_rows is not None:
        ws.repeat_rows(*title_rows)


def write_cell(ws: Worksheet, r: int, c: int, value: Any, fmt: Format) -> None:
    """Numbers as numbers, text as text, nothing (or a non-finite float) as a formatted blank."""
    value = plain(value)
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        ws.write_blank(r, c, None, fmt)
    elif isinstance(value, bool):
        ws.write_string(r, c, YES if value else "", fmt)
    else:  # numbers as numbers, text as a string cell, never a formula (report.safe)
        write_value(ws, r, c, value, fmt)


def shown_width(value: Any, kind: Kind) -> int:
    """Roughly how many monospace cells the value takes once Excel formats it."""
    value = plain(value)
    if value is None:
        return 0
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if kind == "rate":
            return len(f"{value * 100:.2f}%")
        if kind == "int":
            return len(f"{value:.0f}")
        return len(f"{value:,.2f}")
    return display_width(str(value))


def set_widths(ws: Worksheet, widths: Iterable[int]) -> None:
    for c, w in enumerate(widths):
        ws.set_column(c, c, max(MIN_WIDTH, min(MAX_WIDTH, w + 2)))


def excel_col(c: int) -> str:
    """0-based column index to letters (0 -> A, 26 -> AA)."""
    letters = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters
