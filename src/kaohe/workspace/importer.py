"""All-or-nothing import of a fact file into the store (spec §2).

Every row is checked in one pass of set-based SQL over the file's cells (types, required
columns, known person/unit ids, key uniqueness in the file and against the store, time present
and, with --replace, inside the period). On any error nothing is stored and every error is
listed by file row, column, value and reason.
"""

from __future__ import annotations

import time
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
from kaohe.workspace.reasons import reason_text
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
    # wall and CPU seconds (all threads) of every check of every row, and of the clustered
    # insert, committed (bench/imports.py)
    check_seconds: float = 0.0
    store_seconds: float = 0.0
    check_cpu: float = 0.0
    store_cpu: float = 0.0


def _norm(h: str) -> str:
    return "".join(h.split()).casefold()


def _label(col: Column) -> str:
    """A column as a person knows it: its first header alias (the file's language), else its
    name; used where the file has no header for it."""
    return col.aliases[0] if col.aliases else col.name


def _error(file: str, row: int, column: str, value: str, code: str,
           **params: object) -> RowError:
    ps = {k: str(v) for k, v in params.items()}
    return RowError(file, row, column, value, reason_text(code, ps), code,
                    tuple(sorted(ps.items())))


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
    file = str(raw.path)
    for i, h in enumerate(raw.headers):
        col = lookup.get(_norm(h))
        if col is None:
            if h:
                ignored.append(h)
            continue
        if col.name in found:
            errors.append(_error(file, hrow, h, h, "duplicate_header",
                                 first=found[col.name] + 1, header=raw.headers[found[col.name]]))
            continue
        found[col.name] = i
    headers_found = "、".join(h for h in raw.headers if h) or "（无）"
    required = source.required_columns()
    for c in source.columns:
        if c.name in found or (c.optional and c.name not in required):
            continue
        errors.append(_error(file, hrow, _label(c), "",
                             "missing_required" if c.name in required else "missing_column",
                             accepted="、".join([c.name, *c.aliases]), found=headers_found))
    missing_both = source.person and source.unit and source.person not in found \
        and source.unit not in found
    labels = {_label(c) for c in source.columns if c.name in (source.person, source.unit)}
    if missing_both and not any(e.column in labels for e in errors):
        cols = [c for c in source.columns if c.name in (source.person, source.unit)]
        errors.append(_error(file, hrow, "/".join(_label(c) for c in cols), "",
                             "missing_person_unit",
                             accepted="、".join(n for c in cols for n in (c.name, *c.aliases)),
                             found=headers_found))
    return found, errors, ignored


def _typed(col: Column, ref: str, arrow_type: pa.DataType) -> str:
    """SQL turning a raw cell into the column's type, NULL when it does not convert."""
    target = SQL_TYPES[col.type]
    if not pa.types.is_string(arrow_type) and not pa.types.is_large_string(arrow_type):
        if col.type == "string":
            return f"CAST({ref} AS VARCHAR)"
        if col.type == "integer" and pa.types.is_integer(arrow_type):
            return f"TRY_CAST({ref} AS BIGINT)"
        if col.type == "integer":  # 1.5 must not become 2 silently
            return (f"CASE WHEN TRY_CAST({ref} AS DOUBLE) = TRY_CAST({ref} AS BIGINT) "
                    f"THEN TRY_CAST({ref} AS BIGINT) END")
        return f"TRY_CAST({ref} AS {target})"
    # TRIM only where a cell starts or ends with a space: most cells do not, and trimming
    # every cell was a tenth of a CSV import's time
    s = (f"(CASE WHEN {ref} = '' THEN NULL WHEN {ref} ^@ ' ' OR suffix({ref}, ' ') "
         f"THEN NULLIF(TRIM({ref}), '') ELSE {ref} END)")
    if col.type == "string":
        return s
    if col.type == "integer":
        return f"CASE WHEN regexp_full_match({s}, '[+-]?[0-9]+') THEN TRY_CAST({s} AS BIGINT) END"
    if col.type == "decimal":  # 1,234.50
        return (f"TRY_CAST(CASE WHEN contains({s}, ',') THEN REPLACE({s}, ',', '') ELSE {s} END "
                f"AS DECIMAL(18,4))")
    if col.type == "boolean":
        return (f"CASE WHEN lower({s}) IN ('true','t','1','yes','y','是','对') THEN TRUE "
                f"WHEN lower({s}) IN ('false','f','0','no','n','否','错') THEN FALSE END")
    # DuckDB reads 2026/10/01 as 2026-10-01; a date column takes an Excel date cell (a
    # midnight datetime) as its date
    return f"TRY_CAST({s} AS {target})"


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


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Scope:
    """Known ids the importing user may not load (the web's roles): a row naming one is an
    error "outside your scope", listed with every other error of the file. Ids unknown to the
    org are reported as unknown, not here."""

    people: frozenset[str] = frozenset()
    units: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Check:
    """One per-row check: a row where ``cond`` (SQL over the ``checked`` view) holds has the
    error ``code`` in the file's column ``label``."""

    pos: int  # order of the errors within a row: the file's column order
    label: str
    value: str  # SQL: the cell as the file has it
    cond: str
    code: str
    params: dict[str, str]


