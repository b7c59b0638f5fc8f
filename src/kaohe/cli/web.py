"""kaohe serve | kaohe manage: the web application over a workspace."""

from __future__ import annotations

import os
from pathlib import Path

import click

SERVE_CONN_MAX_AGE = 600  # seconds a server thread reuses its database connection


def _django(workspace: Path, demo: bool = False) -> None:
    os.environ["KAOHE_WORKSPACE"] = str(workspace.resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaohe.web.settings")
    if demo:
        os.environ.setdefault("KAOHE_DEMO", "1")
    if not (os.environ.get("KAOHE_SECRET_KEY") or os.environ.get("KAOHE_DEBUG") == "1"
            or os.environ.get("KAOHE_DEMO") == "1"):
        from kaohe.errors import ConfigError

        raise ConfigError("未设置 KAOHE_SECRET_KEY: set KAOHE_SECRET_KEY to a long random secret "
                          "(docs/operations.md), or use --demo for the demo")
    import django

    django.setup()


@click.command(help="网页服务 serve the web application for the workspace")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--demo", is_flag=True, help="演示账号并计算各期 demo accounts and runs")
@click.option("--setup-only", is_flag=True, help="只准备数据库不启动 prepare, do not serve")
@click.pass_obj
def serve(ctx: object, host: str, port: int, demo: bool, setup_only: bool) -> None:
    workspace: Path = ctx.workspace  # type: ignore[attr-defined]
    # The server's threads keep their database connections (docs/performance.md).
    os.environ.setdefault("KAOHE_DB_CONN_MAX_AGE", str(SERVE_CONN_MAX_AGE))
    _django(workspace, demo)
    from django.core.management import call_command

    call_command("kaohe_setup", demo=demo)
    if setup_only:
        return
    from waitress import serve as waitress_serve

    from kaohe.web.wsgi import application

    click.echo(f"kaohe 网页 web: http://{host}:{port}/  (Ctrl+C 停止 stops)")
    from django.conf import settings

    # waitress buffers a request body before Django sees it: cap it near the upload limit.
    waitress_serve(application, host=host, port=port, threads=8,
                   max_request_body_size=settings.KAOHE_MAX_UPLOAD_BYTES + 1024 * 1024)


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
               help="Django 管理命令 run a Django management command (migrate, createsuperuser…)")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.pass_obj
def manage(ctx: object, args: tuple[str, ...]) -> None:
    _django(ctx.workspace)  # type: ignore[attr-defined]
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kaohe manage", *args])
