"""The audit pages: who may read the change log, its filters, one entry field by field."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from viewtests import RoleMatrix, WorldTestCase

from kaohe.web.audit.middleware import acting_as
from kaohe.web.audit.models import ChangeLog
from kaohe.web.runs.models import Result

AUDITORS = {"admin": 200, "assessor": 200, "assessor_out": 200, "head": 403, "head_out": 403,
            "staff": 403, "staff_out": 403, "inspector": 403, "inspector_out": 403,
            "partner": 403, "partner_out": 403}


class AuditWorld(WorldTestCase):
    """The world plus one audited change: the assessor adjusts a result by 3.50."""

    entry: ChangeLog

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        result = Result.objects.get(pk=cls.world.result("hall_service", cls.world.hall.pk).pk)
        with acting_as(cls.world.users["assessor"]):
            result.adjustment = Decimal("3.50")
            result.save(update_fields=["adjustment"])
        cls.entry = ChangeLog.objects.get(object_type="runs.result", object_id=str(result.pk))


class ChangeLogListViewTests(RoleMatrix, AuditWorld):
    expect = AUDITORS

    def url(self) -> str:
        return reverse("audit:list")

    def must_show(self, name: str) -> list[str]:
        # a result of the in-scope branch: not for the other branch's assessor
        link = f'href="{reverse("audit:detail", args=[self.entry.pk])}"'
        return [] if name == "assessor_out" else [link]

    def must_hide(self, name: str) -> list[str]:
        link = f'href="{reverse("audit:detail", args=[self.entry.pk])}"'
        return [link] if name == "assessor_out" else []


class ChangeLogDetailViewTests(RoleMatrix, AuditWorld):
    expect = {**AUDITORS, "assessor_out": 404}  # an entry about another branch's result

    def url(self) -> str:
        return reverse("audit:detail", args=[self.entry.pk])

    def must_show(self, name: str) -> list[str]:
        return ["申诉调整", "0.00", "3.50", "assessor", "考核结果"]


class ChangeLogFilterTests(AuditWorld):
    def listed(self, query: str) -> bool:
        page = self.get_as("admin", reverse("audit:list") + "?" + query)
        self.assertEqual(page.status_code, 200)
        return f'href="{reverse("audit:detail", args=[self.entry.pk])}"' in page.content.decode()

    def test_filter_by_object_type(self) -> None:
        self.assertTrue(self.listed("object_type=runs.result"))
        self.assertFalse(self.listed("object_type=appeals.appeal"))

    def test_filter_by_user(self) -> None:
        self.assertTrue(self.listed("user=assessor"))
        self.assertTrue(self.listed("user=ASSESSOR"))
        self.assertFalse(self.listed("user=admin"))

    def test_filter_by_action(self) -> None:
        self.assertTrue(self.listed("action=update"))
        self.assertFalse(self.listed("action=delete"))

    def test_filter_by_local_date(self) -> None:
        # the entry's day in Asia/Shanghai, and the days around it
        day = timezone.localtime(self.entry.time).date()
        before, after = day - datetime.timedelta(days=1), day + datetime.timedelta(days=1)
        self.assertTrue(self.listed(f"date_from={day}&date_to={day}"))
        self.assertFalse(self.listed(f"date_to={before}"))
        self.assertFalse(self.listed(f"date_from={after}"))
        self.assertTrue(self.listed(f"date_from={before}&date_to={after}"))

    def test_an_invalid_filter_shows_nothing_and_says_why(self) -> None:
        query = "?date_from=2026-10-02&date_to=2026-10-01"
        page = self.get_as("admin", reverse("audit:list") + query)
        self.assertContains(page, "截止日期不能早于起始日期")
        self.assertFalse(self.listed("object_type=no.such"))

    def test_detail_lists_only_changed_fields(self) -> None:
        page = self.get_as("assessor", reverse("audit:detail", args=[self.entry.pk]))
        self.assertContains(page, 'title="adjustment"')
        self.assertNotContains(page, 'title="rank"')
        self.assertEqual(self.get_as("admin", reverse("audit:detail", args=[10**9])).status_code,
                         404)

    def test_appeal_entries_link_to_the_appeal(self) -> None:
        from kaohe.web.appeals.models import Appeal

        result = self.world.result("clerk_star", self.world.clerk.pk)
        with acting_as(self.world.users["staff"]):
            appeal = Appeal.objects.create(result=result, reason="漏计",
                                           filed_by=self.world.users["staff"])
        page = self.get_as("admin", reverse("audit:list") + "?object_type=appeals.appeal")
        self.assertContains(page, f'href="{reverse("appeals:detail", args=[appeal.pk])}"')


class AuditValueTests(WorldTestCase):
    def test_values_read_as_text(self) -> None:
        from kaohe.web.audit.templatetags.audit_tags import audit_value

        self.assertEqual(audit_value(None), "—")
        self.assertEqual(audit_value(""), "—")
        self.assertEqual(audit_value([{"item": "微笑"}]), '[{"item": "微笑"}]')
        # UTC in the snapshot, Asia/Shanghai (UTC+8) on the page
        self.assertEqual(audit_value("2026-11-27T04:08:40.039690+00:00"), "2026-11-27 12:08:40")
        self.assertEqual(audit_value("5.00"), "5.00")


class ReadableChangesTests(WorldTestCase):
    def test_choices_and_users_read_by_name(self) -> None:
        from kaohe.web.appeals.models import Appeal

        staff, assessor = self.world.users["staff"], self.world.users["assessor"]
        result = self.world.result("clerk_star", self.world.clerk.pk)
        appeal = Appeal.objects.create(result=result, reason="漏计", filed_by=staff)
        with acting_as(assessor):
            appeal.status, appeal.decided_by = Appeal.Status.REJECTED, assessor
            appeal.save()
        entry = ChangeLog.objects.get(object_type="appeals.appeal", object_id=str(appeal.pk),
                                      action="update")
        page = self.get_as("admin", reverse("audit:detail", args=[entry.pk]))
        self.assertContains(page, '<span class="del">待处理</span>')
        self.assertContains(page, '<span class="add">已驳回</span>')
        self.assertContains(page, '<span class="add">assessor</span>')
