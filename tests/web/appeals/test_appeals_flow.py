"""Filing and deciding appeals end to end: attachments checked by content, one open appeal per
result, accepted adjustments are a new revision computed by the engine (spec §19; expected ranks
computed here, by hand, from the other Result rows), rejections change nothing, decisions happen
once, all of it audited."""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

from appeals_helpers import EXE, JPEG, PDF, PNG, TemporaryMedia, fresh_appeal, staff_result, upload
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from viewtests import RetireRevisions, WorldTestCase

from kaohe.web.appeals.models import Appeal, Attachment
from kaohe.web.audit.models import ChangeLog
from kaohe.web.runs.models import Result, Run


def stored_files() -> list[str]:
    out = []
    for folder, _dirs, files in os.walk(settings.MEDIA_ROOT):
        out += [os.path.join(folder, f) for f in files]
    return out


class FilingTests(TemporaryMedia, WorldTestCase):
    def new_url(self) -> str:
        return reverse("appeals:new", args=[staff_result(self.world).pk])

    def file(self, name: str = "staff", **data: Any) -> Any:
        data.setdefault("reason", "业务量漏计了两笔")
        data.setdefault("indicator", "")
        return self.post_as(name, self.new_url(), data)

    def test_staff_files_an_appeal_with_a_pdf(self) -> None:
        response = self.file(indicator="volume",
                             attachments=[upload("业务单.pdf", PDF)])
        appeal = Appeal.objects.get()
        self.assertRedirects(response, reverse("appeals:detail", args=[appeal.pk]))
        self.assertEqual((appeal.status, appeal.indicator, appeal.filed_by),
                         (Appeal.Status.FILED, "volume", self.world.users["staff"]))
        attachment = appeal.attachments.get()
        self.assertEqual((attachment.name, attachment.content_type, attachment.size),
                         ("业务单.pdf", "application/pdf", len(PDF)))
        # stored under MEDIA_ROOT with a random name, not the uploader's
        stored = os.path.basename(attachment.file.name)
        self.assertRegex(stored, r"^[0-9a-f]{32}\.pdf$")
        self.assertIn(os.path.join(settings.MEDIA_ROOT, attachment.file.name), stored_files())
        download = self.get_as("staff", reverse("appeals:attachment", args=[attachment.pk]))
        self.assertEqual(b"".join(download.streaming_content), PDF)
        self.assertEqual(download["Content-Type"], "application/pdf")
        self.assertIn("attachment;", download["Content-Disposition"])
        self.assertIn("sandbox", download["Content-Security-Policy"])
        # the person out of scope sees neither the appeal nor its file
        self.assertEqual(self.get_as("staff_out", reverse(
            "appeals:detail", args=[appeal.pk])).status_code, 404)
        self.assertEqual(self.get_as("staff_out", reverse(
            "appeals:attachment", args=[attachment.pk])).status_code, 404)
        # filed through the request: the change log names the staff member
        entry = ChangeLog.objects.get(object_type="appeals.appeal", object_id=str(appeal.pk))
        self.assertEqual((entry.action, entry.user), ("create", self.world.users["staff"]))

    def test_images_are_accepted_with_their_types(self) -> None:
        self.file(attachments=[upload("a.png", PNG, "image/png"),
                               upload("b.JPG", JPEG, "image/jpeg")])
        kinds = sorted(Attachment.objects.values_list("content_type", "file"))
        self.assertEqual([k for k, _f in kinds], ["image/jpeg", "image/png"])
        self.assertTrue(kinds[0][1].endswith(".jpg") and kinds[1][1].endswith(".png"))

    def test_an_exe_renamed_pdf_is_refused(self) -> None:
        files = stored_files()
        response = self.file(attachments=[upload("证明.pdf", EXE)])
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "不是 PDF、JPEG 或 PNG 文件")
        self.assertFalse(Appeal.objects.exists())
        self.assertEqual(stored_files(), files)  # nothing written

    def test_the_type_is_read_from_the_content_not_the_name(self) -> None:
        self.file(attachments=[upload("scan.exe", PDF, "application/octet-stream")])
        attachment = Attachment.objects.get()
        self.assertEqual(attachment.content_type, "application/pdf")
        self.assertTrue(attachment.file.name.endswith(".pdf"))

    def test_size_limit(self) -> None:
        with override_settings(KAOHE_MAX_ATTACHMENT_BYTES=len(PDF) - 1):
            response = self.file(attachments=[upload("big.pdf", PDF)])
        self.assertContains(response, "大小限制")
        self.assertFalse(Appeal.objects.exists())

    def test_at_most_three_files(self) -> None:
        response = self.file(attachments=[upload(f"{i}.pdf", PDF) for i in range(4)])
        self.assertContains(response, "最多上传 3 个附件")
        self.assertFalse(Appeal.objects.exists())
        self.file(attachments=[upload(f"{i}.pdf", PDF) for i in range(3)])
        self.assertEqual(Attachment.objects.count(), 3)

    def test_reason_is_required_and_indicator_must_be_the_runs(self) -> None:
        self.assertEqual(self.file(reason="  ").status_code, 200)
        self.assertEqual(self.file(indicator="no_such").status_code, 200)
        self.assertFalse(Appeal.objects.exists())

    def test_one_open_appeal_per_result(self) -> None:
        self.file()
        again = self.file()
        self.assertEqual(again.status_code, 409)
        self.assertEqual(Appeal.objects.count(), 1)
        # once decided, the result may be appealed again
        self.post_as("assessor", reverse("appeals:decide", args=[Appeal.objects.get().pk]),
                     {"outcome": "reject", "reason": "无依据"})
        self.assertEqual(self.file().status_code, 302)
        self.assertEqual(Appeal.objects.count(), 2)

    def test_only_a_finished_run(self) -> None:
        Run.objects.filter(pk=self.world.runs["clerk_star"].pk).update(status=Run.Status.FAILED)
        self.assertContains(self.get_as("staff", self.new_url()), "尚未完成")
        self.assertEqual(self.file().status_code, 409)
        self.assertFalse(Appeal.objects.exists())

    def test_staff_cannot_appeal_someone_elses_result(self) -> None:
        other = self.world.result("clerk_star", self.world.other_clerk.pk)
        neighbour = Result.objects.filter(run=other.run, unit=self.world.hall).exclude(
            entity_id=self.world.clerk.pk).first()
        for result in (other, neighbour):
            url = reverse("appeals:new", args=[result.pk])
            self.assertEqual(self.post_as("staff", url, {"reason": "x"}).status_code, 404)
        self.assertFalse(Appeal.objects.exists())


