"""`kaohe serve --demo` on the power demo: the web setup finds the power accounts (not the
telecom halls) and takes every period `kaohe demo` stored (adopted, not computed again). Run as
the CLI runs it, in a subprocess with this worktree's sources first and a private SQLite
database."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

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
        web_ids = {r for (r,) in con.execute("SELECT engine_run_id FROM runs_run")}
        web_lines = {(run_id, entity, name): amount for run_id, entity, text in con.execute(
            "SELECT u.engine_run_id, r.entity_id, r.payout_lines FROM runs_result r "
            "JOIN runs_run u ON u.id = r.run_id JOIN schemes_scheme s ON s.id = u.scheme_id "
            "WHERE s.code = 'reading_month'") for name, amount in json.loads(text).items()}
    # 12 monthly schemes × 3 months (S12 included), 1 day, the quarter, the year, the two S13
    # schemes (Sept)
    assert runs == {"done": 12 * 3 + 1 + 2 + 2}
    # every web run is the run `kaohe demo` stored (adopted, not computed a second time), and
    # adopted runs keep their payout lines
    with duckdb.connect(str(root / "store.duckdb"), read_only=True) as store:
        stored = {r for (r,) in store.execute("SELECT run_id FROM runs").fetchall()}
        stored_lines = {(r, e, n): a for r, e, n, a in store.execute(
            "SELECT p.run_id, p.entity_id, p.line, p.amount FROM run_payout_lines p "
            "JOIN runs r ON r.run_id = p.run_id WHERE r.scheme = 'reading_month'").fetchall()}
    assert web_ids == stored
    assert len(web_lines) > 13 and web_lines == pytest.approx(stored_lines)
