"""The channels app (web/channels): the channel manager's partners, the partner's commission
statement, the customer warning list with its 已挽留 mark, the regime dashboards, the Excel
exports, and the S3/S4/S5/S9 schemes in the editor.

Who looks after which partner is read here from the workspace's org/units.csv (its
``channel_manager`` column), and which customers a manager owns and which numbers were clawed
back straight from the engine's store with SQL: never from the scope code under test.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any, ClassVar

import duckdb
import openpyxl
import pandas as pd
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.html import escape
from world import build_world

from kaohe.web.accounts.models import Profile
from kaohe.web.audit.models import ChangeLog
from kaohe.web.core.roles import Role
from kaohe.web.core.workspace import store_lock, workspace
from kaohe.web.data.models import DataLoad
from kaohe.web.org.models import Person, Unit
from kaohe.web.runs.models import Result, Run, Score
from kaohe.web.runs.services import create_run, execute_run
from kaohe.web.schemes.models import Scheme
from viewtests import WorldTestCase

PERIOD = "2026-09"
SCHEMES = ("card_audit", "yangka_watch", "channel_partner", "customer_churn")
PARTNER_KINDS = {"合作厅", "特约厅", "代理店"}
WARN = ("红色", "橙色", "黄色")


def store_rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    ws = workspace()
    with store_lock, duckdb.connect(str(ws.store.path), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def org_partners() -> dict[str, set[str]]:
    """{channel manager: partner unit ids} from the org file itself."""
    units = pd.read_csv(workspace().root / "org" / "units.csv", dtype=str,
                        keep_default_na=False)
    units = units[units["kind"].isin(PARTNER_KINDS) & (units["channel_manager"] != "")]
    out: dict[str, set[str]] = {}
    for uid, manager in zip(units["id"], units["channel_manager"], strict=True):
        out.setdefault(manager, set()).add(uid)
    return out


def user(name: str, role: str, person: Person | None = None, unit: Any = None) -> Any:
    u = get_user_model().objects.create_user(name, password="x-test-pw-1")
    Profile.objects.create(user=u, role=role, person=person, unit=unit)
    return u



def yuan(amount: Decimal) -> str:
    """Money as the pages write it: -¥1,710.00 (sign first, separators, to the fen)."""
    return f"{'-' if amount < 0 else ''}¥{abs(amount):,.2f}"

class ChannelsTests(WorldTestCase):
    managers: ClassVar[list[str]]
    partners: ClassVar[dict[str, set[str]]]

    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world(schemes=SCHEMES, period=PERIOD)
        w = cls.world
        cls.partners = org_partners()
        mine = next(m for m, units in cls.partners.items() if w.partner_hall.pk in units)
        other = next(m for m in sorted(cls.partners) if m != mine)
        cls.managers = [mine, other]
        w.users["cm"] = user("cm", Role.CHANNEL_MANAGER, Person.objects.get(pk=mine))
        w.users["cm_out"] = user("cm_out", Role.CHANNEL_MANAGER, Person.objects.get(pk=other))
        churn = w.runs["customer_churn"]
        # the two customer managers with the most warned customers (staff role)
        top = store_rows(
            "SELECT person_id, count(*) FROM run_entities WHERE run_id = ? AND grade IN "
            "(?, ?, ?) AND person_id IS NOT NULL GROUP BY person_id ORDER BY 2 DESC, 1 LIMIT 2",
            [churn.engine_run_id, *WARN])
        cls.cmgr_ids = [str(top[0][0]), str(top[1][0])]
        cls.cmgr_warned = int(top[0][1])
        for name, pid in zip(("cmgr", "cmgr_out"), cls.cmgr_ids, strict=True):
            p = Person.objects.get(pk=pid)
            w.users[name] = user(name, Role.STAFF, p, p.unit)
        # the partner with the most numbers clawed back by the audit
        audit = w.runs["card_audit"]
        cls.clawed_unit, cls.clawed_n = store_rows(
            "SELECT unit_id, count(*) FROM run_entities WHERE run_id = ? AND grade = '扣回' "
            "GROUP BY unit_id ORDER BY 2 DESC, 1 LIMIT 1", [audit.engine_run_id])[0]
        w.users["partner_clawed"] = user("partner_clawed", Role.PARTNER,
                                         unit=Unit.objects.get(pk=cls.clawed_unit))

    # --- 我的渠道 ---------------------------------------------------------------------------

    def test_channel_manager_sees_only_their_partners(self) -> None:
        html = self.get_as("cm", reverse("channels:partners")).content.decode()
        shown = set(re.findall(r'<tr data-id="([^"]+)"', html))
        self.assertEqual(shown, self.partners[self.managers[0]])
        self.assertFalse(shown & self.partners[self.managers[1]])
        # the commission total is the sum of the partners' payouts (engine results, in scope)
        paid = Result.objects.filter(run=self.world.runs["channel_partner"],
                                     unit_id__in=shown).values_list("payout", flat=True)
        self.assertIn(yuan(sum(paid, Decimal("0.00"))), html)

    def test_partners_page_roles(self) -> None:
        url = reverse("channels:partners")
        for name in ("partner", "staff", "head", "inspector"):
            self.assertEqual(self.get_as(name, url).status_code, 403, name)
        html = self.get_as("admin", url).content.decode()
        every = set().union(*self.partners.values())
        self.assertEqual(set(re.findall(r'<tr data-id="([^"]+)"', html)), every)

    def test_channel_manager_results_are_their_partners_only(self) -> None:
        run = self.world.runs["channel_partner"]
        html = self.get_as("cm", reverse("runs:ranking", args=[run.pk])).content.decode()
        inside = self.partners[self.managers[0]]
        for uid in self.partners[self.managers[1]]:
            self.assertNotIn(f"/entity/{uid}/", html)
        self.assertTrue(any(f"/entity/{uid}/" in html for uid in inside))

    # --- 酬金结算单 -----------------------------------------------------------------------------

    def test_statement_scope(self) -> None:
        mine = self.world.partner_hall.pk
        url = reverse("channels:statement", args=[mine])
        self.assertEqual(self.get_as("partner", url).status_code, 200)
        self.assertEqual(self.get_as("cm", url).status_code, 200)
        self.assertEqual(self.get_as("admin", url).status_code, 200)
        outside = ["partner_out", "cm_out", "staff"]
        if self.clawed_unit != mine:
            outside.append("partner_clawed")
        for name in outside:
            self.assertEqual(self.get_as(name, url).status_code, 404, name)
            self.assertEqual(self.get_as(name, reverse("channels:statement_xlsx",
                                                       args=[mine])).status_code, 404, name)

    def test_statement_lines_and_clawback(self) -> None:
        url = reverse("channels:statement", args=[self.clawed_unit])
        html = self.get_as("partner_clawed", url).content.decode()
        r = Result.objects.get(run=self.world.runs["channel_partner"], unit_id=self.clawed_unit)
        for name in r.payout_lines:
            self.assertIn(name, html)
        # hand arithmetic: 30 yuan clawed back per number the audit failed
        claw = Decimal(-30 * self.clawed_n)
        self.assertEqual(Decimal(str(r.payout_lines["养卡扣回"])), claw)
        self.assertIn(yuan(claw), html)
        # the payout is the sum of its lines, to the fen
        lines = sum((Decimal(str(v)) for v in r.payout_lines.values() if v is not None),
                    Decimal("0"))
        self.assertEqual(lines.quantize(Decimal("0.01")), r.payout)
        self.assertIn(yuan(r.payout), html)
        clawed = set(re.findall(r'/items/([^/"]+)/"', html))
        self.assertEqual(len(clawed), min(self.clawed_n, 50))

    def test_statement_xlsx(self) -> None:
        url = reverse("channels:statement_xlsx", args=[self.clawed_unit])
        response = self.get_as("partner_clawed", url)
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        sheet = book["酬金结算单"]
        header = [c.value for c in sheet[4]]
        row = [c.value for c in sheet[5]]
        self.assertEqual(row[0], PERIOD)
        r = Result.objects.get(run=self.world.runs["channel_partner"], unit_id=self.clawed_unit)
        self.assertEqual(row[header.index("养卡扣回")], -30 * self.clawed_n)
        self.assertAlmostEqual(row[header.index("应付酬金合计")], float(r.payout), places=2)
        claw = book["扣回号码明细"]
        self.assertEqual(claw.max_row - 2, self.clawed_n)
        for line in book.worksheets:
            for cells in line.iter_rows():
                for c in cells:
                    self.assertNotEqual(c.data_type, "f")

    # --- 客户预警清单 ---------------------------------------------------------------------------

    def test_warning_list_is_the_managers_own(self) -> None:
        html = self.get_as("cmgr", reverse("channels:warnings")).content.decode()
        self.assertIn(f"预警客户 {self.cmgr_warned} 个", html)
        mine = {str(r[0]) for r in store_rows(
            "SELECT entity_id FROM run_entities WHERE run_id = ? AND person_id = ?",
            [self.world.runs["customer_churn"].engine_run_id, self.cmgr_ids[0]])}
        shown = set(re.findall(r'<tr class="[^"]*" data-id="([^"]+)"', html))
        self.assertTrue(shown and shown <= mine)
        self.assertIn("48小时内", html)  # what to do next, per level
        self.assertEqual(self.get_as("inspector", reverse("channels:warnings")).status_code, 403)

    def test_warnings_xlsx(self) -> None:
        response = self.get_as("cmgr", reverse("channels:warnings_xlsx"))
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        self.assertEqual(sheet.max_row - 2, self.cmgr_warned)  # a title row, a header row
        self.assertEqual([c.value for c in sheet[2]][-2:], ["下一步", "已挽留"])

    def _warned_not_retained(self, person: str) -> str:
        return str(store_rows(
            "SELECT e.entity_id FROM run_entities e WHERE e.run_id = ? AND e.person_id = ? "
            "AND e.grade IN (?, ?, ?) AND e.entity_id NOT IN (SELECT customer_id FROM "
            "fact_retention_logs WHERE result = '挽留成功') ORDER BY 1 LIMIT 1",
            [self.world.runs["customer_churn"].engine_run_id, person, *WARN])[0][0])

    def _retained(self) -> dict[str, Score]:
        run = execute_run(create_run(Scheme.objects.get(code="manager_retention"), PERIOD,
                                     None).pk)
        self.assertEqual(run.status, Run.Status.DONE, run.error)
        r = Result.objects.get(run=run, entity_id=self.cmgr_ids[0])
        return {s.code: s for s in r.scores.all()}

    def test_retained_mark_scope_and_effect_on_next_run(self) -> None:
        churn = self.world.runs["customer_churn"]
        theirs = self._warned_not_retained(self.cmgr_ids[1])
        mine = self._warned_not_retained(self.cmgr_ids[0])
        before = self._retained()
        stored = DataLoad.objects.filter(source="retention_logs").count()
        # another manager's customer: not found, nothing stored
        post = {"day": "2026-09-30", "channel": "上门"}
        url = reverse("channels:retain", args=[churn.pk, theirs])
        self.assertEqual(self.post_as("cmgr", url, post).status_code, 404)
        for name in ("partner", "inspector", "cm"):
            self.assertEqual(self.post_as(name, url, post).status_code, 403, name)
        # a day outside the warned month .. today: refused, nothing stored
        url = reverse("channels:retain", args=[churn.pk, mine])
        self.post_as("cmgr", url, {"day": "2026-08-31", "channel": "上门"})
        self.assertEqual(DataLoad.objects.filter(source="retention_logs").count(), stored)
        try:
            self.assertEqual(self.post_as("cmgr", url, post).status_code, 302)
            load = DataLoad.objects.get(source="retention_logs", status=DataLoad.Status.STORED,
                                        file_name__contains=mine)
            self.assertEqual(load.rows, 1)
            self.assertTrue(ChangeLog.objects.filter(object_type="data.dataload",
                                                     object_id=str(load.pk)).exists())
            html = self.get_as("cmgr", reverse("channels:warnings")
                               + f"?q={mine}").content.decode()
            # marked twice: refused, still one row
            self.post_as("cmgr", url, post)
            self.assertEqual(store_rows("SELECT count(*) FROM fact_retention_logs WHERE "
                                        "customer_id = ? AND result = '挽留成功'", [mine]),
                             [(1,)])
            after = self._retained()
            # the engine counts it: one more retained customer of the same warned ones,
            # and the rate is retained / warned (manager_retention.yaml)
            self.assertEqual(after["retained"].value, before["retained"].value + 1)
            self.assertEqual(after["warned"].value, before["warned"].value)
            self.assertAlmostEqual(after["retention_rate"].value,
                                   (before["retained"].value + 1) / before["warned"].value)
            row = re.search(rf'data-id="{mine}">.*?</tr>', html, re.S)
            self.assertIsNotNone(row)
            self.assertIn('<span class="tag ok">已挽留</span>', row.group(0))
        finally:  # the session's shared workspace: take the row out again
            ws = workspace()
            with store_lock, ws.store.connect() as con:
                con.execute("DELETE FROM fact_retention_logs WHERE customer_id = ? AND log_id "
                            "LIKE 'WEB%'", [mine])

    # --- 专项看板 and the editor ----------------------------------------------------------------

    def test_dashboards(self) -> None:
        for regime in ("s3", "s4", "s5", "s9"):
            response = self.get_as("admin", reverse("channels:dashboard", args=[regime]))
            self.assertEqual(response.status_code, 200, regime)
            html = response.content.decode()
            self.assertNotIn("cdn", html.lower())
        html = self.get_as("admin", reverse("channels:dashboard", args=["s9"])).content.decode()
        self.assertIn('data-chart="', html)
        self.assertIn("vendor/echarts/echarts.min.js", html)
        # a channel manager's figures count their own partners only
        html = self.get_as("cm", reverse("channels:dashboard", args=["s9"])).content.decode()
        row = re.search(r'data-scheme="channel_partner">.*?<td class="num">(\d+)</td>', html,
                        re.S)
        self.assertIsNotNone(row)
        self.assertEqual(int(row.group(1)), len(self.partners[self.managers[0]]))
        self.assertEqual(self.get_as("partner", reverse("channels:dashboards")).status_code,
                         403)
        self.assertEqual(self.get_as("admin", reverse("channels:dashboard",
                                                      args=["s7"])).status_code, 404)

    def test_regime_schemes_in_the_editor(self) -> None:
        for code in ("big_customer_manager", "customer_churn", "group_manager",
                     "channel_partner"):
            scheme = Scheme.objects.get(code=code)
            url = reverse("schemes:edit", args=[code])
            response = self.get_as("admin", url)
            self.assertEqual(response.status_code, 200, code)
            self.assertIn(escape(scheme.current.text.splitlines()[-1]),
                          response.content.decode())
        # an edit is saved as a new version (then the original text again: shared workspace)
        scheme = Scheme.objects.get(code="channel_partner")
        original, number = scheme.current.text, scheme.current.number
        url = reverse("schemes:edit", args=["channel_partner"])
        edited = original.replace("name: 渠道星级考核与酬金", "name: 渠道星级考核与酬金（试行）", 1)
        response = self.post_as("admin", url, {"text": edited, "note": "试行", "base": number})
        self.assertEqual(response.status_code, 302)
        scheme.refresh_from_db()
        self.assertEqual(scheme.current.number, number + 1)
        self.assertIn("（试行）", (workspace().root / "schemes" / "channel_partner.yaml")
                      .read_text(encoding="utf-8"))
        response = self.post_as("admin", url, {"text": original, "note": "还原",
                                               "base": number + 1})
        self.assertEqual(response.status_code, 302)

    def test_demo_accounts_channel_and_customer_manager(self) -> None:
        from kaohe.web.accounts.demo import create_demo_accounts

        names = {a.username for a in create_demo_accounts()}
        self.assertTrue({"channel", "custmgr"} <= names)
        channel = Profile.objects.get(user__username="channel")
        partner = Profile.objects.get(user__username="partner")
        self.assertEqual(channel.role, Role.CHANNEL_MANAGER)
        self.assertIn(partner.unit_id, self.partners[channel.person_id])  # the org file's
        custmgr = Profile.objects.get(user__username="custmgr")
        self.assertEqual((custmgr.role, custmgr.person.position), (Role.STAFF, "客户经理"))
