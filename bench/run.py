"""The benchmark: kaohe's full run beside (a) one hand-written SQL query, (b) a pandas script and
(c) the best hand-written DuckDB plan (two stages: aggregate by clerk and the filtered columns,
then pivot), on the same data and period, each in its own process (clean peak memory).

    python -m bench.run [--facts 5000000] [--outlets 20000] [--staff 100000] [--indicators 60]
                        [--engines duckdb[,spark]] [--repeat N] [--profile] [--experiment]
                        [--sql-variants] [--wait-idle SECONDS] [--memory-limit SIZE]
                        [--spark-master URL] [--spark-conf KEY=VALUE]... [--spark-parquet]
    make bench BENCH_ARGS="--facts 50000000"

The workspace is generated under bench/out/ws-<facts> (reused when its parameters match) and its
facts imported with kaohe's importer (timed, reported, not compared). Then each contender runs;
the engine's stored values are checked against (a)'s, all clerks and all indicators, within
1e-9; pandas' and (c)'s too, and (c)'s against the engine's stored values. A table is printed, and the results as markdown (also saved under bench/out).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import psutil
from rich.console import Console
from rich.table import Table

from bench import experiment, generate
from bench.common import MANIFEST, MIB, OUT, ROOT, dir_bytes, git_head, read_json, snapshot_src

TOLERANCE = 1e-9
Result = dict[str, Any]


SRC_PATH = ROOT / "src"  # replaced by the snapshot of src/ in main()


def _env() -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(SRC_PATH), str(ROOT)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def _python(args: list[str], say: Console) -> str:
    """Run ``python -m …`` in a fresh process; its stderr is shown, its stdout returned."""
    proc = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=_env(), text=True,
                          stdout=subprocess.PIPE, stderr=sys.stderr, check=False)
    if proc.returncode != 0:
        say.print(f"[red]failed ({proc.returncode}): python -m {' '.join(args)}[/red]")
        raise SystemExit(1)
    return proc.stdout


def ensure_workspace(args: argparse.Namespace, say: Console) -> tuple[Path, dict[str, Any]]:
    ws = args.ws or generate.default_dir(args.facts)
    params = generate.params_of(args)
    manifest = read_json(ws / MANIFEST)
    if args.regenerate or manifest.get("params") != params:
        say.print(f"generating {ws} …")
        gen = ["bench.generate", "generate", "--ws", str(ws)]
        for k, v in params.items():
            if k in ("period", "key"):
                continue
            gen += [f"--{k.replace('_', '-')}", str(v)]
        if not params["key"]:
            gen.append("--no-key")
        _python(gen, say)
        manifest = read_json(ws / MANIFEST)
    else:
        say.print(f"reusing {ws} (same parameters)")
    if "imported" not in manifest:
        say.print("importing the facts with kaohe's importer …")
        _python(["bench.generate", "import", "--ws", str(ws)], say)
        manifest = read_json(ws / MANIFEST)
    return ws, manifest


def warm(ws: Path) -> None:
    """Read the store and the Parquet files once, so that no contender pays the first read."""
    for p in [ws / "store.duckdb", *sorted((ws / "facts").glob("*.parquet"))]:
        with p.open("rb") as fh:
            while fh.read(64 * MIB):
                pass


def run_contender(ws: Path, kind: str, tag: str, say: Console, engine: str = "duckdb",
                  profile: bool = False, fixes: str = "", wait_idle: float = 0,
                  extra: list[str] | None = None) -> Result:
    out = OUT / f"result-{tag}.json"
    values = OUT / f"values-{tag}.parquet"
    cmd = ["bench.contender", kind, "--ws", str(ws), "--out", str(out), "--values", str(values),
           "--engine", engine]
    if profile:
        cmd.append("--profile")
    if fixes:
        cmd += ["--experiment", fixes]
    cmd += extra or []
    load = wait_for_idle(wait_idle, say)
    say.print(f"running {tag} (CPUs {load:.0f} % busy before) …")
    t = time.perf_counter()
    _python(cmd, say)
    res = json.loads(out.read_text(encoding="utf-8"))
    res["process_seconds"] = time.perf_counter() - t
    res["busy_before"] = load
    res["values_path"] = str(values)
    return res


def engine_options(args: argparse.Namespace, ws: Path, engine: str) -> list[str]:
    """The contender's options for the engine: the memory limit, and Spark's settings."""
    out = ["--memory-limit", args.memory_limit] if args.memory_limit else []
    out += ["--aggregate-cache", args.aggregate_cache]
    if engine == "spark":
        if args.spark_master:
            out += ["--spark-master", args.spark_master]
        for kv in args.spark_conf:
            out += ["--spark-conf", kv]
        if args.spark_parquet:
            out += ["--spark-parquet", str((ws / "facts").resolve())]
    return out


def busy() -> float:
    """How busy the machine's CPUs are, in percent, over the next 2 seconds."""
    return float(psutil.cpu_percent(interval=2.0))


def wait_for_idle(limit: float, say: Console, threshold: float = 10.0) -> float:
    """Wait up to ``limit`` seconds for the CPUs to be less than ``threshold`` % busy (other
    work on the machine inflates wall times); return how busy they were."""
    deadline = time.monotonic() + limit
    load = busy()
    if load >= threshold and limit > 0:
        say.print(f"waiting for the machine to be idle ({load:.0f} % busy) …")
    while load >= threshold and time.monotonic() < deadline:
        time.sleep(3)
        load = busy()
    return load


# --- checking the values ---------------------------------------------------------------------

def stored_values(ws: Path, run_id: str) -> pd.DataFrame:
    con = duckdb.connect(str(ws / "store.duckdb"), read_only=True)
    try:
        long = con.execute("SELECT entity_id AS id, code, value FROM run_indicators "
                           "WHERE run_id = ?", [run_id]).df()
    finally:
        con.close()
    return long.pivot(index="id", columns="code", values="value")


def compare_runs(ws: Path, a: str, b: str) -> Result:
    """Two stored runs of the same scheme: every entity's total, rank, group, grade, flags and
    payout, every indicator's points and missing flag exactly equal, values within 1e-9 (a
    parallel DuckDB avg of decimals is not bit-for-bit repeatable: partial sums are added in
    the order threads finish)."""
    ent = ("name", "group_key", "total", "rank", "group_size", "grade", "vetoed", "bottom",
           "eliminate", "payout")
    ind = ("points", "missing")

    def differ(cols: tuple[str, ...]) -> str:
        out = " OR ".join(f"x.{c} IS DISTINCT FROM y.{c}" for c in cols)
        if cols == ind:
            out += (" OR (x.value IS NULL) <> (y.value IS NULL) OR abs(x.value - y.value) > "
                    f"{TOLERANCE} * greatest(1, abs(x.value), abs(y.value))")
        return out

    con = duckdb.connect(str(ws / "store.duckdb"), read_only=True)
    try:
        e = con.execute(
            "WITH x AS (SELECT * FROM run_entities WHERE run_id = ?), "
            "y AS (SELECT * FROM run_entities WHERE run_id = ?) "
            f"SELECT count(*), count(*) FILTER (WHERE {differ(ent)} OR x.entity_id IS NULL "
            "OR y.entity_id IS NULL) FROM x FULL JOIN y USING (entity_id)", [a, b]).fetchone()
        i = con.execute(
            "WITH x AS (SELECT * FROM run_indicators WHERE run_id = ?), "
            "y AS (SELECT * FROM run_indicators WHERE run_id = ?) "
            f"SELECT count(*), count(*) FILTER (WHERE {differ(ind)} OR x.code IS NULL "
            "OR y.code IS NULL) FROM x FULL JOIN y USING (entity_id, code)", [a, b]).fetchone()
    finally:
        con.close()
    assert e is not None and i is not None
    return {"entities": int(e[0]), "entities_differ": int(e[1]), "indicators": int(i[0]),
            "indicators_differ": int(i[1]), "ok": e[1] == 0 and i[1] == 0}


