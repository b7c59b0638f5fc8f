"""How long a decided appeal takes in the web (spec §19): accepting it computes the run's period
again in the engine, stores the new revision and replaces the run's results in place.

    python -m kaohe demo --scale 0.05 bench/out/appeal-demo
    python -m kaohe -w bench/out/appeal-demo serve --demo --setup-only
    python -m bench.appeal bench/out/appeal-demo [--scheme clerk_star] [--repeat 3]

Each repetition files an appeal against a 二星 result of the scheme's latest run (as the
clerk's own account would) and accepts it as ``admin`` with +1 point, timing
``appeals.services.decide_appeal`` (the engine run, the store write, the result rows and the
audit entries: what the decide page waits for). The revisions it stores stay in the
workspace (later revisions keep the accepted appeals as adjustments). It prints each
decision's wall time and the process's CPU time during it (the engine's DuckDB threads
included): on a shared host the CPU time is the steadier figure. The first decision of a
process also reads the org, sources and scheme files (kept afterwards while they stay the
same, kaohe.workspace.filecache), as a web server's first request after a change does.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import time
from decimal import Decimal
from pathlib import Path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("workspace", type=Path)
    p.add_argument("--scheme", default="clerk_star")
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    os.environ["KAOHE_WORKSPACE"] = str(a.workspace.resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaohe.web.settings")
    os.environ.setdefault("KAOHE_SECRET_KEY", secrets.token_urlsafe(50))
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from kaohe.web.appeals.models import Appeal
    from kaohe.web.appeals.services import decide_appeal
    from kaohe.web.runs.models import Result, Run

    admin = get_user_model().objects.get(username="admin")
    run = (Run.objects.filter(scheme__code=a.scheme, status=Run.Status.DONE)
           .order_by("-period", "-pk").first())
    assert run is not None, f"no done run of {a.scheme}"
    n = Result.objects.filter(run=run).count()
    times, cpus = [], []
    for _ in range(a.repeat):
        result = (Result.objects.filter(run=run, vetoed=False)
                  .exclude(appeals__status=Appeal.Status.FILED).order_by("total", "pk").last())
        assert result is not None
        appeal = Appeal.objects.create(result=result, reason="bench", filed_by=None)
        started, cpu = time.perf_counter(), time.process_time()
        decide_appeal(admin, appeal.pk, accept=True, points=Decimal("1"), reason="bench")
        times.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    run.refresh_from_db()
    print(f"{a.scheme} {run.period}: {n} results, now {run.revision_label}; decide_appeal "
          f"{', '.join(f'{t:.2f}' for t in times)} s (median {statistics.median(times):.2f} s); "
          f"CPU {', '.join(f'{t:.2f}' for t in cpus)} s (median {statistics.median(cpus):.2f} s)")


if __name__ == "__main__":
    main()
