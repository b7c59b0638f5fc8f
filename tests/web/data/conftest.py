"""The data tests write facts into the store: they get a private copy of the shared workspace
(per module), so that no other test sees their rows."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="module", autouse=True)
def private_workspace(web_workspace: Path, tmp_path_factory: pytest.TempPathFactory
                      ) -> Iterator[Path]:
    from django.conf import settings

    root = tmp_path_factory.mktemp("data") / "ws"
    shutil.copytree(web_workspace, root, ignore=shutil.ignore_patterns("reports", "uploads"))
    old = settings.WORKSPACE, settings.MEDIA_ROOT
    settings.WORKSPACE, settings.MEDIA_ROOT = root, root / "uploads"
    yield root
    settings.WORKSPACE, settings.MEDIA_ROOT = old
