"""One small demo (scale 0.05), built and run once per session, shared by the regime tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rich.progress import Progress


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    from kaohe.demo import run_demo

    root = tmp_path_factory.mktemp("demo-run") / "demo"
    out = run_demo(root, scale=0.05, console=Console(quiet=True),
                   progress=lambda: Progress(disable=True))
    return root, out
