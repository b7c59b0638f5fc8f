"""`kaohe demo --kind power` through the CLI (a subprocess with this worktree's sources first):
it builds, `kaohe check` passes on the result, and `kaohe alerts` lists the planted 台区."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import kaohe


def _kaohe(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(kaohe.__file__).parent.parent),
           "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "kaohe", *args], capture_output=True,
                          text=True, env=env, timeout=900, check=False)


def test_demo_kind_power_builds_checks_and_alerts(tmp_path: Path) -> None:
    root = tmp_path / "power"
    built = _kaohe("demo", "--kind", "power", str(root), "--scale", "0.02")
    assert built.returncode == 0, built.stderr
    assert "台区" in built.stdout and "电能表" in built.stdout
    assert "kind: power" in (root / ".kaohe-demo").read_text(encoding="utf-8")
    assert _kaohe("-w", str(root), "check").returncode == 0
    alerts = _kaohe("-w", str(root), "alerts", "area_loss", "--period", "2026-09")
    assert alerts.returncode == 0, alerts.stderr
    # the planted areas of scale 0.02 (seed 2026): negative and high loss
    assert "3301040001" in alerts.stdout and "3301080003" in alerts.stdout
    assert "负损" in alerts.stdout and "高损" in alerts.stdout
