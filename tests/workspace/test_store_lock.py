"""The store's lock file (workspace/lock.py): readers together, one writer alone, the second
waits (and says so) instead of failing, gives up after ``wait`` seconds, and a thread never waits
for itself. Threads stand in for processes: ``flock`` belongs to an open file, not a process."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from kaohe.workspace.lock import StoreBusy, StoreLock
from kaohe.workspace.store import Store


def hold_in_thread(lock: StoreLock, exclusive: bool) -> tuple[threading.Event, threading.Event]:
    """Hold ``lock`` in another thread until the second event is set."""
    held, release = threading.Event(), threading.Event()

    def run() -> None:
        with lock.hold(exclusive):
            held.set()
            release.wait(30)

    threading.Thread(target=run, daemon=True).start()
    assert held.wait(10)
    return held, release


def test_readers_read_together(tmp_path: Path) -> None:
    _held, release = hold_in_thread(StoreLock(tmp_path / "s.duckdb"), exclusive=False)
    try:
        told: list[bool] = []
        started = time.monotonic()
        with StoreLock(tmp_path / "s.duckdb", wait=5, on_wait=told.append).hold(False):
            assert time.monotonic() - started < 1
        assert told == []  # never waited
    finally:
        release.set()


def test_a_writer_waits_for_a_reader_and_says_so(tmp_path: Path) -> None:
    _held, release = hold_in_thread(StoreLock(tmp_path / "s.duckdb"), exclusive=False)
    told: list[bool] = []
    threading.Timer(0.5, release.set).start()
    started = time.monotonic()
    with StoreLock(tmp_path / "s.duckdb", wait=10, on_wait=told.append).hold(True):
        waited = time.monotonic() - started
    assert waited >= 0.4
    assert told == [True, False]


def test_a_reader_gives_up_on_a_writer_after_wait(tmp_path: Path) -> None:
    _held, release = hold_in_thread(StoreLock(tmp_path / "s.duckdb"), exclusive=True)
    try:
        started = time.monotonic()
        with pytest.raises(StoreBusy) as caught, \
                StoreLock(tmp_path / "s.duckdb", wait=0.3).hold(False):
            pass
        assert 0.3 <= time.monotonic() - started < 5
        assert caught.value.exit_status == 2
        assert "考核库正忙" in str(caught.value) and "--wait" in str(caught.value)
    finally:
        release.set()


def test_a_thread_reenters_its_own_lock(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb", wait=0.3)
    with store.connect() as con:  # writing: reading inside it needs no second lock
        con.execute("CREATE TABLE t (x INTEGER)")
        with store.reading():
            pass
    with store.reading(), pytest.raises(RuntimeError, match="never upgraded"), store.connect():
        pass
