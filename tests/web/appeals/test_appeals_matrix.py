"""Every appeals view for anonymous users and every user of the world (viewtests.RoleMatrix).

Who may do what is documented in kaohe.web.appeals.views: staff file for themselves (admins on
anyone's behalf); admin, assessor, head and staff read appeals in scope; inspectors and partners
have no part in appeals (403); assessors in scope and admins decide.
"""

from __future__ import annotations

from typing import Any

from appeals_helpers import PDF, TemporaryMedia, fresh_appeal, staff_result, upload
from django.urls import reverse
from viewtests import USERS, RoleMatrix, WorldTestCase

from kaohe.web.appeals.models import Appeal, Attachment
from kaohe.web.appeals.services import file_appeal
from kaohe.web.core.files import KINDS

NO_PART = {"inspector": 403, "inspector_out": 403, "partner": 403, "partner_out": 403}
READERS = {"admin": 200, "assessor": 200, "assessor_out": 404, "head": 200, "head_out": 404,
           "staff": 200, "staff_out": 404, **NO_PART}
DECIDERS = {"admin": 200, "assessor": 200, "assessor_out": 404, "head": 403, "head_out": 403,
            "staff": 403, "staff_out": 403, **NO_PART}


class AppealsWorld(TemporaryMedia, WorldTestCase):
    """The world plus an appeal with a PDF by "staff" and an appeal by "staff_out"."""

    mine: Appeal
    theirs: Appeal
    attachment: Attachment

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        w = cls.world
        cls.mine = file_appeal(w.users["staff"], staff_result(w).pk, indicator="", reason="漏计",
                               files=[(upload("证明.pdf", PDF), KINDS[0])])
        cls.attachment = cls.mine.attachments.get()
        other = w.result("clerk_star", w.other_clerk.pk)
        cls.theirs = file_appeal(w.users["staff_out"], other.pk, indicator="", reason="错算",
                                 files=[])


class AppealNewViewTests(RoleMatrix, AppealsWorld):
    expect = {"admin": 200, "assessor": 403, "assessor_out": 403, "head": 403, "head_out": 403,
              "staff": 200, "staff_out": 404, **NO_PART}

    def url(self) -> str:
        return reverse("appeals:new", args=[staff_result(self.world).pk])


class AppealListViewTests(RoleMatrix, AppealsWorld):
    expect = {"admin": 200, "assessor": 200, "assessor_out": 200, "head": 200, "head_out": 200,
              "staff": 200, "staff_out": 200, **NO_PART}

    def url(self) -> str:
        return reverse("appeals:list")

    def _links(self) -> tuple[str, str]:
        return (f'href="{reverse("appeals:detail", args=[self.mine.pk])}"',
                f'href="{reverse("appeals:detail", args=[self.theirs.pk])}"')

    def must_show(self, name: str) -> list[str]:
        mine, theirs = self._links()
        if name == "admin":
            return [mine, theirs]
        return [theirs] if name.endswith("_out") else [mine]

    def must_hide(self, name: str) -> list[str]:
        mine, theirs = self._links()
        if name == "admin":
            return []
        return [mine] if name.endswith("_out") else [theirs]


class AppealListStatusFilterTests(AppealsWorld):
    def test_filter_by_status(self) -> None:
        link = f'href="{reverse("appeals:detail", args=[self.mine.pk])}"'
        filed = self.get_as("admin", reverse("appeals:list") + "?status=filed")
        self.assertContains(filed, link)
        rejected = self.get_as("admin", reverse("appeals:list") + "?status=rejected")
        self.assertNotContains(rejected, link)


class AppealDetailViewTests(RoleMatrix, AppealsWorld):
    expect = READERS

    def url(self) -> str:
        return reverse("appeals:detail", args=[self.mine.pk])

    def must_show(self, name: str) -> list[str]:
        return ["漏计", "证明.pdf", reverse("appeals:attachment", args=[self.attachment.pk])]


class AttachmentViewTests(RoleMatrix, AppealsWorld):
    expect = READERS

    def url(self) -> str:
        return reverse("appeals:attachment", args=[self.attachment.pk])

    def test_every_user_gets_the_expected_status(self) -> None:
        # A download streams (no ``content``): the base test's page checks do not apply.
        for name in USERS:
            with self.subTest(user=name):
                response = self.get_as(name, self.url())
                self.assertEqual(response.status_code, self.expect[name])
                if response.status_code == 200:
                    self.assertEqual(b"".join(response.streaming_content), PDF)
                    self.assertEqual(response["Content-Type"], "application/pdf")
                    self.assertTrue(response["Content-Disposition"].startswith("attachment;"))


class AppealFollowsItsResultTests(AppealsWorld):
    """An appeal, and its files, are seen by whoever sees its result (runs.models.results_q):
    while the run is not published, only admins and assessors in scope see them."""

    def test_an_unpublished_runs_appeals_are_for_admins_and_assessors(self) -> None:
        run = self.mine.result.run
        run.published_at = None
        run.save(update_fields=["published_at"])
        expect = {**READERS, "head": 404, "staff": 404}
        for name in USERS:
            with self.subTest(user=name):
                detail = self.get_as(name, reverse("appeals:detail", args=[self.mine.pk]))
                self.assertEqual(detail.status_code, expect[name])
                download = self.get_as(name, reverse("appeals:attachment",
                                                     args=[self.attachment.pk]))
                self.assertEqual(download.status_code, expect[name])


class AppealDecideFormViewTests(RoleMatrix, AppealsWorld):
    expect = DECIDERS

    def url(self) -> str:
        return reverse("appeals:decide", args=[self.mine.pk])


class AppealDecidePostTests(RoleMatrix, AppealsWorld):
    """POST: each call decides a fresh appeal, so every permitted user really decides one."""

    method = "post"
    expect = DECIDERS

    def url(self) -> str:
        return reverse("appeals:decide", args=[fresh_appeal(self.world).pk])

    def data(self) -> dict[str, Any]:
        return {"outcome": "reject", "reason": "材料不足"}

    def test_refused_users_leave_the_appeal_open(self) -> None:
        for name in ("assessor_out", "head", "staff", "staff_out", "partner"):
            appeal = fresh_appeal(self.world)
            self.post_as(name, reverse("appeals:decide", args=[appeal.pk]), self.data())
            appeal.refresh_from_db()
            self.assertEqual(appeal.status, Appeal.Status.FILED, name)


class AppealsInEnglishTests(AppealsWorld):
    def test_pages_speak_english_when_asked(self) -> None:
        client = self.client_for("staff")
        client.cookies["django_language"] = "en"  # chosen with the header's switch
        page = client.get(reverse("appeals:detail", args=[self.mine.pk]))
        self.assertContains(page, "Attachments")
        self.assertContains(page, "History")
        self.assertNotContains(page, "申诉理由")
