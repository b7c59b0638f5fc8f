"""Run history in the store: saving a run, the bottom-n streak, results:SCHEME rows."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import numpy as np
import pyarrow as pa

from kaohe.engine.adjustments import NONE, Adjustments
from kaohe.engine.revisions import save_adjustments
from kaohe.engine.stored_lines import save_lines
from kaohe.periods import Period
from kaohe.results import RunResult
from kaohe.scheme.model import Scheme
from kaohe.workspace.sources import Source
from kaohe.workspace.store import Store, arrow_query, quote

# the latest completed run of each period of a scheme
LATEST_RUNS = """
SELECT run_id, run_no, period, period_start FROM (
    SELECT *, row_number() OVER (PARTITION BY period ORDER BY finished_at DESC, run_id DESC) AS n
    FROM runs WHERE scheme = ? AND status = 'done') WHERE n = 1
"""


def previous_bottoms(store: Store, scheme: Scheme, period: Period) -> dict[str, int]:
    """For each entity, in how many of the k − 1 periods before ``period`` the latest completed
    run found it in the bottom n (and, with ``below: T``, its total below T; spec §16);
    periods without a run contribute nothing (spec §4)."""
    el = scheme.elimination
    if el is None or el.consecutive <= 1 or not store.path.exists():
        return {}
    periods = [str(period.shift(-i)) for i in range(1, el.consecutive)]
    with store.connect(read_only=True) as con:
        if not _has_runs(con):
            return {}
        marks = ", ".join("?" for _ in periods)
        held = ["e.bottom"] if el.bottom is not None else []
        held += ["e.total < ?"] if el.below is not None else []
        below = [el.below] if el.below is not None else []
        rows = con.execute(
            f"SELECT e.entity_id, count(*) FROM ({LATEST_RUNS}) r JOIN run_entities e "
            f"ON e.run_id = r.run_id WHERE r.period IN ({marks}) AND {' AND '.join(held)} "
            f"GROUP BY e.entity_id", [scheme.code, *periods, *below]).fetchall()
    return {str(e): int(n) for e, n in rows}


def _has_runs(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute("SELECT count(*) FROM information_schema.tables "
                      "WHERE table_name = 'runs'").fetchone()
    return bool(row and row[0])


def results_rows(store: Store, source: Source, ref: Scheme, period: Period,
                 span: tuple[date, date] | None = None) -> pa.Table:
    """Rows of ``results:REF`` whose period starts inside ``span`` (default: ``period``; a
    window widens it, spec §7), with the entity's id also as ``id``."""
    start, end = span or (period.start, period.end)
    codes = [i.code for i in ref.indicators]
    columns = [c.name for c in source.columns]
    empty = {c.name: pa.array([], _arrow_type(c.type)) for c in source.columns}
    if not store.path.exists():
        return pa.table(empty)
    with store.connect(read_only=True) as con:
        if not _has_runs(con):
            return pa.table(empty)
        pivots = "".join(
            f", max(v.points) FILTER (WHERE c.code = ?) AS {quote('p_' + c)}"
            f", max(v.value) FILTER (WHERE c.code = ?) AS {quote('v_' + c)}" for c in codes)
        pivoted = "".join(f", p.{quote(k + c)}" for c in codes for k in ("p_", "v_"))
        # The values are pivoted on the integer keys (run_no, entity_no) before the join to
        # the entities: grouping the joined rows by all twelve entity columns (strings among
        # them) took 13 s of a 19 s roll-up over 187,612 items (docs/performance.md).
        sql = f"""
            WITH r AS (SELECT * FROM ({LATEST_RUNS}) WHERE period_start >= ? AND period_start < ?),
            p AS (
                SELECT v.run_no, v.entity_no{pivots}
                FROM run_values v JOIN r ON v.run_no = r.run_no
                JOIN run_codes c ON c.run_no = v.run_no AND c.code_no = v.code_no
                GROUP BY v.run_no, v.entity_no)
            SELECT e.entity_id, e.entity_id AS id,
                   r.period_start, CAST(e.total AS DECIMAL(18,4)) AS total,
                   e.rank, e.group_size, e.grade, e.vetoed, e.eliminate,
                   CAST(e.payout AS DECIMAL(18,4)) AS payout,
                   e.person_id AS person, e.unit_id AS unit{pivoted}
            FROM r JOIN run_entities e ON e.run_id = r.run_id
            LEFT JOIN p ON p.run_no = r.run_no AND p.entity_no = e.entity_no
            ORDER BY e.entity_id, r.period_start"""
        params: list[object] = [c for c in codes for _ in range(2)]
        table = arrow_query(con, sql, [ref.code, start, end, *params])
    cast = {c: table[c].cast(empty[c].type) for c in columns if c in table.column_names}
    return pa.table(cast)


