"""Shared bits: the benchmark's period, folders, and peak-memory measurement."""

from __future__ import annotations

import json
import resource
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import psutil

ROOT = Path(__file__).resolve().parent.parent  # the repository
OUT = ROOT / "bench" / "out"
SCHEME = "bench"
PERIOD = "2026-03"
PERIOD_START = "2026-03-01 00:00:00"
PERIOD_END = "2026-04-01 00:00:00"
LAST_DAY = "2026-03-31"
MANIFEST = "bench.json"
MIB = 1024 * 1024


def tree_rss() -> int:
    """Resident bytes of this process and all its descendants (a Spark JVM included)."""
    me = psutil.Process()
    total = me.memory_info().rss
    for child in me.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.Error:
            pass
    return total


def self_maxrss() -> int:
    """The kernel's high-water mark of this process's resident set since it started, in bytes.

    Read from ``VmHWM`` in /proc/self/status: ``ru_maxrss`` keeps the high-water mark of the
    parent process it was forked from across ``exec`` (Linux), so a contender started by a
    parent that had generated 20M rows reported the parent's 10 GiB as its own peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def cpu_seconds() -> float:
    """User + system CPU time of this process (all its threads) and its waited-for children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class PeakRSS:
    """Peak resident memory while the block runs: the kernel's exact high-water mark of this
    process, and a 20 ms sampling of the process tree for child processes (Spark's JVM).
    Also the CPU time the block used (``cpu``)."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.sampled = 0
        self.baseline = 0
        self.cpu = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sampled = max(self.sampled, tree_rss())
            time.sleep(self.interval)

    def __enter__(self) -> Self:
        self.baseline = tree_rss()
        self.cpu = cpu_seconds()
        self._thread.start()
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.cpu = cpu_seconds() - self.cpu
        self._stop.set()
        self._thread.join()
        self.sampled = max(self.sampled, tree_rss())
        self._peak = max(self.sampled, self_maxrss())  # frozen: later work does not count

    @property
    def peak(self) -> int:
        return getattr(self, "_peak", 0) or max(self.sampled, self_maxrss())


SNAPSHOT = OUT / "src-snapshot"  # the copy of src/ a benchmark run imports
SNAPSHOT_HEAD = "SNAPSHOT_HEAD"


def git_head() -> str:
    import subprocess

    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                             capture_output=True, check=False).stdout.strip()
    except OSError:
        out = ""
    return out or "no-git"


def snapshot_src() -> Path:
    """Copy src/ to bench/out/src-snapshot: others edit src/ while a benchmark runs, and every
    contender of one run must import the same kaohe. Returns the folder for PYTHONPATH."""
    import shutil

    if SNAPSHOT.exists():
        shutil.rmtree(SNAPSHOT)
    shutil.copytree(ROOT / "src", SNAPSHOT,
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    (SNAPSHOT / SNAPSHOT_HEAD).write_text(git_head(), encoding="utf-8")
    return SNAPSHOT


def src_version() -> str:
    """The kaohe source this process imports (without importing it): the git HEAD it was
    taken from and a hash of its files."""
    import hashlib
    import importlib.util

    spec = importlib.util.find_spec("kaohe")
    if spec is None or spec.origin is None:
        return "kaohe not found"
    pkg = Path(spec.origin).parent
    h = hashlib.sha1()
    for p in sorted(pkg.rglob("*.py")):
        h.update(str(p.relative_to(pkg)).encode())
        h.update(p.read_bytes())
    head_file = pkg.parent / SNAPSHOT_HEAD
    head = head_file.read_text(encoding="utf-8") if head_file.exists() else git_head()
    where = "snapshot" if head_file.exists() else "src"
    return f"{head}+{where}:{h.hexdigest()[:10]}"


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
