"""The commands; each opens the workspace, does one thing, prints what a user needs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from kaohe.cli.main import Context, err, out
from kaohe.errors import InputError
from kaohe.periods import Period, is_range
from kaohe.workspace.lock import DEFAULT_WAIT

if TYPE_CHECKING:
    from kaohe.workspace import Workspace


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/"
                    "{task.total}"), TimeElapsedColumn(), console=err, transient=True)


def wait_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """--wait SECONDS: how long a command waits while another process writes the store."""
    return click.option(
        "--wait", "wait", type=click.FloatRange(min=0), default=DEFAULT_WAIT, show_default=True,
        metavar="SECONDS", help="考核库被占用时最多等待的秒数 seconds to wait while another run or "
        "import writes the store (then exit 2)")(f)


def open_workspace(ctx: Context, wait: float) -> Workspace:
    """The workspace, its store waiting up to ``wait`` s for another process and saying so."""
    from kaohe.workspace import Workspace

    ws = Workspace.open(ctx.workspace)

    def waiting(now: bool) -> None:
        if now:
            err.print(f"另一个运行正在写入考核库，等待中…（最多 {wait:g} 秒）another run is writing "
                      f"the store, waiting (up to {wait:g} s, --wait)", highlight=False,
                      markup=False)

    ws.store.wait_for_lock(wait, waiting)
    return ws


@click.command(help="校验工作区与方案 validate the workspace and schemes")
@click.argument("scheme", required=False)
@click.pass_obj
def check(ctx: Context, scheme: str | None) -> None:
    from kaohe.cli.checking import check_workspace

    problems, checked = check_workspace(ctx.workspace, scheme)
    for p in problems:
        err.print(f"[red]✗[/] {escape(str(p))}", soft_wrap=True)
    if problems:
        raise _Fail(len(problems))
    out.print(f"[green]✓[/] 校验通过 all good: {escape(', '.join(checked))}")


class _Fail(InputError):
    def __init__(self, n: int) -> None:
        super().__init__(f"发现 {n} 个问题 {n} problem(s) found")


@click.command("import", help="全部或全不导入数据文件 all-or-nothing import of a fact file")
@click.argument("source")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--replace", "replace", metavar="PERIOD",
              help="先删除该期间的已有数据 replace this period's facts (re-delivered data)")
@click.option("--header-row", type=int, default=None, help="表头所在行 header row (1-based)")
@click.option("--sheet", default=None, help="Excel 工作表名 sheet name")
@wait_option
@click.pass_obj
def import_(ctx: Context, source: str, file: Path, replace: str | None, header_row: int | None,
            sheet: str | None, wait: float) -> None:
    from kaohe.workspace.importer import import_file

    ws = open_workspace(ctx, wait)
    period = Period.parse(replace) if replace else None
    with err.status(f"导入 importing {escape(str(file))} …"):
        report = import_file(ws.store, ws.org, ws.source(source), file, period, header_row, sheet,
                             ws.settings.limits)
    msg = f"[green]✓[/] 已导入 imported {report.rows} 行 rows into {escape(source)}"
    if period is not None:
        msg += f"; 替换 replaced {report.deleted} 行 rows of {period}"
    out.print(msg)
    if report.ignored_headers:
        out.print("  未使用的列 ignored columns: " + escape(", ".join(report.ignored_headers)))


@click.command(help="计算方案并保存 compute a scheme for a period and store the run")
@click.argument("scheme")
@click.option("--period", "-p", required=True,
              help="2026-10 | 2026-Q4 | 2026 | 2026-10-15 | 2026-10-01..2026-10-31")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default=None)
@click.option("--out", "out_file", type=click.Path(path_type=Path), default=None,
              help="输出文件 .json .csv .xlsx .parquet")
@click.option("--top", type=int, default=20, show_default=True, help="显示前 N 名 rows shown")
@click.option("--adjustments", "adjustments_file", type=click.Path(path_type=Path),
              default=None, help="调整文件（已决申诉）adjustments .csv/.xlsx: entity,code,kind,"
              "amount,reason (spec §19)")
@click.option("--no-adjustments", is_flag=True,
              help="不沿用上一版的调整 drop the latest revision's adjustments")
@wait_option
@click.pass_obj
def run(ctx: Context, scheme: str, period: str, engine: str | None, out_file: Path | None,
        top: int, adjustments_file: Path | None, no_adjustments: bool, wait: float) -> None:
    from kaohe.engine import adjustments as adjust
    from kaohe.engine.run import run_scheme
    from kaohe.report import SUFFIXES, print_ranking, write_result

    if out_file is not None and out_file.suffix.lower() not in SUFFIXES:
        raise InputError(f"--out {out_file}: 不支持的格式 unsupported format; use {SUFFIXES}")
    if adjustments_file is not None and no_adjustments:
        raise InputError("--adjustments 与 --no-adjustments 不能同时使用 use one of them")
    if adjustments_file is not None and is_range(period):
        raise InputError(f"--adjustments 只用于单个期间 applies to one period, not the range "
                         f"{period}")
    # read before the store is opened: a bad file stops here, with every problem listed
    given = (adjust.read_file(adjustments_file) if adjustments_file is not None
             else adjust.NONE if no_adjustments else None)
    ws = open_workspace(ctx, wait)
    if is_range(period):  # spec §17: each period of the range, in order
        from kaohe.cli.ranges import run_range

        run_range(ws, scheme, period, engine, out_file, top, _progress)
        return
    with _progress() as bar:
        task = bar.add_task(escape(f"{scheme} {period}"), total=5)

        def step(message: str) -> None:
            bar.update(task, advance=1, description=escape(f"{scheme} {period}: {message}"))

        output = run_scheme(ws, scheme, period, engine=engine, progress=step,
                            adjustments=given)
        bar.update(task, completed=5)
    print_ranking(output.result, out, limit=top)
    n = sum(len(v) for v in output.result.adjustments.values())
    out.print(f"运行编号 run id: {escape(output.result.run_id)}")
    out.print(f"第 {output.result.revision} 版 revision {output.result.revision}"
              + (f"（含 {n} 项调整 with {n} adjustment(s)）" if n else ""))
    if out_file is not None:
        write_result(output.result, out_file)
        out.print(f"[green]✓[/] 已写入 written: {escape(str(out_file))}")
    warn_thin_data(ws, scheme, period)


def warn_thin_data(ws: Workspace, scheme: str, period: str) -> None:
    """Warn (after the ranking, where it is read) when the period's data is far below the
    previous periods' (workspace.completeness): the results are then not to be trusted."""
    from kaohe.periods import parse_period
    from kaohe.workspace.completeness import shortfalls

    s = ws.scheme(scheme)
    found = shortfalls(ws, s, parse_period(period, s.period))  # type: ignore[arg-type]
    if not found:
        return
    c = ws.settings.completeness
    err.print(f"[yellow]⚠ 数据可能不完整：{escape(str(period))} 有 {len(found)} 个数据源的数据量"
              f"低于此前 {c.periods} 期中位数的 {c.min_ratio:.0%}，本次结果可能不可信，"
              "请核对导入后再发布。[/]", soft_wrap=True)
    for f in found:
        err.print(f"[yellow]  - {escape(f.sentence())}[/]", soft_wrap=True)


