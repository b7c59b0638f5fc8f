"""What becomes of runs whose worker is gone (a killed or restarted server).

A run is ``running`` while a worker computes it (jobs.py). When that worker's process dies the
row would say ``running`` forever and its page would poll forever. ``reconcile`` settles it:

- if the engine store holds the run — the engine saved it under the id the web recorded when it
  claimed the run, and the server died while copying the results — the run is *adopted*: its
  results are read back from the store and the run is done, as if nothing had happened;
- otherwise it is *failed* with the reason, and can be started again.

A queued run needs no reconciling: it is still in the queue, and the next worker computes it.
``on_server_start`` (wsgi.py) starts the worker, whose first act is to reconcile every run left
running by a dead process (``sweep``); the run's page and its progress endpoint reconcile the
run they show, so a page never polls a dead run for ever.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from django.db import OperationalError, transaction
from django.utils import timezone

from kaohe.web.runs import jobs
from kaohe.web.runs.models import Run

log = logging.getLogger(__name__)

RESTARTED = "服务器在运行中重启，请重新开始运行 the server restarted during the run; start it again"

PAGE_WAIT = 2.0  # seconds a page waits for the store to settle a run (else: next poll)


def on_server_start() -> None:
    """Start this process's worker: it first reconciles the runs left running by dead
    processes (``sweep``), then computes what is queued. Nothing here blocks the start."""
    try:
        jobs.wake()
    except Exception:  # never stop the server from starting
        log.exception("starting the run worker failed")


def sweep(wait: float) -> None:
    """Reconcile every running run whose worker is gone (the worker does this first)."""
    for run in Run.objects.filter(status=Run.Status.RUNNING).select_related("scheme", "version"):
        if jobs.worker_gone(run):
            reconcile(run, wait)


def check(run: Run) -> Run:
    """The run as it stands: reconciled when its worker is gone; a queued run wakes this
    process's worker (the process that queued it may be gone)."""
    try:
        if run.status == Run.Status.QUEUED:
            jobs.wake()
        elif jobs.worker_gone(run) and reconcile(run, PAGE_WAIT):
            run.refresh_from_db()
    except OperationalError:  # a database busy past its timeout: the next poll settles it
        log.warning("run %s: not reconciled now (database busy)", run.pk, exc_info=True)
    return run


def reconcile(run: Run, wait: float) -> bool:
    """Adopt the run's stored engine run, or fail the run with the reason; False when the
    store stayed busy for ``wait`` seconds (it cannot be told yet whether the engine saved the
    run: the next poll or sweep tries again)."""
    from kaohe.workspace.lock import StoreBusy

    try:
        if _adopt(run, wait):
            log.warning("run %s: adopted engine run %s after its worker %s was gone", run.pk,
                        run.engine_run_id, run.worker)
            return True
    except StoreBusy:
        return False
    except Exception:
        log.exception("run %s: adopting engine run %s failed", run.pk, run.engine_run_id)
        from kaohe.web.runs.services import retire_engine_run

        retire_engine_run(run)
    failed = Run.objects.filter(pk=run.pk, status=Run.Status.RUNNING, worker=run.worker).update(
        status=Run.Status.FAILED, error=RESTARTED, message="失败", waiting_since=None,
        finished=timezone.now())
    if failed:
        log.warning("run %s: marked failed, its worker %s is gone", run.pk, run.worker)
    return True


def _adopt(run: Run, wait: float) -> bool:
    """Copy the engine run stored under ``run.engine_run_id`` into the run, if there is one."""
    if not run.engine_run_id:
        return False
    from kaohe.web.core.workspace import store_lock, workspace
    from kaohe.web.runs.services import store_results
    from kaohe.workspace.lock import StoreBusy

    ws = workspace()
    if not store_lock.acquire(timeout=wait):  # this process's worker has the store
        raise StoreBusy(ws.store.path, wait)
    try:
        ws.store.wait_for_lock(wait)
        result = stored_result(ws, run)
        org = ws.org
    finally:
        store_lock.release()
    if result is None:
        return False
    with transaction.atomic():
        # only if nobody settled the run meanwhile (another poll, the worker itself)
        locked = Run.objects.select_for_update().filter(
            pk=run.pk, status=Run.Status.RUNNING, worker=run.worker).first()
        if locked is None:
            return True
        store_results(locked, result, org)
    return True


