"""Loading facts into the workspace store from the web: uploads and form entries.

Every load goes through ``kaohe.workspace.importer.import_table`` under ``store_lock`` and is
all-or-nothing: on any error nothing is stored and the ``DataLoad`` is recorded as rejected with
its first bad rows (file row, column, value, reason; at most ``limits.errors_kept``) and the
count of all of them. The file is read before the lock is taken: reading a large workbook is
bounded (``workspace.limits``) but slow, and runs and pages must not wait for it. Form entries
are written to a temporary CSV first, so that they pass exactly the checks a file does.

Scope: admins load anything. Anyone else may only load rows whose unit or person is in their
scope (``Unit``/``Person``.objects.restrict(user, action)); the importer lists rows outside it
with every other error of the file, in one pass (``outside_scope``). Replacing a period deletes
every stored row of that period, so a scoped user may replace a period only when all its stored
rows are in scope.
"""

from __future__ import annotations

import csv
import logging
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from kaohe.errors import DataError, KaoheError, RowError
from kaohe.periods import Period
from kaohe.web.core.querysets import scope_of
from kaohe.web.core.workspace import store_lock, workspace
from kaohe.web.data.models import DataLoad
from kaohe.web.org.models import Person, Unit
from kaohe.workspace.importer import Scope, import_table, map_headers
from kaohe.workspace.reasons import REASONS, reason_text
from kaohe.workspace.sources import Source
from kaohe.workspace.store import Store, quote
from kaohe.workspace.tables import RawTable, read_table

log = logging.getLogger(__name__)
OUTSIDE = REASONS["outside_scope"]
_CHUNK = 500  # ids per IN (...) query


@dataclass
class Outcome:
    """What a load did: the recorded ``DataLoad`` (stored or rejected)."""

    load: DataLoad

    @property
    def ok(self) -> bool:
        return self.load.status == DataLoad.Status.STORED


def row_dicts(errors: Iterable[RowError], file_name: str) -> list[dict[str, Any]]:
    """RowErrors as JSON for ``DataLoad.errors`` (the temporary path is not kept)."""
    return [{"row": e.row, "column": e.column, "value": e.value, "reason": e.reason,
             "file": file_name, **({"code": e.code, "params": dict(e.params)} if e.code else {})}
            for e in errors]


def shown_reason(error: dict[str, Any]) -> str:
    """An error's reason in the reader's language: from its code when it has one (the
    importer's reasons are the catalogue's msgids), else as stored (older loads)."""
    code = error.get("code")
    if code in REASONS:
        try:
            return reason_text(code, error.get("params") or {}, gettext)
        except (KeyError, TypeError, ValueError):  # a catalogue entry with other placeholders
            return str(error.get("reason", ""))
    return str(error.get("reason", ""))


def _in_scope(model: Any, user: Any, action: str, ids: Sequence[str]) -> tuple[set[str], set[str]]:
    """(known ids, ids in the user's scope) among ``ids``."""
    known: set[str] = set()
    allowed: set[str] = set()
    for i in range(0, len(ids), _CHUNK):
        chunk = list(ids[i:i + _CHUNK])
        known.update(model.objects.filter(pk__in=chunk).values_list("pk", flat=True))
        allowed.update(model.objects.restrict(user, action).filter(pk__in=chunk)
                       .values_list("pk", flat=True))
    return known, allowed


def _column_text(raw: RawTable, idx: int) -> pa.ChunkedArray:
    col = raw.table.column(f"c{idx}")
    if not pa.types.is_string(col.type):
        col = col.cast(pa.string())
    return pc.utf8_trim_whitespace(col)


def outside_scope(user: Any, action: str, source: Source, raw: RawTable) -> Scope | None:
    """The known people and units named in ``raw`` that ``user`` may not load (None for
    admins). The importer reports each row naming one together with every other error of the
    file (issue 13: an upload once listed only these, and its other errors after a second try);
    ids the org does not know are the importer's "unknown" errors."""
    if scope_of(user).everything:
        return None
    found, _errors, _ignored = map_headers(source, raw)
    outside: dict[str, frozenset[str]] = {}
    for column, model in ((source.unit, Unit), (source.person, Person)):
        if not column or column not in found:
            continue
        values = _column_text(raw, found[column])
        distinct = [v for v in pc.unique(values).to_pylist() if v]
        known, allowed = _in_scope(model, user, action, distinct)
        outside[column] = frozenset(known - allowed)
    return Scope(people=outside.get(source.person or "", frozenset()),
                 units=outside.get(source.unit or "", frozenset()))


