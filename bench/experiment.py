"""An experimental engine variant, applied by patching kaohe at run time (src/ is untouched),
to measure proposed changes before they go into the engine (docs/performance.md).

- ``narrow_windows``: every window function of a CTE is computed in a narrow CTE of its own —
  entity_id and the few columns it reads — and joined back on entity_id. kaohe adopted this
  in commit d25c78b; on the current plan this fix does nothing.

The fixes measured here earlier are now in the engine: split_distinct and case_filters
(plan._aggregate_cte, formula.fold_filter), fast_save (history.save_run), fast_population
(inputs.population, pop_table) and fast_org (org.load_org).

``python -m bench.experiment savecost --ws DIR`` times storing a run's indicator rows in other
layouts (integer keys, one row per entity with lists).

``apply(names)`` installs the chosen fixes; ``python -m bench.contender engine --experiment
narrow_windows`` runs the engine with them.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlglot import exp

FIXES = ("narrow_windows",)


def _ctes(query: exp.Select) -> list[exp.CTE]:
    w = query.args.get("with_") or query.args.get("with")
    return list(w.expressions) if w is not None else []


def _set_ctes(query: exp.Select, ctes: list[exp.CTE]) -> None:
    w = query.args.get("with_") or query.args.get("with")
    assert w is not None
    w.set("expressions", ctes)


def _single_source(sel: exp.Select) -> str | None:
    """The name of the one CTE a select reads, when it reads exactly one and joins nothing."""
    src = sel.args.get("from_") or sel.args.get("from")
    if src is None or sel.args.get("joins") or not isinstance(src.this, exp.Table):
        return None
    return src.this.name


def narrow_windows(query: exp.Select) -> exp.Select:
    q = query.copy()
    out: list[exp.CTE] = []
    for cte in _ctes(q):
        sel = cte.this
        source = _single_source(sel) if isinstance(sel, exp.Select) else None
        windows = [w for e in sel.expressions for w in e.find_all(exp.Window)] if source else []
        wide_input = any(isinstance(e, exp.Star) or (isinstance(e, exp.Column)
                                                     and isinstance(e.this, exp.Star))
                         for e in sel.expressions)
        if not windows or not wide_input:  # nothing to do, or already narrow (kaohe d25c78b)
            out.append(cte)
            continue
        name = cte.alias
        cols: dict[str, str] = {}  # window sql → column
        for w in windows:
            cols.setdefault(w.sql(dialect="duckdb"), f"_{name}_w{len(cols)}")
        # read through an explicit projection of the columns the windows use: a scan of a
        # materialised CTE hands on every column, and WINDOW carries its whole input
        used = sorted({c.name for w in windows for c in w.find_all(exp.Column)} - {"entity_id"})
        inner = exp.select(*[exp.column(c, quoted=True) for c in ["entity_id", *used]])
        narrow = exp.select(exp.column("entity_id", quoted=True)).from_(
            exp.alias_(exp.Subquery(this=inner.from_(source)), "s", table=True))
        seen: set[str] = set()
        for w in windows:
            text = w.sql(dialect="duckdb")
            if text not in seen:
                seen.add(text)
                narrow = narrow.select(exp.alias_(w.copy(), cols[text], quote=True), copy=False)

        def swap(node: exp.Expression, cols: dict[str, str] = cols) -> exp.Expression:
            if isinstance(node, exp.Window):
                return exp.column(cols[node.sql(dialect="duckdb")], quoted=True)
            return node

        wide = sel.transform(swap)
        wide = wide.join(exp.to_table(f"{name}_win"), using=["entity_id"])
        out.append(exp.CTE(this=narrow, alias=exp.TableAlias(this=exp.to_identifier(
            f"{name}_win"))))
        out.append(exp.CTE(this=wide, alias=cte.args["alias"]))
        # the source is read twice now: materialise it so that the facts are aggregated once
        for prev in out:
            if prev.alias == source:
                prev.set("materialized", True)
    _set_ctes(q, out)
    return q


def apply(names: list[str]) -> None:
    """Install the chosen fixes into the loaded kaohe modules."""
    from kaohe.engine.backends import duckdb_backend as db

    unknown = set(names) - set(FIXES)
    if unknown:
        raise SystemExit(f"unknown experiment(s) {sorted(unknown)}; known: {FIXES}")
    transforms: list[Callable[[exp.Select], exp.Select]] = []
    if "narrow_windows" in names:
        transforms.append(narrow_windows)
    if transforms:
        original = db.build_plan

        @functools.wraps(original)
        def build_plan(*args: Any, **kwargs: Any) -> Any:
            plan = original(*args, **kwargs)
            query = plan.query
            for f in transforms:
                query = f(query)
            return dataclasses.replace(plan, query=query)

        db.build_plan = build_plan


# --- what storing a run's indicator rows costs, by layout -------------------------------------

def savecost(ws_dir: Path, scratch: Path) -> list[tuple[str, float, int]]:
    """Insert the latest stored run's indicator rows (one per entity × indicator) into an empty
    scratch DuckDB file, in four layouts; time INSERT + COMMIT + close, and the file size."""
    import time

    import duckdb

    con = duckdb.connect(str(ws_dir / "store.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT run_id FROM runs WHERE status = 'done' "
                           "ORDER BY finished_at DESC LIMIT 1").fetchall()
        row = rows[0] if rows else None
        if row is None:
            raise SystemExit(f"{ws_dir}: no run stored yet; run the benchmark first")
        run_id = str(row[0]).replace("'", "''")
        long = con.sql(f"SELECT * FROM run_indicators WHERE run_id = '{run_id}' "
                       "ORDER BY code, entity_id").to_arrow_table()
    finally:
        con.close()
    codes = sorted(set(long["code"].to_pylist()))
    k = len(codes)
    n = long.num_rows // k
    ids = long["entity_id"].slice(0, n)
    frame = long.to_pandas()  # what save_run builds today: pandas string columns
    layouts: dict[str, tuple[str, Any]] = {
        "long rows from one pandas frame (run_id, entity_id, code strings)": (
            ("run_id VARCHAR, entity_id VARCHAR, code VARCHAR, value DOUBLE, points DOUBLE, "
             "missing BOOLEAN"), frame),
        "long rows from Arrow, dictionary-encoded strings (kaohe since 9967f00)": (
            ("run_id VARCHAR, entity_id VARCHAR, code VARCHAR, value DOUBLE, points DOUBLE, "
             "missing BOOLEAN"), long.cast(pa.schema([
                ("run_id", pa.dictionary(pa.int32(), pa.string())),
                ("entity_id", pa.dictionary(pa.int32(), pa.string())),
                ("code", pa.dictionary(pa.int32(), pa.string())),
                ("value", pa.float64()), ("points", pa.float64()), ("missing", pa.bool_())]))),
        "long rows, integer keys (run_no, entity_no, code_no)": (
            ("run_no INTEGER, entity_no INTEGER, code_no SMALLINT, value DOUBLE, "
             "points DOUBLE, missing BOOLEAN"), pa.table({
                "run_no": pa.array(np.zeros(n * k, np.int32)),
                "entity_no": pa.array(np.tile(np.arange(n, dtype=np.int32), k)),
                "code_no": pa.array(np.repeat(np.arange(k, dtype=np.int16), n)),
                "value": long["value"], "points": long["points"],
                "missing": long["missing"]})),
        "one row per entity, lists in indicator order": (
            ("run_id VARCHAR, entity_id VARCHAR, value DOUBLE[], points DOUBLE[], "
             "missing BOOLEAN[]"), pa.table({
                "run_id": pa.array([str(row[0])] * n),
                "entity_id": ids,
                **{c: _per_entity(long[c], n, k) for c in ("value", "points", "missing")}})),
    }
    out: list[tuple[str, float, int]] = []
    # kaohe from 39c7d39 to 9967f00: the wide result (a pandas frame) registered, one
    # INSERT … SELECT per indicator
    wide = {"id": ids.to_pandas()}
    for j, c in enumerate(codes):
        part = long.slice(j * n, n)
        wide[f"v_{c}"] = part["value"].to_pandas()
        wide[f"p_{c}"] = part["points"].to_pandas()
        wide[f"m_{c}"] = part["missing"].to_pandas()
    res = pd.DataFrame(wide)
    scratch.unlink(missing_ok=True)
    con = duckdb.connect(str(scratch))
    con.execute(f"CREATE TABLE t ({layouts[next(iter(layouts))][0]})")
    con.execute("CHECKPOINT")
    base = scratch.stat().st_size
    t = time.perf_counter()
    con.register("res", res)
    con.execute("BEGIN TRANSACTION")
    for c in codes:
        con.execute(f"INSERT INTO t SELECT 'run', id, '{c}', v_{c}, p_{c}, m_{c} FROM res")
    con.execute("COMMIT")
    con.close()
    out.append(("kaohe before 9967f00: one INSERT … SELECT per indicator from the wide result",
                time.perf_counter() - t, scratch.stat().st_size - base))
    for label, (columns, data) in layouts.items():
        scratch.unlink(missing_ok=True)
        con = duckdb.connect(str(scratch))
        con.execute(f"CREATE TABLE t ({columns})")
        con.execute("CHECKPOINT")
        base = scratch.stat().st_size
        t = time.perf_counter()
        con.register("data", data)
        con.execute("BEGIN TRANSACTION")
        con.execute("INSERT INTO t SELECT * FROM data")
        con.execute("COMMIT")
        con.close()
        out.append((label, time.perf_counter() - t, scratch.stat().st_size - base))
    scratch.unlink(missing_ok=True)
    return out


def _per_entity(column: pa.ChunkedArray, n: int, k: int) -> pa.Array:
    """Rows ordered by (code, entity) → one list of k values per entity."""
    flat = column.combine_chunks().to_numpy(zero_copy_only=False).reshape(k, n).T.reshape(-1)
    return pa.ListArray.from_arrays(pa.array(np.arange(0, n * k + 1, k, dtype=np.int32)),
                                    pa.array(flat, from_pandas=True))


def main(argv: list[str] | None = None) -> int:
    import argparse

    from bench.common import OUT

    ap = argparse.ArgumentParser(prog="python -m bench.experiment")
    ap.add_argument("what", choices=["savecost"])
    ap.add_argument("--ws", type=Path, required=True)
    args = ap.parse_args(argv)
    rows = savecost(args.ws, OUT / "savecost.duckdb")
    print("| layout of a run's indicator rows | insert + commit (s) | file growth (MiB) |")
    print("| --- | ---: | ---: |")
    for label, secs, size in rows:
        print(f"| {label} | {secs:.2f} | {size / 2 ** 20:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