@click.command(help="列出或导出某期的各版结果 list a period's revisions, or write one (spec §19)")
@click.argument("scheme")
@click.option("--period", "-p", required=True)
@click.option("--revision", type=int, default=None, help="第 N 版 revision N (default: latest)")
@click.option("--out", "out_file", type=click.Path(path_type=Path), default=None,
              help="写出该版 JSON write that revision as .json")
@click.pass_obj
def revisions(ctx: Context, scheme: str, period: str, revision: int | None,
              out_file: Path | None) -> None:
    import json

    from kaohe.engine.revisions import read_revision
    from kaohe.engine.revisions import revisions as list_revisions
    from kaohe.periods import parse_period
    from kaohe.workspace import Workspace

    ws = Workspace.open(ctx.workspace)
    p = str(parse_period(period, ws.scheme(scheme).period))  # type: ignore[arg-type]
    if out_file is not None or revision is not None:
        data = read_revision(ws.store, scheme, p, revision)
        if out_file is None:
            out.print_json(data=data)
            return
        if out_file.suffix.lower() != ".json":
            raise InputError(f"--out {out_file}: 只支持 .json only .json is supported here")
        out_file.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        out.print(f"[green]✓[/] 已写入第 {data['revision']} 版 revision written: "
                  f"{escape(str(out_file))}")
        return
    revs = list_revisions(ws.store, scheme, p)
    if not revs:
        raise InputError(f"方案 {scheme} {p} 尚无运行 no stored run; run it first")
    for r in revs:
        out.print(f"第 {r.revision} 版 revision {r.revision}  {r.finished_at:%Y-%m-%d %H:%M:%S}  "
                  f"{escape(r.run_id)}  调整 adjustments: {r.adjustments}"
                  + ("  ← 最新 latest" if r.latest else ""), highlight=False)