def replace_problem(user: Any, action: str, store: Store, source: Source,
                    period: Period) -> str | None:
    """Why ``user`` may not replace ``period`` of ``source``: stored rows outside their scope
    would be deleted. None when they may (admins always may)."""
    if scope_of(user).everything:
        return None
    with store.connect() as con:
        if not store.has_table(con, source.table):
            return None
        t = quote(source.time)
        where = f"{t} >= DATE '{period.start}' AND {t} < DATE '{period.end}'"
        for column, model in ((source.unit, Unit), (source.person, Person)):
            if not column:
                continue
            ids = [str(r[0]) for r in con.execute(
                f"SELECT DISTINCT {quote(column)} FROM {quote(source.table)} WHERE {where} "
                f"AND {quote(column)} IS NOT NULL").fetchall()]
            _known, allowed = _in_scope(model, user, action, ids)
            outside = sorted(set(ids) - allowed)
            if outside:
                return _("替换 %(period)s 会删除您管辖范围以外的数据：%(ids)s") % {
                    "period": period,
                    "ids": "、".join(outside[:10]) + (" …" if len(outside) > 10 else "")}
    return None


def _record(load: DataLoad, *, stored: bool = False, errors: list[dict[str, Any]] | None = None,
            message: str = "", rows: int = 0, replaced: int = 0,
            error_count: int | None = None) -> Outcome:
    load.status = DataLoad.Status.STORED if stored else DataLoad.Status.REJECTED
    load.errors = errors or []
    load.error_count = len(load.errors) if error_count is None else error_count
    load.message = message
    load.rows, load.replaced = rows, replaced
    load.save()
    return Outcome(load)


def load_file(user: Any, action: str, load: DataLoad, path: Path, *,
              header_row: int | None = None, sheet: str | None = None) -> Outcome:
    """Import ``path`` into ``load.source`` for ``user`` and save ``load`` (unsaved on entry)
    as stored or rejected. ``load`` carries source, file name, via, replace_period, unit and
    loaded_by. Never raises for bad input: the rejection is the outcome."""
    name = load.file_name or path.name
    try:
        ws = workspace()
        limits = ws.settings.limits
        source = ws.source(load.source)
        period = Period.parse(load.replace_period) if load.replace_period else None
        # Read and scope-check outside the store lock: neither touches the store.
        raw = read_table(path, header_row or source.header_row, sheet, limits)
        scope = outside_scope(user, action, source, raw)
        with store_lock:
            if period is not None and not scope_of(user).everything:
                problem = replace_problem(user, action, ws.store, source, period)
                if problem:
                    return _record(load, message=problem)
            report = import_table(ws.store, ws.org, source, raw, period, limits, scope)
    except DataError as exc:
        return _record(load, errors=row_dicts(exc.errors, name), error_count=exc.total,
                       message=_("%(n)s 个错误，未保存任何数据") % {"n": exc.total})
    except KaoheError as exc:
        return _record(load, message=str(exc).replace(str(path), name))
    except Exception as exc:  # a damaged file can fail deep inside pyarrow or openpyxl
        log.exception("import of %s into %s failed", name, load.source)
        return _record(load, message=f"无法读取文件 cannot read the file: "
                                     f"{type(exc).__name__}: {exc}".replace(str(path), name))
    message = ""
    if report.ignored_headers:
        message = _("未使用的列：%(headers)s") % {"headers": "、".join(report.ignored_headers)}
    return _record(load, stored=True, rows=report.rows, replaced=report.deleted, message=message)


def load_rows(user: Any, action: str, load: DataLoad, columns: Sequence[str],
              rows: Iterable[Sequence[Any]]) -> Outcome:
    """Import form-entered ``rows`` (values in ``columns`` order) through a temporary CSV."""
    with tempfile.TemporaryDirectory(prefix="kaohe-entry-") as tmp:
        path = Path(tmp) / f"{load.source}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            writer.writerows(["" if v is None else v for v in row] for row in rows)
        load.file_name = load.file_name or path.name
        return load_file(user, action, load, path, header_row=1)


def store_count(source: str) -> int:
    """Rows stored for ``source`` (0 before its first import)."""
    ws = workspace()
    src = ws.source(source)
    with store_lock, ws.store.connect() as con:
        if not ws.store.has_table(con, src.table):
            return 0
        row = con.execute(f"SELECT count(*) FROM {quote(src.table)}").fetchone()
        return int(row[0]) if row else 0
