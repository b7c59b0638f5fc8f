"""Prepare the web database for the workspace: migrate, copy the org and the schemes, and (with
--demo) create the demo accounts and take every period the workspace has runs for: the runs
`kaohe demo` stored are adopted (runs/adopt.py), the others computed."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from kaohe.periods import parse_period
from kaohe.web.core.workspace import store_lock, workspace


def stored_periods() -> list[tuple[str, str]]:
    """(scheme, period) of every run the CLI stored in the workspace, oldest period first, so
    that monthly runs exist before the quarterly scheme reads them."""
    ws = workspace()
    if not ws.store.path.exists():
        return []
    with store_lock, ws.store.connect(read_only=True) as con:
        if not ws.store.has_table(con, "runs"):
            return []
        rows = con.execute("SELECT DISTINCT scheme, period FROM runs "
                           "WHERE status = 'done'").fetchall()
    kinds = {code: ws.scheme(code).period for code in ws.scheme_codes()}
    pairs = [(str(code), str(period)) for code, period in rows if code in kinds]
    # by the period's end: a quarter after its months (it is built from their results)
    return sorted(pairs, key=lambda p: (parse_period(p[1], kinds[p[0]]).end, p[0]))

class Command(BaseCommand):
    help = "migrate, sync the org and schemes from the workspace; --demo: accounts and runs"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--demo", action="store_true",
                            help="create the demo accounts and run every demo period")

    def handle(self, *args: Any, **options: Any) -> None:
        from kaohe.web.org.sync import sync_org
        from kaohe.web.schemes.services import sync_schemes

        call_command("migrate", verbosity=0, interactive=False)
        ws = workspace()
        units, people = sync_org(ws.org)
        schemes = sync_schemes(ws)
        self.stdout.write(f"组织 org: {units} units, {people} people; 方案 schemes: "
                          f"{', '.join(s.code for s in schemes)}")
        if options["demo"]:
            from kaohe.demo.runner import MARKER, is_demo_workspace

            if not is_demo_workspace(ws.root):
                raise CommandError(
                    f"{ws.root}: 不是 kaohe demo 生成的演示工作区（缺少 {MARKER}），不创建密码公开的"
                    f"演示账号 is not a workspace made by `kaohe demo`: no demo accounts")
            self._demo(schemes)

    def _demo(self, schemes: list[Any]) -> None:
        from django.contrib.auth import get_user_model

        from kaohe.web.accounts.demo import (
            BRANCH_SCHEME,
            DEMO_PASSWORD,
            create_branch_scheme,
            create_demo_accounts,
        )
        from kaohe.web.runs.adopt import adopt_stored, latest_stored
        from kaohe.web.runs.models import Run
        from kaohe.web.runs.services import create_run, execute_run

        for account in create_demo_accounts():
            self.stdout.write(f"  {account.username:<10} {account.role}  {account.what}")
        self.stdout.write(f"  密码 password: {DEMO_PASSWORD}")
        # the demo's runs are started and published by the demo admin, named on every page
        admin = get_user_model().objects.get(username="admin")
        branch = create_branch_scheme(admin)
        by_code = {s.code: s for s in schemes}
        pairs = stored_periods()
        stored = latest_stored()
        if branch is not None:
            # the branch's scheme over clerk_star's periods; its latest period is left for
            # the assessor to publish
            by_code[BRANCH_SCHEME] = branch
            star = [p for c, p in pairs if c == "clerk_star"]
            pairs += [(BRANCH_SCHEME, p) for p in star]
        for code, period in pairs:
            scheme = by_code[code]
            if Run.objects.filter(scheme=scheme, period=period, status=Run.Status.DONE).exists():
                continue
            # the run `kaohe demo` stored, when it was computed from this scheme text
            run = adopt_stored(scheme, period, stored=stored) or execute_run(
                create_run(scheme, period, admin).pk)
            self.stdout.write(f"  {code} {period}: {run.get_status_display()} {run.error}")
            if run.status == Run.Status.DONE and not (
                    code == BRANCH_SCHEME and period == pairs[-1][1]):  # the notices are out
                from django.utils import timezone
                run.published_at = timezone.now()
                run.published_by = admin
                run.save(update_fields=["published_at", "published_by"])