class _Plan:
    """The SQL of one import, built once from the source and the file's headers.

    ``typed``: the file's rows cast to the source's types (NULL where a cell does not convert),
    with ``_row``, the spreadsheet row. ``checked``: the same with the raw cells, joined to the
    org's people and units (known ids and, for a scoped user, which are outside the scope).
    Every per-row check is a boolean expression over ``checked``, so that one scan counts them
    all; the rows of the errors are listed only when there are any."""

    def __init__(self, source: Source, raw: RawTable, found: dict[str, int],
                 replace: Period | None) -> None:
        self.source = source
        self.raw = raw
        self.typed: dict[str, str] = {}
        self.checks: list[_Check] = []
        headers = raw.headers
        checked_cols: list[str] = []
        for j, col in enumerate(source.columns):
            if col.name not in found:
                self.typed[col.name] = f"CAST(NULL AS {SQL_TYPES[col.type]})"
                checked_cols.append(f"{self.typed[col.name]} AS v{j}")
                continue
            idx = found[col.name]
            ref = f"c{idx}"
            arrow_type = raw.table.schema.field(ref).type
            text = pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)
            self.typed[col.name] = _typed(col, ref, arrow_type)
            checked_cols.append(f"{self.typed[col.name]} AS v{j}")
            v = f"v{j}"
            shown = ref if text else f"CAST({ref} AS VARCHAR)"
            present = f"({ref} IS NOT NULL AND {ref} <> '' AND (NOT {ref} ^@ ' ' OR " \
                f"TRIM({ref}) <> ''))" if text else f"({ref} IS NOT NULL)"
            label = headers[idx]

            def check(cond: str, code: str, value: str = shown, label: str = label,
                      idx: int = idx, **params: object) -> None:
                self.checks.append(_Check(idx, label, value, cond, code,
                                          {k: str(x) for k, x in params.items()}))

            if col.name in source.required_columns():
                check(f"NOT {present}", "required", "''")
            if col.type != "string":
                check(f"{present} AND {v} IS NULL", col.type)
            if col.name == source.person:
                check(f"{v} IS NOT NULL AND kp_id IS NULL", "unknown_person")
                check("kp_outside", "outside_scope")
            if col.name == source.unit:
                check(f"{v} IS NOT NULL AND ku_id IS NULL", "unknown_unit")
                check("ku_outside", "outside_scope")
            if col.values:
                allowed = ", ".join(_lit(x) for x in col.values)
                check(f"{v} IS NOT NULL AND {v} NOT IN ({allowed})", "not_allowed",
                      values="、".join(col.values))
            if replace is not None and col.name == source.time:
                check(f"{v} IS NOT NULL AND NOT ({v} >= DATE '{replace.start}' AND "
                      f"{v} < DATE '{replace.end}')", "outside_period", period=replace)
        index = {c.name: j for j, c in enumerate(source.columns)}
        if source.person and source.unit:
            both = [c for c in (source.person, source.unit) if c in found]
            label = "/".join(headers[found[c]] for c in both)
            pos = min(found[c] for c in both) if both else 0
            self.checks.append(_Check(
                pos, label, "''", f"v{index[source.person]} IS NULL AND "
                f"v{index[source.unit]} IS NULL", "person_or_unit", {}))
        joins, looked_up = "", ""
        if source.person:
            joins += f" LEFT JOIN k_people kp ON kp.id = i.v{index[source.person]}"
            looked_up += ", kp.id AS kp_id, kp.outside AS kp_outside"
        if source.unit:
            joins += f" LEFT JOIN k_units ku ON ku.id = i.v{index[source.unit]}"
            looked_up += ", ku.id AS ku_id, ku.outside AS ku_outside"
        self.typed_sql = "SELECT _row, " + ", ".join(
            f"{self.typed[c.name]} AS {quote(c.name)}" for c in source.columns) + " FROM raw"
        self.checked_sql = (f"SELECT i.*{looked_up} FROM (SELECT raw.*, "
                            f"{', '.join(checked_cols)} FROM raw) i{joins}")
        # the key, for duplicates in the file and keys already stored
        self.key_label = "+".join(headers[found[k]] for k in source.key if k in found)
        self.key_pos = len(headers)
        self.key_shown = " || '/' || ".join(
            f"COALESCE(CAST(t.{quote(k)} AS VARCHAR), '')" for k in source.key)
        self.key_v = [f"v{index[k]}" for k in source.key]


