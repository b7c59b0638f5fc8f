"""The run life cycle: who may list, start, follow and publish runs, and what each step does.

Runs are computed inline here (test settings); test_runs_lifecycle_thread.py starts them in the
background thread.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.test import override_settings
from django.urls import reverse
from world import build_world
from viewtests import USERS, RoleMatrix, WorldTestCase

from kaohe.web.runs.models import Result, Run
from kaohe.web.runs.views_runs import default_version
from kaohe.web.schemes.models import SchemeVersion

EVERYONE = {name: 200 for name in USERS}
RUNNERS = {name: (200 if name in ("admin", "assessor", "assessor_out") else 403)
           for name in USERS}
# The demo's schemes are company-wide: only admins run and publish them (roles.WHOLE_SCHEME);
# the assessors' own schemes are in tests/web/core/test_scope_writes.py.
PUBLISHERS = {name: (200 if name == "admin" else 403) for name in USERS}


class RunListMatrix(RoleMatrix, WorldTestCase):
    expect = EVERYONE

    def url(self) -> str:
        return reverse("runs:list")

    def _clerks_run(self) -> str:
        return f'href="{reverse("runs:detail", args=[self.world.runs["clerk_star"].pk])}"'

    # Inspectors and partners read outlets' results, never clerks': the clerks' scheme is not
    # in their list (a link there led to an empty page and a refused notice).
    def must_show(self, name: str) -> list[str]:
        hall = f'href="{reverse("runs:detail", args=[self.world.runs["hall_service"].pk])}"'
        if name.startswith(("inspector", "partner")):
            return [hall]
        if name.startswith("staff"):  # a clerk's own result is in the clerks' scheme only
            return [self._clerks_run()]
        return [self._clerks_run(), hall]

    def must_hide_staff(self) -> list[str]:
        return [f'href="{reverse("runs:detail", args=[self.world.runs["hall_service"].pk])}"']

    def must_hide(self, name: str) -> list[str]:
        if name.startswith("staff"):
            return self.must_hide_staff()
        return [self._clerks_run()] if name.startswith(("inspector", "partner")) else []


class RunDetailMatrix(RoleMatrix, WorldTestCase):
    expect = EVERYONE

    def url(self) -> str:
        return reverse("runs:detail", args=[self.world.runs["clerk_star"].pk])

    def must_show(self, name: str) -> list[str]:
        return ["营业员星级考核", "2026-09"]


class RunProgressMatrix(RoleMatrix, WorldTestCase):
    expect = EVERYONE

    def url(self) -> str:
        return reverse("runs:progress", args=[self.world.runs["hall_service"].pk])


class RunNewMatrix(RoleMatrix, WorldTestCase):
    expect = RUNNERS

    def url(self) -> str:
        return reverse("runs:new")


class RunNewPostMatrix(RoleMatrix, WorldTestCase):
    """An incomplete form: the form again (400) for those who may run, 403 for everyone else."""

    expect = {name: (400 if code == 200 else code) for name, code in RUNNERS.items()}
    method = "post"

    def url(self) -> str:
        return reverse("runs:new")


class RunPublishMatrix(RoleMatrix, WorldTestCase):
    expect = PUBLISHERS
    method = "post"

    def url(self) -> str:
        return reverse("runs:publish", args=[self.world.runs["clerk_star"].pk])

    def data(self) -> dict[str, Any]:
        return {"confirm": "1"}


class DownloadMatrix(RoleMatrix):
    """RoleMatrix for file downloads: the base suite decodes 200 pages as text."""

    def test_every_user_gets_the_expected_status(self) -> None:
        for name in USERS:
            with self.subTest(user=name):  # type: ignore[attr-defined]
                response = self.client_for(name).get(self.url())  # type: ignore[attr-defined]
                self.assertEqual(response.status_code, self.expect[name])  # type: ignore[attr-defined]
                if response.status_code == 200:
                    self.assertTrue(  # type: ignore[attr-defined]
                        response.content.startswith(b"PK\x03\x04"))  # a zip: xlsx


class NoticePublishedMatrix(DownloadMatrix, WorldTestCase):
    """Everyone may download the notice of a published run (their part of it), except staff:
    a unit scheme holds no result of theirs, and an empty notice is a 403, not an empty file."""

    expect = {**EVERYONE, "staff": 403, "staff_out": 403}

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        run = cls.world.runs["hall_service"]
        Run.objects.filter(pk=run.pk).update(published_at="2026-10-08T09:00:00+08:00",
                                             published_by=cls.world.users["admin"])

    def url(self) -> str:
        return reverse("runs:notice_xlsx", args=[self.world.runs["hall_service"].pk])


class NoticeDraftMatrix(DownloadMatrix, WorldTestCase):
    """A draft notice (run not published) exists only for those who may publish."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world(publish=False)

    expect: ClassVar[dict[str, int]] = {name: (200 if code == 200 else 404)
                                         for name, code in RUNNERS.items()}

    def url(self) -> str:
        return reverse("runs:notice_xlsx", args=[self.world.runs["hall_service"].pk])


