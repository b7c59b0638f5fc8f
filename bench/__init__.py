"""kaohe's benchmark: the engine's full run beside a hand-written SQL query and a pandas script.

``python -m bench.run`` (or ``make bench BENCH_ARGS="--facts 50000000"``); see
docs/performance.md.
"""