def stored_result(ws: Any, run: Run) -> Any:
    """The engine run ``run.engine_run_id`` read back from the store as a ``RunResult``
    (None when the store does not hold it as done). Names and groups as people read them come
    from the org, as the engine's own population table gives them; the group key is the
    stored one; alerts and payout lines as the engine stored them. An item run (spec §8)
    keeps its items in the store (runs/items.py): only their owners and grades are read."""
    from kaohe.engine.consequences import consequence_fields
    from kaohe.engine.inputs import pop_table, population
    from kaohe.periods import parse_period
    from kaohe.results import RunResult, indicator_infos
    from kaohe.scheme.sentences import scheme_sentences
    from kaohe.scheme.loader import parse_scheme

    store = ws.store
    if not store.path.exists():
        return None
    with store.connect(read_only=True) as con:
        if not store.has_table(con, "runs"):
            return None
        head = con.execute("SELECT run_no, engine FROM runs WHERE run_id = ? AND status = 'done'",
                           [run.engine_run_id]).fetchall()
        if not head:
            return None
        ((run_no, engine),) = head
        scheme = parse_scheme(run.version.text, run.scheme.code)
        if scheme.entity == "item":
            return _stored_items(con, run, scheme, str(engine))
        entities = con.execute(
            "SELECT entity_id AS id, name, group_key, total, rank, group_size, grade, vetoed, "
            "bottom, eliminate, payout, entity_no FROM run_entities WHERE run_id = ? "
            "ORDER BY entity_no", [run.engine_run_id]).df()
        values = con.execute(
            "SELECT v.entity_no, c.code, v.value, v.points, v.missing FROM run_values v "
            "JOIN run_codes c ON c.run_no = v.run_no AND c.code_no = v.code_no "
            "WHERE v.run_no = ?", [run_no]).df()
        lines = (con.execute("SELECT l.entity_no, n.name, l.amount FROM run_lines l "
                             "JOIN run_line_names n ON n.run_no = l.run_no "
                             "AND n.line_no = l.line_no WHERE l.run_no = ?", [run_no]).df()
                 if scheme.payout is not None else None)
    period = parse_period(run.period, scheme.period)
    table = entities
    table["alert"] = table["grade"].isin(list(scheme.alerts))
    if scheme.payout is not None and lines is not None:
        from kaohe.results import LINE_PREFIX

        for line in scheme.payout.lines:
            mine = lines[lines["name"] == line.name].set_index("entity_no")
            table[LINE_PREFIX + line.name] = table["entity_no"].map(mine["amount"]).astype(
                "float64")
    for ind in scheme.indicators:
        mine = values[values["code"] == ind.code].set_index("entity_no")
        table[f"v_{ind.code}"] = table["entity_no"].map(mine["value"]).astype("float64")
        table[f"p_{ind.code}"] = table["entity_no"].map(mine["points"]).astype("float64")
        table[f"m_{ind.code}"] = table["entity_no"].map(mine["missing"]).fillna(False).astype(bool)
    pop = pop_table(ws.org, scheme, population(ws.org, scheme, period), ()).to_pandas()
    names = pop.set_index("entity_id")
    table["unit_name"] = table["id"].map(names["unit_name"]).fillna("")
    table["group_name"] = table["id"].map(names["group_name"]).fillna("")
    table["payout"] = table["payout"].replace({np.nan: None})
    table = pd.DataFrame(table.drop(columns=["entity_no"]))
    from kaohe.engine.revisions import of_run

    revision, adjustments = of_run(store, scheme.code, str(period), run.engine_run_id)
    return RunResult(
        scheme=scheme.code, title=scheme.name, period=str(period), run_id=run.engine_run_id,
        entity=scheme.entity, peers=scheme.peers,
        indicators=indicator_infos(scheme), scheme_rules=tuple(scheme_sentences(scheme)),
        grades=scheme.grades, table=table, engine=str(engine),
        has_payout=scheme.payout is not None, **consequence_fields(scheme),
        revision=revision, adjustments=adjustments.by_entity())


def _stored_items(con: Any, run: Run, scheme: Any, engine: str) -> Any:
    """An item run's result as the web keeps it: owners (for a scoped scheme's coverage) and
    alerts; the items themselves stay in the store."""
    from kaohe.engine.consequences import consequence_fields
    from kaohe.periods import parse_period
    from kaohe.results import IndicatorInfo, RunResult

    table = con.execute("SELECT entity_id AS id, person_id AS person, unit_id AS unit, grade "
                        "FROM run_entities WHERE run_id = ? ORDER BY entity_no",
                        [run.engine_run_id]).df()
    table["alert"] = table["grade"].isin(list(scheme.alerts))
    return RunResult(
        scheme=scheme.code, title=scheme.name,
        period=str(parse_period(run.period, scheme.period)), run_id=run.engine_run_id,
        entity=scheme.entity, peers=scheme.peers,
        indicators=tuple(IndicatorInfo(
            code=i.code, name=i.name, role=i.role, weight=i.weight, rule=i.describe_rule(),
            formula=i.value, source=i.source, missing=i.missing) for i in scheme.indicators),
        grades=scheme.grades, table=table, engine=engine,
        has_payout=scheme.payout is not None, **consequence_fields(scheme))
