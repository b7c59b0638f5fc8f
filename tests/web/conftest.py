"""The web tests share one small demo workspace (scale 0.05), built once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from rich.progress import Progress


@pytest.fixture(scope="session", autouse=True)
def web_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from django.conf import settings

    from kaohe.demo import run_demo

    root = tmp_path_factory.mktemp("web") / "demo"
    run_demo(root, scale=0.05, console=Console(quiet=True),
             progress=lambda: Progress(disable=True))
    old = settings.WORKSPACE, settings.MEDIA_ROOT
    settings.WORKSPACE, settings.MEDIA_ROOT = root, root / "uploads"
    yield root
    settings.WORKSPACE, settings.MEDIA_ROOT = old
