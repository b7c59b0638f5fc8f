"""Reading tabular files (.csv, .xlsx, .parquet) into Arrow, keeping ids as text.

CSV and Excel cells are read as strings so that leading zeros survive ("00123"); types are
checked and cast later, where every bad cell can be reported with its row and column.
"""

from __future__ import annotations

import codecs
import csv
import time as time_
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from kaohe.errors import InputError
from kaohe.workspace.limits import DEFAULT_LIMITS, MB, ImportLimits

SUFFIXES = (".csv", ".xlsx", ".parquet")


@dataclass(frozen=True)
class RawTable:
    """A file's data rows; ``row_offset + i`` is the spreadsheet row number of data row i."""

    path: Path
    headers: list[str]
    table: pa.Table  # columns named c0, c1, ... in header order
    row_offset: int


def read_table(path: Path, header_row: int = 1, sheet: str | None = None,
               limits: ImportLimits = DEFAULT_LIMITS) -> RawTable:
    """Read a whole file into memory. Call it before taking any store lock: reading an .xlsx
    can take minutes (bounded by ``limits``), and nothing else should wait for it."""
    if not path.exists():
        raise InputError(f"{path}: 文件不存在 file not found")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path, header_row)
    if suffix == ".xlsx":
        return _read_xlsx(path, header_row, sheet, limits)
    if suffix == ".parquet":
        try:
            table = pq.read_table(path)
        except (pa.ArrowException, OSError) as exc:  # not Parquet, or damaged
            raise InputError(f"{path}: 无法读取 Parquet 文件 cannot read the Parquet file: "
                             f"{exc}") from exc
        headers = list(table.column_names)
        return RawTable(path, headers, table.rename_columns(_names(headers)), 1)
    raise InputError(f"{path}: 不支持的文件类型 unsupported file type; expected {SUFFIXES}")


def _names(headers: list[str]) -> list[str]:
    return [f"c{i}" for i in range(len(headers))]


_CHUNK = 1 << 20


def _decodes(path: Path, encoding: str) -> bool:
    """The whole file decodes in ``encoding`` (streamed, so memory stays one chunk)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), else GB18030 — what Excel on Chinese Windows saves as
    "CSV". A file that is neither, or holds NUL bytes (a binary file such as a renamed .xls),
    is refused with a clear error rather than failing deep inside the CSV reader."""
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            if b"\x00" in chunk:
                raise InputError(
                    f"{path}: 不是文本 CSV 文件（含二进制内容）；请在 Excel 中另存为“CSV UTF-8”后"
                    "重新导入 / not a text CSV file (binary content); save it from Excel as "
                    "'CSV UTF-8' and import again")
    for encoding in ("utf-8", "gb18030"):
        if _decodes(path, encoding):
            return encoding
    raise InputError(
        f"{path}: 无法识别的文本编码（既不是 UTF-8 也不是 GB18030）；请另存为“CSV UTF-8”后重新导入"
        " / unknown text encoding (neither UTF-8 nor GB18030); save the file as 'CSV UTF-8' "
        "and import again")


def _read_csv(path: Path, header_row: int) -> RawTable:
    encoding = _detect_encoding(path)
    headers: list[str] | None = None
    with path.open(encoding=encoding, newline="") as fh:
        try:
            for i, row in enumerate(csv.reader(fh), start=1):
                if i == header_row:
                    headers = row
                    break
        except csv.Error as exc:  # e.g. a "header" of megabytes without a line break
            raise InputError(f"{path}: 第 {header_row} 行之前 CSV 格式错误 malformed CSV before "
                             f"the header row {header_row}: {exc}") from exc
    if not headers:
        raise InputError(f"{path}: 第 {header_row} 行没有表头 no header on row {header_row}")
    headers = [h.lstrip("\ufeff").strip() for h in headers]
    names = _names(headers)
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                encoding="utf8" if encoding == "utf-8" else encoding,
                skip_rows=header_row, column_names=names, block_size=1 << 24,
            ),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=True, null_values=[""], quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise InputError(f"{path}: CSV 格式错误 malformed CSV: {exc}") from exc
    return RawTable(path, headers, table, header_row + 1)