class RunLifecycleTests(WorldTestCase):
    def scheme_run(self) -> Run:
        return self.world.runs["clerk_star"]

    def test_start_run_redirects_to_a_run_that_reaches_done(self) -> None:
        run = self.scheme_run()
        before = Run.objects.count()
        response = self.post_as("admin", reverse("runs:new"),
                                {"scheme": run.scheme_id, "period": "2026-08"})
        self.assertEqual(Run.objects.count(), before + 1)
        new = Run.objects.latest("pk")
        self.assertRedirects(response, reverse("runs:detail", args=[new.pk]))
        self.assertEqual((new.period, new.started_by), ("2026-08", self.world.users["admin"]))
        data = self.get_as("assessor", reverse("runs:progress", args=[new.pk])).json()
        self.assertEqual((data["status"], data["progress"], data["done"], data["error"]),
                         ("done", 100, True, ""))
        self.assertTrue(Result.objects.filter(run=new).exists())

    def test_period_must_match_the_schemes_period_kind(self) -> None:
        run = self.scheme_run()
        before = Run.objects.count()
        for bad in ("2026-Q3", "2026", "2026-13", "next month"):
            with self.subTest(period=bad):
                response = self.post_as("admin", reverse("runs:new"),
                                        {"scheme": run.scheme_id, "period": bad})
                self.assertEqual(response.status_code, 400)
                self.assertTrue(response.context["form"].errors["period"])
        self.assertEqual(Run.objects.count(), before)

    def test_default_version_is_the_periods_version_else_the_current_one(self) -> None:
        run = self.scheme_run()
        scheme, v1 = run.scheme, run.version
        v2 = SchemeVersion.objects.create(scheme=scheme, number=v1.number + 1,
                                          text=v1.text + "\n# v2\n", note="v2")
        scheme.current = v2
        scheme.save()
        self.assertEqual(default_version(scheme, "2026-09"), v1)  # already run with v1
        self.assertEqual(default_version(scheme, "2026-08"), v2)  # never run: current
        self.post_as("admin", reverse("runs:new"), {"scheme": scheme.pk, "period": "2026-09"})
        self.assertEqual(Run.objects.latest("pk").version, v1)
        self.post_as("admin", reverse("runs:new"),
                     {"scheme": scheme.pk, "period": "2026-09", "version": v2.pk})
        self.assertEqual(Run.objects.latest("pk").version, v2)
        page = self.get_as("admin", reverse("runs:new")).content.decode()
        self.assertIn("沿用其所用的版本", page)

    def test_version_of_another_scheme_is_refused(self) -> None:
        other = self.world.runs["hall_service"].version
        response = self.post_as("admin", reverse("runs:new"), {
            "scheme": self.scheme_run().scheme_id, "period": "2026-09", "version": other.pk})
        self.assertEqual(response.status_code, 400)
        self.assertTrue(response.context["form"].errors["version"])

    def test_a_failing_run_ends_failed_with_the_error_and_no_results(self) -> None:
        run = self.scheme_run()
        self.assertIn("source: quiz", run.version.text)
        bad = SchemeVersion.objects.create(
            scheme=run.scheme, number=99, note="broken",
            text=run.version.text.replace("source: quiz", "source: no_such_source"))
        response = self.post_as("admin", reverse("runs:new"), {
            "scheme": run.scheme_id, "period": "2026-09", "version": bad.pk})
        failed = Run.objects.latest("pk")
        self.assertRedirects(response, reverse("runs:detail", args=[failed.pk]))
        self.assertEqual(failed.status, Run.Status.FAILED)
        self.assertIn("no_such_source", failed.error)
        self.assertFalse(Result.objects.filter(run=failed).exists())
        data = self.get_as("admin", reverse("runs:progress", args=[failed.pk])).json()
        self.assertEqual((data["status"], data["done"]), ("failed", True))
        self.assertIn("no_such_source", data["error"])
        # a failed run is never published: staff do not see it (tests/web/core/test_scope_reads)
        self.assertEqual(self.get_as("staff", reverse("runs:progress", args=[failed.pk]))
                         .status_code, 404)
        page = self.get_as("admin", reverse("runs:detail", args=[failed.pk])).content.decode()
        self.assertIn("计算失败", page)
        self.assertIn("no_such_source", page)

    def test_list_filters(self) -> None:
        star, hall = self.world.runs["clerk_star"], self.world.runs["hall_service"]
        url = reverse("runs:list")

        def listed(query: dict[str, Any]) -> list[int]:
            return [r.pk for r in self.get_as("head", url, data=query).context["page"]]

        self.assertEqual(listed({"scheme": star.scheme_id}), [star.pk])
        self.assertEqual(sorted(listed({"period": "2026-09"})), sorted([star.pk, hall.pk]))
        self.assertEqual(listed({"period": "2026-08"}), [])
        self.assertEqual(listed({"status": "failed"}), [])
        self.assertEqual(sorted(listed({"status": "done"})), sorted([star.pk, hall.pk]))

    def test_detail_counts_only_results_in_scope(self) -> None:
        run = self.scheme_run()
        w = self.world
        expected = {
            "admin": Result.objects.filter(run=run).count(),
            "assessor": Result.objects.filter(run=run, unit__path__startswith=w.branch.path)
            .count(),
            "head": Result.objects.filter(run=run, unit=w.hall).count(),
            "staff": Result.objects.filter(run=run, entity_id=w.clerk.pk).count(),
        }
        self.assertEqual(expected["staff"], 1)
        self.assertLess(expected["assessor"], expected["admin"])
        for name, n in expected.items():
            with self.subTest(user=name):
                response = self.get_as(name, reverse("runs:detail", args=[run.pk]))
                self.assertEqual(response.context["summary"]["n"], n)
                self.assertEqual(sum(c for _g, c, _p in response.context["grades"]), n)


