"""All-or-nothing import of a fact file into the store (spec §2).

Every row is checked in one pass of set-based SQL over the file's cells (types, required
columns, known person/unit ids, key uniqueness in the file and against the store, time present
and, with --replace, inside the period). On any error nothing is stored and every error is
listed by file row, column, value and reason.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from kaohe.errors import DataError, InputError, RowError
from kaohe.periods import Period
from kaohe.workspace.import_order import SEQ, next_seq_sql
from kaohe.workspace.limits import DEFAULT_LIMITS, ImportLimits
from kaohe.workspace.org import Org
from kaohe.workspace.sources import IMPORT_ORDER, Column, Source
from kaohe.workspace.store import SQL_TYPES, Store, quote
from kaohe.workspace.tables import RawTable, read_table


@dataclass(frozen=True)
class ImportReport:
    source: str
    file: str
    rows: int
    deleted: int
    import_id: str
    ignored_headers: tuple[str, ...]


def _norm(h: str) -> str:
    return "".join(h.split()).casefold()


def map_headers(source: Source, raw: RawTable) -> tuple[dict[str, int], list[RowError], list[str]]:
    """Column name -> header index; errors for duplicates and missing required columns."""
    lookup: dict[str, Column] = {}
    for c in source.columns:
        for name in (c.name, *c.aliases):
            lookup[_norm(name)] = c
    found: dict[str, int] = {}
    errors: list[RowError] = []
    ignored: list[str] = []
    hrow = raw.row_offset - 1
    for i, h in enumerate(raw.headers):
        col = lookup.get(_norm(h))
        if col is None:
            if h:
                ignored.append(h)
            continue
        if col.name in found:
            errors.append(RowError(str(raw.path), hrow, h, h,
                                   f"与第 {found[col.name] + 1} 列重复 same column as header "
                                   f"{raw.headers[found[col.name]]!r} ({col.name})"))
            continue
        found[col.name] = i
    required = source.required_columns()
    for c in source.columns:
        if c.name in found or (c.optional and c.name not in required):
            continue
        errors.append(RowError(str(raw.path), hrow, c.name, "", _missing_reason(c, raw.headers,
                                                                              c.name in required)))
    missing_both = source.person and source.unit and source.person not in found \
        and source.unit not in found
    if missing_both and not any(e.column in (source.person, source.unit) for e in errors):
        errors.append(RowError(str(raw.path), hrow, f"{source.person}|{source.unit}", "",
                               "缺少人员列或单位列 needs a person or a unit column"))
    return found, errors, ignored


def _missing_reason(col: Column, headers: list[str], required: bool) -> str:
    """Why a file lacking ``col`` is rejected: which headers would do, which were found."""
    what = "缺少必需列 missing required column" if required else \
        "缺少列 missing column (标记 optional: true 可缺省 mark it optional: true in the source " \
        "if files may lack it)"
    accepted = ", ".join([col.name, *col.aliases])
    found = ", ".join(h for h in headers if h) or "(none)"
    return f"{what}; 可用表头 accepted headers: {accepted}; 文件表头 headers found: {found}"


def _typed(col: Column, ref: str, arrow_type: pa.DataType) -> str:
    """SQL turning a raw cell into the column's type, NULL when it does not convert."""
    target = SQL_TYPES[col.type]
    if not pa.types.is_string(arrow_type) and not pa.types.is_large_string(arrow_type):
        if col.type == "string":
            return f"CAST({ref} AS VARCHAR)"
        if col.type == "integer":  # 1.5 must not become 2 silently
            return (f"CASE WHEN TRY_CAST({ref} AS DOUBLE) = TRY_CAST({ref} AS BIGINT) "
                    f"THEN TRY_CAST({ref} AS BIGINT) END")
        return f"TRY_CAST({ref} AS {target})"
    s = f"NULLIF(TRIM({ref}), '')"
    if col.type == "string":
        return s
    if col.type == "integer":
        return f"CASE WHEN regexp_full_match({s}, '[+-]?[0-9]+') THEN TRY_CAST({s} AS BIGINT) END"
    if col.type == "decimal":
        return f"TRY_CAST(REPLACE({s}, ',', '') AS DECIMAL(18,4))"
    if col.type == "boolean":
        return (f"CASE WHEN lower({s}) IN ('true','t','1','yes','y','是','对') THEN TRUE "
                f"WHEN lower({s}) IN ('false','f','0','no','n','否','错') THEN FALSE END")
    d = f"REPLACE({s}, '/', '-')"
    if col.type == "datetime":
        return f"TRY_CAST({d} AS TIMESTAMP)"
    # a date column: Excel date cells arrive as midnight datetimes
    return (f"COALESCE(TRY_CAST({d} AS DATE), CASE WHEN TRY_CAST({d} AS TIMESTAMP) = "
            f"CAST(TRY_CAST({d} AS TIMESTAMP) AS DATE) THEN CAST(TRY_CAST({d} AS TIMESTAMP) "
            f"AS DATE) END)")