def compare(ref: pd.DataFrame, other: pd.DataFrame, tol: float) -> Result:
    """Every entity and indicator: both missing, or equal within ``tol`` (relative to
    max(1, |a|, |b|))."""
    out: Result = {"entities_ref": len(ref), "entities": len(other), "compared": 0,
                   "mismatches": 0, "max_diff": 0.0, "worst": None}
    ids_equal = set(ref.index) == set(other.index)
    out["same_entities"] = ids_equal
    missing_cols = [c for c in ref.columns if c not in other.columns]
    out["missing_indicators"] = missing_cols
    if not ids_equal or missing_cols:
        out["ok"] = False
        return out
    other = other.loc[ref.index]
    for code in ref.columns:
        a = ref[code].to_numpy(dtype="float64")
        b = other[code].to_numpy(dtype="float64")
        na, nb = np.isnan(a), np.isnan(b)
        both = ~na & ~nb
        diff = np.zeros_like(a)
        scale = np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))
        diff[both] = np.abs(a[both] - b[both]) / scale[both]
        bad = (na != nb) | (diff > tol)
        out["compared"] += len(a)
        out["mismatches"] += int(bad.sum())
        if diff.max(initial=0.0) > out["max_diff"]:
            out["max_diff"] = float(diff.max())
        if bad.any() and out["worst"] is None:
            i = int(np.flatnonzero(bad)[0])
            out["worst"] = {"code": code, "id": str(ref.index[i]), "ref": float(a[i]),
                            "other": float(b[i])}
    out["ok"] = out["mismatches"] == 0
    return out


def _read_values(path: str) -> pd.DataFrame:
    return pd.read_parquet(path).set_index("id")


# --- reporting -------------------------------------------------------------------------------

def _mib(n: float) -> str:
    return f"{n / MIB:,.0f}"


def _gib(n: float) -> str:
    return f"{n / 1024 ** 3:.2f} GiB"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = psutil.virtual_memory().total
    return (f"{psutil.cpu_count()} cores ({cpu}), {mem / 1024 ** 3:.0f} GiB RAM, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
            f"DuckDB {duckdb.__version__}, pandas {pd.__version__}")


def rows_of(results: dict[str, list[Result]]) -> list[tuple[str, Result, list[float]]]:
    """One row per contender: its fastest repetition, and all the times."""
    rows = []
    for label, reps in results.items():
        best = min(reps, key=lambda r: r["seconds"])
        rows.append((label, best, [r["seconds"] for r in reps]))
    return rows


