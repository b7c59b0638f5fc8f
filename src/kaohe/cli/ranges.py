"""``kaohe run SCHEME --period A..B`` (spec §17): each period of the range, in order.

Each period is a run of its own, stored before the next one starts (so a later period's
elimination streak sees the earlier ones), reported like a single run; with ``--out x.json``
each period goes to ``x-<first day of the period>.json``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.progress import Progress

from kaohe.cli.main import out
from kaohe.periods import Period, period_range
from kaohe.workspace.workspace import Workspace


def out_path(out_file: Path, period: Period) -> Path:
    """``x.json`` → ``x-2026-10-01.json`` for the period starting 2026-10-01."""
    return out_file.with_name(f"{out_file.stem}-{period.start.isoformat()}{out_file.suffix}")


def run_range(ws: Workspace, scheme: str, text: str, engine: str | None, out_file: Path | None,
              top: int, progress: Callable[[], Progress]) -> None:
    from kaohe.engine.run import run_scheme
    from kaohe.report import print_ranking, write_result

    periods = period_range(text, ws.scheme(scheme).period)  # type: ignore[arg-type]
    out.print(f"{scheme}: {len(periods)} 个期间 periods, {periods[0]} … {periods[-1]}")
    for i, period in enumerate(periods, 1):
        with progress() as bar:
            task = bar.add_task(f"{scheme} {period}", total=5)

            def step(message: str, _p: Period = period) -> None:
                bar.update(task, advance=1, description=f"{scheme} {_p}: {message}")

            output = run_scheme(ws, scheme, str(period), engine=engine, progress=step)
            bar.update(task, completed=5)
        out.rule(f"{i}/{len(periods)} {period}")
        print_ranking(output.result, out, limit=top)
        out.print(f"运行编号 run id: {output.result.run_id}")
        if out_file is not None:
            path = out_path(out_file, period)
            write_result(output.result, path)
            out.print(f"[green]✓[/] 已写入 written: {path}")
        from kaohe.cli.commands import warn_thin_data

        warn_thin_data(ws, scheme, str(period))
