"""Take runs the CLI already computed into the web instead of computing them again.

``kaohe demo`` computes every scheme and period into the workspace's store; ``kaohe serve
--demo`` then needs the same runs as web runs. Computing them again doubles the build (and puts
a second engine run of each period in the history). ``adopt_stored`` takes the latest stored
engine run of a (scheme, period) instead, the way recovery.py adopts a run whose worker died:
the results are read back from the store and copied as the web copies its own (items stay in
the store). Only a run computed from exactly the scheme text the web holds is taken, and only
one no web run holds yet; otherwise the caller computes the run.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from kaohe.web.core.workspace import store_lock, workspace
from kaohe.web.runs.models import Run
from kaohe.web.schemes.models import Scheme


Stored = dict[tuple[str, str], tuple[str, str]]


def latest_stored() -> Stored:
    """{(scheme, period): (run_id, scheme text)} of the latest done engine run of each scheme
    and period in the store, read with one connection (opening the store is not free)."""
    ws = workspace()
    if not ws.store.path.exists():
        return {}
    with store_lock, ws.store.connect(read_only=True) as con:
        if not ws.store.has_table(con, "runs"):
            return {}
        rows = con.execute("SELECT scheme, period, run_id, scheme_yaml FROM runs "
                           "WHERE status = 'done' ORDER BY run_no").fetchall()
    return {(str(c), str(p)): (str(r), str(y)) for c, p, r, y in rows}  # the latest wins


def stored_run_id(scheme: Scheme, period: str, stored: Stored | None = None) -> str | None:
    """The latest done engine run of ``scheme`` for ``period`` if it was computed from the
    scheme's current text and no web run holds it; else None. ``stored``: ``latest_stored()``
    read once for many calls."""
    version = scheme.current
    if version is None:
        return None
    found = (latest_stored() if stored is None else stored).get((scheme.code, period))
    if found is None or found[1] != version.text:
        return None
    if Run.objects.filter(engine_run_id=found[0]).exists():
        return None
    return found[0]


def adopt_stored(scheme: Scheme, period: str, user: Any = None,
                 stored: Stored | None = None) -> Run | None:
    """A done web run holding the stored engine run of (scheme, period), or None when there is
    none to adopt (see ``stored_run_id``): then compute the run instead."""
    from kaohe.web.runs.recovery import stored_result
    from kaohe.web.runs.services import store_results

    run_id = stored_run_id(scheme, period, stored)
    if run_id is None:
        return None
    now = timezone.now()
    with transaction.atomic():
        run = Run.objects.create(
            scheme=scheme, version=scheme.current, period=period, status=Run.Status.RUNNING,
            engine_run_id=run_id, started=now,
            started_by=user if getattr(user, "is_authenticated", False) else None)
        with store_lock:
            ws = workspace()
            result = stored_result(ws, run)
            org = ws.org
        if result is None:  # retired meanwhile: compute instead
            transaction.set_rollback(True)
            return None
        run.engine = result.engine
        store_results(run, result, org)
        Run.objects.filter(pk=run.pk).update(engine=result.engine)
    return Run.objects.get(pk=run.pk)