def _count_pass(con: duckdb.DuckDBPyConnection, plan: _Plan) -> tuple[list[int], int]:
    """One scan of the file: how many rows fail each check, and how many rows repeat a key
    already seen in the file."""
    aggs = [f"count(*) FILTER (WHERE {c.cond})" for c in plan.checks]
    if plan.key_v:
        present = " AND ".join(f"{v} IS NOT NULL" for v in plan.key_v)
        key = plan.key_v[0] if len(plan.key_v) == 1 else f"row({', '.join(plan.key_v)})"
        aggs += [f"count(*) FILTER (WHERE {present})",
                 f"count(DISTINCT {key}) FILTER (WHERE {present})"]
    if not aggs:
        return [], 0
    row = con.execute(f"SELECT {', '.join(aggs)} FROM ({plan.checked_sql})").fetchone()
    counts = [int(x or 0) for x in (row or ())]
    dups = counts[-2] - counts[-1] if plan.key_v else 0
    return counts[:len(plan.checks)], dups


def _stored_sql(plan: _Plan, replace: Period | None) -> str | None:
    """The file's rows whose key is already stored (outside the replaced period), as
    (_row, key shown); None when nothing that could clash is stored."""
    source = plan.source
    if not source.key:
        return None
    kept = f"SELECT {', '.join(quote(k) for k in source.key)} FROM {quote(source.table)}"
    if replace is not None:
        t = quote(source.time)
        kept += f" WHERE NOT ({t} >= DATE '{replace.start}' AND {t} < DATE '{replace.end}')"
    on = " AND ".join(f"t.{quote(k)} = s.{quote(k)}" for k in source.key)
    return (f"SELECT t._row, {plan.key_shown} AS value FROM ({plan.typed_sql}) t "
            f"SEMI JOIN ({kept}) s ON {on}")


def _stored_clashes(con: duckdb.DuckDBPyConnection, plan: _Plan, replace: Period | None) -> int:
    """How many of the file's rows have a key already stored."""
    sql = _stored_sql(plan, replace)
    if sql is None:
        return 0
    ((stored,),) = con.execute(f"SELECT count(*) FROM {quote(plan.source.table)}").fetchall()
    if not stored:
        return 0
    ((n,),) = con.execute(f"SELECT count(*) FROM ({sql})").fetchall()
    return int(n)


def _raise_errors(con: duckdb.DuckDBPyConnection, plan: _Plan, file: str, counts: list[int],
                  dups: int, clashes: int, kept: int, replace: Period | None) -> None:
    """Raise DataError listing the first ``kept`` errors by row and column (every kind at
    once), with the count of all. A file of two million bad rows must not become two million
    Python objects (issue 11: 7.7 GB for one rejected upload)."""
    total = sum(counts) + dups + clashes
    if not total:
        return
    parts: list[str] = []
    failing = [(k, c) for k, c in enumerate(plan.checks) if counts[k]]
    if failing:
        any_bad = " OR ".join(f"({c.cond})" for _k, c in failing)
        # each bad row has an error: the first ``kept`` of them hold the first errors
        con.execute(f"CREATE TEMP TABLE _bad AS SELECT * FROM ({plan.checked_sql}) "
                    f"WHERE {any_bad} ORDER BY _row LIMIT {int(kept)}")
        parts += [f"SELECT _row, {c.pos}, {k}, CAST({c.value} AS VARCHAR), NULL FROM _bad "
                  f"WHERE {c.cond}" for k, c in failing]
    n = len(plan.checks)
    if dups:
        keys = ", ".join(quote(k) for k in plan.source.key)
        present = " AND ".join(f"{quote(k)} IS NOT NULL" for k in plan.source.key)
        on = " AND ".join(f"t.{quote(k)} = d.{quote(k)}" for k in plan.source.key)
        con.execute(f"CREATE TEMP TABLE _dups AS SELECT {keys}, min(_row) AS _first FROM "
                    f"({plan.typed_sql}) WHERE {present} GROUP BY {keys} HAVING count(*) > 1")
        parts.append(f"SELECT t._row, {plan.key_pos}, {n}, {plan.key_shown}, "
                     f"CAST(d._first AS VARCHAR) FROM ({plan.typed_sql}) t JOIN _dups d "
                     f"ON {on} WHERE t._row > d._first ORDER BY 1 LIMIT {int(kept)}")
    if clashes:
        parts.append(f"SELECT _row, {plan.key_pos}, {n + 1}, value, NULL FROM "
                     f"({_stored_sql(plan, replace)}) ORDER BY 1 LIMIT {int(kept)}")
    union = " UNION ALL ".join(f"({p})" for p in parts)
    rows = con.execute(f"SELECT * FROM ({union}) ORDER BY 1, 2, 3 LIMIT {int(kept)}").fetchall()
    errors: list[RowError] = []
    for row, _pos, k, value, arg in rows:
        shown = "" if value is None else str(value)
        if k < n:
            c = plan.checks[k]
            errors.append(_error(file, int(row), c.label, shown, c.code, **c.params))
        elif k == n:
            errors.append(_error(file, int(row), plan.key_label, shown, "duplicate_key",
                                 first=arg))
        else:
            errors.append(_error(file, int(row), plan.key_label, shown, "key_exists"))
    raise DataError(plan.source.name, errors, total=int(total))