_EXPECT = {
    "string": "文本 text",
    "integer": "整数 an integer",
    "decimal": "数值 a number",
    "boolean": "是/否 true/false",
    "date": "日期 a date YYYY-MM-DD",
    "datetime": "日期时间 a datetime YYYY-MM-DD HH:MM[:SS]",
}


def cluster_order(source: Source) -> list[str]:
    """The order a file's rows are stored in: by month, then unit and person, then time and
    the file's own order. A run aggregates a period's facts per person or per unit; with each
    entity's rows next to each other its aggregate states stay in the CPU cache (the 5M
    benchmark's aggregation: 2.0 s in file order, 1.1 s clustered, docs/performance.md), and
    the month first keeps each period's rows together, so DuckDB still skips other months'
    row groups by their min/max."""
    t = quote(source.time)
    keys = [quote(c) for c in (source.unit, source.person) if c]
    return [f"date_trunc('month', {t})", *keys, t, "_row"]


def _raise_errors(con: duckdb.DuckDBPyConnection, source: Source, file: str, checks: list[str],
                  kept: int) -> None:
    """Raise DataError when any check finds a bad cell: the first ``kept`` errors by row and
    column, and the count of all. A file of two million bad rows must not become two million
    Python objects (issue 11: 7.7 GB for one rejected upload)."""
    union = " UNION ALL ".join(f"({c})" for c in checks)
    (total,) = con.execute(f"SELECT count(*) FROM ({union})").fetchone() or (0,)
    if not total:
        return
    rows = con.execute(f"{union} ORDER BY 1, 2 LIMIT {int(kept)}").fetchall()
    errors = [RowError(file, int(r), str(c), "" if v is None else str(v), str(why))
              for r, c, v, why in rows]
    raise DataError(source.name, errors, total=int(total))


def import_file(store: Store, org: Org, source: Source, path: Path,
                replace: Period | None = None, header_row: int | None = None,
                sheet: str | None = None, limits: ImportLimits = DEFAULT_LIMITS) -> ImportReport:
    # The file is read (bounded by limits) before the store is opened, so a slow read never
    # holds the store's lock.
    raw = read_table(path, header_row or source.header_row, sheet, limits)
    return import_table(store, org, source, raw, replace, limits)


