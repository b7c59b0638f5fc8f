"""The 已挽留 (retained) mark on the customer warning list (S4), written as a source row.

A manager who kept a warned customer marks it on the list. The web decides nothing about what
that is worth: the mark becomes one row of the source ``retention_logs`` (维系挽留记录, result
``挽留成功``), exactly as a CRM export would bring it, and the schemes that read that source
(``manager_retention``, ``hall_retention``: 挽留成功客户数 and 预警客户挽留率) count it the next
time they run for the month of the mark. The row goes through the importer (all-or-nothing,
every check a file gets) and is recorded as a ``DataLoad`` (audited like every load).

Scope on write: the customer must be an alerted item of the customer-warning run that the
user may see (``items.item_scope``: staff their own customers, heads their hall's, admins all),
checked again inside the transaction that records the load. The row names the customer's own
manager and hall as stored by that run, so the credit goes where the engine put the customer,
whoever enters the mark.
"""

from __future__ import annotations

import csv
import tempfile
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from kaohe.errors import DataError, KaoheError
from kaohe.periods import parse_period
from kaohe.web.core.querysets import scope_of
from kaohe.web.core.workspace import store_lock, workspace
from kaohe.web.data.models import DataLoad
from kaohe.web.data.services import row_dicts
from kaohe.web.runs import items
from kaohe.web.runs.models import Run
from kaohe.workspace.importer import import_table
from kaohe.workspace.store import quote
from kaohe.workspace.tables import read_table

SOURCE = "retention_logs"
RETAINED = "挽留成功"
CHANNELS = ("电话", "上门", "到厅")
COLUMNS = ("log_id", "customer_id", "manager_id", "hall_id", "at", "channel", "result")


class RetentionRefused(Exception):
    """Why a mark was not stored (a plain sentence for the manager)."""


class NotInList(RetentionRefused):
    """The customer is not a warned customer the user may see (the view answers 404)."""


@dataclass(frozen=True)
class Marked:
    load: DataLoad
    customer: str
    day: date


def day_bounds(run: Run, today: date | None = None) -> tuple[date, date, date]:
    """(earliest, latest, default) day of a mark on ``run``'s warnings: from the warning
    period's first day to today; by default today, or the period's last day once the period
    is over (the mark then counts for the warned month itself)."""
    period = parse_period(run.period, run.scheme.period)
    latest = max(today or timezone.localdate(), period.start)
    return period.start, latest, min(latest, period.last_day)


def retained_customers(ids: list[str], since: date) -> set[str]:
    """The customers among ``ids`` with a 挽留成功 row in ``retention_logs`` on or after
    ``since`` (the warning period's first day: a retention before the warning is history)."""
    if not ids:
        return set()
    ws = workspace()
    source = ws.source(SOURCE)
    with store_lock:
        if not ws.store.path.exists():
            return set()
        with ws.store.connect(read_only=True) as con:
            found = con.execute("SELECT count(*) FROM information_schema.tables WHERE "
                                "table_name = ?", [source.table]).fetchall()
            if not found or not found[0][0]:
                return set()
            import pyarrow as pa

            con.register("_marked_ids", pa.table({"id": [str(i) for i in ids]}))
            rows = con.execute(
                f"SELECT DISTINCT customer_id FROM {quote(source.table)} "
                f"WHERE result = ? AND {quote(source.time)} >= ? "
                "AND customer_id IN (SELECT id FROM _marked_ids)",
                [RETAINED, since]).fetchall()
    return {str(r[0]) for r in rows}


def mark_retained(user: Any, run: Run, customer: str, day: date, channel: str) -> Marked:
    """Store the mark (see the module docstring); raises ``RetentionRefused`` with the reason,
    storing nothing, when the customer is not a warned customer in scope, the day is outside
    its bounds, the customer is already marked or the importer rejects the row."""
    if channel not in CHANNELS:
        raise RetentionRefused(f"维系方式只能是 {'、'.join(CHANNELS)}")
    earliest, latest, _default = day_bounds(run)
    if not earliest <= day <= latest:
        raise RetentionRefused(f"维系日期须在 {earliest} 至 {latest} 之间")
    with transaction.atomic():
        scope = items.item_scope(scope_of(user), run.period, run.scheme.period)
        found = items.detail(run.engine_run_id, scope, customer, [], list(run.alerts))
        if found is None:
            raise NotInList("该客户不在您的预警清单中")
        row = found.row
        if not row.alert:
            raise RetentionRefused("该客户本期未预警，无需登记挽留")
        if customer in retained_customers([customer], earliest):
            raise RetentionRefused("该客户已登记挽留")
        moment = timezone.localtime()
        at = datetime.combine(day, moment.time().replace(microsecond=0)) \
            if day == moment.date() else datetime.combine(day, datetime.min.time()).replace(
                hour=18)
        values = (f"WEB{uuid.uuid4().hex[:12].upper()}", customer, row.person or "",
                  row.unit or "", at.strftime("%Y-%m-%d %H:%M:%S"), channel, RETAINED)
        load = DataLoad(source=SOURCE, via=DataLoad.Via.FORM, unit_id=row.unit or None,
                        loaded_by=user,
                        file_name=f"{SOURCE}-{moment:%Y%m%d%H%M%S}-{customer}.csv")
        _import(load, values)
    return Marked(load=load, customer=customer, day=day)


def _import(load: DataLoad, values: tuple[str, ...]) -> None:
    """Import one row through a temporary CSV and save the load; on any error nothing is
    stored or saved and the refusal says why."""
    ws = workspace()
    source = ws.source(SOURCE)
    with tempfile.TemporaryDirectory(prefix="kaohe-retain-") as tmp:
        path = Path(tmp) / load.file_name
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            writer.writerow(values)
        try:
            raw = read_table(path, 1, None, ws.settings.limits)
            with store_lock:
                report = import_table(ws.store, ws.org, source, raw, None, ws.settings.limits)
        except DataError as exc:
            errors = row_dicts(exc.errors, load.file_name)
            raise RetentionRefused(_first(errors) or f"{exc.total} 个错误，未保存") from exc
        except KaoheError as exc:
            raise RetentionRefused(str(exc).replace(str(path), load.file_name)) from exc
    load.status = DataLoad.Status.STORED
    load.rows = report.rows
    load.message = "已挽留标记 retained mark"
    load.save()


def _first(errors: list[dict[str, Any]]) -> str:
    if not errors:
        return ""
    e = errors[0]
    return f"第 {e['row']} 行 {e['column']}：{e['reason']}"
