"""The standing hostile suite: files and names chosen to hurt (formula injection, xlsx bombs,
huge error files, markup in cells). Web tests here share the session's demo workspace of
tests/web (its ``web_workspace`` fixture is loaded from there, not rebuilt)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
for folder in (TESTS / "web", TESTS / "engine"):  # viewtests, world, wsbuilder
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

_spec = importlib.util.spec_from_file_location("kaohe_web_conftest", TESTS / "web" / "conftest.py")
assert _spec is not None and _spec.loader is not None
_web = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_web)
web_workspace = _web.web_workspace
