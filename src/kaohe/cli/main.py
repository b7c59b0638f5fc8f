"""kaohe demo | check | import | run | explain.

Exit statuses (spec §5): 0 done, 2 bad input (usage, config, data), 1 anything else.
Every error is one clear message; ``--debug`` re-raises with the traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.text import Text

from kaohe.errors import KaoheError

F = TypeVar("F", bound=Callable[..., Any])
err = Console(stderr=True)
out = Console()


class Context:
    def __init__(self, workspace: Path, debug: bool) -> None:
        self.workspace = workspace
        self.debug = debug


@click.group(help="kaohe 考核 — 营业厅、员工与渠道考核 / assessment of service outlets, staff "
                  "and partners.")
@click.option("-w", "--workspace", type=click.Path(path_type=Path), default=Path("."),
              show_default=True, help="工作区目录 workspace folder")
@click.option("--debug", is_flag=True, help="出错时显示完整堆栈 show tracebacks")
@click.pass_context
def cli(ctx: click.Context, workspace: Path, debug: bool) -> None:
    ctx.obj = Context(workspace, debug)


def _register() -> None:
    from kaohe.cli import commands

    for command in commands.COMMANDS:
        cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    _register()
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="kaohe", standalone_mode=False)
    except click.exceptions.Abort:
        err.print("已取消 aborted")
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code or 2)
    except KaoheError as exc:
        if debug:
            raise
        # The message quotes user text (cells, file names, [column]): never read as markup.
        err.print(Text.assemble(("错误 error:", "bold red"), " ", str(exc)), highlight=False,
                  soft_wrap=True)
        sys.exit(exc.exit_status)
    except Exception as exc:  # anything unexpected: one line, status 1
        if debug:
            raise
        err.print(Text.assemble(("内部错误 internal error:", "bold red"),
                                f" {type(exc).__name__}: {exc}"), highlight=False, soft_wrap=True)
        err.print("使用 --debug 查看详情 rerun with --debug for the traceback")
        sys.exit(1)
    sys.exit(0)