def _arrow_type(t: str) -> pa.DataType:
    return {"string": pa.string(), "integer": pa.int64(), "decimal": pa.decimal128(18, 4),
            "boolean": pa.bool_(), "date": pa.date32(), "datetime": pa.timestamp("us")}[t]


def save_run(store: Store, result: RunResult, scheme: Scheme, period: Period,
             started: datetime, adjustments: Adjustments = NONE) -> None:
    """Store a completed run, all or nothing: one ``runs`` row, one ``run_entities`` row per
    entity (numbered in the result's order), the run's indicator codes in ``run_codes`` and
    one ``run_values`` row per entity and indicator, keyed by those three numbers, and the
    adjustments it was computed with (spec §19, engine/revisions.py)."""
    t = result.table
    codes = [i.code for i in scheme.indicators]
    group = (" || '/' || ".join(f"COALESCE(CAST({quote('g_' + p)} AS VARCHAR), '')"
                                for p in result.peers) or "''")
    cols = ["id", "name", *("g_" + p for p in result.peers), "total", "rank", "group_size",
            "grade", "vetoed", "bottom", "eliminate", "payout"]
    # an item's own person and unit (spec §8), for roll-up; people and units have none
    own = [c for c in ("person", "unit") if c in t.columns]
    entities = t[cols + own].assign(entity_no=np.arange(len(t), dtype=np.int32))
    person, unit = (("CAST(person AS VARCHAR)", "CAST(unit AS VARCHAR)") if own else
                    ("CAST(NULL AS VARCHAR)", "CAST(NULL AS VARCHAR)"))
    with store.connect() as con:
        ((run_no,),) = con.execute("SELECT CAST(nextval('run_no_seq') AS INTEGER)").fetchall()
        values = _value_rows(result, codes, run_no)
        con.register("res", entities)
        con.register("vals", values)
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(
                "INSERT INTO run_entities (run_id, entity_id, name, group_key, total, rank, "
                "group_size, grade, vetoed, bottom, eliminate, payout, entity_no, person_id, "
                f"unit_id) SELECT ?, id, name, {group}, total, rank, group_size, grade, vetoed, "
                f"bottom, eliminate, payout, entity_no, {person}, {unit} FROM res",
                [result.run_id])
            con.executemany("INSERT INTO run_codes VALUES (?, ?, ?)",
                            [[run_no, j, c] for j, c in enumerate(codes)])
            if values.num_rows:
                con.execute("INSERT INTO run_values SELECT * FROM vals")
            save_lines(con, result, run_no)
            save_adjustments(con, adjustments, run_no)
            con.execute(
                "INSERT INTO runs (run_id, scheme, period, period_start, status, engine, "
                "started_at, finished_at, scheme_yaml, entities, run_no) "
                "VALUES (?, ?, ?, ?, 'done', ?, ?, ?, ?, ?, ?)",
                [result.run_id, scheme.code, str(period), period.start, result.engine,
                 started, datetime.now(), scheme.text, len(t), run_no])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        finally:
            con.unregister("vals")
            con.unregister("res")


def _value_rows(result: RunResult, codes: list[str], run_no: int) -> pa.Table:
    """One row per indicator and entity, indicator by indicator: run_no, entity_no (the row
    in the result), code_no (the indicator's position in the scheme), value, points, missing
    (NaN and None → NULL)."""
    t = result.table
    n, k = len(t), len(codes)

    def stacked(prefix: str) -> pa.Array:
        return pa.array(np.concatenate(
            [t[prefix + c].to_numpy("float64", na_value=np.nan) for c in codes]
            or [np.empty(0)]), from_pandas=True)

    missing = np.concatenate([t["m_" + c].to_numpy(bool) for c in codes] or [np.empty(0, bool)])
    return pa.table({
        "run_no": pa.array(np.full(n * k, run_no, np.int32)),
        "entity_no": pa.array(np.tile(np.arange(n, dtype=np.int32), k)),
        "code_no": pa.array(np.repeat(np.arange(k, dtype=np.int16), n)),
        "value": stacked("v_"),
        "points": stacked("p_"),
        "missing": pa.array(missing, pa.bool_()),
    })


def retire_run(store: Store, run_id: str) -> bool:
    """Mark a stored run ``retired``: a run the web could not keep (it failed after the engine
    saved it). Only ``done`` runs count in the history (LATEST_RUNS), so the engine's history
    agrees with what the web shows. True when the store held the run as done."""
    if not store.path.exists():
        return False
    with store.connect() as con:
        rows = con.execute("UPDATE runs SET status = 'retired' WHERE run_id = ? AND "
                           "status = 'done' RETURNING run_id", [run_id]).fetchall()
    return bool(rows)
