"""One power demo at test scale (``kaohe demo --kind power --scale 0.02``), built once for the
tests/demo/test_power_*.py modules: ~35 台区, ~5,000 meters, two days of daily monitoring."""

from __future__ import annotations

from typing import Any

import pytest
from rich.console import Console
from rich.progress import Progress

POWER_SCALE = 0.02


@pytest.fixture(scope="session")
def power_demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from kaohe.demo.power.runner import run_power_demo

    root = tmp_path_factory.mktemp("power") / "ws"
    out = run_power_demo(root, scale=POWER_SCALE, daily_days=2, console=Console(quiet=True),
                         progress=lambda: Progress(disable=True))
    out["root"] = root
    return out