def markdown(args: argparse.Namespace, ws: Path, manifest: dict[str, Any],
             results: dict[str, list[Result]], checks: dict[str, Result]) -> str:
    p, g, imp = manifest["params"], manifest["generated"], manifest["imported"]
    ref = min(results[SQL_LABEL], key=lambda r: r["seconds"])["seconds"]
    lines = [
        f"### {p['facts']:,} facts", "",
        f"- machine: {machine()}",
        f"- command: `{' '.join(['python -m bench.run', *sys.argv[1:]])}`",
        (f"- data: {p['facts']:,} facts (one month, {PERIOD_TEXT}) over {g['units']:,} units "
         f"({p['outlets']:,} outlets), {g['people']:,} staff ({g['assignments']:,} "
         f"assignments); {g['indicators']} indicators; population "
         f"{results_entities(results):,} clerks"),
        (f"- disk: Parquet facts {_gib(g['facts_bytes'])} ({len(g['files'])} files), "
         f"store after import {_gib(imp['store_bytes'])}, workspace now {_gib(dir_bytes(ws))}"),
        (f"- generation {g['seconds']:.0f} s; import (kaohe's importer, every row checked"
         f"{', txn_id key' if p['key'] else ''}) {imp['seconds']:.1f} s "
         f"({', '.join(f'{s:.0f}' for s in imp['per_file'])} s per file), "
         f"peak RSS {_mib(imp['peak_rss'])} MiB"),
        "",
        ("| contender | wall time (s) | × (a) | CPU time (s) | peak RSS (MiB) "
         "| RSS after imports (MiB) |"),
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, best, times in rows_of(results):
        all_t = f" ({', '.join(f'{t:.2f}' for t in times)})" if len(times) > 1 else ""
        lines.append(f"| {label} | {best['seconds']:.2f}{all_t} | {best['seconds'] / ref:.2f} "
                     f"| {best.get('cpu_seconds', float('nan')):.1f} "
                     f"| {_mib(best['peak_rss'])} | {_mib(best['baseline_rss'])} |")
    lines.append("")
    versions = sorted({r.get("src", "?") for reps in results.values() for r in reps})
    if len(versions) == 1:
        lines += [f"kaohe source: {versions[0]} (git HEAD + hash of the files imported).", ""]
    else:
        lines += [(f"**src/ changed during the benchmark** ({', '.join(versions)}): the runs "
                   "do not all measure the same engine."), ""]
    for label, best, _t in rows_of(results):
        if "memory_limit" in best:
            sp = best.get("spark")
            lines += [f"{label}: duckdb.memory_limit {best['memory_limit']}, aggregate "
                      f"cache {best.get('aggregate_cache', '?')}" + (
                f"; spark.master {sp['master']}, options {sp['options'] or 'none'}, sources "
                f"{sp['sources'] or 'the store'}" if sp else ""), ""]
    loads = [r["busy_before"] for reps in results.values() for r in reps]
    lines += [f"The CPUs were {min(loads):.0f}–{max(loads):.0f} % busy in the 2 s before a run."
              + (f" Times are the best of {len(next(iter(results.values())))} runs (all in "
                 "parentheses)." if len(next(iter(results.values()))) > 1 else ""), ""]
    for label, best, _t in rows_of(results):
        if "phases" not in best:
            continue
        total = best["seconds"]
        lines += [f"{label}, phases of the fastest run:", "", "| phase | s | % |",
                  "| --- | ---: | ---: |"]
        for name, s in best["phases"].items():
            lines.append(f"| {name} | {s:.2f} | {100 * s / total:.0f} |")
        lines.append("")
    lines.append("Checks (every clerk × every indicator, relative to max(1, |v|)):")
    lines.append("")
    for label, c in checks.items():
        if "compared" not in c:  # two stored runs compared
            verdict = "identical" if c["ok"] else (f"**{c['entities_differ']} entities and "
                                                   f"{c['indicators_differ']} indicators differ**")
            lines.append(f"- {label}: {c['entities']:,} entities and {c['indicators']:,} "
                         f"indicator rows, {verdict}")
            continue
        verdict = "equal" if c["ok"] else f"**{c['mismatches']} differ** (first: {c['worst']})"
        lines.append(f"- {label}: {c['compared']:,} values, {verdict}, largest difference "
                     f"{c['max_diff']:.1e}")
    lines.append("")
    for label, reps in results.items():
        prof = next((r["profile"] for r in reps if r.get("profile")), None)
        if not prof or "operators" not in prof:
            continue
        lines += [(f"{label}, DuckDB profiler (a separate, untimed run): "
                   f"{prof['total']:.2f} s, CPU {prof['cpu']:.2f} s, planner "
                   f"{prof['planner']:.2f} s, optimizer {prof['optimizer']:.2f} s; "
                   "top operators:"), "",
                  "| operator | s | rows out |", "| --- | ---: | ---: |"]
        for name, s, n in prof["operators"][:8]:
            lines.append(f"| {name} | {s:.2f} | {n:,} |")
        lines.append("")
        if prof.get("by_type"):
            lines += ["Operator time by type: " + ", ".join(
                f"{k} {s:.1f} s ({n})" for k, s, n in prof["by_type"][:6]) + ".", ""]
    return "\n".join(lines)


def results_entities(results: dict[str, list[Result]]) -> int:
    return int(results[SQL_LABEL][0]["entities"])


def print_table(results: dict[str, list[Result]], checks: dict[str, Result],
                console: Console) -> None:
    ref = min(results[SQL_LABEL], key=lambda r: r["seconds"])["seconds"]
    t = Table(title="kaohe benchmark")
    for col in ("contender", "wall time (s)", "× (a)", "CPU (s)", "peak RSS (MiB)", "values"):
        t.add_column(col, justify="left" if col in ("contender", "values") else "right")
    for label, best, _times in rows_of(results):
        check = checks.get(label)
        verdict = "reference" if label == SQL_LABEL else (
            "= (a)" if check and check["ok"] else "DIFFER" if check else "")
        t.add_row(label, f"{best['seconds']:.2f}", f"{best['seconds'] / ref:.2f}",
                  f"{best.get('cpu_seconds', float('nan')):.1f}", _mib(best["peak_rss"]), verdict)
    console.print(t)


SQL_LABEL = "(a) hand-written SQL"
BEST_LABEL = "(c) hand-written SQL, two stages"
PANDAS_LABEL = "(b) pandas"
EXPERIMENT_LABEL = "kaohe engine (duckdb) + bench/experiment.py fixes"
SQL_VARIANTS = [  # what an engine could do better than (a), on (a) itself
    ("(a) with CASE instead of FILTER", "sql-case", ["--style", "case"]),
    ("(a) with count(distinct) split out", "sql-split", ["--split-distinct"]),
    ("(a) with both", "sql-case-split", ["--style", "case", "--split-distinct"]),
]
PERIOD_TEXT = "2026-03"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    generate.add_params(ap)
    ap.add_argument("--engines", default="duckdb",
                    help="kaohe engines to run, comma separated: duckdb, spark")
    ap.add_argument("--memory-limit", default="", metavar="SIZE",
                    help="the engine's duckdb.memory_limit (default: the workspace's kaohe.yaml, "
                         "else 1GiB); e.g. 18GiB for the run as it was before the limit")
    ap.add_argument("--aggregate-cache", default="cold", choices=["cold", "off", "warm"],
                    help="the engine's aggregate cache: cold (default) empties it before each "
                         "run, so every run aggregates the facts; off runs without it (the "
                         "engine before it); warm keeps what the last run stored")
    ap.add_argument("--spark-master", default="", metavar="URL",
                    help="Spark's master for the engine on Spark, e.g. spark://127.0.0.1:7077 "
                         "(default: the workspace's kaohe.yaml, else local[2])")
    ap.add_argument("--spark-conf", action="append", default=[], metavar="KEY=VALUE",
                    help="a Spark option for the engine on Spark (repeatable)")
    ap.add_argument("--spark-parquet", action="store_true",
                    help="Spark reads the facts from the workspace's Parquet folder (facts/) "
                         "instead of the store")
    ap.add_argument("--repeat", type=int, default=1, help="runs per contender; best is shown")
    ap.add_argument("--no-pandas", action="store_true", help="skip (b)")
    ap.add_argument("--no-best", action="store_true", help="skip (c)")
    ap.add_argument("--sql-variants", action="store_true",
                    help="also run (a) with CASE for FILTER and/or count(distinct) split out")
    ap.add_argument("--profile", action="store_true",
                    help="also profile the engine's query and (a) with DuckDB's profiler "
                         "(an extra, untimed run)")
    ap.add_argument("--experiment", nargs="?", const="all", default="",
                    help="also run the engine with the fixes of bench/experiment.py "
                         "(comma separated, or all)")
    ap.add_argument("--wait-idle", type=float, default=0, metavar="SECONDS",
                    help="before each run, wait up to this long for the CPUs to be < 10 %% busy")
    ap.add_argument("--regenerate", action="store_true", help="generate and import again")
    ap.add_argument("--live-src", action="store_true",
                    help="import src/ itself, not a snapshot taken at the start")
    ap.add_argument("--ws", type=Path, help="workspace folder (default bench/out/ws-<facts>)")
    args = ap.parse_args(argv)
    console = Console(stderr=True)
    OUT.mkdir(parents=True, exist_ok=True)
    global SRC_PATH
    if not args.live_src:
        SRC_PATH = snapshot_src()
        console.print(f"kaohe: a snapshot of src/ at {git_head()} in {SRC_PATH}")
    ws, manifest = ensure_workspace(args, console)
    warm(ws)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    fixes = ",".join(experiment.FIXES) if args.experiment == "all" else args.experiment
    results: dict[str, list[Result]] = {}
    for rep in range(args.repeat):
        profile = args.profile and rep == 0  # one profiled (extra, untimed) run is enough
        results.setdefault(SQL_LABEL, []).append(run_contender(
            ws, "sql", "sql", console, profile=profile, wait_idle=args.wait_idle))
        if args.sql_variants:
            for label, tag, extra in SQL_VARIANTS:
                results.setdefault(label, []).append(run_contender(
                    ws, "sql", tag, console, wait_idle=args.wait_idle, extra=extra))
        if not args.no_best:
            results.setdefault(BEST_LABEL, []).append(run_contender(
                ws, "sql", "sql-best", console, wait_idle=args.wait_idle,
                extra=["--style", "two-stage"]))
        for e in engines:
            results.setdefault(f"kaohe engine ({e}), full run", []).append(run_contender(
                ws, "engine", f"engine-{e}", console, engine=e, profile=profile,
                wait_idle=args.wait_idle, extra=engine_options(args, ws, e)))
        if fixes:
            results.setdefault(EXPERIMENT_LABEL, []).append(run_contender(
                ws, "engine", "engine-fixes", console, profile=profile,
                fixes=fixes, wait_idle=args.wait_idle))
        if not args.no_pandas:
            results.setdefault(PANDAS_LABEL, []).append(run_contender(
                ws, "pandas", "pandas", console, wait_idle=args.wait_idle))

    console.print("checking the values …")
    ref = _read_values(results[SQL_LABEL][-1]["values_path"])
    checks: dict[str, Result] = {}
    for label, reps in results.items():
        if label == SQL_LABEL:
            continue
        last = reps[-1]
        if "run_id" in last:  # the engine: what it stored
            checks[label] = compare(ref, stored_values(ws, last["run_id"]), TOLERANCE)
        else:
            checks[label] = compare(ref, _read_values(last["values_path"]), TOLERANCE)
    engine_label = "kaohe engine (duckdb), full run"
    for label in [f"kaohe engine ({e}), full run" for e in engines]:
        if BEST_LABEL in results and label in results:
            checks[f"(c) vs {label}, stored values"] = compare(
                _read_values(results[BEST_LABEL][-1]["values_path"]),
                stored_values(ws, results[label][-1]["run_id"]), TOLERANCE)
    spark_label = "kaohe engine (spark), full run"
    if spark_label in results and engine_label in results:
        checks["kaohe engine, spark vs duckdb, stored runs"] = compare_runs(
            ws, results[engine_label][-1]["run_id"], results[spark_label][-1]["run_id"])
    if EXPERIMENT_LABEL in results and engine_label in results:
        checks["experimental vs kaohe engine, stored runs"] = compare_runs(
            ws, results[engine_label][-1]["run_id"], results[EXPERIMENT_LABEL][-1]["run_id"])
    print_table(results, checks, console)
    md = markdown(args, ws, manifest, results, checks)
    (OUT / f"results-{manifest['params']['facts']}.md").write_text(md + "\n", encoding="utf-8")
    (OUT / f"results-{manifest['params']['facts']}.json").write_text(json.dumps(
        {"manifest": manifest, "results": results, "checks": checks}, ensure_ascii=False,
        indent=2, default=str), encoding="utf-8")
    print(md)
    return 0 if all(c["ok"] for c in checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