class PublishTests(WorldTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world(publish=False)

    def publish(self, user: str, run: Run, confirm: bool = True) -> Any:
        return self.post_as(user, reverse("runs:publish", args=[run.pk]),
                            {"confirm": "1"} if confirm else {}, follow=True)

    def test_publish_freezes_once(self) -> None:
        run = self.world.runs["clerk_star"]
        self.publish("admin", run)
        run.refresh_from_db()
        self.assertTrue(run.published)
        self.assertEqual(run.published_by, self.world.users["admin"])
        first = run.published_at
        response = self.publish("admin", run)
        self.assertContains(response, "不能重复发布")
        run.refresh_from_db()
        self.assertEqual((run.published_at, run.published_by),
                         (first, self.world.users["admin"]))

    def test_publish_needs_the_confirmation_and_post(self) -> None:
        run = self.world.runs["clerk_star"]
        response = self.publish("admin", run, confirm=False)
        self.assertContains(response, "请勾选确认")
        run.refresh_from_db()
        self.assertFalse(run.published)
        get = self.get_as("admin", reverse("runs:publish", args=[run.pk]))
        self.assertEqual(get.status_code, 405)

    def test_a_later_run_of_a_published_period_does_not_replace_it(self) -> None:
        from kaohe.web.runs.notice import effective_run

        run = self.world.runs["clerk_star"]
        self.publish("admin", run)
        self.post_as("admin", reverse("runs:new"), {"scheme": run.scheme_id, "period": run.period})
        later = Run.objects.latest("pk")
        self.assertEqual(later.status, Run.Status.DONE)
        self.assertEqual(effective_run(run.scheme_id, run.period), run)
        response = self.publish("admin", later)
        self.assertContains(response, f"本考核期已发布运行 #{run.pk}")
        later.refresh_from_db()
        self.assertFalse(later.published)
        listing = self.get_as("admin", reverse("runs:list")).context
        self.assertIn(run.pk, listing["effective"])
        self.assertNotIn(later.pk, listing["effective"])

    def test_a_failed_run_cannot_be_published(self) -> None:
        run = self.world.runs["clerk_star"]
        Run.objects.filter(pk=run.pk).update(status=Run.Status.FAILED)
        response = self.publish("admin", run)
        self.assertContains(response, "只有已完成的运行可以发布")
        run.refresh_from_db()
        self.assertFalse(run.published)

    @override_settings(KAOHE_NOTICE_FONT="/nonexistent/NotoSansCJK-Regular.ttc")
    def test_a_missing_font_is_named_with_its_package(self) -> None:
        run = self.world.runs["clerk_star"]
        response = self.get_as("admin", reverse("runs:notice_pdf", args=[run.pk]), follow=True)
        self.assertContains(response, "fonts-noto-cjk")
