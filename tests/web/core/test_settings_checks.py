"""Settings that must not start a server: weak secret keys, a demo switched on by a variable, the
demo's published accounts on a real workspace.

The CLI runs in a subprocess (its exit status and messages are the contract); the key rule is
also checked directly against Django's own (``check_secret_key``'s thresholds).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kaohe.demo.runner import MARKER, is_demo_workspace
from kaohe.web import secret_key


def kaohe(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kaohe", *args], capture_output=True,
                          text=True, env=env, timeout=600, check=False)


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KAOHE_", "DJANGO_", "DATABASE_URL"))}
    # never the session's workspace database: a private one per test
    return {**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite3'}", **extra}


STRONG = secrets.token_urlsafe(50)


@pytest.mark.parametrize(("key", "why"), [
    ("", "未设置"),
    ("abc", "太短"),
    ("k" * 49 + "Z", "太单一"),  # 50 characters, 2 distinct
    ("x" * 50, "太单一"),
    ("django-insecure-" + secrets.token_urlsafe(40), "开发用密钥"),
])
def test_weak_keys_are_named(key: str, why: str) -> None:
    problem = secret_key.problem(key)
    assert problem is not None and why in problem
    assert "secrets.token_urlsafe" in problem  # says how to make a good one


def test_a_generated_key_passes() -> None:
    assert secret_key.problem(STRONG) is None
    assert secret_key.problem("ab" * 24 + "cde") is None  # 51 characters, 5 distinct


def test_settings_refuse_a_weak_key(tmp_path: Path) -> None:
    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'kaohe.web.settings'; "
            "django.setup()")
    for env in ({"KAOHE_SECRET_KEY": "abc"}, {"KAOHE_DEMO": "1"}, {}):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env=clean_env(tmp_path, **env), timeout=120, check=False)
        assert done.returncode != 0, env
        assert "ImproperlyConfigured" in done.stderr and "KAOHE_SECRET_KEY" in done.stderr
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=clean_env(tmp_path, KAOHE_SECRET_KEY=STRONG), timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr


def test_serve_refuses_a_weak_key_with_exit_2(web_workspace: Path, tmp_path: Path) -> None:
    for env in ({"KAOHE_SECRET_KEY": "abc"}, {"KAOHE_SECRET_KEY": "x" * 60},
                {"KAOHE_DEMO": "1"}):  # the variable alone no longer makes a demo
        done = kaohe("-w", str(web_workspace), "serve", "--setup-only",
                     env=clean_env(tmp_path, **env))
        assert done.returncode == 2, (env, done.stderr)
        assert "KAOHE_SECRET_KEY" in done.stderr
        assert "token_urlsafe" in done.stderr
        assert not (tmp_path / "web.sqlite3").exists()


def real_workspace(web_workspace: Path, tmp_path: Path, demo: bool) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(web_workspace, root,
                    ignore=shutil.ignore_patterns("reports", "uploads", "*.sqlite3"))
    if not demo:
        (root / MARKER).unlink()
    return root


def test_serve_demo_refuses_a_workspace_not_made_by_kaohe_demo(web_workspace: Path,
                                                               tmp_path: Path) -> None:
    root = real_workspace(web_workspace, tmp_path, demo=False)
    assert not is_demo_workspace(root)
    for env in ({}, {"KAOHE_SECRET_KEY": STRONG}):  # even with a good key of its own
        done = kaohe("-w", str(root), "serve", "--demo", "--setup-only",
                     env=clean_env(tmp_path, **env))
        assert done.returncode == 2, done.stderr
        assert "kaohe demo" in done.stderr and MARKER in done.stderr
        assert not (tmp_path / "web.sqlite3").exists()  # not even migrated
    # nor through the management command
    done = kaohe("-w", str(root), "manage", "kaohe_setup", "--demo",
                 env=clean_env(tmp_path, KAOHE_SECRET_KEY=STRONG))
    assert done.returncode != 0
    assert "kaohe demo" in done.stderr
    import sqlite3

    with sqlite3.connect(tmp_path / "web.sqlite3") as con:
        assert con.execute("SELECT count(*) FROM auth_user").fetchone()[0] == 0


def test_serve_demo_on_the_demo_needs_no_key(web_workspace: Path, tmp_path: Path) -> None:
    root = real_workspace(web_workspace, tmp_path, demo=True)
    done = kaohe("-w", str(root), "serve", "--demo", "--setup-only", env=clean_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "assessor" in done.stdout
    import sqlite3

    with sqlite3.connect(tmp_path / "web.sqlite3") as con:
        names = {r[0] for r in con.execute("SELECT username FROM auth_user")}
    assert {"admin", "assessor", "head", "staff", "inspector", "partner"} <= names
