"""kaohe serve | manage from the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def kaohe(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kaohe", *args], capture_output=True,
                          text=True, env=env, timeout=300, check=False)


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KAOHE_", "DJANGO_", "DATABASE_URL"))}
    return env


def test_serve_without_a_secret_key_is_a_clear_configuration_error(web_workspace: Path) -> None:
    done = kaohe("-w", str(web_workspace), "serve", "--setup-only", env=clean_env())
    assert done.returncode == 2
    assert "KAOHE_SECRET_KEY" in done.stderr + done.stdout


def test_manage_runs_django_system_checks(web_workspace: Path, tmp_path: Path) -> None:
    key = "kaohe-cli-test-7Vb3Qx9Lm2Rt8Zp5Wk1Ns4Hd6Jf0Gc-not-secret"  # strong enough: ≥ 50
    env = {**clean_env(), "KAOHE_SECRET_KEY": key,
           "DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite3'}"}
    done = kaohe("-w", str(web_workspace), "manage", "check", env=env)
    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout
