"""One contender, in its own process so that its peak memory is its own.

    python -m bench.contender engine|sql|pandas --ws DIR --out RESULT.json [--values V.parquet]

- ``engine``: kaohe's full run, ``run_scheme(ws, "bench", "2026-03", save=True)`` (open the
  workspace, load the org, compile, plan, compute, rank, grade, store the run), with the time of
  each phase measured by wrapping kaohe's functions (nothing in src/ is changed);
- ``sql``: (a) one hand-written DuckDB query over the store's fact table: GROUP BY person_id
  with one FILTER aggregate per indicator, joined to the population;
- ``pandas``: (b) read the Parquet fact files, compute the same values with groupby.

Modules are imported before the clock starts; the clock covers the work only. The result (time,
phases, peak RSS) is written as JSON; the values (one row per clerk) to ``--values``.
"""

from __future__ import annotations

import argparse
import functools
import json
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bench import indicators as ind
from bench.common import (
    LAST_DAY,
    MANIFEST,
    PERIOD,
    PERIOD_END,
    PERIOD_START,
    SCHEME,
    PeakRSS,
    read_json,
    src_version,
    write_json,
)


def _indicators(ws: Path) -> list[ind.Ind]:
    """The indicators the generator wrote into the scheme (their values; targets do not
    matter here)."""
    return ind.build(1.0, read_json(ws / MANIFEST)["params"]["indicators"])


# --- the engine ------------------------------------------------------------------------------

class Phases:
    """Wall time per phase, by wrapping module functions. A phase's time is its own: time spent
    in another wrapped function called from it (load_org inside compile_for, build_plan inside
    execute) is counted for that one."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.captured: dict[str, Any] = {}
        self._stack: list[float] = []  # time spent in nested phases, per open phase

    def wrap(self, module: Any, attr: str, label: str, capture: bool = False) -> None:
        fn = getattr(module, attr, None)
        if fn is None:  # src/ changed under us: the time lands in "other"
            print(f"bench: {module.__name__}.{attr} not found; not timed", file=sys.stderr)
            return

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            self._stack.append(0.0)
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - t
                nested = self._stack.pop()
                if self._stack:
                    self._stack[-1] += elapsed
                self.seconds[label] = self.seconds.get(label, 0.0) + elapsed - nested
                if capture:
                    self.captured[label] = (args, kwargs)

        setattr(module, attr, timed)


def overridden(settings: Any, memory_limit: str = "", spark_master: str = "",
               spark_conf: list[str] | None = None, spark_parquet: Path | None = None) -> Any:
    """The workspace's settings with the benchmark's overrides: DuckDB's memory limit, Spark's
    master and options, and the facts read by Spark from a Parquet folder."""
    from dataclasses import replace

    if memory_limit:
        settings = replace(settings, duckdb=replace(settings.duckdb, memory_limit=memory_limit))
    sp = settings.spark
    if spark_master:
        sp = replace(sp, master=spark_master)
    if spark_conf:
        opts = dict(sp.options)
        for kv in spark_conf:
            k, _, v = kv.partition("=")
            opts[k.strip()] = v.strip()
        sp = replace(sp, options=opts)
    if spark_parquet is not None:
        sp = replace(sp, sources={**sp.sources, "transactions": {"parquet": str(spark_parquet)}})
    return replace(settings, spark=sp)


def run_engine(ws_dir: Path, engine: str, values: Path | None, profile: bool,
               experiment: list[str], overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    import kaohe.engine.run as krun
    import kaohe.workspace.workspace as kws
    from kaohe.engine import history
    from kaohe.engine.backends import duckdb_backend as db
    from kaohe.workspace import Workspace

    if experiment:
        from bench.experiment import apply

        apply(experiment)
    ph = Phases()
    ph.wrap(kws, "load_org", "load org files")
    ph.wrap(krun, "compile_for", "compile scheme")
    ph.wrap(krun, "population", "population")
    for name in ("pop_table", "tree_table", "person_unit_table", "history_table"):
        ph.wrap(krun, name, "small input tables")
    ph.wrap(history, "previous_bottoms", "elimination history")
    ph.wrap(krun, "_facts", "fact inputs")
    ph.wrap(db, "build_plan", "build SQL tree")
    ph.wrap(db, "render", "render SQL")
    ph.wrap(db, "execute", "execute", capture=True)
    ph.wrap(history, "save_run", "save run")
    if engine == "spark":
        from kaohe.engine.backends import spark_backend
        ph.wrap(spark_backend, "execute", "execute")
    cache = (overrides or {}).get("aggregate_cache", "cold")
    if cache == "cold":  # a run from the facts, as after an import: it fills the cache
        from kaohe.engine.aggregate_cache import AggregateCache

        shutil.rmtree(AggregateCache.beside(Workspace.open(ws_dir).store.path).folder,
                      ignore_errors=True)
    elif cache == "off":  # the engine before the cache (bench/whatif.py's "plain run")
        krun.AggregateCache.beside = staticmethod(lambda _p: None)  # type: ignore[method-assign]
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        ws = Workspace.open(ws_dir)
        if overrides:
            ws.settings = overridden(ws.settings, **{k: v for k, v in overrides.items()
                                                     if k != "aggregate_cache"})
        out = krun.run_scheme(ws, SCHEME, PERIOD, engine=engine, save=True)
        total = time.perf_counter() - t0
    s = dict(ph.seconds)
    query = s.pop("execute", 0.0)
    phases = {k: s[k] for k in ("load org files", "compile scheme", "population",
                                "small input tables", "elimination history", "fact inputs",
                                "build SQL tree", "render SQL") if k in s}
    phases["DuckDB query → Arrow" if engine == "duckdb" else "Spark query → Arrow"] = query
    if "save run" in s:
        phases["save run"] = s["save run"]
    phases["other (to_pandas, result frame, open)"] = total - sum(phases.values())
    t = out.result.table
    if values is not None:
        cols = {"id": t["id"]}
        cols.update({c[2:]: t[c].astype("float64") for c in t.columns if c.startswith("v_")})
        pd.DataFrame(cols).to_parquet(values, index=False)
    res: dict[str, Any] = {
        "seconds": total, "cpu_seconds": mem.cpu, "phases": phases, "peak_rss": mem.peak,
        "baseline_rss": mem.baseline, "run_id": out.result.run_id, "entities": len(t),
        "sql_chars": len(out.sql), "experiment": experiment,
        "memory_limit": ws.settings.duckdb.memory_limit, "aggregate_cache": cache,
    }
    if engine == "spark":
        res["spark"] = {"master": ws.settings.spark.master, "options": ws.settings.spark.options,
                        "sources": ws.settings.spark.sources}
    if profile and engine == "duckdb" and "execute" in ph.captured:
        args, _kw = ph.captured["execute"]
        res["profile"] = _profile_engine(db, db.execute, args)
    return res


def _profile(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, Any]:
    """Run the query again under DuckDB's profiler: its time and its operators' times."""
    con.execute("PRAGMA enable_profiling = 'no_output'")
    con.sql(sql).to_arrow_table()
    return _parse_profile(con.get_profiling_information(format="json"))


def _parse_profile(text: str) -> dict[str, Any]:
    try:
        tree = json.loads(text)
    except ValueError:
        return {"text": text[:20000]}
    ops: list[tuple[str, float, int]] = []

    def walk(node: dict[str, Any]) -> None:
        label = str(node.get("type") or node.get("operator_type") or "?")
        extra = node.get("extra_info") or {}
        if isinstance(extra, dict) and extra.get("Aggregates"):
            aggs = extra["Aggregates"]
            n = len(aggs) if isinstance(aggs, list) else str(aggs).count("\n") + 1
            label += f" ({n} aggregates)"
        ops.append((label, float(node.get("timing", node.get("operator_timing", 0.0))),
                    int(node.get("intermediate_rows", node.get("operator_cardinality", 0)))))
        for child in node.get("children", []):
            walk(child)

    for root in tree.get("operator", [tree]):
        walk(root)
    by_type: dict[str, list[float]] = {}
    for label, secs, _rows in ops:
        kind = label.split(" (")[0]
        by_type.setdefault(kind, [0.0, 0])
        by_type[kind][0] += secs
        by_type[kind][1] += 1
    ops.sort(key=lambda o: -o[1])
    q = tree.get("query", {})
    return {"total": q.get("total_time"), "cpu": q.get("cpu_time"),
            "planner": tree.get("planner", {}).get("total_time"),
            "optimizer": tree.get("optimizer", {}).get("total_time"),
            "peak_buffer_memory": tree.get("system", {}).get("peak_buffer_memory"),
            "operators": ops[:15],
            "by_type": sorted(([k, v[0], v[1]] for k, v in by_type.items()), key=lambda x: -x[1])}


class _Profiling:
    """A stand-in for the duckdb module inside kaohe's DuckDB backend: its connections run
    under the profiler, so that the backend runs its own query, on its own hardened
    connection, profiled."""

    def __init__(self) -> None:
        self.text = ""

    def __getattr__(self, name: str) -> Any:
        return getattr(duckdb, name)

    def connect(self, *args: Any, **kwargs: Any) -> Any:
        con = duckdb.connect(*args, **kwargs)
        con.execute("PRAGMA enable_profiling = 'no_output'")
        outer = self

        class Result:
            def __init__(self, table: pa.Table) -> None:
                self.table = table

            def to_arrow_table(self) -> pa.Table:
                return self.table

            fetch_arrow_table = arrow = to_arrow_table

        class Con:
            def __getattr__(self, name: str) -> Any:
                return getattr(con, name)

            def sql(self, query: str) -> Result:
                table = con.sql(query).to_arrow_table()
                outer.text = con.get_profiling_information(format="json")
                return Result(table)

        return Con()


def _profile_engine(db: Any, execute: Callable[..., Any], args: Any) -> dict[str, Any]:
    shim = _Profiling()
    real = db.duckdb
    db.duckdb = shim
    try:
        execute(*args)
    finally:
        db.duckdb = real
    return _parse_profile(shim.text)


# --- (a) hand-written SQL --------------------------------------------------------------------

def sql_text(ws_dir: Path, style: str = "filter", split_distinct: bool = False) -> str:
    inds = _indicators(ws_dir)
    asg = str(ws_dir / "org" / "assignments.csv").replace("'", "''")
    if style == "two-stage":  # (c)
        return ind.two_stage_sql(inds, "fact_transactions", PERIOD_START, PERIOD_END, asg,
                                 LAST_DAY)
    return ind.hand_sql(inds, "fact_transactions", PERIOD_START, PERIOD_END, asg, LAST_DAY,
                        style, split_distinct)


def run_sql(ws_dir: Path, values: Path | None, profile: bool, style: str = "filter",
            split_distinct: bool = False) -> dict[str, Any]:
    sql = sql_text(ws_dir, style, split_distinct)
    store = ws_dir / "store.duckdb"
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        con = duckdb.connect(str(store), read_only=True)
        table = con.sql(sql).to_arrow_table()
        con.close()
        total = time.perf_counter() - t0
    if values is not None:
        pq.write_table(table.rename_columns(["id", *table.column_names[1:]]), values)
    res: dict[str, Any] = {"seconds": total, "cpu_seconds": mem.cpu, "peak_rss": mem.peak,
                           "baseline_rss": mem.baseline, "entities": table.num_rows,
                           "sql_chars": len(sql)}
    if profile:
        con = duckdb.connect(str(store), read_only=True)
        try:
            res["profile"] = _profile(con, sql)
        finally:
            con.close()
    return res


# --- (b) pandas ------------------------------------------------------------------------------

def _population(ws_dir: Path) -> pd.Index:
    a = pd.read_csv(ws_dir / "org" / "assignments.csv", dtype=str, keep_default_na=False)
    on = a[(a["start"] <= LAST_DAY) & ((a["end"] == "") | (a["end"] >= LAST_DAY))]
    on = on.sort_values(["person_id", "start"], kind="stable")
    on = on.drop_duplicates("person_id", keep="last")
    return pd.Index(on.loc[on["position"] == ind.POSITION, "person_id"], name="id")


def pandas_values(df: pd.DataFrame, inds: list[ind.Ind], pop: pd.Index) -> pd.DataFrame:
    masks: dict[ind.Cond, pd.Series] = {}

    def cond(c: ind.Cond) -> pd.Series:
        if c not in masks:
            s = df[c.col]
            if c.op == "=":
                masks[c] = s == c.value
            elif c.op == "in":
                masks[c] = s.isin(c.value)
            elif c.op == ">":
                masks[c] = s > c.value
            elif c.op == "true":
                masks[c] = s
            elif c.op == "false":
                masks[c] = ~s
            else:
                raise ValueError(c.op)
        return masks[c]

    def agg(a: ind.Agg) -> pd.Series:
        keys = df["person_id"]
        col = df[a.col] if a.col else None
        if a.where:
            m = functools.reduce(lambda x, y: x & y, (cond(c) for c in a.where))
            keys = keys[m]
            col = col[m] if col is not None else None
        if col is None:
            out = keys.value_counts(sort=False)
        else:
            g = col.groupby(keys, observed=True)
            out = {"count": g.count, "sum": g.sum, "avg": g.mean, "min": g.min, "max": g.max,
                   "distinct": g.nunique}[a.fn]()
        out = out.reindex(pop).astype("float64")
        return out.fillna(0.0) if ind.zero_when_empty(a) else out

    vals: dict[str, pd.Series] = {}
    for i in inds:
        if i.of is not None:
            vals[i.code] = vals[i.of[0]] / vals[i.of[1]].replace(0.0, np.nan)
        elif i.den is not None:
            assert i.num is not None
            vals[i.code] = agg(i.num) / agg(i.den).replace(0.0, np.nan)
        else:
            assert i.num is not None
            vals[i.code] = agg(i.num)
    return pd.DataFrame(vals, index=pop)


def run_pandas(ws_dir: Path, values: Path | None) -> dict[str, Any]:
    inds = _indicators(ws_dir)
    files = sorted((ws_dir / "facts").glob("*.parquet"))
    strings = ["person_id", "unit_id", "biz_type", "channel", "customer_id"]
    start, end = pd.Timestamp(PERIOD_START), pd.Timestamp(PERIOD_END)
    phases: dict[str, float] = {}
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        table = pq.read_table(files, columns=list(ind.FACT_COLUMNS), read_dictionary=strings,
                              filters=[("at", ">=", start), ("at", "<", end)])
        table = table.set_column(table.schema.get_field_index("amount"), "amount",
                                 pc.cast(table["amount"], pa.float64()))
        df = table.to_pandas()
        del table
        pop = _population(ws_dir)
        phases["read Parquet → DataFrame"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        out = pandas_values(df, inds, pop)
        phases["groupby values"] = time.perf_counter() - t1
        total = time.perf_counter() - t0
    if values is not None:
        out.reset_index().to_parquet(values, index=False)
    return {"seconds": total, "phases": phases, "peak_rss": mem.peak,
            "baseline_rss": mem.baseline, "cpu_seconds": mem.cpu, "entities": len(out),
            "rows": len(df)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.contender")
    ap.add_argument("kind", choices=["engine", "sql", "pandas"])
    ap.add_argument("--ws", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--values", type=Path)
    ap.add_argument("--engine", default="duckdb", choices=["duckdb", "spark"])
    ap.add_argument("--profile", action="store_true",
                    help="after the timed run, run the query again under DuckDB's profiler")
    ap.add_argument("--experiment", default="",
                    help="engine only: fixes from bench/experiment.py, comma separated")
    ap.add_argument("--style", default="filter", choices=["filter", "case", "two-stage"],
                    help="sql only: FILTER aggregates, or CASE inside the aggregates, or "
                         "(c): the two-stage plan of indicators.two_stage_sql")
    ap.add_argument("--split-distinct", action="store_true",
                    help="sql only: each count(distinct) in a GROUP BY of its own")
    ap.add_argument("--memory-limit", default="",
                    help="engine only: duckdb.memory_limit for this run (default: kaohe.yaml's)")
    ap.add_argument("--spark-master", default="", help="engine only: spark.master for this run")
    ap.add_argument("--spark-conf", action="append", default=[], metavar="KEY=VALUE",
                    help="engine only: a Spark option for this run (repeatable)")
    ap.add_argument("--spark-parquet", type=Path,
                    help="engine only: Spark reads the facts from this Parquet folder")
    ap.add_argument("--aggregate-cache", default="cold", choices=["cold", "off", "warm"],
                    help="engine only: cold (default): the store's aggregate cache emptied "
                         "before the run, so it aggregates the facts and fills the cache; off: "
                         "no cache (the engine before it); warm: as left by the last run")
    args = ap.parse_args(argv)
    run: Callable[[], dict[str, Any]]
    if args.kind == "engine":
        fixes = [f for f in args.experiment.split(",") if f]
        overrides = {"memory_limit": args.memory_limit, "spark_master": args.spark_master,
                     "spark_conf": args.spark_conf, "spark_parquet": args.spark_parquet,
                     "aggregate_cache": args.aggregate_cache}
        run = functools.partial(run_engine, args.ws, args.engine, args.values, args.profile,
                                fixes, overrides)
    elif args.kind == "sql":
        run = functools.partial(run_sql, args.ws, args.values, args.profile, args.style,
                                args.split_distinct)
    else:
        run = functools.partial(run_pandas, args.ws, args.values)
    version = src_version()  # before kaohe is imported (run_engine imports it)
    result = run()
    result["src"] = version
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
