"""Revisions of a period's run (spec §19) and the adjustments each one was computed with.

Every completed run of a scheme and period is a revision of that period: revision N is the
N-th ``done`` run in the order they were stored (``run_no``); the latest one (LATEST_RUNS, by
finish time) is what streaks, ``results:SCHEME`` and reports read. Earlier revisions stay in
the store, readable with ``read_revision``. A run's adjustments are rows of ``run_adjustments``
(run_no, row_no, entity_id, code, kind, amount, reason), written in the run's own transaction
(``save_adjustments``); stores written before have no such table until next opened for
writing, and readers treat its absence as "no adjustments".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import duckdb

from kaohe.engine.adjustments import Adjustment, Adjustments
from kaohe.errors import InputError
from kaohe.workspace.store import Store

TABLE = "run_adjustments"


def save_adjustments(con: duckdb.DuckDBPyConnection, adj: Adjustments, run_no: int) -> None:
    """Insert the run's adjustments (inside the caller's transaction)."""
    if adj.rows:
        con.executemany(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [[run_no, j, a.entity, a.code, a.kind, float(a.amount), a.reason]
                         for j, a in enumerate(adj.rows)])


def _has(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    row = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                      [table]).fetchone()
    return bool(row and row[0])


@dataclass(frozen=True)
class Revision:
    revision: int
    run_id: str
    run_no: int
    finished_at: datetime
    adjustments: int  # how many rows
    latest: bool


_REVISIONS = """
SELECT run_id, run_no, finished_at,
       CAST(row_number() OVER (ORDER BY run_no) AS INTEGER) AS revision
FROM runs WHERE scheme = ? AND period = ? AND status = 'done'
"""


def revisions(store: Store, scheme: str, period: str) -> list[Revision]:
    """The period's revisions, first to last."""
    if not store.path.exists():
        return []
    with store.connect(read_only=True) as con:
        if not _has(con, "runs"):
            return []
        counts = (f"(SELECT count(*) FROM {TABLE} a WHERE a.run_no = r.run_no)"
                  if _has(con, TABLE) else "0")
        rows = con.execute(
            f"SELECT r.revision, r.run_id, r.run_no, r.finished_at, {counts} "
            f"FROM ({_REVISIONS}) r ORDER BY r.revision", [scheme, period]).fetchall()
    if not rows:
        return []
    latest = max(rows, key=lambda r: (r[3], r[1]))[1]  # LATEST_RUNS: by finish time, run id
    return [Revision(int(n), str(rid), int(no), at, int(k), rid == latest)
            for n, rid, no, at, k in rows]


def next_revision(store: Store, scheme: str, period: str) -> int:
    return len(revisions(store, scheme, period)) + 1


def _adjustments_of(store: Store, rev: Revision, origin: str) -> Adjustments:
    with store.connect(read_only=True) as con:
        if not _has(con, TABLE):
            return Adjustments((), origin)
        rows = con.execute(f"SELECT entity_id, code, kind, amount, reason FROM {TABLE} "
                           "WHERE run_no = ? ORDER BY row_no", [rev.run_no]).fetchall()
    return Adjustments(tuple(
        Adjustment(str(e), str(c or ""), str(k), Decimal(repr(float(a))), str(r or ""), j + 1)
        for j, (e, c, k, a, r) in enumerate(rows)), origin)


def latest_adjustments(store: Store, scheme: str, period: str) -> Adjustments:
    """The adjustments of the period's latest revision (none when there is no run yet)."""
    for rev in revisions(store, scheme, period):
        if rev.latest:
            return _adjustments_of(store, rev, f"第 {rev.revision} 版的调整 the adjustments "
                                   f"of revision {rev.revision}")
    return Adjustments((), "—")


def read_revision(store: Store, scheme: str, period: str,
                  revision: int | None = None) -> dict[str, Any]:
    """Revision ``revision`` (default: the latest) as JSON: the run's id and revision, and per
    entity total, rank, grade, payout, payout lines and the adjustments it was computed with."""
    revs = revisions(store, scheme, period)
    pick = [r for r in revs if (r.revision == revision if revision is not None else r.latest)]
    if not pick:
        have = ", ".join(str(r.revision) for r in revs) or "无 none"
        raise InputError(f"方案 {scheme} {period} 没有第 {revision} 版 no such revision; stored "
                         f"revisions: {have}")
    rev = pick[0]
    adj = _adjustments_of(store, rev, "").by_entity()
    with store.connect(read_only=True) as con:
        rows = con.execute(
            "SELECT entity_id, name, total, rank, group_size, grade, vetoed, eliminate, payout "
            "FROM run_entities WHERE run_id = ? ORDER BY entity_no", [rev.run_id]).fetchall()
        lines: dict[str, dict[str, Any]] = {}
        if _has(con, "run_line_names"):
            for e, name, amount in con.execute(
                    "SELECT entity_id, line, amount FROM run_payout_lines WHERE run_id = ? "
                    "ORDER BY line_no", [rev.run_id]).fetchall():
                lines.setdefault(str(e), {})[str(name)] = amount
    entities = []
    for e, name, total, rank, size, grade, vetoed, elim, payout in rows:
        item: dict[str, Any] = {
            "id": str(e), "name": name, "total": total, "rank": int(rank),
            "group_size": int(size), "grade": grade, "vetoed": bool(vetoed),
            "eliminate": bool(elim), "payout": payout}
        if str(e) in lines:
            item["payout_lines"] = lines[str(e)]
        if str(e) in adj:
            item["adjustments"] = adj[str(e)]
        entities.append(item)
    return {"scheme": scheme, "period": period, "run_id": rev.run_id,
            "revision": rev.revision, "latest": rev.latest, "entities": entities}


def of_run(store: Store, scheme: str, period: str, run_id: str) -> tuple[int | None,
                                                                          Adjustments]:
    """A stored run's revision and adjustments (None, none: not a done run of the period)."""
    for rev in revisions(store, scheme, period):
        if rev.run_id == run_id:
            return rev.revision, _adjustments_of(store, rev, f"revision {rev.revision}")
    return None, Adjustments((), "—")