def cell_text(v: Any) -> str | None:
    """An Excel cell as the text a person sees; integral numbers without '.0'."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (date, time)):
        return v.isoformat()
    s = str(v).strip()
    return s if s else None


_SPLIT = ("请拆分为多个文件，或另存为 CSV 后导入 / split the file, or save it as CSV and import "
          "that")


def _check_unpacked_size(path: Path, limits: ImportLimits) -> None:
    """Refuse a workbook whose parts unpack to more than the limit, from the zip directory alone
    (nothing is decompressed). zipfile never reads past an entry's declared size, so a lying
    directory cannot smuggle more in."""
    try:
        with zipfile.ZipFile(path) as z:
            total = sum(info.file_size for info in z.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(f"{path}: 不是有效的 .xlsx 工作簿 not a valid .xlsx workbook: {exc}") from exc
    if total > limits.xlsx_uncompressed_bytes:
        raise InputError(
            f"{path}: 工作簿解压后 {total / MB:,.0f} MB，超过上限 {limits.xlsx_uncompressed_mb} MB "
            f"/ the workbook unpacks to {total / MB:,.0f} MB, over the limit of "
            f"{limits.xlsx_uncompressed_mb} MB (limits.xlsx_uncompressed_mb); {_SPLIT}")


class _Clock:
    """Stops a read that runs past ``limits.read_seconds``."""

    def __init__(self, path: Path, limits: ImportLimits) -> None:
        self.path = path
        self.seconds = limits.read_seconds
        self.deadline = time_.monotonic() + limits.read_seconds

    def check(self, rows: int) -> None:
        if time_.monotonic() > self.deadline:
            raise InputError(
                f"{self.path}: 读取超过 {self.seconds:g} 秒上限（已读 {rows:,} 行） / reading took "
                f"longer than the limit of {self.seconds:g} s ({rows:,} rows read; "
                f"limits.read_seconds); {_SPLIT}")


def _read_xlsx(path: Path, header_row: int, sheet: str | None,
               limits: ImportLimits = DEFAULT_LIMITS) -> RawTable:
    import openpyxl

    _check_unpacked_size(path, limits)
    clock = _Clock(path, limits)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a bad file
        raise InputError(f"{path}: 无法读取 Excel 文件 cannot read workbook: {exc}") from exc
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise InputError(f"{path}: 没有工作表 no sheet {sheet!r}; sheets: {wb.sheetnames}")
        ws = wb[sheet] if sheet else wb.worksheets[0]
        rows = ws.iter_rows(min_row=header_row, values_only=True)
        header_cells = next(rows, None)
        if header_cells is None:
            raise InputError(f"{path}: 第 {header_row} 行没有表头 no header on row {header_row}")
        headers = [cell_text(h) or "" for h in header_cells]
        while headers and headers[-1] == "":
            headers.pop()
        width = len(headers)
        if width > limits.xlsx_columns:
            raise InputError(
                f"{path}: 表头有 {width:,} 列，超过上限 {limits.xlsx_columns:,} 列 / the header has "
                f"{width:,} columns, over the limit of {limits.xlsx_columns:,} "
                f"(limits.xlsx_columns); 请删除多余的列 remove the columns not needed")
        cols: list[list[str | None]] = [[] for _ in range(width)]
        for i, cells in enumerate(rows, start=1):
            if i > limits.xlsx_rows:
                raise InputError(
                    f"{path}: 超过 {limits.xlsx_rows:,} 行上限 / more than {limits.xlsx_rows:,} "
                    f"data rows (limits.xlsx_rows); {_SPLIT}")
            if not i & 1023:
                clock.check(i)
            texts = [cell_text(c) for c in cells[:width]]
            texts += [None] * (width - len(texts))
            for j in range(width):
                cols[j].append(texts[j])
        # trailing blank rows are common in hand-edited sheets: drop them
        n = len(cols[0]) if cols else 0
        while n and all(c[n - 1] is None for c in cols):
            n -= 1
        names = _names(headers)
        table = pa.table({names[j]: pa.array(cols[j][:n], pa.string()) for j in range(width)})
    finally:
        wb.close()
    return RawTable(path, headers, table, header_row + 1)

