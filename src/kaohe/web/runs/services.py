"""Create, execute and revise runs: the seam between the web and kaohe's engine.

``create_run`` records a queued run; ``start_run`` hands it to this process's worker thread
(jobs.py; or computes it inline when ``KAOHE_RUNS_INLINE``); ``compute`` calls the engine with
the scheme version the run names, then copies the results into ``Result``/``Score`` rows in one
transaction. Progress is written with ``QuerySet.update`` (no audit entry per step), and a
progress step the database is too busy to record is skipped, never the run.

Accepted appeals are adjustments (spec §19): both ``compute`` and ``revise_run`` give the
engine the accepted appeals of the scheme and period (``appeals.services.period_adjustments``),
so a re-run keeps them and a decided appeal is a new revision computed in full by the engine;
``revise_run`` replaces the run's results by that revision's, in place (appeals stay attached).
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from kaohe.periods import parse_period
from kaohe.scheme.loader import parse_scheme
from kaohe.web.audit.middleware import acting_as
from kaohe.web.core.workspace import store_lock, workspace
from kaohe.web.org.models import Unit
from kaohe.web.runs.coverage import check_coverage
from kaohe.web.runs import jobs
from kaohe.web.runs.models import Result, Run, Score
from kaohe.web.schemes.models import Scheme, SchemeVersion
from kaohe.workspace.completeness import shortfalls
from kaohe.workspace.lock import StoreBusy

log = logging.getLogger(__name__)

# Engine progress messages (engine/run.py, bilingual for the terminal: "计算 computing on
# duckdb") → percent shown in the progress bar and the step as the web names it. A run keeps
# the step's Chinese text (the source language); pages show it in the reader's language
# (``step_label``), never the engine's two languages at once.
STEPS = [("编译", 10, gettext_noop("编译方案")), ("准备", 25, gettext_noop("准备组织与人员")),
         ("计算", 45, gettext_noop("计算中")), ("保存", 80, gettext_noop("保存结果"))]
WAITING = gettext_noop("等待中：另一个运行或导入正在使用考核库")
RESUMING = gettext_noop("继续计算")
STORING = gettext_noop("写入结果")
DONE = gettext_noop("完成")
FAILED = gettext_noop("失败")
STARTING = gettext_noop("开始")


def step_label(message: str) -> str:
    """A run's stored step in the reader's language (a step kaohe did not name is shown as
    stored)."""
    return gettext(message) if message else ""


@functools.lru_cache(maxsize=32)
def _parsed(text: str, code: str) -> Any:
    """A scheme version's text parsed (a ``Scheme`` is immutable; a version's text never
    changes): every decided appeal of a run computes the same version again."""
    return parse_scheme(text, code)


def create_run(scheme: Scheme, period: str, user: Any, version: SchemeVersion | None = None,
               engine: str = "duckdb") -> Run:
    version = version or scheme.current
    if version is None:
        raise ValueError(f"scheme {scheme.code} has no version")
    parse_period(period, scheme.period)  # raises InputError with a clear message
    return Run.objects.create(scheme=scheme, version=version, period=period, engine=engine,
                              started_by=user if getattr(user, "is_authenticated", False)
                              else None)


def start_run(run: Run) -> None:
    """Queue ``run`` for this process's worker without blocking the request (or compute it
    now when ``KAOHE_RUNS_INLINE``)."""
    if settings.KAOHE_RUNS_INLINE:
        execute_run(run.pk)
        return
    jobs.wake()


def execute_run(run_pk: int) -> Run:
    """Compute queued run ``run_pk`` in this thread (inline runs, ``kaohe_setup --demo``)."""
    run = jobs.claim(run_pk)
    if run is not None:
        with jobs.inline(run.pk):
            compute(run)
    return Run.objects.get(pk=run_pk)


def _quietly(run_pk: int, **fields: Any) -> None:
    """Record progress; a database busy past its timeout costs this step, not the run."""
    try:
        Run.objects.filter(pk=run_pk).update(**fields)
    except OperationalError:
        log.warning("run %s: progress %s not recorded (database busy)", run_pk, fields)


def _progress(run_pk: int) -> Any:
    def say(message: str) -> None:
        step = next(((p, label) for key, p, label in STEPS if message.startswith(key)), None)
        if step is None:  # not a step the web knows: keep the bar, show nothing half-English
            return
        _quietly(run_pk, progress=step[0], message=step[1])
    return say


def _waiting(run_pk: int) -> Callable[[bool], None]:
    """Show on the run's page that it waits for the store, and when it stops waiting."""
    def waiting(now: bool) -> None:
        if now:
            _quietly(run_pk, waiting_since=timezone.now(), message=WAITING)
        else:
            _quietly(run_pk, waiting_since=None, message=RESUMING)
    return waiting


