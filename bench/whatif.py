"""Instant re-scoring: a full run against a what-if that changes one weight, after a first run.

    python -m bench.whatif [--facts 5000000 --staff 100000 ...]   (the workspace of bench.run)

On the benchmark workspace (bench.generate: 100k staff, 60 indicators over one source), in one
process:

1. ``plain``: a run that does not use the aggregate cache (the plan aggregates in one query),
   not stored — the engine before instant re-scoring;
2. ``first``: a full run, stored, with the cache emptied first (it fills the cache);
3. ``whatif``: ``kaohe whatif`` on the period with the scheme's first weight changed — the draft
   run (the kept values and every other indicator's points reused, engine/aggregate_cache.py)
   compared with the stored run, nothing stored; the first of the repeats scores the changed
   indicator and keeps its points, so the best of ``--repeat`` is a what-if tried again (an
   admin trying weights back and forth) and the first is shown beside it;
4. ``full again``: the same full run once more, the cache warm (what ``kaohe run`` costs now
   when only scoring changed).

Wall and CPU seconds of each, best of ``--repeat``; the numbers go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from bench import generate
from bench.common import PERIOD, SCHEME, cpu_seconds
from bench.run import ensure_workspace


Took = tuple[float, float, Any]  # wall s, CPU s, what the step gave


def _timed(fn: Any, repeat: int) -> tuple[Took, Took]:
    """The first of ``repeat`` runs and the best."""
    runs: list[Took] = []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), cpu_seconds()
        out = fn()
        runs.append((time.perf_counter() - t0, cpu_seconds() - c0, out))
    return runs[0], min(runs, key=lambda r: r[0])


def _reweighted(text: str) -> str:
    """The scheme with its first ``weight: N`` changed to N + 1."""
    import re

    m = re.search(r"weight: ?([0-9.]+)", text)
    if m is None:
        raise SystemExit("the bench scheme has no weight")
    new = float(m.group(1)) + 1
    return text[:m.start(1)] + f"{new:g}" + text[m.end(1):]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.whatif", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    generate.add_params(ap)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each step; best is shown")
    ap.add_argument("--regenerate", action="store_true")
    ap.add_argument("--ws", type=Path)
    args = ap.parse_args(argv)
    say = Console(stderr=True)
    ws_dir, _manifest = ensure_workspace(args, say)

    import kaohe.engine.run as krun
    from kaohe.engine.aggregate_cache import AggregateCache
    from kaohe.engine.whatif import what_if
    from kaohe.scheme.loader import parse_scheme
    from kaohe.workspace import Workspace

    ws = Workspace.open(ws_dir)
    cache = AggregateCache.beside(ws.store.path)

    def plain() -> Any:
        original = krun.AggregateCache.beside
        krun.AggregateCache.beside = staticmethod(lambda *_a, **_k: None)  # type: ignore[method-assign]
        try:
            return krun.run_scheme(ws, SCHEME, PERIOD, save=False)
        finally:
            krun.AggregateCache.beside = original  # type: ignore[method-assign]

    def first() -> Any:
        shutil.rmtree(cache.folder, ignore_errors=True)
        return krun.run_scheme(ws, SCHEME, PERIOD, save=True)

    draft = parse_scheme(_reweighted(ws.scheme(SCHEME).text), SCHEME)

    def whatif() -> Any:
        return what_if(ws, SCHEME, draft, PERIOD)

    def again() -> Any:
        return krun.run_scheme(ws, SCHEME, PERIOD, save=True)

    t0, c0 = time.perf_counter(), cpu_seconds()
    krun.run_scheme(ws, SCHEME, PERIOD, save=False)  # the org and its tables, loaded once
    say.print(f"(loading the org in this process: {time.perf_counter() - t0:.2f} s wall, "
              f"{cpu_seconds() - c0:.2f} s CPU, not in the steps below)")
    rows = []
    for name, fn in (("plain run (no cache)", plain), ("first full run (fills the cache)", first),
                     ("what-if, one weight changed", whatif),
                     ("full run again (cache warm)", again)):
        first, (wall, cpu, out) = _timed(fn, args.repeat)
        if name.startswith("what-if"):
            rows.append((name + ", first try", first[0], first[1]))
            say.print(f"{name}, first try: {first[0]:.2f} s wall, {first[1]:.2f} s CPU")
            name += ", tried again"
        rows.append((name, wall, cpu))
        say.print(f"{name}: {wall:.2f} s wall, {cpu:.2f} s CPU")
        if name.startswith("what-if"):
            say.print(f"  entities compared: {len(out.changes)}, aggregations reused "
                      f"{out.reused}, computed {out.computed}")
    entities = len(plain().result.table)
    print(f"\n{entities:,} entities, {args.facts:,} facts, {args.indicators} indicators\n")
    print("| step | wall s | CPU s |\n| --- | ---: | ---: |")
    for name, wall, cpu in rows:
        print(f"| {name} | {wall:.2f} | {cpu:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
