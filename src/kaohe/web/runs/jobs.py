"""Runs are jobs: the ``Run`` rows are the queue, one worker thread per process computes them.

- ``services.create_run`` records a run ``queued``; ``wake`` starts this process's worker thread
  when it is not running. Nothing else is needed (no broker): the queue is the database.
- The worker claims the oldest queued run atomically (``claim``: a compare-and-set on the status,
  after ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL), so two server processes never
  compute the same run; it stamps the run with its ``worker`` id and, while computing, a
  ``heartbeat`` every few seconds. One run at a time per process; across processes the store's
  lock file (workspace/lock.py) makes writers take turns.
- Idle for ``IDLE`` seconds, the worker ends; the next ``wake`` starts another.
- A run whose worker is gone (``worker_gone``: its process died, or its heartbeat stopped) is
  reconciled by ``recovery.reconcile``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from kaohe.web.runs.models import Run

log = logging.getLogger(__name__)
T = TypeVar("T")

HOST = socket.gethostname()[:80]  # the worker id fits its column
_ids: dict[int, str] = {}


def worker_id() -> str:
    """This process: host, pid and a token, so that a later process given the same pid (a
    restarted container's pid 1) is not taken for this one. Per pid: a server that forks its
    workers after loading the application gives each its own id."""
    pid = os.getpid()
    if pid not in _ids:
        _ids[pid] = f"{HOST}:{pid}:{uuid.uuid4().hex[:8]}"
    return _ids[pid]


HEARTBEAT = 5.0  # seconds between two signs of life of a computing worker
IDLE = 30.0  # seconds an idle worker waits for new runs before it ends
POLL = 2.0  # seconds between two looks at the queue (runs queued by another process)


def stale_after() -> timedelta:
    """A worker silent this long is gone (its process hangs or died on another host)."""
    return timedelta(seconds=getattr(settings, "KAOHE_RUN_STALE_SECONDS", 60))


# Messages of a database that was busy, not wrong: SQLite past its busy timeout, PostgreSQL
# giving up a lock or a serialisable transaction.
BUSY = ("database is locked", "database table is locked", "deadlock detected",
        "could not obtain lock", "could not serialize")


def retry_busy(work: Callable[[], T], attempts: int = 4) -> T:
    """``work()``, again after a pause when the database was too busy (``work`` must be a
    transaction of its own, so that trying again starts it afresh)."""
    for attempt in range(attempts):
        try:
            return work()
        except OperationalError as exc:
            if attempt == attempts - 1 or not any(b in str(exc) for b in BUSY) \
                    or connection.in_atomic_block:
                raise
            log.warning("database busy (%s); trying again", exc)
            time.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")


# ------------------------------------------------------------------------------ claiming

def claim(pk: int | None = None) -> Run | None:
    """Take the oldest queued run (or run ``pk``) for this process: ``running``, stamped with
    this worker, or None when there is none left to take."""
    from kaohe.engine.run import new_run_id

    while True:
        with transaction.atomic():
            queued = Run.objects.filter(status=Run.Status.QUEUED).order_by("created", "pk")
            if pk is not None:
                queued = queued.filter(pk=pk)
            if connection.features.has_select_for_update_skip_locked:
                queued = queued.select_for_update(skip_locked=True)
            candidate = queued.values_list("pk", flat=True).first()
            if candidate is None:
                return None
            now = timezone.now()
            # the compare-and-set that makes the claim atomic on every database
            taken = Run.objects.filter(pk=candidate, status=Run.Status.QUEUED).update(
                status=Run.Status.RUNNING, worker=worker_id(), heartbeat=now, started=now,
                waiting_since=None, progress=5, message="开始",
                engine_run_id=new_run_id(datetime.now()))
        if taken:
            return Run.objects.select_related("scheme", "version", "started_by").get(
                pk=candidate)
        if pk is not None:
            return None


# ------------------------------------------------------------------------------ liveness

def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def worker_gone(run: Run) -> bool:
    """Whether the worker stamped on a running run can no longer finish it."""
    if run.status != Run.Status.RUNNING:
        return False
    beat = run.heartbeat or run.started or run.created
    silent = timezone.now() - beat
    if run.worker == worker_id():  # this process: gone unless computing it (or just claiming it)
        return (_worker.current != run.pk and not _inline_busy(run.pk)
                and silent.total_seconds() > 3 * HEARTBEAT)
    host, _sep, rest = run.worker.partition(":")
    pid_text, _sep, _token = rest.partition(":")
    if host == HOST and pid_text.isdigit():
        pid = int(pid_text)
        if pid == os.getpid() or not _pid_alive(pid):
            return True  # our own pid under another token: an earlier life of this process
    return silent > stale_after()


# ------------------------------------------------------------------------------ the worker

class _Worker:
    """This process's one worker thread, started on demand."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.event = threading.Event()
        self.thread: threading.Thread | None = None
        self.current: int | None = None  # the run being computed
        self.stopping = False
        self.inline: set[int] = set()  # runs computed inline by request threads

    def wake(self) -> None:
        with self.lock:
            self.event.set()
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self.loop, name="kaohe-run-worker",
                                               daemon=True)
                self.thread.start()

    def loop(self) -> None:
        from django.db import close_old_connections

        from kaohe.web.runs.recovery import sweep
        from kaohe.web.runs.services import compute

        idle_since = timezone.now()
        try:
            try:
                sweep(settings.KAOHE_RUN_STORE_WAIT)  # runs left running by dead processes
            except Exception:
                log.exception("worker: reconciling runs failed")
            while not self.stopping:
                self.event.clear()
                close_old_connections()
                try:
                    run = claim()
                except Exception:  # the database is gone or busy: the next wake starts over
                    log.exception("worker: claiming a run failed; the worker stops")
                    self.leave()
                    return
                if run is not None:
                    self.current = run.pk
                    try:
                        compute(run, heartbeat=True)
                    except Exception:  # compute records failures; never let the worker die
                        log.exception("worker: run %s", run.pk)
                    finally:
                        self.current = None
                    idle_since = timezone.now()
                    continue
                if self.event.wait(POLL):
                    continue
                if (timezone.now() - idle_since).total_seconds() >= IDLE:
                    with self.lock:
                        if not self.event.is_set():
                            self.leave(locked=True)
                            return
        finally:
            connection.close()

    def leave(self, locked: bool = False) -> None:
        """This thread ends: the next ``wake`` starts another."""
        if not locked:
            with self.lock:
                self.leave(locked=True)
        elif self.thread is threading.current_thread():
            self.thread = None

    def stop(self, timeout: float) -> None:
        """End the worker after the run it computes (tests; a server shutting down)."""
        with self.lock:
            thread, self.stopping = self.thread, True
            self.event.set()
        if thread is not None:
            thread.join(timeout)
        with self.lock:
            self.stopping = False
            self.thread = None

    def idle(self, timeout: float) -> bool:
        """Wait until no run is being computed and none is queued (tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.current is None and not Run.objects.filter(
                    status=Run.Status.QUEUED).exists():
                return True
            time.sleep(0.1)
        return False


_worker = _Worker()


def wake() -> None:
    """Make sure this process computes the queued runs (no-op when runs are computed inline)."""
    if not settings.KAOHE_RUNS_INLINE:
        _worker.wake()


def wait_idle(timeout: float = 120) -> bool:
    """Wait until this process's worker has nothing left to do (tests)."""
    return _worker.idle(timeout)


def stop(timeout: float = 120) -> None:
    """End this process's worker thread once its current run is done (tests)."""
    _worker.stop(timeout)


def _inline_busy(pk: int) -> bool:
    return pk in _worker.inline


@contextmanager
def inline(pk: int) -> Iterator[None]:
    """Mark run ``pk`` as computed by the current request thread (KAOHE_RUNS_INLINE)."""
    _worker.inline.add(pk)
    try:
        yield
    finally:
        _worker.inline.discard(pk)


@contextmanager
def heartbeat(pk: int) -> Iterator[None]:
    """Stamp the run every HEARTBEAT seconds while the block runs (from a thread of its own:
    the engine does not call back while it computes)."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(HEARTBEAT):
                try:
                    Run.objects.filter(pk=pk, worker=worker_id()).update(heartbeat=timezone.now())
                except Exception:  # a busy database: the next beat will do
                    log.warning("heartbeat of run %s not recorded", pk, exc_info=True)
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"kaohe-run-heartbeat-{pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=60)