def import_file(store: Store, org: Org, source: Source, path: Path,
                replace: Period | None = None, header_row: int | None = None,
                sheet: str | None = None, limits: ImportLimits = DEFAULT_LIMITS,
                scope: Scope | None = None) -> ImportReport:
    # The file is read (bounded by limits) before the store is opened, so a slow read never
    # holds the store's lock.
    raw = read_table(path, header_row or source.header_row, sheet, limits)
    return import_table(store, org, source, raw, replace, limits, scope)


def _ids(ids: object, outside: frozenset[str]) -> pa.Table:
    keys = list(ids)  # type: ignore[call-overload]
    return pa.table({"id": pa.array(keys, pa.string()),
                     "outside": pa.array([k in outside for k in keys], pa.bool_())})


def import_table(store: Store, org: Org, source: Source, raw: RawTable,
                 replace: Period | None = None, limits: ImportLimits = DEFAULT_LIMITS,
                 scope: Scope | None = None) -> ImportReport:
    """Check and store a file already read (``read_table``): all or nothing. Every error is
    found at once (types, required cells, allowed values, unknown ids, ids outside ``scope``,
    the replaced period, duplicate and stored keys) in one scan of the file plus, only when
    needed, a look at the stored keys; nothing is checked row by row in Python."""
    found, errors, ignored = map_headers(source, raw)
    if errors:
        raise DataError(source.name, errors)
    scope = scope or Scope()
    n = raw.table.num_rows
    table = raw.table.append_column("_row", pa.array(range(raw.row_offset, raw.row_offset + n),
                                                     pa.int64()))
    file = str(raw.path)
    plan = _Plan(source, raw, found, replace)
    import_id = uuid.uuid4().hex
    with store.connect() as con:
        Store.ensure_fact_table(con, source)
        con.register("raw", table)
        con.register("k_people", _ids(org.people, scope.people))
        con.register("k_units", _ids(org.units, scope.units))
        started, started_cpu = time.perf_counter(), time.process_time()
        counts, dups = _count_pass(con, plan)
        clashes = _stored_clashes(con, plan, replace)
        _raise_errors(con, plan, file, counts, dups, clashes, limits.errors_kept, replace)
        checked, checked_cpu = time.perf_counter(), time.process_time()
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
            first = int(base) + 1 - raw.row_offset
            con.execute(f"INSERT INTO {quote(source.table)} ({names}, _import_id, {SEQ}) "
                        f"SELECT {names}, '{import_id}', {first} + _row "
                        f"FROM ({plan.typed_sql}) ORDER BY {', '.join(cluster_order(source))}")
            con.execute("INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [import_id, source.name, file, n, str(replace) if replace else None,
                         deleted, datetime.now()])
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise InputError(f"{file}: 写入失败，未保存任何数据：{exc}") from exc
        stored, stored_cpu = time.perf_counter(), time.process_time()
    return ImportReport(source.name, file, n, deleted, import_id, tuple(ignored),
                        round(checked - started, 3), round(stored - checked, 3),
                        round(checked_cpu - started_cpu, 3), round(stored_cpu - checked_cpu, 3))
