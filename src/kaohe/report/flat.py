"""The plain formats: JSON (spec §6), CSV for people with Excel, Parquet for machines."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from kaohe.report.common import (
    base_columns, flag_columns, frame_records, indicator_columns, plain,
)
from kaohe.report.safe import csv_text
from kaohe.results import RunResult


# From this many entities on (an item scheme's customers, cards, meters), the JSON is written
# a slice at a time with one entity per line: the same document, without every entity as a
# dict at once, and through json's C encoder (an indented dump runs in pure Python).
JSON_STREAM_FROM = 10_000
JSON_CHUNK = 50_000


def write_json(result: RunResult, out: IO[str]) -> None:
    n = len(result.table)
    if n < JSON_STREAM_FROM:
        json.dump(result.to_json_dict(), out, ensure_ascii=False, indent=2)
        out.write("\n")
        return
    head = replace(result, table=result.table.head(0)).to_json_dict()
    out.write("{\n")
    for key, value in head.items():
        if key != "entities":
            out.write(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},\n")
    out.write('  "entities": [\n')
    for at in range(0, n, JSON_CHUNK):
        part = replace(result, table=result.table.iloc[at:at + JSON_CHUNK]).entities()
        out.write(",\n".join("    " + json.dumps(e, ensure_ascii=False) for e in part))
        out.write(",\n" if at + JSON_CHUNK < n else "\n")
    out.write("  ]\n}\n")


def _csv_text(v: Any) -> str:
    """Whole numbers without '.0' and no float noise (0.30000000000000004), so the file reads
    like the workbook."""
    v = plain(v)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是" if v else ""
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(round(v, 10))
    return str(v)


def write_csv(result: RunResult, out: IO[str]) -> None:
    """One row per entity: the Chinese-headed columns first, then every indicator's columns.

    ``out`` must be opened with encoding 'utf-8-sig' and newline='' (the BOM is what makes Excel
    read the file as UTF-8 rather than the local code page). Text a spreadsheet would
    evaluate (a name starting with '=') gets a leading quote (``report.safe``).
    """
    cols = base_columns(result) + flag_columns(result) + indicator_columns(result)
    writer = csv.writer(out)
    writer.writerow([csv_text(c.header) for c in cols])
    # a slice at a time: an item scheme's millions of rows never become dicts all at once
    for at in range(0, len(result.table), CSV_CHUNK):
        for row in frame_records(result.table.iloc[at:at + CSV_CHUNK]):
            writer.writerow([csv_text(_csv_text(c.get(row))) for c in cols])


CSV_CHUNK = 50_000


def _arrow_type(column: str) -> pa.DataType | None:
    """The type the table's column contract (kaohe.results) gives; None lets pyarrow infer."""
    if column in ("id", "name", "unit_name", "grade", "person", "unit") \
            or column.startswith("g_"):
        return pa.string()
    if column in ("rank", "group_size"):
        return pa.int64()
    if column in ("vetoed", "bottom", "eliminate", "alert", "capped_bonus", "capped_penalty") \
            or column.startswith("m_"):
        return pa.bool_()
    if column in ("total", "payout") or column.startswith(("v_", "p_", "l_")):
        return pa.float64()
    return None


def _arrow_column(column: str, series: pd.Series) -> pa.Array:
    fast = _arrow_column_fast(column, series)
    if fast is not None:
        return fast
    values = [plain(v) for v in series.tolist()]
    typ = _arrow_type(column)
    if typ == pa.string():
        values = [None if v is None else str(v) for v in values]
    elif typ == pa.float64():
        values = [None if v is None else float(v) for v in values]
    elif typ == pa.int64():
        values = [None if v is None else int(v) for v in values]
    elif typ == pa.bool_():
        # A missing flag means the flag is not set (the JSON result writes false).
        values = [bool(v) for v in values]
    return pa.array(values, type=typ)


def _arrow_column_fast(column: str, series: pd.Series) -> pa.Array | None:
    """The common cases without a Python loop over the rows (an item scheme's millions):
    numbers and flags as the engine returns them, text that is already text. None: use the
    general path."""
    typ = _arrow_type(column)
    try:
        if typ == pa.float64() and pd.api.types.is_numeric_dtype(series):
            return pa.array(series.astype("float64"), type=typ, from_pandas=True)
        if typ == pa.int64() and pd.api.types.is_integer_dtype(series):
            return pa.array(series, type=typ, from_pandas=True)
        if typ == pa.bool_() and pd.api.types.is_bool_dtype(series):
            return pa.array(series.fillna(False).astype(bool), type=typ)
        if typ == pa.string() and series.map(lambda v: v is None or isinstance(v, str)).all():
            return pa.array(series, type=typ, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    return None


def arrow_table(result: RunResult) -> pa.Table:
    """The result table with the documented column names and explicit types, plus the run's
    identity in the schema metadata (key b'kaohe') so the file stands on its own."""
    table = result.table
    arrays = [_arrow_column(str(c), table[c]) for c in table.columns]
    meta = {
        "scheme": result.scheme,
        "title": result.title,
        "period": result.period,
        "run_id": result.run_id,
        "entity": result.entity,
        "engine": result.engine,
        "peers": list(result.peers),
        "has_payout": result.has_payout,
        "payout_lines": list(result.payout_lines),
        "alerts": list(result.alerts),
        "grades": [[g, label] for g, label in result.grades],
        "indicators": [
            {"code": i.code, "name": i.name, "role": i.role, "weight": i.weight, "rule": i.rule,
             "formula": i.formula, "source": i.source, "missing": i.missing}
            for i in result.indicators
        ],
    }
    schema_meta = {b"kaohe": json.dumps(meta, ensure_ascii=False).encode("utf-8")}
    return pa.Table.from_arrays(arrays, names=[str(c) for c in table.columns],
                                metadata=schema_meta)


def write_parquet(result: RunResult, path: Path) -> None:
    pq.write_table(arrow_table(result), path)