@contextmanager
def _store_turn(notify: Callable[[bool], None]) -> Iterator[None]:
    """This process's turn at the store (``store_lock``), saying so while it waits for it."""
    if not store_lock.acquire(blocking=False):
        notify(True)
        store_lock.acquire()
        notify(False)
    try:
        yield
    finally:
        store_lock.release()


def compute(run: Run, heartbeat: bool = False) -> None:
    """Compute a claimed run; on failure the run is marked failed with the error (nothing
    stored). ``heartbeat``: stamp the run while computing (the worker thread)."""
    from kaohe.engine.run import run_scheme

    alive = jobs.heartbeat(run.pk) if heartbeat else nullcontext()
    with alive, acting_as(run.started_by):
        try:
            scheme = _parsed(run.version.text, run.scheme.code)
            waiting = _waiting(run.pk)
            with _store_turn(waiting):
                ws = workspace()
                ws.store.wait_for_lock(settings.KAOHE_RUN_STORE_WAIT, waiting)
                out = run_scheme(ws, run.scheme.code, run.period, engine=run.engine,
                                 progress=_progress(run.pk), scheme=scheme,
                                 run_id=run.engine_run_id or None,
                                 adjustments=_adjustments(run))
                org = ws.org
                # the data the run read, against the previous periods' (kept with the run: a
                # later import does not change what this run was computed from)
                run.data_warnings = [s.as_dict() for s in shortfalls(
                    ws, scheme, parse_period(run.period, scheme.period))]
            _quietly(run.pk, progress=90, message=STORING)
            try:
                jobs.retry_busy(lambda: store_results(run, out.result, org))
            except Exception:
                retire_engine_run(run)  # saved by the engine, not kept by the web
                raise
        except StoreBusy as exc:
            _fail(run, f"考核库在 {exc.wait:g} 秒内一直被其他运行或导入占用，本运行未计算；请稍后"
                       f"重新运行 the store stayed busy with another run or import for "
                       f"{exc.wait:g} s; the run was not computed, start it again later")
        except Exception as exc:  # the job's failure state carries the message
            log.exception("run %s failed", run.pk)
            _fail(run, str(exc))


def _fail(run: Run, error: str) -> None:
    jobs.retry_busy(lambda: Run.objects.filter(pk=run.pk).update(
        status=Run.Status.FAILED, error=error[:4000], finished=timezone.now(),
        message=FAILED, waiting_since=None))


def retire_engine_run(run: Run) -> None:
    """Take a run the web fails out of the engine's history (engine/history.retire_run), so
    that bottom-n streaks and results:SCHEME sources never count a run nobody can see."""
    if not run.engine_run_id:
        return
    from kaohe.engine.history import retire_run

    try:
        with store_lock:
            retire_run(workspace().store, run.engine_run_id)
    except Exception:
        log.exception("run %s: engine run %s not retired", run.pk, run.engine_run_id)


def _num(v: Any) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _dec(v: Any) -> Decimal | None:
    f = _num(v)
    return None if f is None else Decimal(str(round(f, 2))).quantize(Decimal("0.01"))


def _lines(row: dict[str, Any], names: list[str]) -> dict[str, float | None]:
    """A row's payout lines (spec §10) as {name: yuan}, in the order written."""
    from kaohe.results import LINE_PREFIX

    out: dict[str, float | None] = {}
    for name in names:
        amount = _dec(row.get(LINE_PREFIX + name))
        out[name] = None if amount is None else float(amount)
    return out


def _adjustments(run: Run) -> Any:
    """The accepted appeals of the run's scheme and period, as the engine's adjustments."""
    from kaohe.web.appeals.services import period_adjustments

    return period_adjustments(run.scheme_id, run.period)


def _run_fields(run: Run, result: Any) -> None:
    """What every run keeps of its scheme as it was computed (the pages read these)."""
    run.status = Run.Status.DONE
    run.progress = 100
    run.message = DONE
    run.waiting_since = None
    run.finished = timezone.now()
    run.engine_run_id = result.run_id
    run.entity = result.entity
    run.peers = list(result.peers)
    run.grades = [[g[0], g[1]] for g in result.grades]
    run.has_payout = bool(result.has_payout)
    run.payout_lines = list(getattr(result, "payout_lines", ()) or ())
    run.alerts = list(getattr(result, "alerts", ()) or ())
    run.indicators = [{"code": i.code, "name": i.name, "role": i.role, "weight": i.weight,
                       "rule": i.rule, "formula": i.formula, "source": i.source,
                       "missing": i.missing,
                       # issue 13: the 口径, the value format and the rule as sentences
                       "description": getattr(i, "description", ""),
                       "format": i.format.as_dict() if getattr(i, "format", None) else None,
                       "sentence": getattr(i, "sentence", ""),
                       "sentence_en": getattr(i, "sentence_en", "")}
                      for i in result.indicators]
    run.revision = result.revision or 1
    run.adjustment_count = sum(len(v) for v in result.adjustments.values())


