"""Data checks before publishing: a run on a period whose data is missing warns on its page,
its whole tied groups are named in the ranking, and it is published only with a reason, which
the audit log keeps. Progress steps are shown in one language.

The demo holds three months of facts up to 2026-09; 2026-10 has none. So clerk_star for
2026-10 reads 0 rows from every source it uses, while 2026-07..09 had data: every one of its
stored sources is short. With no facts every clerk gets the same total, so every county's
group ties.
"""

from __future__ import annotations

from typing import Any

from django.test import TestCase
from django.urls import reverse
from django.utils import translation
from viewtests import WorldTestCase
from world import build_world

from kaohe.web.audit.models import ChangeLog
from kaohe.web.core.workspace import workspace
from kaohe.web.runs import services
from kaohe.web.runs.models import Result, Run
from kaohe.web.runs.services import create_run, execute_run
from kaohe.web.schemes.models import Scheme
from kaohe.workspace.sources import RESULTS_PREFIX


class DataChecksTests(WorldTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world(schemes=("clerk_star",), publish=False)
        scheme = Scheme.objects.get(code="clerk_star")
        cls.thin = execute_run(create_run(scheme, "2026-10", None).pk)
        assert cls.thin.status == Run.Status.DONE, cls.thin.error

    def publish(self, run: Run, **data: str) -> Any:
        return self.post_as("admin", reverse("runs:publish", args=[run.pk]),
                            {"confirm": "1", **data}, follow=True)

    def test_a_run_on_missing_data_keeps_its_shortfalls(self) -> None:
        ws = workspace()
        read = {s for s in ws.scheme("clerk_star").sources if not s.startswith(RESULTS_PREFIX)}
        warned = {w["source"] for w in self.thin.data_warnings}
        self.assertEqual(warned, read)
        self.assertTrue(all(w["rows"] == 0 for w in self.thin.data_warnings))
        # the complete month has none
        self.assertEqual(self.world.runs["clerk_star"].data_warnings, [])

    def test_the_run_page_warns_those_who_publish(self) -> None:
        url = reverse("runs:detail", args=[self.thin.pk])
        page = self.get_as("admin", url).content.decode()
        self.assertIn("数据可能不完整", page)
        self.assertIn("2026-10 没有任何数据", page)
        self.assertIn("整组同分", page)
        self.assertIn('name="reason"', page)  # the override replaces the bare checkbox
        # an assessor reads which sources, without the company-wide counts
        page = self.get_as("assessor", url).content.decode()
        self.assertIn("数据可能不完整", page)
        self.assertNotIn("通常有", page)
        complete = self.get_as("admin", reverse("runs:detail", args=[
            self.world.runs["clerk_star"].pk])).content.decode()
        self.assertNotIn("数据可能不完整", complete)
        self.assertNotIn('name="reason"', complete)

    def test_the_ranking_names_whole_tied_groups(self) -> None:
        # every county group: all its clerks at one total (checked from the stored results)
        groups = {}
        for r in Result.objects.filter(run=self.thin):
            groups.setdefault(r.group_key, set()).add(r.total)
        self.assertTrue(groups and all(len(t) == 1 for t in groups.values()))
        page = self.get_as("admin", reverse("runs:ranking", args=[self.thin.pk])).content.decode()
        self.assertIn("整组同分", page)
        self.assertIn(f"{len(groups)} 个分组内所有对象总分相同", page)
        normal = self.get_as("admin", reverse("runs:ranking", args=[
            self.world.runs["clerk_star"].pk])).content.decode()
        self.assertNotIn("整组同分", normal)

    def test_publishing_needs_a_reason_and_the_audit_log_keeps_it(self) -> None:
        response = self.publish(self.thin)
        self.assertContains(response, "请写明发布理由")
        self.assertContains(self.publish(self.thin, reason="好"), "请写明发布理由")  # too short
        self.thin.refresh_from_db()
        self.assertFalse(self.thin.published)
        reason = "十月数据延迟，先发布供各县核对"
        self.publish(self.thin, reason=reason)
        self.thin.refresh_from_db()
        self.assertTrue(self.thin.published)
        self.assertEqual(self.thin.publish_reason, reason)
        entry = ChangeLog.objects.filter(object_type="runs.run", object_id=str(self.thin.pk),
                                         action="update").order_by("-pk").first()
        self.assertEqual((entry.after or {}).get("publish_reason"), reason)
        self.assertEqual(entry.user, self.world.users["admin"])
        page = self.get_as("admin", reverse("runs:detail", args=[self.thin.pk])).content.decode()
        self.assertIn(reason, page)

    def test_the_engines_bilingual_step_is_kept_in_chinese(self) -> None:
        services._progress(self.thin.pk)("计算 computing on duckdb")
        self.thin.refresh_from_db()
        self.assertEqual((self.thin.message, self.thin.progress), ("计算中", 45))
        with translation.override("en"):
            got = self.get_as("admin", reverse("runs:progress", args=[self.thin.pk])).json()
        self.assertEqual(got["message"], "计算中")  # the request's language: zh-Hans default
        client = self.client_for("admin")
        client.cookies["django_language"] = "en"
        got = client.get(reverse("runs:progress", args=[self.thin.pk])).json()
        self.assertEqual(got["message"], "Computing")

    def test_a_complete_run_publishes_with_the_confirmation_only(self) -> None:
        run = self.world.runs["clerk_star"]
        self.publish(run)
        run.refresh_from_db()
        self.assertTrue(run.published)
        self.assertEqual(run.publish_reason, "")


class ProgressStepTests(TestCase):
    """The engine's steps are bilingual for the terminal ("计算 computing on duckdb"); the web
    keeps the step's Chinese name and shows it in the reader's language."""

    def test_steps_in_one_language(self) -> None:
        self.assertEqual([label for _key, _pct, label in services.STEPS],
                         ["编译方案", "准备组织与人员", "计算中", "保存结果"])
        with translation.override("zh-hans"):
            self.assertEqual(services.step_label("计算中"), "计算中")
        with translation.override("en"):
            self.assertEqual(services.step_label("计算中"), "Computing")
            self.assertEqual(services.step_label("完成"), "Done")
            self.assertEqual(services.step_label(services.WAITING),
                             "Waiting: another run or import is using the store")
