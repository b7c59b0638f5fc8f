"""Writers for the demo's files: deterministic bytes for CSV and YAML, realistic shapes for Excel.

CSV is UTF-8 without a byte-order mark, "\\n" line ends, times as ``YYYY-MM-DD HH:MM:SS`` and
empty fields for missing values. Excel checklists carry a merged title row above the header,
as the ones filled in by hand do.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl.styles import Alignment, Font

# Fixed document properties keep the workbook's metadata independent of the clock.
_WORKBOOK_TIME = datetime(2026, 1, 1)


def write_parquet(table: pa.Table, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd")
    return path


def write_csv(frame: pd.DataFrame, path: Path, headers: dict[str, str] | None = None) -> Path:
    """``headers`` renames columns (English name → Chinese header) when given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    out = frame.copy()
    for name in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[name]):
            out[name] = out[name].dt.strftime("%Y-%m-%d %H:%M:%S")
    if headers:
        out = out.rename(columns=headers)
    out.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path


def write_titled_xlsx(
    frame: pd.DataFrame, path: Path, title: str, headers: dict[str, str], sheet: str
) -> int:
    """Write ``frame`` under a merged title row; return the header's spreadsheet row (1-based)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    n_cols = len(frame.columns)
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=n_cols)
    ws.cell(1, 1).font = Font(bold=True, size=14)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    header_row = 2
    ws.append([headers.get(c, c) for c in frame.columns])
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
    datetime_cols = [
        i + 1 for i, c in enumerate(frame.columns)
        if pd.api.types.is_datetime64_any_dtype(frame[c])
    ]
    values = frame.astype(object).where(frame.notna(), None)
    for row in values.itertuples(index=False, name=None):
        ws.append([v.to_pydatetime() if isinstance(v, pd.Timestamp) else v for v in row])
    for c in datetime_cols:
        for (cell,) in ws.iter_rows(min_row=header_row + 1, min_col=c, max_col=c):
            cell.number_format = "yyyy-mm-dd hh:mm:ss"
    for i, _column in enumerate(frame.columns):
        letter = openpyxl.utils.get_column_letter(i + 1)
        ws.column_dimensions[letter].width = 20 if i + 1 in datetime_cols else 16
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    wb.properties.creator = "kaohe demo"
    wb.properties.created = _WORKBOOK_TIME
    wb.properties.modified = _WORKBOOK_TIME
    wb.save(path)
    return header_row
