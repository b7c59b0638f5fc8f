"""`kaohe serve --demo` on the power demo: the web setup finds the power accounts (not the
telecom halls) and computes every stored period. Run as the CLI runs it, in a subprocess with
this worktree's sources first and a private SQLite database."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

import kaohe
from kaohe.demo.power.runner import run_power_demo


def test_serve_demo_setup_on_the_power_demo(tmp_path: Path) -> None:
    root = tmp_path / "power"
    run_power_demo(root, scale=0.02, daily_days=1, console=Console(quiet=True),
                   progress=lambda: Progress(disable=True))
    src = str(Path(kaohe.__file__).parent.parent)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KAOHE_", "DJANGO_", "DATABASE_URL"))}
    db = tmp_path / "web.sqlite3"
    env.update(PYTHONPATH=src, DATABASE_URL=f"sqlite:///{db}")
    done = subprocess.run([sys.executable, "-m", "kaohe", "-w", str(root), "serve", "--demo",
                           "--setup-only"], capture_output=True, text=True, env=env,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    for account in ("admin", "assessor", "head", "manager", "reader"):
        assert f"  {account} " in done.stdout
    assert "所长" in done.stdout and "供电所" in done.stdout
    with sqlite3.connect(db) as con:
        runs = dict(con.execute("SELECT status, count(*) FROM runs_run GROUP BY status"))
    # 11 monthly schemes × 3 months, 1 day, the quarter, the year, the two S13 schemes (Sept)
    assert runs == {"done": 11 * 3 + 1 + 2 + 2}
