"""Hostile: runs at the same time and a server killed in the middle of a run, with real
processes (the CLI and ``kaohe serve``) over one small demo workspace.

- two CLI runs at once both succeed, having waited their turn at the store (DuckDB lets one
  process write it; before the store's lock file the second died with "Could not set lock");
- a CLI run that cannot have the store within ``--wait`` gives up with exit 2 and says why;
- a server killed with SIGKILL while a run waits for the store: after a restart the run is
  failed with the reason and its progress endpoint says done, so the page stops polling.

The server's application database is not the test database: SQLite in the workspace, or, when
``DATABASE_URL`` names a PostgreSQL server (``make test``'s second pass), a scratch database
created on it for this module and dropped afterwards.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from rich.console import Console
from rich.progress import Progress

from kaohe.workspace.store import Store

KAOHE = [sys.executable, "-m", "kaohe"]
WAITING = "另一个运行正在写入考核库，等待中"
PASSWORD = "hostile-test-pw-1"


SITE_DB: dict[str, str] = {}  # DATABASE_URL of the servers started here, when PostgreSQL


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from kaohe.demo import run_demo

    root = tmp_path_factory.mktemp("hostile") / "demo"
    run_demo(root, scale=0.05, console=Console(quiet=True),
             progress=lambda: Progress(disable=True))
    with scratch_postgres():
        yield root


@contextmanager
def scratch_postgres() -> Iterator[None]:
    """A database of its own on the PostgreSQL server of ``DATABASE_URL``, if it names one."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield
        return
    import psycopg

    name = f"kaohe_hostile_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}"')
        con.execute(f'CREATE DATABASE "{name}"')
    SITE_DB["DATABASE_URL"] = urllib.parse.urlsplit(url)._replace(path="/" + name).geturl()
    try:
        yield
    finally:
        SITE_DB.clear()
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def env() -> dict[str, str]:
    """The environment of a real kaohe process: no test settings; the site's database."""
    out = {k: v for k, v in os.environ.items()
           if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "KAOHE_WORKSPACE",
                        "KAOHE_RUNS_INLINE", "KAOHE_DEBUG", "KAOHE_DEMO")}
    out.update(SITE_DB)
    src = str(Path(__file__).resolve().parents[2] / "src")
    out["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [os.environ.get("PYTHONPATH")])])
    out["KAOHE_SECRET_KEY"] = "hostile-" + "k3y-Zq8vW2xR7pL0mN4tB6yC9dF1gH5j" * 2  # >= 50 chars
    return out


def store_runs(ws: Path) -> set[str]:
    with Store(ws / "store.duckdb").connect(read_only=True) as con:
        return {r for (r,) in con.execute("SELECT run_id FROM runs").fetchall()}


@contextmanager
def writing(ws: Path) -> Iterator[None]:
    """Hold the store as a writer does (an import in progress in another process)."""
    with Store(ws / "store.duckdb").connect():
        yield


def kaohe_run(ws: Path, scheme: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*KAOHE, "-w", str(ws), "run", scheme, "-p", "2026-09", "--top", "1",
                             *extra], env=env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for(text: str, proc: subprocess.Popen[str], seconds: float = 60) -> str:
    """Read ``proc``'s stderr until ``text`` appears (the process keeps running)."""
    assert proc.stderr is not None
    seen = ""
    deadline = time.monotonic() + seconds
    while text not in seen and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            break
        seen += line
    return seen


def test_two_cli_runs_at_once_both_succeed_the_second_waiting(ws: Path) -> None:
    before = store_runs(ws)
    with writing(ws):  # both start while the store is taken: both must wait, neither fail
        procs = [kaohe_run(ws, "clerk_star"), kaohe_run(ws, "hall_service")]
        said = [wait_for(WAITING, p) for p in procs]
        assert all(WAITING in s for s in said), said
        assert all(p.poll() is None for p in procs)
    outs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    ids = [re.search(r"运行编号 run id: (\S+)", out).group(1)  # type: ignore[union-attr]
           for out, _err in outs]
    assert len(set(ids)) == 2
    assert store_runs(ws) - before == set(ids)


def test_a_cli_run_that_cannot_have_the_store_gives_up_with_exit_2(ws: Path) -> None:
    before = store_runs(ws)
    with writing(ws):
        started = time.monotonic()
        proc = kaohe_run(ws, "clerk_star", "--wait", "1")
        out, err = proc.communicate(timeout=120)
        elapsed = time.monotonic() - started
    assert proc.returncode == 2, (out, err)
    assert WAITING in err
    assert "考核库正忙" in err and "--wait" in err and "内部错误" not in err
    assert elapsed >= 1
    assert store_runs(ws) == before  # nothing stored


def test_an_import_waits_for_a_writer_then_imports(ws: Path, tmp_path: Path) -> None:
    praise = tmp_path / "praise.csv"
    praise.write_text("表扬编号,被表扬人工号,表扬时间,表扬渠道\n"
                      "BY20261001001,0010489,2026-10-01 10:00:00,现场意见簿\n", encoding="utf-8")
    with writing(ws):
        proc = subprocess.Popen([*KAOHE, "-w", str(ws), "import", "praises", str(praise)],
                                env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        assert WAITING in wait_for(WAITING, proc)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, (out, err)
    with Store(ws / "store.duckdb").connect(read_only=True) as con:
        stored = con.execute("SELECT count(*) FROM fact_praises WHERE praise_id = "
                             "'BY20261001001'").fetchall()
    assert stored == [(1,)]


# ------------------------------------------------------------------------- kill and restart

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Browser:
    """A logged-in session against a real server (cookies and the CSRF token)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as r:
            return str(r.read().decode())

    def post(self, path: str, data: dict[str, str]) -> str:
        self.get(path)  # sets the CSRF cookie
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf()}).encode()
        req = urllib.request.Request(self.base + path, data=body,
                                     headers={"Referer": self.base + path})
        with self.opener.open(req, timeout=60) as r:
            return str(r.geturl())


def serve(ws: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([*KAOHE, "-w", str(ws), "serve", "--port", str(port)], env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        assert proc.poll() is None, "the server did not start"
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("the server did not answer")


def prepare_site(ws: Path) -> int:
    """Set up the web database and an administrator; the scheme's id."""
    code = (
        "from django.core.management import call_command\n"
        "call_command('kaohe_setup')\n"
        "from django.contrib.auth import get_user_model\n"
        "from kaohe.web.accounts.models import Profile\n"
        "from kaohe.web.core.roles import Role\n"
        "from kaohe.web.schemes.models import Scheme\n"
        f"u = get_user_model().objects.create_user('root', password='{PASSWORD}', "
        "is_superuser=True)\n"
        "Profile.objects.create(user=u, role=Role.ADMIN)\n"
        "print(Scheme.objects.get(code='clerk_star').pk)\n")
    done = subprocess.run([*KAOHE, "-w", str(ws), "manage", "shell", "-c", code], env=env(),
                          check=True, capture_output=True, text=True)
    return int(done.stdout.strip().splitlines()[-1])


def test_a_run_of_a_killed_server_is_failed_after_the_restart(ws: Path) -> None:
    scheme = prepare_site(ws)
    assert (ws / "web.sqlite3").exists() != bool(SITE_DB)  # the site's database as intended
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve(ws, port)
    try:
        browser = Browser(base)
        browser.post("/accounts/login/", {"username": "root", "password": PASSWORD})
        with writing(ws):  # the run is claimed and waits for the store when the server dies
            url = browser.post("/runs/new/", {"scheme": str(scheme), "period": "2026-07"})
            pk = int(re.search(r"/runs/(\d+)/$", url).group(1))  # type: ignore[union-attr]
            deadline = time.monotonic() + 60
            data = json.loads(browser.get(f"/runs/{pk}/progress/"))
            while not data["waiting"] or data["status"] != "running":
                assert time.monotonic() < deadline, data
                time.sleep(0.2)
                data = json.loads(browser.get(f"/runs/{pk}/progress/"))
            assert not data["done"]
            server.send_signal(signal.SIGKILL)
            server.wait(timeout=30)
        server = serve(ws, port)
        deadline = time.monotonic() + 60
        data = json.loads(browser.get(f"/runs/{pk}/progress/"))
        while not data["done"] and time.monotonic() < deadline:
            time.sleep(0.2)
            data = json.loads(browser.get(f"/runs/{pk}/progress/"))
        assert (data["status"], data["done"], data["waiting"]) == ("failed", True, False)
        assert "服务器在运行中重启" in data["error"]
        page = browser.get(f"/runs/{pk}/")
        assert "服务器在运行中重启" in page and 'id="run-progress"' not in page
    finally:
        server.kill()
        server.wait(timeout=30)


def test_the_store_lock_is_released_when_its_holder_is_killed(ws: Path) -> None:
    """A process killed while it writes leaves no stale lock behind (flock dies with it)."""
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\n"
         "from pathlib import Path\n"
         "from kaohe.workspace.store import Store\n"
         f"with Store(Path({str(ws / 'store.duckdb')!r})).connect():\n"
         "    print('held', flush=True); time.sleep(600)\n"],
        env=env(), stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    got = threading.Event()

    def read() -> None:
        store_runs(ws)
        got.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert not got.wait(1)  # the reader waits for the writer…
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    assert got.wait(30)  # …and reads once the writer is gone