RUN_FIELDS = ["status", "progress", "message", "waiting_since", "finished", "engine_run_id",
              "entity", "peers", "grades", "has_payout", "indicators", "payout_lines", "alerts",
              "data_warnings", "revision", "adjustment_count"]


def item_units(run: Run, table: Any, org: Any) -> Iterator[str | None]:
    """Each item's unit as scope reads it (runs/items.py): its own, else its person's on the
    period's last day."""
    last_day = parse_period(run.period, run.scheme.period).last_day
    on = org.positions_on(last_day)
    person_unit = {str(p): str(u) for p, u in zip(on["person_id"], on["unit_id"], strict=True)}
    units = table["unit"] if "unit" in table.columns else [None] * len(table)
    people = table["person"] if "person" in table.columns else [None] * len(table)
    for unit, person in zip(units, people, strict=True):
        if unit is not None and unit == unit:  # not None, not NaN
            yield str(unit)
        else:
            yield person_unit.get(str(person)) if person is not None else None


@transaction.atomic
def store_item_run(run: Run, result: Any, org: Any) -> None:
    """An item run (spec §8): millions of items stay in the engine's store, read page by page
    (runs/items.py); the web keeps the run, its item count and its alerted count. A scoped
    scheme's items must lie in its scope, as results do (runs/coverage.py)."""
    table = result.table
    if run.scheme.unit_id is not None:
        check_coverage(run.scheme, item_units(run, table, org))
    _run_fields(run, result)
    run.item_count = len(table)
    run.alert_count = int(table["alert"].fillna(False).astype(bool).sum()) \
        if "alert" in table.columns and len(table) else 0
    run.save(update_fields=[*RUN_FIELDS, "item_count", "alert_count"])


@transaction.atomic
def store_results(run: Run, result: Any, org: Any) -> None:
    from kaohe.periods import parse_period as pp

    if result.entity == "item":
        store_item_run(run, result, org)
        return
    period = pp(run.period, run.scheme.period)
    last_day = period.end.fromordinal(period.end.toordinal() - 1)
    units = set(Unit.objects.values_list("pk", flat=True))
    person_unit: dict[str, str] = {}
    if result.entity == "person":
        # A run uses the org as of the period's last day (spec §1): so does its scope.
        on = org.positions_on(last_day)
        person_unit = {str(r.person_id): str(r.unit_id) for r in on.itertuples(index=False)}
    results: list[Result] = []
    scores: list[list[Score]] = []
    peers = list(result.peers)
    line_names = list(getattr(result, "payout_lines", ()) or ())
    for row in result.table.to_dict("records"):
        eid = str(row["id"])
        unit_id = person_unit.get(eid) if result.entity == "person" else eid
        results.append(Result(
            run=run, entity_id=eid, name=str(row.get("name") or eid),
            unit_id=unit_id if unit_id in units else None,
            unit_name=str(row.get("unit_name") or ""),
            **_result_fields(row, peers, line_names, result.adjustments.get(eid, []))))
        scores.append([Score(code=i.code, **_score_fields(row, i.code))
                       for i in result.indicators])
    check_coverage(run.scheme, (r.unit_id for r in results))  # runs/coverage.py
    Result.objects.bulk_create(results, batch_size=500)
    saved = {r.entity_id: r for r in Result.objects.filter(run=run)}
    flat = []
    for res, ss in zip(results, scores, strict=True):
        for s in ss:
            s.result = saved[res.entity_id]
            flat.append(s)
    Score.objects.bulk_create(flat, batch_size=2000)
    _run_fields(run, result)
    run.alert_count = sum(1 for r in results if r.alert)
    # Only the fields set here: ``run`` was loaded before the start time was recorded.
    run.save(update_fields=[*RUN_FIELDS, "alert_count"])


