"""kaohe serve | manage from the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


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


def test_serve_keeps_database_connections_between_requests(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """kaohe serve reuses a thread's connection (docs/performance.md); tests and manage do not,
    and KAOHE_DB_CONN_MAX_AGE set by the operator wins."""
    import secrets
    from types import SimpleNamespace

    from click.testing import CliRunner

    from kaohe.cli import web

    seen: list[str | None] = []

    def fake_django(workspace: Path, demo: bool = False) -> None:
        seen.append(os.environ.get("KAOHE_DB_CONN_MAX_AGE"))
        raise SystemExit(0)

    monkeypatch.setattr(web, "_django", fake_django)
    monkeypatch.setenv("KAOHE_DB_CONN_MAX_AGE", "x")  # restored (unset) after the test
    monkeypatch.delenv("KAOHE_DB_CONN_MAX_AGE")
    CliRunner().invoke(web.serve, ["--setup-only"], obj=SimpleNamespace(workspace=tmp_path))
    monkeypatch.setenv("KAOHE_DB_CONN_MAX_AGE", "5")
    CliRunner().invoke(web.serve, ["--setup-only"], obj=SimpleNamespace(workspace=tmp_path))
    assert seen == ["600", "5"]

    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'kaohe.web.settings'; "
            "from django.conf import settings; print(settings.DATABASES['default']"
            "['CONN_MAX_AGE'])")
    env = {**clean_env(), "KAOHE_SECRET_KEY": secrets.token_urlsafe(50)}
    ages = [subprocess.run([sys.executable, "-c", code], env=e, capture_output=True, text=True,
                           timeout=120, check=True).stdout.strip()
            for e in (env, {**env, "KAOHE_DB_CONN_MAX_AGE": "600"})]
    assert ages == ["0", "600"]