def import_table(store: Store, org: Org, source: Source, raw: RawTable,
                 replace: Period | None = None,
                 limits: ImportLimits = DEFAULT_LIMITS) -> ImportReport:
    """Check and store a file already read (``read_table``): all or nothing."""
    found, errors, ignored = map_headers(source, raw)
    if errors:
        raise DataError(source.name, errors)
    n = raw.table.num_rows
    table = raw.table.append_column("_row", pa.array(range(raw.row_offset, raw.row_offset + n),
                                                     pa.int64()))
    file = str(raw.path)
    exprs: dict[str, str] = {}
    checks: list[str] = []  # SELECT _row, column, value, reason
    for col in source.columns:
        if col.name not in found:
            exprs[col.name] = f"CAST(NULL AS {SQL_TYPES[col.type]})"
            continue
        idx = found[col.name]
        ref = f"c{idx}"
        header = raw.headers[idx].replace("'", "''")
        typed = _typed(col, ref, raw.table.schema.field(ref).type)
        exprs[col.name] = typed
        shown = f"CAST({ref} AS VARCHAR)"
        present = f"{ref} IS NOT NULL AND TRIM(CAST({ref} AS VARCHAR)) <> ''"
        if col.type != "string":
            checks.append(
                f"SELECT _row, '{header}', {shown}, '格式错误 expected {_EXPECT[col.type]}' "
                f"FROM raw WHERE {present} AND ({typed}) IS NULL")
        if col.name in source.required_columns():
            checks.append(f"SELECT _row, '{header}', '', '必填 a value is required' "
                          f"FROM raw WHERE NOT ({present})")
        if col.name == source.person:
            checks.append(f"SELECT _row, '{header}', {shown}, '人员编号不存在 unknown person id' "
                          f"FROM raw WHERE {present} AND ({typed}) NOT IN (SELECT id FROM k_people)")
        if col.name == source.unit:
            checks.append(f"SELECT _row, '{header}', {shown}, '单位编号不存在 unknown unit id' "
                          f"FROM raw WHERE {present} AND ({typed}) NOT IN (SELECT id FROM k_units)")
        if replace is not None and col.name == source.time:
            checks.append(
                f"SELECT _row, '{header}', {shown}, '不在替换期间 {replace} 内 outside the "
                f"replaced period' FROM raw WHERE ({typed}) IS NOT NULL AND NOT (({typed}) >= "
                f"DATE '{replace.start}' AND ({typed}) < DATE '{replace.end}')")
    import_id = uuid.uuid4().hex
    with store.connect() as con:
        Store.ensure_fact_table(con, source)
        con.register("raw", table)
        con.register("k_people", pa.table({"id": pa.array(list(org.people), pa.string())}))
        con.register("k_units", pa.table({"id": pa.array(list(org.units), pa.string())}))
        select = ", ".join(f"{exprs[c.name]} AS {quote(c.name)}" for c in source.columns)
        con.execute(f"CREATE TEMP TABLE staged AS SELECT _row, {select} FROM raw")
        if source.key:
            keys = ", ".join(quote(k) for k in source.key)
            shown_key = " || '/' || ".join(f"COALESCE(CAST({quote(k)} AS VARCHAR), '')"
                                           for k in source.key)
            label = "+".join(source.key)
            # A row whose key cell is empty or unreadable already has its error; it is no
            # duplicate of every other such row (that doubled a bad file's error count).
            present_keys = " AND ".join(f"{quote(k)} IS NOT NULL" for k in source.key)
            checks.append(
                f"SELECT _row, '{label}', {shown_key}, '主键重复 duplicate key in this file' FROM "
                f"(SELECT *, row_number() OVER (PARTITION BY {keys} ORDER BY _row) AS _n "
                f"FROM staged WHERE {present_keys}) WHERE _n > 1")
            kept = f"SELECT {keys} FROM {quote(source.table)}"
            if replace is not None:
                t = quote(source.time)
                kept += (f" WHERE NOT ({t} >= DATE '{replace.start}' AND "
                         f"{t} < DATE '{replace.end}')")
            checks.append(
                f"SELECT _row, '{label}', {shown_key}, '主键已存在 key already in the store' "
                f"FROM staged WHERE ({keys}) IN ({kept})")
        if source.person and source.unit:
            p, u = quote(source.person), quote(source.unit)
            checks.append(f"SELECT _row, '{source.person}|{source.unit}', '', '人员与单位至少填一个 "
                          f"a row needs a person or a unit' FROM staged WHERE {p} IS NULL AND "
                          f"{u} IS NULL")
        if checks:
            _raise_errors(con, source, file, checks, limits.errors_kept)
        deleted = 0
        con.execute("BEGIN TRANSACTION")
        try:
            if replace is not None:
                t = quote(source.time)
                row = con.execute(
                    f"SELECT count(*) FROM {quote(source.table)} WHERE {t} >= DATE "
                    f"'{replace.start}' AND {t} < DATE '{replace.end}'").fetchone()
                deleted = int(row[0]) if row else 0
                con.execute(f"DELETE FROM {quote(source.table)} WHERE {t} >= DATE "
                            f"'{replace.start}' AND {t} < DATE '{replace.end}'")
            names = ", ".join(quote(c.name) for c in source.columns)
            # _kaohe_seq: the order imported (kaohe.workspace.import_order), from the file's
            # row numbers, whatever order the rows are stored in
            ((base,),) = con.execute(next_seq_sql(quote(source.table))).fetchall()
            con.execute(f"INSERT INTO {quote(source.table)} ({names}, _import_id, {SEQ}) "
                        f"SELECT {names}, '{import_id}', {int(base)} + row_number() OVER "
                        f"(ORDER BY _row) FROM staged "
                        f"ORDER BY {', '.join(cluster_order(source))}")
            con.execute("INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [import_id, source.name, file, n, str(replace) if replace else None,
                         deleted, datetime.now()])
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise InputError(f"{file}: 写入失败，未保存 store write failed, nothing stored: "
                             f"{exc}") from exc
    return ImportReport(source.name, file, n, deleted, import_id, tuple(ignored))