def by_hand(rows: dict[str, Decimal], grades: list[list[Any]]) -> dict[str, tuple[int, str]]:
    """Competition rank (1 + how many have more) and the first grade whose minimum is met."""
    out = {}
    for key, total in rows.items():
        rank = 1 + sum(1 for other in rows.values() if other > total)
        grade = next((str(label) for minimum, label in grades
                      if total >= Decimal(str(minimum))), "")
        out[key] = (rank, grade)
    return out


class NamesTests(WorldTestCase):
    def test_appeals_name_the_filer_by_the_person_not_the_login(self) -> None:
        appeal = fresh_appeal(self.world)  # filed by the staff account, linked to the clerk
        login = self.world.users["staff"].get_username()
        for url in (reverse("appeals:list"), reverse("appeals:detail", args=[appeal.pk])):
            page = self.get_as("assessor", url).content.decode()
            self.assertIn(self.world.clerk.name, page)
            self.assertNotIn(f">{login}<", page)
            self.assertNotIn(f"{login} 提交申诉", page)


class DecidingTests(RetireRevisions, TemporaryMedia, WorldTestCase):
    def decide(self, appeal: Appeal, name: str = "assessor", **data: Any) -> Any:
        return self.post_as(name, reverse("appeals:decide", args=[appeal.pk]), data)

    def group(self, result: Result) -> dict[str, Result]:
        return {r.entity_id: r for r in Result.objects.filter(run=result.run,
                                                              group_key=result.group_key)}

    def test_accepting_five_points_reranks_the_group(self) -> None:
        result = staff_result(self.world)
        before = self.group(result)
        self.assertTrue(all(r.adjustment == 0 and not r.vetoed for r in before.values()))
        appeal = fresh_appeal(self.world)
        response = self.decide(appeal, outcome="accept", points="5", reason="核实漏计")
        self.assertRedirects(response, reverse("appeals:detail", args=[appeal.pk]))
        # by hand: the clerk's total + 5, everybody else's total unchanged
        totals = {k: r.total for k, r in before.items()}
        totals[result.entity_id] = result.total + 5
        expected = by_hand(totals, result.run.grades)
        after = self.group(result)
        mine = after[result.entity_id]
        self.assertEqual(mine.adjustment, Decimal("5.00"))
        self.assertEqual(mine.total, result.total + 5)
        for key, r in after.items():
            self.assertEqual((r.rank, r.grade), expected[key], key)
        # the staff member sees the new rank on the appeal's page
        page = self.get_as("staff", reverse("appeals:detail", args=[appeal.pk]))
        self.assertContains(page, f'<strong class="final-rank">{mine.rank}</strong>')
        self.assertContains(page, "已采纳")
        appeal.refresh_from_db()
        self.assertEqual((appeal.status, appeal.adjustment, appeal.decided_by),
                         (Appeal.Status.ACCEPTED, Decimal("5"), self.world.users["assessor"]))

    def test_a_gain_that_passes_the_next_person_moves_the_rank(self) -> None:
        result = staff_result(self.world)
        above = Result.objects.filter(run=result.run, group_key=result.group_key,
                                      total__gt=result.total).order_by("total").first()
        self.assertIsNotNone(above, "the staff member should not be first in this world")
        points = above.total - result.total + Decimal("0.01")
        self.decide(fresh_appeal(self.world), outcome="accept", points=str(points), reason="ok")
        mine, theirs = Result.objects.get(pk=result.pk), Result.objects.get(pk=above.pk)
        self.assertEqual(mine.rank, above.rank)
        self.assertEqual(theirs.rank, above.rank + 1)

    def test_accepted_appeals_add_up_and_may_be_negative(self) -> None:
        result = staff_result(self.world)
        self.decide(fresh_appeal(self.world), outcome="accept", points="5", reason="a")
        self.decide(fresh_appeal(self.world), outcome="accept", points="-7.5", reason="b")
        r = Result.objects.get(pk=result.pk)
        self.assertEqual(r.adjustment, Decimal("-2.50"))
        self.assertEqual(r.total, max(Decimal(0), result.total - Decimal("2.5")))

    def test_reject_leaves_the_result_unchanged(self) -> None:
        result = staff_result(self.world)
        before = {k: (r.total, r.rank, r.grade, r.adjustment)
                  for k, r in self.group(result).items()}
        appeal = fresh_appeal(self.world)
        self.decide(appeal, outcome="reject", points="5", reason="证据不足")
        after = {k: (r.total, r.rank, r.grade, r.adjustment)
                 for k, r in self.group(result).items()}
        self.assertEqual(after, before)
        appeal.refresh_from_db()
        self.assertEqual((appeal.status, appeal.adjustment, appeal.decision),
                         (Appeal.Status.REJECTED, None, "证据不足"))

    def test_out_of_scope_assessor_cannot_decide(self) -> None:
        appeal = fresh_appeal(self.world)
        response = self.decide(appeal, "assessor_out", outcome="accept", points="5", reason="x")
        self.assertEqual(response.status_code, 404)
        appeal.refresh_from_db()
        self.assertEqual(appeal.status, Appeal.Status.FILED)
        self.assertEqual(Result.objects.get(pk=appeal.result_id).adjustment, 0)

    def test_deciding_twice_is_refused(self) -> None:
        appeal = fresh_appeal(self.world)
        self.decide(appeal, outcome="accept", points="5", reason="first")
        again = self.decide(appeal, "admin", outcome="accept", points="5", reason="second")
        self.assertEqual(again.status_code, 409)
        appeal.refresh_from_db()
        self.assertEqual((appeal.decision, appeal.decided_by),
                         ("first", self.world.users["assessor"]))
        self.assertEqual(Result.objects.get(pk=appeal.result_id).adjustment, Decimal("5.00"))

    def test_invalid_decisions(self) -> None:
        appeal = fresh_appeal(self.world)
        for data in ({"outcome": "accept", "points": "0", "reason": "x"},
                     {"outcome": "accept", "points": "", "reason": "x"},
                     {"outcome": "accept", "points": "5", "reason": " "},
                     {"outcome": "reject", "reason": ""},
                     {"outcome": "maybe", "reason": "x"}):
            with self.subTest(data=data):
                self.assertEqual(self.decide(appeal, **data).status_code, 200)
                appeal.refresh_from_db()
                self.assertEqual(appeal.status, Appeal.Status.FILED)

    def test_the_decision_is_audited_with_before_and_after(self) -> None:
        result = staff_result(self.world)
        appeal = fresh_appeal(self.world)
        self.decide(appeal, outcome="accept", points="5", reason="核实")
        assessor = self.world.users["assessor"]
        entry = ChangeLog.objects.get(object_type="appeals.appeal", object_id=str(appeal.pk),
                                      action="update")
        self.assertEqual(entry.user, assessor)
        fields = {name: (b, a) for name, b, a in entry.changed_fields()}
        self.assertEqual(fields["status"], ("filed", "accepted"))
        self.assertEqual(fields["adjustment"], (None, "5"))
        entries = ChangeLog.objects.filter(object_type="runs.result",
                                           object_id=str(result.pk)).order_by("id")
        self.assertTrue(all(e.user == assessor for e in entries))
        adjusted = {name: (b, a) for e in entries for name, b, a in e.changed_fields()}
        self.assertEqual(adjusted["adjustment"], ("0.00", "5.00"))
        self.assertEqual(adjusted["total"], (str(result.total), str(result.total + 5)))
        # the appeal's page shows the whole history: filed, decided, the result's changes
        page = self.get_as("staff", reverse("appeals:detail", args=[appeal.pk]))
        self.assertContains(page, "total")
        self.assertContains(page, "处理：已采纳")


