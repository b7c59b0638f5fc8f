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


class Formats:
    """Cell formats made once per workbook (xlsxwriter keeps every format it is given)."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        self._cache: dict[tuple[Any, ...], Format] = {}
        self.title = book.add_format({"bold": True, "font_size": 16})
        self.bold = book.add_format({"bold": True})
        self.info = book.add_format({"font_color": "#595959", "italic": True})
        self.header = book.add_format({
            "bold": True, "bg_color": HEADER_FILL, "border": 1, "border_color": BORDER_COLOUR,
            "text_wrap": True, "align": "center", "valign": "vcenter",
        })
        self.eliminated = book.add_format({
            "bg_color": ELIMINATED_FILL, "font_color": ELIMINATED_FONT, "bold": True,
        })
        self.wrap = book.add_format({"text_wrap": True, "valign": "top", "border": 1,
                                     "border_color": BORDER_COLOUR})

    def cell(self, kind: Kind, missing: bool = False, fill: str | None = None) -> Format:
        key = (kind, missing, fill)
        if key not in self._cache:
            props: dict[str, Any] = {"border": 1, "border_color": BORDER_COLOUR}
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
