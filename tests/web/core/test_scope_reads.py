"""What each role reads of runs that are not out yet, of the audit log and of notices, and the
headers of signed-in pages.

- drafts and failed runs are for admins and assessors (roles.SEES_DRAFTS), a failed run's error
  for admins only (roles.READS_ERRORS): it can quote data values;
- the audit log shows an assessor the entries of objects in their scope only;
- a notice the reader could not open as a page is a 403, never an empty file;
- every response to a signed-in user carries ``Cache-Control: private, no-store``.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any, ClassVar

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from scope_world import add_branch_schemes, private_workspace  # noqa: F401 (module fixture)
from viewtests import USERS, WorldTestCase

from kaohe.web.appeals.models import Appeal, Attachment
from kaohe.web.appeals.services import decide_appeal, file_appeal
from kaohe.web.audit.models import ChangeLog
from kaohe.web.core.files import KINDS
from kaohe.web.data.models import DataLoad
from kaohe.web.runs.models import ERROR_WITHHELD, Run

pytestmark = pytest.mark.usefixtures("private_workspace")

# Pretend engine words: the kind of value an error can quote.
SECRET_VALUE = "客户13800138000"
MANAGERS = {"admin", "assessor", "assessor_out"}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


class ScopeReadWorld(WorldTestCase):
    draft: ClassVar[Run]
    failed: ClassVar[Run]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.draft, _other = add_branch_schemes(cls.world)
        scheme = cls.world.runs["hall_service"].scheme
        cls.failed = Run.objects.create(
            scheme=scheme, version=scheme.current, period="2026-08", status=Run.Status.FAILED,
            error=f"无法转换 cannot convert '{SECRET_VALUE}' to a number")


class DraftAndFailedRunTests(ScopeReadWorld):
    def test_only_managers_see_drafts_and_failed_runs(self) -> None:
        for run in (self.draft, self.failed):
            for url in (reverse("runs:detail", args=[run.pk]),
                        reverse("runs:progress", args=[run.pk])):
                for name in USERS:
                    with self.subTest(url=url, user=name):
                        want = 200 if name in MANAGERS else 404
                        self.assertEqual(self.get_as(name, url).status_code, want)

    def test_the_run_list_holds_published_runs_only_for_the_others(self) -> None:
        for name in USERS:
            # a published run each user holds a result of (staff: only the clerks' scheme)
            code = "clerk_star" if name.startswith("staff") else "hall_service"
            published = reverse("runs:detail", args=[self.world.runs[code].pk])
            with self.subTest(user=name):
                page = self.get_as(name, reverse("runs:list")).content.decode()
                self.assertIn(f'href="{published}"', page)
                for run in (self.draft, self.failed):
                    link = f'href="{reverse("runs:detail", args=[run.pk])}"'
                    self.assertEqual(link in page, name in MANAGERS)

    def test_a_failed_runs_error_is_for_admins(self) -> None:
        url = reverse("runs:detail", args=[self.failed.pk])
        self.assertContains(self.get_as("admin", url), SECRET_VALUE)
        progress = self.get_as("admin", reverse("runs:progress", args=[self.failed.pk])).json()
        self.assertIn(SECRET_VALUE, progress["error"])
        for name in ("assessor", "assessor_out"):
            with self.subTest(user=name):
                page = self.get_as(name, url)
                self.assertNotContains(page, SECRET_VALUE)
                self.assertContains(page, str(ERROR_WITHHELD))
                progress = self.get_as(name, reverse("runs:progress",
                                                     args=[self.failed.pk])).json()
                self.assertEqual(progress["error"], str(ERROR_WITHHELD))

    def test_a_draft_run_is_published_only_by_its_schemes_assessor(self) -> None:
        page = self.get_as("assessor", reverse("runs:detail", args=[self.draft.pk]))
        self.assertContains(page, reverse("runs:publish", args=[self.draft.pk]))
        page = self.get_as("assessor_out", reverse("runs:detail", args=[self.draft.pk]))
        self.assertNotContains(page, reverse("runs:publish", args=[self.draft.pk]))
        self.assertContains(page, "须由考核管理员发布")


class NoticeTests(ScopeReadWorld):
    """A published run's notice: 200 with rows for those who see its results, 403 for the
    others (before: 200 with an empty workbook)."""

    def rows(self, response: Any) -> int:
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        return sum(ws.max_row or 0 for ws in book.worksheets)

    def test_notice_downloads(self) -> None:
        person = {"admin": 200, "assessor": 200, "assessor_out": 200, "head": 200,
                  "head_out": 200, "staff": 200, "staff_out": 200, "inspector": 403,
                  "inspector_out": 403, "partner": 403, "partner_out": 403}
        unit = {**{name: 200 for name in USERS}, "staff": 403, "staff_out": 403}
        for code, expect in (("clerk_star", person), ("hall_service", unit)):
            run = self.world.runs[code]
            for view in ("runs:notice_xlsx", "runs:notice_pdf"):
                for name in USERS:
                    with self.subTest(code=code, view=view, user=name):
                        response = self.get_as(name, reverse(view, args=[run.pk]))
                        self.assertEqual(response.status_code, expect[name])
                        if view == "runs:notice_xlsx" and expect[name] == 200:
                            self.assertGreater(self.rows(response), 10)

    def test_a_draft_notice_is_for_managers(self) -> None:
        for name in USERS:
            with self.subTest(user=name):
                response = self.get_as(name, reverse("runs:notice_xlsx", args=[self.draft.pk]))
                # the other branch's assessor sees no result of this branch's run
                want = {"admin": 200, "assessor": 200, "assessor_out": 403}.get(name, 404)
                self.assertEqual(response.status_code, want)


class AuditScopeTests(ScopeReadWorld):
    """The audit log shows an assessor the history of what their scope holds, nothing else."""

    mine: ClassVar[Appeal]
    theirs: ClassVar[Appeal]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        w = cls.world
        pdf = KINDS[0]
        cls.mine = file_appeal(w.users["staff"], w.result("clerk_star", w.clerk.pk).pk,
                               indicator="", reason="漏计",
                               files=[(SimpleUploadedFile("a.pdf", PDF), pdf)])
        cls.theirs = file_appeal(w.users["staff_out"],
                                 w.result("clerk_star", w.other_clerk.pk).pk, indicator="",
                                 reason="错算", files=[(SimpleUploadedFile("b.pdf", PDF), pdf)])
        # accepted by the admin: the results' totals change, and the change is logged
        for appeal in (cls.mine, cls.theirs):
            decide_appeal(w.users["admin"], appeal.pk, accept=True,
                          points=Decimal("1.5"), reason="核实")

    def entries(self, appeal: Appeal) -> list[ChangeLog]:
        attachments = [str(a) for a in Attachment.objects.filter(appeal=appeal)
                       .values_list("pk", flat=True)]
        out = list(ChangeLog.objects.filter(object_type="appeals.appeal",
                                            object_id=str(appeal.pk)))
        out += ChangeLog.objects.filter(object_type="appeals.attachment",
                                        object_id__in=attachments)
        out += ChangeLog.objects.filter(object_type="runs.result",
                                        object_id=str(appeal.result_id))
        return out

    def test_each_assessor_reads_their_branchs_entries_only(self) -> None:
        mine, theirs = self.entries(self.mine), self.entries(self.theirs)
        # filed, decided; the attachment; the result's adjusted total
        self.assertEqual(sorted({e.object_type for e in mine}),
                         ["appeals.appeal", "appeals.attachment", "runs.result"])
        self.assertEqual(len(theirs), len(mine))
        for name, visible, hidden in (("assessor", mine, theirs),
                                      ("assessor_out", theirs, mine),
                                      ("admin", mine + theirs, [])):
            listed = set()
            for object_type in ("appeals.appeal", "appeals.attachment", "runs.result"):
                page = self.get_as(name, reverse("audit:list") + f"?object_type={object_type}")
                listed |= {e.pk for e in mine + theirs
                           if f'href="{reverse("audit:detail", args=[e.pk])}"'
                           in page.content.decode()}
            with self.subTest(user=name):
                self.assertEqual(listed, {e.pk for e in visible})
                for e in visible:
                    self.assertEqual(self.get_as(name, reverse("audit:detail",
                                                               args=[e.pk])).status_code, 200)
                for e in hidden:
                    self.assertEqual(self.get_as(name, reverse("audit:detail",
                                                               args=[e.pk])).status_code, 404)

    def test_loads_and_inspections_of_another_branch_are_not_in_the_log(self) -> None:
        w = self.world
        loads = {hall: DataLoad.objects.create(source="quiz", status=DataLoad.Status.STORED,
                                               via=DataLoad.Via.FORM, unit=hall,
                                               loaded_by=w.users["admin"])
                 for hall in (w.hall, w.other_hall)}
        for hall, name, other in ((w.hall, "assessor", w.other_hall),
                                  (w.other_hall, "assessor_out", w.hall)):
            mine = ChangeLog.objects.get(object_type="data.dataload",
                                         object_id=str(loads[hall].pk))
            theirs = ChangeLog.objects.get(object_type="data.dataload",
                                           object_id=str(loads[other].pk))
            with self.subTest(user=name):
                page = self.get_as(name, reverse("audit:list") + "?object_type=data.dataload")
                self.assertContains(page, f'href="{reverse("audit:detail", args=[mine.pk])}"')
                self.assertNotContains(page,
                                       f'href="{reverse("audit:detail", args=[theirs.pk])}"')
                self.assertEqual(self.get_as(name, reverse("audit:detail", args=[theirs.pk]))
                                 .status_code, 404)

    def test_the_others_have_no_audit_log(self) -> None:
        for name in set(USERS) - MANAGERS:
            with self.subTest(user=name):
                self.assertEqual(self.get_as(name, reverse("audit:list")).status_code, 403)

    def test_a_failed_runs_error_is_withheld_in_the_log(self) -> None:
        entry = ChangeLog.objects.get(object_type="runs.run", object_id=str(self.failed.pk))
        url = reverse("audit:detail", args=[entry.pk])
        self.assertContains(self.get_as("admin", url), SECRET_VALUE)
        page = self.get_as("assessor", url)
        self.assertNotContains(page, SECRET_VALUE)
        self.assertContains(page, "仅考核管理员可见")


class NoStoreTests(ScopeReadWorld):
    def test_signed_in_responses_are_never_stored(self) -> None:
        run = self.world.runs["clerk_star"]
        for name in ("admin", "staff", "partner"):
            for url in (reverse("core:dashboard"), reverse("runs:list"),
                        reverse("runs:notice_xlsx", args=[run.pk]),
                        reverse("runs:detail", args=[999999])):
                with self.subTest(user=name, url=url):
                    response = self.get_as(name, url)
                    cache = response.get("Cache-Control", "")
                    self.assertIn("no-store", cache)
                    self.assertIn("private", cache)

    def test_logging_out_is_not_stored_either(self) -> None:
        client = self.client_for("staff")
        response = client.post(reverse("accounts:logout"))
        self.assertIn("no-store", response.get("Cache-Control", ""))

    def test_static_files_keep_their_caching(self) -> None:
        client = Client()
        client.force_login(self.world.users["admin"])
        response = client.get("/static/kaohe/kaohe.css")
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("no-store", response.get("Cache-Control", ""))