@click.command(help="解释某个对象的得分 explain an entity's points")
@click.argument("scheme")
@click.option("--period", "-p", required=True)
@click.option("--entity", "-e", required=True, help="人员或单位编号 person or unit id")
@click.option("--rows", type=int, default=0, help="显示 N 行明细 show N fact rows per source")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default=None)
@wait_option
@click.pass_obj
def explain(ctx: Context, scheme: str, period: str, entity: str, rows: int,
            engine: str | None, wait: float) -> None:
    from kaohe.cli.explaining import explain_entity

    explain_entity(open_workspace(ctx, wait), scheme, period, entity, rows, engine, out)


@click.command(help="列出预警对象 list the alerted entities of the latest stored run")
@click.argument("scheme")
@click.option("--period", "-p", required=True, help="2026-10 | 2026-Q4 | 2026 | 2026-10-15")
@click.pass_obj
def alerts(ctx: Context, scheme: str, period: str) -> None:
    from kaohe.alerts import from_store
    from kaohe.report.alerts_view import print_alerts
    from kaohe.workspace import Workspace

    found = from_store(Workspace.open(ctx.workspace), scheme, period)
    if not found.scheme.alerts:
        raise InputError(f"方案 {scheme} 未设预警等级 declares no alerts; add "
                         "alerts: [等级, …] to the scheme (spec §12)")
    title = f"{found.scheme.name} {found.period} 预警清单 (run {found.run_id})"
    print_alerts(found.rows, found.scheme.alerts, title, out)


@click.command(help="生成并运行演示工作区 build, run and report a realistic demo workspace")
@click.argument("directory", type=click.Path(path_type=Path), default=Path("demo-workspace"))
@click.option("--scale", type=float, default=1.0, show_default=True,
              help="数据规模 data scale (1.0 ≈ 2M transactions)")
@click.option("--seed", type=int, default=2026, show_default=True)
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default=None)
@click.option("--kind", type=click.Choice(["telecom", "power"]), default="telecom",
              show_default=True,
              help="演示类型 which demo: telecom 通信营业厅 | power 县供电公司 (docs/power-demo.md)")
def demo(directory: Path, scale: float, seed: int, engine: str | None, kind: str) -> None:
    if kind == "power":
        from kaohe.demo.power.runner import run_power_demo

        run_power_demo(directory, scale=scale, seed=seed, engine=engine, console=out,
                       progress=_progress)
        return
    from kaohe.demo import run_demo

    run_demo(directory, scale=scale, seed=seed, engine=engine, console=out, progress=_progress)


def _web_commands() -> list[click.Command]:
    from kaohe.cli.web import manage, serve

    return [serve, manage]


def _whatif() -> click.Command:
    from kaohe.cli.whatif import whatif

    return whatif


COMMANDS = [check, import_, run, revisions, explain, alerts, demo, *_web_commands(), _whatif()]
