"""The standing hostile suite: files and names chosen to hurt (formula injection, xlsx bombs,
huge error files, markup in cells). Web tests here share the session's demo workspace of
tests/web (its ``web_workspace`` fixture is loaded from there, not rebuilt)."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent
for folder in (TESTS / "web", TESTS / "engine"):  # viewtests, world, wsbuilder
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

_spec = importlib.util.spec_from_file_location("kaohe_web_conftest", TESTS / "web" / "conftest.py")
assert _spec is not None and _spec.loader is not None
_web = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_web)
web_workspace = _web.web_workspace


@pytest.fixture(scope="module")
def private_web_workspace(web_workspace: Path, tmp_path_factory: pytest.TempPathFactory
                          ) -> Iterator[Path]:
    """Web tests that load data write to the store: a private copy of the shared workspace
    per module (as tests/web/data does)."""
    from django.conf import settings

    root = tmp_path_factory.mktemp("hostile-web") / "ws"
    shutil.copytree(web_workspace, root, ignore=shutil.ignore_patterns("reports", "uploads"))
    old = settings.WORKSPACE, settings.MEDIA_ROOT
    settings.WORKSPACE, settings.MEDIA_ROOT = root, root / "uploads"
    yield root
    settings.WORKSPACE, settings.MEDIA_ROOT = old
