"""The what-if's comparison alone: a what-if minus its draft run.

    python -m bench.whatif_compare --ws COPY_OF_THE_BENCH_WORKSPACE [--baseline RUN_ID]
                                   [--thresholds]

The draft (the bench scheme with its first weight changed, as bench.whatif; ``--thresholds``
also lowers every grade threshold by 5, so that tens of thousands of clerks change grade) is
run once through ``run_scheme``, then replayed: each timed ``what_if`` costs only its
comparison with the stored run — reading the baseline, matching it with the draft's result,
the movers, the per-group table — and the report's summary, histograms, movers and groups are
timed beside it. The workspace needs a stored run of the period (``run_scheme(save=True)``);
run it on a copy, the store is read only. Wall and CPU seconds, best of ``--repeat``; "the
comparison" is what follows the last draft run (timed from what_if's progress message).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import PERIOD, SCHEME, cpu_seconds
from bench.whatif import _reweighted

GRADES = "grades: [[95, 五星], [85, 四星], [75, 三星], [60, 二星], [0, 一星]]"
LOWER = "grades: [[90, 五星], [80, 四星], [70, 三星], [55, 二星], [0, 一星]]"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.whatif_compare", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ws", type=Path, required=True)
    ap.add_argument("--baseline", help="the stored run to compare with (default: the latest)")
    ap.add_argument("--thresholds", action="store_true", help="lower the grade thresholds too")
    ap.add_argument("--no-cache", action="store_true",
                    help="run the draft without the aggregate cache")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)

    import kaohe.engine.run as krun
    from kaohe.engine.aggregate_cache import AggregateCache
    from kaohe.engine.whatif import what_if
    from kaohe.report.whatif import group_rows, histogram, mover_rows, payout_histogram, summary
    from kaohe.scheme.loader import parse_scheme
    from kaohe.workspace import Workspace

    ws = Workspace.open(args.ws)
    text = _reweighted(ws.scheme(SCHEME).text)
    if args.thresholds:
        text = text.replace(GRADES, LOWER)
    draft = parse_scheme(text, SCHEME)
    baseline = {PERIOD: args.baseline} if args.baseline else None
    real, kept = krun.run_scheme, {}

    def replay(*a: Any, **k: Any) -> Any:
        if "out" not in kept:
            beside = AggregateCache.beside
            if args.no_cache:
                AggregateCache.beside = staticmethod(lambda _p: None)  # type: ignore[method-assign]
                k = {**k, "aggregates": None}
            try:
                kept["out"] = real(*a, **k)
            finally:
                AggregateCache.beside = beside  # type: ignore[method-assign]
        return kept["out"]

    krun.run_scheme = replay  # type: ignore[assignment]
    try:
        def best(fn: Any) -> tuple[float, float, Any]:
            out: tuple[float, float, Any] | None = None
            for _ in range(args.repeat):
                t0, c0 = time.perf_counter(), cpu_seconds()
                r = fn()
                took = (time.perf_counter() - t0, cpu_seconds() - c0, r)
                out = took if out is None or took[0] < out[0] else out
            assert out is not None
            return out

        marks: list[tuple[float, float]] = []

        def mark(message: str) -> None:  # what_if says this once every draft run is done
            if message.startswith("对比已存运行"):
                marks.append((time.perf_counter(), cpu_seconds()))

        def compare() -> Any:
            w = what_if(ws, SCHEME, draft, PERIOD, baseline=baseline, progress=mark)
            return w, time.perf_counter() - marks[-1][0], cpu_seconds() - marks[-1][1]

        compare()  # runs the draft once
        wall, cpu, (w, after_wall, after_cpu) = best(compare)
        rwall, rcpu, _r = best(lambda: (summary(w), histogram(w), payout_histogram(w),
                                        mover_rows(w), group_rows(w)))
    finally:
        krun.run_scheme = real  # type: ignore[assignment]
    s = summary(w)
    print(f"{len(w.frame):,} entities, {len(w.group_table):,} groups; grade up {s['grade_up']}, "
          f"down {s['grade_down']}; payout {s['payout_before']} -> {s['payout_after']}")
    print("| step | wall s | CPU s |\n| --- | ---: | ---: |")
    print(f"| what-if minus its draft run | {wall:.3f} | {cpu:.3f} |")
    print(f"| of which after the draft run: the comparison | {after_wall:.3f} | {after_cpu:.3f} |")
    print(f"| report: summary, histograms, movers, groups | {rwall:.3f} | {rcpu:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
