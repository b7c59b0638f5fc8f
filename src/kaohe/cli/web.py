"""kaohe serve | kaohe manage: the web application over a workspace."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click

SERVE_CONN_MAX_AGE = 600  # seconds a server thread reuses its database connection


def _django(workspace: Path, demo: bool = False) -> None:
    """Point Django at ``workspace`` and start it; refuse a weak secret key (exit 2).

    ``demo``: the workspace must have been made by ``kaohe demo`` (its marker file), because the
    demo creates accounts whose password is published; without ``KAOHE_SECRET_KEY`` the demo
    server gets a random key for this process. ``KAOHE_DEMO`` is not read: no variable alone
    turns a server into a demo."""
    from kaohe.errors import ConfigError
    from kaohe.web import secret_key

    os.environ["KAOHE_WORKSPACE"] = str(workspace.resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaohe.web.settings")
    if demo:
        from kaohe.demo.runner import MARKER, is_demo_workspace

        if not is_demo_workspace(workspace):
            raise ConfigError(
                f"{workspace}: 不是 kaohe demo 生成的演示工作区（缺少 {MARKER}），--demo 会创建"
                f"密码公开的演示账号，已拒绝 is not a workspace made by `kaohe demo` (no "
                f"{MARKER}); --demo would create accounts with the published password. "
                f"Serve it without --demo, with KAOHE_SECRET_KEY set (docs/operations.md)")
        if not os.environ.get("KAOHE_SECRET_KEY"):
            os.environ["KAOHE_SECRET_KEY"] = secrets.token_urlsafe(50)
    key = os.environ.get("KAOHE_SECRET_KEY", "")
    if key or os.environ.get("KAOHE_DEBUG") != "1":  # development alone may go without a key
        problem = secret_key.problem(key)
        if problem is not None:
            raise ConfigError(problem)
    import django

    django.setup()


@click.command(help="网页服务 serve the web application for the workspace")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--demo", is_flag=True,
              help="演示：创建演示账号并计算各期（仅限 kaohe demo 生成的工作区） demo accounts "
                   "and runs, only on a workspace made by `kaohe demo`")
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
