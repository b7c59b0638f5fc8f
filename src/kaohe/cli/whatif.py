"""``kaohe whatif SCHEME --draft FILE.yaml --periods 2026-07..2026-10``: a draft scheme run over
past periods, compared with the stored runs (engine/whatif.py). Nothing is stored."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.markup import escape

from kaohe.cli.commands import open_workspace, wait_option
from kaohe.cli.main import Context, err, out
from kaohe.errors import InputError

SUFFIXES = (".xlsx", ".json")


@click.command(help="方案试算：用草稿重算过去的期间并与已存运行对比，不保存任何结果 "
                    "back-test a draft scheme on past periods against the stored runs "
                    "(stores nothing)")
@click.argument("scheme")
@click.option("--draft", "draft_file", required=True, type=click.Path(path_type=Path),
              help="草稿方案文件 the draft scheme's YAML")
@click.option("--periods", "-p", required=True,
              help="期间或期间范围 a period or a range: 2026-10 | 2026-07..2026-10")
@click.option("--out", "out_file", type=click.Path(path_type=Path), default=None,
              help="导出 .xlsx（Excel）或 .json")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出到终端 print JSON")
@click.option("--top", type=int, default=20, show_default=True,
              help="变动名单显示前 N 行 mover rows shown")
@wait_option
@click.pass_obj
def whatif(ctx: Context, scheme: str, draft_file: Path, periods: str, out_file: Path | None,
           as_json: bool, top: int, wait: float) -> None:
    from kaohe.engine.whatif import load_draft, what_if
    from kaohe.report.whatif import print_whatif, to_json, write_xlsx

    if out_file is not None and out_file.suffix.lower() not in SUFFIXES:
        raise InputError(f"--out {out_file}: 不支持的格式 unsupported format; use "
                         + " or ".join(SUFFIXES))
    ws = open_workspace(ctx, wait)
    ws.scheme(scheme)  # an unknown scheme is named before the draft is read
    draft = load_draft(str(draft_file), scheme)
    with err.status(escape(f"试算 {scheme} {periods} …")) as status:
        result = what_if(ws, scheme, draft, periods,
                         progress=lambda m: status.update(escape(f"试算 {scheme} {m}")))
    if as_json:
        click.echo(json.dumps(to_json(result), ensure_ascii=False, indent=1, default=str))
    else:
        print_whatif(result, out, top)
    if out_file is not None:
        if out_file.suffix.lower() == ".xlsx":
            write_xlsx(result, out_file)
        else:
            out_file.write_text(json.dumps(to_json(result), ensure_ascii=False, indent=1,
                                           default=str), encoding="utf-8")
        err.print(f"[green]✓[/] 已写入 written: {escape(str(out_file))}")
