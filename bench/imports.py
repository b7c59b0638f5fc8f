"""Import speed: the bench's transactions checked and stored by kaohe's importer, from Parquet
and from CSV (docs/performance.md, "Import").

    python -m bench.imports [--facts 5000000] [--parquet-rows N] [--csv-rows 1000000]
                            [--repeat 1] [--json FILE] [--ws DIR]
    make bench-imports

The rows are the fact workload's (bench.generate, reused from bench/out/ws-<facts> when its
parameters match): the first ``--parquet-rows`` (all by default) as one Parquet file, and the
first ``--csv-rows`` written once as a UTF-8 CSV with every cell text, as an export from another
system would be. Each import goes into an empty store in a scratch copy of the workspace, so
the key check against stored rows finds nothing and every row is written. Per file: the read
(pyarrow), the checks (every row: types, required cells, ids against the org, the key within
the file), the clustered insert (committed) and the whole import, each as wall seconds and
rows per second, and the process's CPU seconds (user + system, all threads), which depend less
on other work on a shared machine than the wall times do. Not part of ``make bench``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from bench import generate
from bench.common import MANIFEST, OUT, cpu_seconds, read_json


def _workspace(facts: int) -> Path:
    """The fact workload's workspace (generated when missing or of other parameters)."""
    ws = generate.default_dir(facts)
    ap = argparse.ArgumentParser()
    generate.add_params(ap)
    params = generate.params_of(ap.parse_args(["--facts", str(facts)]))
    if not (ws / MANIFEST).exists() or read_json(ws / MANIFEST).get("params") != params:
        print(f"generating {facts:,} facts in {ws} …", file=sys.stderr)
        generate.generate(ws, params, lambda m: print(m, file=sys.stderr))
    return ws


def _files(ws: Path, scratch: Path, parquet_rows: int | None, csv_rows: int) -> list[Path]:
    names = read_json(ws / MANIFEST)["generated"]["files"]
    table = pq.read_table(ws / "facts" / names[0])
    scratch.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    parquet = table if parquet_rows is None else table.slice(0, parquet_rows)
    if parquet.num_rows:
        path = scratch / f"transactions-{parquet.num_rows}.parquet"
        if not path.exists():
            pq.write_table(parquet, path, row_group_size=1_000_000)
        out.append(path)
    if csv_rows:
        path = scratch / f"transactions-{min(csv_rows, table.num_rows)}.csv"
        if not path.exists():
            pacsv.write_csv(table.slice(0, csv_rows), path)
        out.append(path)
    return out


def measure(ws: Path, path: Path, scratch: Path) -> dict[str, Any]:
    """Import ``path`` into an empty store of a copy of ``ws``; time each phase."""
    from kaohe.workspace import Workspace
    from kaohe.workspace.importer import import_table
    from kaohe.workspace.tables import read_table

    copy = scratch / "ws"
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir(parents=True)
    for part in ("kaohe.yaml", "org", "sources"):
        src = ws / part
        (shutil.copytree if src.is_dir() else shutil.copy)(src, copy / part)
    workspace = Workspace.open(copy)
    assert workspace.org.people  # the org is loaded once, before the clock starts
    source = workspace.sources["transactions"]
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    raw = read_table(path, source.header_row)
    read_s, read_cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    report = import_table(workspace.store, workspace.org, source, raw)
    total_s = time.perf_counter() - t0
    cpu_s = cpu_seconds() - cpu0
    rows = report.rows
    shutil.rmtree(copy, ignore_errors=True)
    # an importer before these phase times (a before/after comparison with --src) has none
    check_s, store_s = (getattr(report, k, 0.0) for k in ("check_seconds", "store_seconds"))
    return {"file": path.name, "format": path.suffix[1:], "rows": rows,
            "read_s": round(read_s, 2), "check_s": check_s,
            "store_s": store_s, "total_s": round(total_s, 2),
            "cpu_s": round(cpu_s, 2), "read_cpu_s": round(read_cpu, 2),
            "check_cpu_s": getattr(report, "check_cpu", 0.0),
            "store_cpu_s": getattr(report, "store_cpu", 0.0),
            "checked_rows_per_s": round(rows / check_s) if check_s else None,
            "imported_rows_per_s": round(rows / total_s)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.imports")
    ap.add_argument("--facts", type=int, default=5_000_000,
                    help="the fact workload to take the rows from (bench.generate)")
    ap.add_argument("--parquet-rows", type=int, help="rows of the Parquet file (all by default)")
    ap.add_argument("--csv-rows", type=int, default=1_000_000, help="rows of the CSV file")
    ap.add_argument("--repeat", type=int, default=1, help="imports of each file (best kept)")
    ap.add_argument("--json", type=Path, help="write the results here too")
    ap.add_argument("--ws", type=Path, help="a workspace made by bench.generate (instead of "
                                            "bench/out/ws-<facts>)")
    args = ap.parse_args(argv)
    ws = args.ws or _workspace(args.facts)
    scratch = OUT / "imports"
    results: list[dict[str, Any]] = []
    for path in _files(ws, scratch, args.parquet_rows, args.csv_rows):
        runs = [measure(ws, path, scratch) for _ in range(max(1, args.repeat))]
        best = min(runs, key=lambda r: r["total_s"])
        results.append(best)
        print(f"{best['format']:>7} {best['rows']:>10,} rows: read {best['read_s']:6.2f} s, "
              f"check {best['check_s']:6.2f} s ({best['checked_rows_per_s'] or 0:,} rows/s), "
              f"store {best['store_s']:6.2f} s, total {best['total_s']:6.2f} s "
              f"({best['imported_rows_per_s']:,} rows/s); CPU s: read {best['read_cpu_s']:.1f}, "
              f"check {best['check_cpu_s']:.1f}, store {best['store_cpu_s']:.1f}, "
              f"all {best['cpu_s']:.1f}",
              flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
