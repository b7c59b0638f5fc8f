"""The store's cross-process lock: one writer or many readers, waited for, never failed at once.

DuckDB lets one process open a database file for writing, and a read-only connection cannot
open it while another process writes (nor a writer while another process reads): the second
connection fails at once with ``IOException: Could not set lock``. Two CLI runs, a run and an
import, or two web servers over one workspace would therefore fail instead of taking turns.

Every store connection therefore takes ``fcntl.flock`` on a lock file beside the store first —
exclusive for a writing connection, shared for a read-only one — and waits for it up to
``wait`` seconds, telling ``on_wait`` that it waits (the CLI prints it, a web run shows
"waiting"). ``flock`` locks belong to an open file, so two threads of one process exclude each
other like two processes; the kernel drops the lock when a killed process's file closes, so a
``kill -9`` never leaves the store locked. A thread that already holds the lock re-enters it
(a read inside a write, or a read inside a read) without waiting for itself.
"""

from __future__ import annotations

import errno
import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kaohe.errors import KaoheError

DEFAULT_WAIT = 600.0  # seconds

# notified with True when a connection starts waiting for the lock, False when it stops
OnWait = Callable[[bool], None]


class StoreBusy(KaoheError):
    """Another process kept the store longer than we were prepared to wait (exit status 2:
    nothing was changed; run the command again later or with a longer --wait)."""

    exit_status = 2

    def __init__(self, path: Path, wait: float) -> None:
        self.path = path
        self.wait = wait
        super().__init__(
            f"考核库正忙：另一个运行或导入在 {wait:g} 秒内未结束，未做任何更改 / the store "
            f"{path} is busy: another run or import did not finish within {wait:g} s; nothing "
            "was changed. 稍后重试，或用 --wait 等待更久 try again later or pass a longer --wait")


class _Held(threading.local):
    """What this thread holds, per lock file: the open file, the mode and the depth."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[int, bool, int]] = {}  # path → (fd, exclusive, depth)


_held = _Held()


class StoreLock:
    """The lock file of one store (``<store>.lock``)."""

    def __init__(self, store: Path, wait: float = DEFAULT_WAIT,
                 on_wait: OnWait | None = None) -> None:
        self.path = store.with_name(store.name + ".lock")
        self.store = store
        self.wait = wait
        self.on_wait = on_wait

    @contextmanager
    def hold(self, exclusive: bool) -> Iterator[None]:
        """Hold the lock (exclusive: to write; shared: to read) for the ``with`` block."""
        key = str(self.path)
        held = _held.files.get(key)
        if held is not None:
            fd, ex, depth = held
            if exclusive and not ex:
                raise RuntimeError(f"{self.store}: a read-only connection is open in this thread; "
                                   "close it before writing (a shared lock is never upgraded)")
            _held.files[key] = (fd, ex, depth + 1)
            try:
                yield
            finally:
                fd, ex, depth = _held.files[key]
                _held.files[key] = (fd, ex, depth - 1)
            return
        fd = self._acquire(exclusive)
        _held.files[key] = (fd, exclusive, 1)
        try:
            yield
        finally:
            del _held.files[key]
            os.close(fd)  # closing the file releases the flock

    def _acquire(self, exclusive: bool) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        deadline = time.monotonic() + self.wait
        pause = 0.02
        waiting = False
        try:
            while True:
                try:
                    fcntl.flock(fd, mode)
                    return fd
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES):
                        raise
                if time.monotonic() >= deadline:
                    raise StoreBusy(self.store, self.wait)
                if not waiting:
                    waiting = True
                    if self.on_wait is not None:
                        self.on_wait(True)
                time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
                pause = min(pause * 2, 0.5)
        except BaseException:
            os.close(fd)
            raise
        finally:
            if waiting and self.on_wait is not None:
                self.on_wait(False)
