"""Load test of the web result pages: the ranking (50 rows) and the scorecard, served by
`kaohe serve` (waitress) on loopback, hit by concurrent logged-in clients for a bounded time.

    python -m bench.load [--workspace DIR] [--scale 1.0] [--clients 20] [--seconds 20]
                         [--pages ranking,scorecard] [--user admin] [--repeat 1]
                         [--database-url postgresql://…] [--src DIR] [--json FILE]

The demo workspace is built with `kaohe demo` (reused when DIR already holds one; default
bench/out/load-demo) and set up by `kaohe serve --demo` (accounts, runs, published notices).
The server runs in its own process on a free 127.0.0.1 port and is stopped at the end. Each
client is a thread with its own keep-alive connection and its own session (logged in as
``--user`` with the demo password). The ranking is the latest person run's first page; the
scorecards cycle through the entities on that page. For each page it prints requests/s,
latency p50/p95/p99, errors (any status but 200, and connection failures), the server
process's CPU time per request (user + system, all its threads: less sensitive than the
rates to other work on the machine) and the load average; ``--json`` writes them to a file.
``--src`` serves another checkout's ``src/`` (a before/after comparison). Nothing leaves the
machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

import psutil

from bench.common import OUT, ROOT

HOST = "127.0.0.1"
DEMO_PASSWORD = "kaohe-demo-2026"  # kaohe.web.accounts.demo.DEMO_PASSWORD


def kaohe_cmd() -> list[str]:
    return [sys.executable, "-m", "kaohe"]


def server_env(database_url: str | None, src: Path = ROOT / "src") -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(src), *filter(None, [env.get("PYTHONPATH")])])
    env["KAOHE_DEMO"] = "1"
    env.setdefault("KAOHE_SECRET_KEY", secrets.token_urlsafe(50))
    env.pop("KAOHE_DEBUG", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env.pop("DATABASE_URL", None)
    return env


def ensure_workspace(path: Path, scale: float) -> None:
    if (path / ".kaohe-demo").exists() or (path / "kaohe.yaml").exists():
        print(f"reusing the demo workspace {path}")
        return
    print(f"building the demo workspace {path} (scale {scale})…")
    t = time.perf_counter()
    subprocess.run([*kaohe_cmd(), "demo", str(path), "--scale", str(scale)], check=True,
                   env=server_env(None), stdout=subprocess.DEVNULL)
    print(f"  built in {time.perf_counter() - t:.0f} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start_server(workspace: Path, port: int, env: dict[str, str],
                 log: Path) -> subprocess.Popen[bytes]:
    """``kaohe serve`` in its own process; its output goes to ``log`` (a pipe nobody reads
    would fill up and stall the server)."""
    with log.open("wb") as out:
        proc = subprocess.Popen([*kaohe_cmd(), "-w", str(workspace), "serve", "--demo",
                                 "--host", HOST, "--port", str(port)], env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 600  # the first start computes the demo runs
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = log.read_text(encoding="utf-8", errors="replace")
            raise SystemExit(f"kaohe serve exited with {proc.returncode}:\n{err}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/accounts/login/")
            if conn.getresponse().status == 200:
                conn.close()
                return proc
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit("kaohe serve did not answer within 10 minutes")


class Client:
    """One browser: a keep-alive connection and a session cookie."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)

    def request(self, method: str, path: str, body: str | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
        head = dict(headers or {})
        if self.cookies:
            head["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=head)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()  # the server closed a kept-alive connection: reconnect once
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
                if attempt == 2:
                    raise
        for value in resp.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie(value)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        return resp.status, data, dict(resp.headers)

    def login(self, user: str, password: str) -> None:
        status, page, _h = self.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not token:
            raise SystemExit(f"login page: HTTP {status}")
        body = urllib.parse.urlencode({"username": user, "password": password,
                                       "csrfmiddlewaretoken": token.group(1).decode()})
        status, _page, _h = self.request("POST", "/accounts/login/", body, {
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"http://{HOST}:{self.port}/accounts/login/"})
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"login as {user} failed (HTTP {status})")


def pick_urls(client: Client, workspace: Path, env: dict[str, str]) -> dict[str, list[str]]:
    """The ranking URL of the latest person run, and the scorecards linked from its page."""
    code = ("from kaohe.web.runs.models import Run; "
            "print(Run.objects.filter(status='done', entity='person').order_by('-pk')[0].pk)")
    out = subprocess.run([*kaohe_cmd(), "-w", str(workspace), "manage", "shell", "-c", code],
                         env=env, check=True, capture_output=True, text=True).stdout
    run = int(out.strip().splitlines()[-1])
    ranking = f"/runs/{run}/ranking/"
    status, page, _h = client.request("GET", ranking)
    if status != 200:
        raise SystemExit(f"{ranking}: HTTP {status}")
    cards = sorted(set(re.findall(rf'href="(/runs/{run}/entity/[^/"]+/)"'.encode(), page)))
    if not cards:
        raise SystemExit(f"{ranking} links no scorecard")
    return {"ranking": [ranking], "scorecard": [c.decode() for c in cards]}


@dataclass
class PageResult:
    page: str
    clients: int
    seconds: float
    requests: int = 0
    errors: int = 0
    rps: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    server_cpu_ms: float = 0.0  # the server process's CPU time per request
    loadavg: float = 0.0  # the 1-minute load average at the end
    error_samples: list[str] = field(default_factory=list)


def percentile(sorted_ms: list[float], q: float) -> float:
    if not sorted_ms:
        return float("nan")
    return statistics.quantiles(sorted_ms, n=100, method="inclusive")[int(q) - 1] \
        if len(sorted_ms) > 1 else sorted_ms[0]


def server_cpu(server: subprocess.Popen[bytes]) -> float:
    times = psutil.Process(server.pid).cpu_times()
    return float(times.user + times.system)


def hammer(clients: list[Client], page: str, urls: list[str], seconds: float,
           server: subprocess.Popen[bytes]) -> PageResult:
    """Every client requests ``urls`` round-robin, back to back, for ``seconds``."""
    latencies: list[list[float]] = [[] for _ in clients]
    errors: list[list[str]] = [[] for _ in clients]
    start = threading.Barrier(len(clients) + 1)
    stop_at = [0.0]

    def work(i: int) -> None:
        client = clients[i]
        n = i
        start.wait()
        while time.perf_counter() < stop_at[0]:
            url = urls[n % len(urls)]
            n += 1
            t = time.perf_counter()
            try:
                status, _body, _h = client.request("GET", url)
            except Exception as exc:  # noqa: BLE001 - counted and shown as an error
                errors[i].append(f"{url}: {type(exc).__name__}: {exc}")
                continue
            if status != 200:
                errors[i].append(f"{url}: HTTP {status}")
            else:
                latencies[i].append((time.perf_counter() - t) * 1000)

    threads = [threading.Thread(target=work, args=(i,), daemon=True)
               for i in range(len(clients))]
    for t in threads:
        t.start()
    cpu0 = server_cpu(server)
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start.wait()
    for t in threads:
        t.join(timeout=seconds + 120)
    elapsed = time.perf_counter() - began
    cpu = server_cpu(server) - cpu0
    ms = sorted(x for per in latencies for x in per)
    errs = [e for per in errors for e in per]
    return PageResult(page=page, clients=len(clients), seconds=round(elapsed, 1),
                      requests=len(ms), errors=len(errs), rps=round(len(ms) / elapsed, 1),
                      p50_ms=round(percentile(ms, 50), 1), p95_ms=round(percentile(ms, 95), 1),
                      p99_ms=round(percentile(ms, 99), 1),
                      server_cpu_ms=round(cpu * 1000 / max(len(ms) + len(errs), 1), 1),
                      loadavg=round(os.getloadavg()[0], 1), error_samples=errs[:5])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workspace", type=Path, default=OUT / "load-demo")
    ap.add_argument("--scale", type=float, default=1.0, help="kaohe demo --scale when building")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=20.0, help="per page, at most 600")
    ap.add_argument("--warmup", type=float, default=3.0, help="seconds per page, not counted")
    ap.add_argument("--pages", default="ranking,scorecard")
    ap.add_argument("--user", default="admin", help="a demo account (README)")
    ap.add_argument("--repeat", type=int, default=1, help="measure every page this many times")
    ap.add_argument("--database-url", default=None,
                    help="the web database (default: SQLite in the workspace)")
    ap.add_argument("--src", type=Path, default=ROOT / "src",
                    help="the src/ folder to serve (default: this checkout's)")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = ap.parse_args(argv)
    seconds = min(max(args.seconds, 1.0), 600.0)
    pages = [p for p in args.pages.split(",") if p]
    for p in pages:
        if p not in ("ranking", "scorecard"):
            raise SystemExit(f"unknown page {p!r}: ranking or scorecard")

    workspace = args.workspace.resolve()
    workspace.parent.mkdir(parents=True, exist_ok=True)
    ensure_workspace(workspace, args.scale)
    env = server_env(args.database_url, args.src.resolve())
    port = free_port()
    print(f"starting kaohe serve on http://{HOST}:{port}/ …")
    server = start_server(workspace, port, env, workspace.parent / "load-serve.log")
    results: list[PageResult] = []
    try:
        clients = [Client(port) for _ in range(args.clients)]
        for c in clients:
            c.login(args.user, DEMO_PASSWORD)
        urls = pick_urls(clients[0], workspace, env)
        print(f"{args.clients} clients as {args.user}, {seconds:g} s per page; "
              f"ranking {urls['ranking'][0]}, {len(urls['scorecard'])} scorecards")
        for _round in range(args.repeat):
            for page in pages:
                if args.warmup > 0:
                    hammer(clients, page, urls[page], args.warmup, server)
                r = hammer(clients, page, urls[page], seconds, server)
                results.append(r)
                print(f"  {page:<10} {r.rps:7.1f} req/s  p50 {r.p50_ms:7.1f} ms  "
                      f"p95 {r.p95_ms:7.1f} ms  p99 {r.p99_ms:7.1f} ms  "
                      f"errors {r.errors} of {r.requests + r.errors}  "
                      f"server CPU {r.server_cpu_ms:5.1f} ms/req  load {r.loadavg}", flush=True)
                for e in r.error_samples:
                    print(f"      {e}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2,
                                        ensure_ascii=False), encoding="utf-8")
    if any(r.errors for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
