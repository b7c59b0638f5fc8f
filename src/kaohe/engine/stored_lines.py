"""Payout lines in the run store (spec §10): ``run_line_names`` (run_no, line_no, name) and
``run_lines`` (run_no, entity_no, line_no, amount), read back through the view
``run_payout_lines`` (run_id, entity_id, line_no, line, amount).

Stores written before payout lines get the two (empty) tables when next opened for writing;
readers treat a store without them as a store whose runs have no lines.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from kaohe.results import LINE_PREFIX, RunResult
from kaohe.workspace.store import Store


def save_lines(con: duckdb.DuckDBPyConnection, result: RunResult, run_no: int) -> None:
    """Insert the run's line names and one amount per entity and line (inside the caller's
    transaction; entity_no is the row in the result, as in run_values)."""
    names = list(result.payout_lines)
    if not names:
        return
    con.executemany("INSERT INTO run_line_names VALUES (?, ?, ?)",
                    [[run_no, j, n] for j, n in enumerate(names)])
    t = result.table
    n = len(t)
    amounts = np.concatenate([t[LINE_PREFIX + name].to_numpy("float64", na_value=np.nan)
                              for name in names]) if n else np.empty(0)
    lines = pa.table({
        "run_no": pa.array(np.full(n * len(names), run_no, np.int32)),
        "entity_no": pa.array(np.tile(np.arange(n, dtype=np.int32), len(names))),
        "line_no": pa.array(np.repeat(np.arange(len(names), dtype=np.int16), n)),
        "amount": pa.array(amounts, from_pandas=True),
    })
    con.register("line_rows", lines)
    try:
        if lines.num_rows:
            con.execute("INSERT INTO run_lines SELECT * FROM line_rows")
    finally:
        con.unregister("line_rows")


def has_lines(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute("SELECT count(*) FROM information_schema.tables "
                      "WHERE table_name = 'run_lines'").fetchone()
    return bool(row and row[0])


def read_lines(store: Store, run_id: str) -> dict[str, dict[str, float | None]]:
    """{entity id: {line name: amount}} of a stored run, lines in the order written; {} for a
    run without lines or a store from before them."""
    if not store.path.exists():
        return {}
    with store.connect(read_only=True) as con:
        if not has_lines(con):
            return {}
        rows = con.execute("SELECT entity_id, line, amount FROM run_payout_lines "
                           "WHERE run_id = ? ORDER BY entity_id, line_no", [run_id]).fetchall()
    out: dict[str, dict[str, float | None]] = {}
    for entity, line, amount in rows:
        out.setdefault(str(entity), {})[str(line)] = None if amount is None else float(amount)
    return out
