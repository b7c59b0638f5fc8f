"""What a process parsed from a workspace's files, kept while the files stay the same.

The web opens a fresh ``Workspace`` per request (web/core/workspace.py), and every engine run
reads the org and the source definitions again; without a cache each request re-reads the org
CSVs and re-parses every YAML file. ``FileCache`` keeps one parsed value per name together
with the stamp of the files it came from — each file's path, size, mtime_ns, ctime_ns and inode
— and parses again as soon as any stamp differs (a file edited, replaced, added or removed).

Two rules keep it from serving a stale value:

- a value is kept only if the files' stamps are the same after parsing as before (a file
  written while it was read is parsed again next time);
- a file changed within the last ``RACY_SECONDS`` is not trusted (the "racy" case of git's
  index): on a file system with coarse timestamps a second write in the same tick with the
  same size would keep the stamp, so such a value is parsed again until the file is older.

Parse errors are never kept. The values handed out are shared by every caller in the process
and must be treated as read-only (``Org``, ``Source`` and ``Scheme`` are; see their modules).
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")

RACY_SECONDS = 2.0

Stamp = tuple[tuple[str, int, int, int, int], ...]


def stamp(paths: Sequence[Path]) -> Stamp | None:
    """The files' (path, size, mtime_ns, ctime_ns, inode); None if one cannot be read."""
    out: list[tuple[str, int, int, int, int]] = []
    for p in paths:
        try:
            st = os.stat(p)
        except OSError:
            return None
        out.append((str(p), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
    return tuple(out)


def _settled(s: Stamp) -> bool:
    """Every file last changed more than RACY_SECONDS ago."""
    limit = time.time_ns() - int(RACY_SECONDS * 1e9)
    return all(mtime < limit and ctime < limit for _p, _size, mtime, ctime, _ino in s)


class FileCache(Generic[T]):
    """Up to ``size`` parsed values, each under a name, the least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, tuple[Stamp, T]] = OrderedDict()
        self._lock = threading.Lock()
        self.parses = 0  # how many times ``load`` ran (tests)

    def get(self, name: Hashable, paths: Sequence[Path], load: Callable[[], T]) -> T:
        """The value ``load()`` returns for files ``paths``: the kept one while their stamps
        are unchanged, else parsed now (and kept when the files are settled)."""
        before = stamp(paths)
        with self._lock:
            hit = self._items.get(name)
            if hit is not None and before is not None and hit[0] == before:
                self._items.move_to_end(name)
                return hit[1]
        value = load()
        with self._lock:
            self.parses += 1
            if before is not None and stamp(paths) == before and _settled(before):
                self._items[name] = (before, value)
                self._items.move_to_end(name)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
            else:
                self._items.pop(name, None)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