class FailureTests(TemporaryMedia, WorldTestCase):
    def test_no_file_outlives_a_failed_filing(self) -> None:
        from unittest import mock

        from kaohe.web.core.files import KINDS
        from kaohe.web.appeals.services import file_appeal

        files = stored_files()
        real_save = Attachment.save
        calls = []

        def second_fails(self: Attachment, *args: Any, **kwargs: Any) -> None:
            calls.append(self.file.name)
            if len(calls) == 2:
                raise RuntimeError("disk full")
            real_save(self, *args, **kwargs)

        with mock.patch.object(Attachment, "save", second_fails), \
                self.assertRaises(RuntimeError):
            file_appeal(self.world.users["staff"], staff_result(self.world).pk, indicator="",
                        reason="x", files=[(upload("a.pdf", PDF), KINDS[0]),
                                           (upload("b.pdf", PDF), KINDS[0])])
        self.assertFalse(Appeal.objects.exists())
        self.assertEqual(stored_files(), files)

    def test_nobody_decides_their_own_appeal(self) -> None:
        result = staff_result(self.world)
        self.post_as("admin", reverse("appeals:new", args=[result.pk]), {"reason": "代为申诉"})
        appeal = Appeal.objects.get(result=result)
        self.assertEqual(appeal.filed_by, self.world.users["admin"])
        response = self.post_as("admin", reverse("appeals:decide", args=[appeal.pk]),
                                {"outcome": "accept", "points": "5", "reason": "x"})
        self.assertEqual(response.status_code, 409)
        self.assertContains(response, "不能处理自己提交的申诉", status_code=409)
        appeal.refresh_from_db()
        self.assertEqual(appeal.status, Appeal.Status.FILED)
