"""The indicator scores of finished runs, kept in memory per process.

A run's ``Score`` rows are written once, in the transaction that marks the run done
(``services._store_results``), and never change: an appeal adjusts the ``Result``'s total, not
its scores. So the ranking and scorecard pages need not read them from the database on every
request (profiling, docs/performance.md: reading and converting a page's 550 scores was about
a sixth of the ranking page's time once its table was no longer rendered cell by cell). The
first page that needs a run's scores reads all of them in one query; later pages look them up
by result id.

- The key is the run's id *and* its engine run id (a timestamp and a random suffix): a test
  database that reuses an id after a rollback, or any other new run under an old id, is a
  different key. Runs without an engine run id are not cached.
- Only done runs are cached; anything else is read from the database each time.
- Memory is bounded: at most ``MAX_SCORES`` scores in all, least recently used runs dropped
  first; a run with more scores than that is never cached (its pages query as before).
- Nothing here decides who sees what: callers look up results they already read through
  ``Result.objects.restrict``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from decimal import Decimal
from typing import NamedTuple

from kaohe.web.runs.models import Run, Score

MAX_SCORES = 250_000


class ScoreRow(NamedTuple):
    value: float | None
    points: Decimal | None
    missing: bool


RunScores = dict[int, dict[str, ScoreRow]]  # result id → indicator code → score
Key = tuple[int, str]

_lock = threading.Lock()
_cache: OrderedDict[Key, RunScores] = OrderedDict()
_sizes: dict[Key, int] = {}
_too_big: set[Key] = set()


def _read(run: Run, result_ids: list[int] | None) -> RunScores:
    """From the database: the given results' scores, or all of the run's (None)."""
    qs = Score.objects.order_by()  # no default ordering: it joins Result and Run to sort
    qs = qs.filter(result__run=run) if result_ids is None else qs.filter(result__in=result_ids)
    out: RunScores = {}
    for rid, code, value, points, missing in qs.values_list(
            "result_id", "code", "value", "points", "missing"):
        out.setdefault(rid, {})[code] = ScoreRow(value, points, missing)
    return out


def scores_of(run: Run, result_ids: list[int]) -> RunScores:
    """The scores of the given results of ``run`` (results without scores are absent)."""
    if run.status != Run.Status.DONE or not run.engine_run_id:
        return _read(run, result_ids)
    key = (run.pk, run.engine_run_id)
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
        big = key in _too_big
    if big:
        return _read(run, result_ids)
    if cached is None:
        size = Score.objects.filter(result__run=run).count()
        if size > MAX_SCORES:
            with _lock:
                _too_big.add(key)
            return _read(run, result_ids)
        cached = _read(run, None)
        _remember(key, cached, size)
    return {rid: cached[rid] for rid in result_ids if rid in cached}


def _remember(key: Key, scores: RunScores, size: int) -> None:
    with _lock:
        _cache[key] = scores
        _sizes[key] = size
        while sum(_sizes.values()) > MAX_SCORES and len(_cache) > 1:
            old, _scores = _cache.popitem(last=False)
            _sizes.pop(old, None)


def cached_runs() -> list[Key]:
    """The keys held now, least recently used first (tests)."""
    with _lock:
        return list(_cache)


def clear() -> None:
    """Forget everything (tests)."""
    with _lock:
        _cache.clear()
        _sizes.clear()
        _too_big.clear()
