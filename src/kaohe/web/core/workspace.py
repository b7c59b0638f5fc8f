"""The one workspace the site serves, and the lock around its DuckDB store.

DuckDB allows one process to write a store, and its connections inside one process must agree
on their configuration; the web process therefore goes through ``store_lock`` for every engine
call and store read (runs happen in a background thread of the same process).
"""

from __future__ import annotations

import threading

from django.conf import settings

from kaohe.workspace import Workspace

store_lock = threading.RLock()


def workspace() -> Workspace:
    """A freshly opened workspace. Its org, sources and schemes are read from the files on
    demand, parsed once per process while the files stay the same (kaohe.workspace.filecache):
    shared, so read-only."""
    return Workspace.open(settings.WORKSPACE)
