"""Writing cells so that text stays text: the one rule for every spreadsheet kaohe writes.

People's and units' names, grades, notes and imported cell values come from users. A name such
as ``=HYPERLINK("http://x","y")`` written as a formula would run in the reader's Excel (formula
or CSV injection, OWASP "CSV Injection"). Therefore:

- in .xlsx (xlsxwriter), text is written with ``write_string`` and numbers with
  ``write_number``; nothing user-given ever goes through the generic ``write``, which turns
  text starting with ``=`` into a formula and text looking like a URL into a link;
- in .csv, where any program may open the file, text that starts with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return gets a leading single quote (OWASP's recommendation), so
  a spreadsheet shows it as text. A plain number written as text (``-3.5``, ``+86``) is left
  alone: it cannot be a formula and people expect to see it unchanged.

Every writer (report/flat.py, report/xlsx_style.py, web notice and data exports) uses these
helpers; tests/hostile/ checks each export with a corpus of hostile names.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r", "\n")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def csv_text(value: str) -> str:
    """``value`` made safe for a CSV cell: a quote before text a spreadsheet would evaluate."""
    if value and value.startswith(DANGEROUS_FIRST) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_cell(value: Any) -> Any:
    """A value for ``csv.writer``: numbers (not bools) as they are, None as '', text made safe."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return csv_text(str(value))


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]


def write_value(ws: Worksheet, r: int, c: int, value: Any, fmt: Format | None = None) -> None:
    """One xlsx cell: numbers (not bools) as numbers, None or a non-finite float as a blank,
    everything else as a string cell, never as a formula or a link."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        ws.write_blank(r, c, None, fmt)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        ws.write_number(r, c, value, fmt)
    else:
        ws.write_string(r, c, str(value), fmt)


def write_text(ws: Worksheet, r: int, c: int, value: Any, fmt: Format | None = None) -> None:
    """One xlsx text cell (ids, names, grades): always a string cell, '' for None."""
    ws.write_string(r, c, "" if value is None else str(value), fmt)


def write_texts(ws: Worksheet, r: int, c: int, values: Iterable[Any],
                fmt: Format | None = None) -> None:
    """A row of text cells (headers) starting at (r, c)."""
    for j, value in enumerate(values):
        write_text(ws, r, c + j, value, fmt)
