"""kaohe demo --kind power: build the power workspace, import it, run every scheme and period."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from kaohe.demo.runner import MARKER, import_and_run, prepare

KIND = "power"


def run_power_demo(directory: Path, *, scale: float = 1.0, seed: int = 2026,
                   engine: str | None = None, console: Console | None = None,
                   progress: Callable[[], Progress] | None = None,
                   daily_days: int | None = None) -> dict[str, Any]:
    from kaohe.demo.power.generate import generate_workspace
    from kaohe.demo.summary import alerts_only, print_summary
    from kaohe.report import print_ranking, write_result
    from kaohe.workspace import Workspace

    out = console or Console()
    prepare(directory)
    # The marker names the kind, so the web's demo setup picks the power accounts.
    (directory / MARKER).write_text(
        f"kaohe demo workspace: rebuilt by `kaohe demo --kind {KIND}`\nkind: {KIND}\n",
        encoding="utf-8")
    with (progress or Progress)() as bar:
        task = bar.add_task("生成演示数据 generating demo data", total=None)
        manifest = generate_workspace(directory, seed=seed, scale=scale, daily_days=daily_days)
        ws = Workspace.open(directory)
        rows, runs, latest = import_and_run(ws, manifest, bar, task, engine)
    counts = manifest["counts"]
    out.print(f"[green]✓[/] 供电演示工作区 power demo workspace: {escape(str(directory))} — "
              f"{len(ws.org.units)} 个单位 units, {len(ws.org.people)} 人 people, "
              f"{counts['areas']:,} 个台区 areas, {counts['meters']:,} 块电能表 meters, "
              f"{rows:,} 行事实 fact rows, {len(runs)} 次运行 runs")
    reports = directory / "reports"
    written = []
    for code, result in latest.items():
        out.print()
        path = reports / f"{code}_{result.period}.xlsx"
        if code in manifest.get("summaries", ()):
            # ~300,000 meters: counts per level and the first suspects; the workbook is the
            # inspection list (the suspects), not every meter (`kaohe run --out` writes all)
            print_summary(result, out)
            result, path = alerts_only(result), reports / f"{code}_{result.period}_预警清单.xlsx"
        else:
            print_ranking(result, out, limit=10)
        write_result(result, path)
        written.append(path)
    out.print()
    out.print("[bold]报表 reports:[/] " + escape(", ".join(str(p) for p in written)))
    out.print(f"试试 try: kaohe -w {escape(str(directory))} alerts area_loss --period "
              f"{manifest['periods']['area_loss'][-1]}")
    return {"manifest": manifest, "results": latest, "reports": written}


def demo_kind(directory: Path) -> str:
    """The kind of demo a workspace holds: ``power`` or ``telecom`` (from its marker file)."""
    marker = Path(directory) / MARKER
    try:
        text = marker.read_text(encoding="utf-8")
    except OSError:
        return "telecom"
    return KIND if f"kind: {KIND}" in text else "telecom"
