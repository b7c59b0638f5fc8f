"""scripts/pg_for_tests.sh's "does a server answer?" probe, which decides whether `make test`
uses the PostgreSQL at PG_URL or starts a throwaway one. Both probes are checked: pg_isready,
and the psycopg fallback used on a machine without the PostgreSQL client. Cheap: no server is
started here (the throwaway server itself is exercised by `make test` on a fresh machine and
by the check described in docs/operations.md)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "pg_for_tests.sh"


def dead_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def probe_envs(tmp_path: Path) -> dict[str, dict[str, str]]:
    """The environment for each probe: as is (pg_isready when installed), and with a PATH that
    holds only bash and dirname, so the script falls back to psycopg."""
    bare = tmp_path / "bin"
    bare.mkdir()
    for tool in ("bash", "dirname"):
        found = shutil.which(tool)
        assert found, tool
        (bare / tool).symlink_to(found)
    env = {**os.environ, "PYTHON": sys.executable}
    out = {"psycopg": {**env, "PATH": str(bare)}}
    if shutil.which("pg_isready"):
        out["pg_isready"] = env
    return out


def answers(url: str, env: dict[str, str]) -> int:
    return subprocess.run(["bash", str(SCRIPT), "--answers", url], env=env, timeout=60,
                          capture_output=True, check=False).returncode


def test_nothing_answers_on_a_port_where_nothing_listens(tmp_path: Path) -> None:
    url = f"postgresql://postgres@127.0.0.1:{dead_port()}/test"
    for name, env in probe_envs(tmp_path).items():
        assert answers(url, env) != 0, name


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL pass only")
def test_the_server_of_this_run_answers(tmp_path: Path) -> None:
    url = os.environ["DATABASE_URL"]
    # a database that does not exist still means a server answers (the tests create their own)
    missing = url.rsplit("/", 1)[0] + "/kaohe_no_such_database"
    for name, env in probe_envs(tmp_path).items():
        assert answers(url, env) == 0, name
        assert answers(missing, env) == 0, name


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    done = subprocess.run(["bash", str(SCRIPT), "--answers"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 2
    assert "usage" in done.stderr