def _result_fields(row: dict[str, Any], peers: list[str], line_names: list[str],
                   adjustments: list[dict[str, Any]]) -> dict[str, Any]:
    """What a Result keeps of the engine's row, all of it the engine's."""
    total = _dec(row["total"]) or Decimal("0.00")
    group_key = (str(row["group_key"]) if "group_key" in row  # read back from the store
                 else "/".join(str(row.get(f"g_{p}") or "") for p in peers))
    points = sum((Decimal(str(a["amount"])) for a in adjustments if a["kind"] == "points"),
                 Decimal(0))
    return {
        "group_key": group_key, "group_name": str(row.get("group_name") or ""),
        "total": total, "rank": int(row["rank"]), "grade": str(row.get("grade") or ""),
        "group_size": int(row["group_size"]), "vetoed": bool(row["vetoed"]),
        "bottom": bool(row["bottom"]), "eliminate": bool(row["eliminate"]),
        "payout": _dec(row.get("payout")), "alert": _num(row.get("alert")) == 1.0,
        "payout_lines": _lines(row, line_names),
        "adjustment": points.quantize(Decimal("0.01")), "adjustments": adjustments}


def _score_fields(row: dict[str, Any], code: str) -> dict[str, Any]:
    return {"value": _num(row.get(f"v_{code}")), "points": _dec(row.get(f"p_{code}")),
            "missing": bool(row.get(f"m_{code}"))}


class RevisionRefused(Exception):
    """The engine's new revision cannot replace the run's results (its message says why)."""


def revise_run(run: Run) -> Run:
    """Compute the run's period again with the accepted appeals of its scheme and period as
    adjustments (spec §19), store it as the engine's next revision, and replace the run's
    results by it in place: every total, rank, grade, flag, payout, payout line and score is
    the engine's. Call it inside the caller's transaction (``appeals.services.decide_appeal``):
    when the web cannot keep the revision, the engine's run is retired and the error raised,
    so the decision rolls back with it. Only changed results and scores are written (each
    changed result audited)."""
    from kaohe.engine.run import run_scheme

    scheme = _parsed(run.version.text, run.scheme.code)
    with store_lock:
        ws = workspace()
        ws.store.wait_for_lock(settings.KAOHE_RUN_STORE_WAIT)
        out = run_scheme(ws, run.scheme.code, run.period, engine=run.engine, scheme=scheme,
                         adjustments=_adjustments(run))
    try:
        _replace_results(run, out.result)
    except Exception:
        run.engine_run_id = out.result.run_id
        retire_engine_run(run)
        raise
    return run


def _replace_results(run: Run, result: Any) -> None:
    """The run's results (locked) become the revision's: the changed ones written with one
    ``bulk_update`` and audited as a save would be (``audit.signals.log_updates``: before is
    the locked row, after what is written), the changed scores with another."""
    from kaohe.web.audit.signals import log_updates, snapshot

    table = result.table
    old = {r.entity_id: r for r in Result.objects.select_for_update().filter(run=run)}
    new_ids = [str(i) for i in table["id"]]
    if set(new_ids) != set(old):
        raise RevisionRefused(gettext(
            "本期考核对象已与原运行不同（组织架构或数据已变化），不能只按申诉调整；请重新运行该期"
            "考核后再处理申诉。"))
    _run_fields(run, result)
    run.save(update_fields=RUN_FIELDS)  # audited: revision and adjustment count
    peers, names = list(result.peers), list(result.payout_lines or ())
    fields = ["group_key", "group_name", "total", "rank", "grade", "group_size", "vetoed",
              "bottom", "eliminate", "payout", "alert", "payout_lines", "adjustment",
              "adjustments"]
    # (result, code) → (pk, value, points, missing): plain rows, no model per score
    scores = {(rid, code): (pk, value, points, missing) for pk, rid, code, value, points, missing
              in Score.objects.filter(result__run=run).order_by().values_list(
                  "pk", "result_id", "code", "value", "points", "missing")}
    changed: list[tuple[Result, dict[str, Any], dict[str, Any]]] = []
    changed_scores: list[Score] = []
    for row in table.to_dict("records"):
        r = old[str(row["id"])]
        r.run = run  # its audit entry reads the run's new revision
        new = _result_fields(row, peers, names, result.adjustments.get(r.entity_id, []))
        if any(getattr(r, k) != v for k, v in new.items()):
            before = snapshot(r)
            for k, v in new.items():
                setattr(r, k, v)
            changed.append((r, before, snapshot(r)))
        for i in result.indicators:
            s = scores.get((r.pk, i.code))
            got = _score_fields(row, i.code)
            if s is not None and (s[1], s[2], s[3]) != (got["value"], got["points"],
                                                        got["missing"]):
                changed_scores.append(Score(pk=s[0], result_id=r.pk, code=i.code, **got))
    Result.objects.bulk_update([r for r, _b, _a in changed], fields, batch_size=500)
    log_updates(changed)
    Score.objects.bulk_update(changed_scores, ["value", "points", "missing"], batch_size=500)
