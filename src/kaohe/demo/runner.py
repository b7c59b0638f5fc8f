"""kaohe demo: build the demo workspace, import its files, run every period, print and report."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from kaohe.errors import InputError

MARKER = ".kaohe-demo"


def is_demo_workspace(directory: Path) -> bool:
    """Was ``directory`` made by ``kaohe demo``? Only such a workspace may be served with the
    demo's accounts, whose password is published (``kaohe serve --demo``). Remove the marker
    file before putting real data into a folder that began as the demo."""
    return (Path(directory) / MARKER).is_file()


def prepare(directory: Path) -> None:
    """A demo folder is rebuilt from scratch; any other non-empty folder is left alone."""
    if directory.exists() and any(directory.iterdir()):
        if not (directory / MARKER).exists():
            raise InputError(f"{directory}: 目录非空且不是演示工作区 folder is not empty and not a "
                             "kaohe demo; choose another folder")
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER).write_text("kaohe demo workspace: rebuilt by `kaohe demo`\n",
                                    encoding="utf-8")


def run_demo(directory: Path, *, scale: float = 1.0, seed: int = 2026,
             engine: str | None = None, console: Console | None = None,
             progress: Callable[[], Progress] | None = None) -> dict[str, Any]:
    from kaohe.demo import telecom_s9_report
    from kaohe.demo.generate import generate_workspace
    from kaohe.demo.summary import alerts_only, print_summary
    from kaohe.report import print_ranking, write_result
    from kaohe.workspace import Workspace

    out = console or Console()
    prepare(directory)
    with (progress or Progress)() as bar:
        task = bar.add_task("生成演示数据 generating demo data", total=None)
        manifest = generate_workspace(directory, seed=seed, scale=scale)
        ws = Workspace.open(directory)
        rows, runs, latest = import_and_run(ws, manifest, bar, task, engine)
    where = escape(str(directory))
    out.print(f"[green]✓[/] 演示工作区 demo workspace: {where} — {len(ws.org.units)} 个单位 "
              f"units, {len(ws.org.people)} 人 people, {rows:,} 行事实 fact rows, "
              f"{len(runs)} 次运行 runs")
    reports = directory / "reports"
    written = []
    for code, result in latest.items():
        out.print()
        path = reports / f"{code}_{result.period}.xlsx"
        if code in manifest.get("summaries", ()):
            print_summary(result, out)  # hundreds of thousands of items: counts, first alerts
            result, path = alerts_only(result), reports / f"{code}_{result.period}_预警清单.xlsx"
        else:
            print_ranking(result, out, limit=15)
        write_result(result, path)
        written.append(path)
    written += telecom_s9_report.after_reports(latest, reports, out)  # S9 notice, statement
    out.print()
    out.print("[bold]报表 reports:[/] " + escape(", ".join(str(p) for p in written)))
    out.print(f"试试 try: kaohe -w {escape(str(directory))} explain clerk_star --period "
              f"{manifest['periods']['clerk_star'][-1]} --entity <编号 id> --rows 10")
    return {"manifest": manifest, "results": latest, "reports": written}


def import_and_run(ws: Any, manifest: dict[str, Any], bar: Progress, task: Any,
                   engine: str | None) -> tuple[int, list[tuple[str, str]], dict[str, Any]]:
    """Import every file of a generated demo's manifest, then run every scheme for each of its
    periods, in the manifest's order (shared by the telecom and the power demo). Returns the
    rows imported, the runs made and the latest result of each scheme."""
    from kaohe.engine.run import run_scheme
    from kaohe.workspace.importer import import_file

    files = [(s, Path(f)) for s, fs in manifest["sources"].items() for f in fs]
    runs = [(s, p) for s in manifest["schemes"] for p in manifest["periods"][s]]
    bar.update(task, total=len(files) + len(runs), completed=0)
    rows = 0
    for source, path in files:
        bar.update(task, description=f"导入 importing {path.name}")
        header = manifest.get("header_rows", {}).get(str(path.resolve()))
        rows += import_file(ws.store, ws.org, ws.source(source), path,
                            header_row=header).rows
        bar.advance(task)
    latest: dict[str, Any] = {}
    for code, period in runs:
        bar.update(task, description=f"计算 running {code} {period}")
        latest[code] = run_scheme(ws, code, period, engine=engine).result
        bar.advance(task)
    return rows, runs, latest
