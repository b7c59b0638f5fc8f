"""Every change-logged model leaves who, when, before and after (NetBox's change logging).

``COVERED`` maps each ``ChangeLogged`` model to the test below that changes it and finds its
``ChangeLog`` rows with the right user; ``test_every_change_logged_model_has_an_audit_test``
fails as soon as someone adds a ``ChangeLogged`` model without adding a test here.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, ClassVar

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.urls import reverse
from django.utils import timezone
from viewtests import WorldTestCase

from kaohe.web.accounts.models import Profile
from kaohe.web.appeals.models import Appeal
from kaohe.web.appeals.services import decide_appeal, file_appeal
from kaohe.web.audit.middleware import acting_as
from kaohe.web.audit.models import ChangeLog, ChangeLogged
from kaohe.web.core.files import KINDS
from kaohe.web.data.models import DataLoad, Inspection
from kaohe.web.runs.models import Result, Run
from kaohe.web.runs.services import create_run, execute_run
from kaohe.web.schemes.models import Scheme, SchemeVersion

PDF = b"%PDF-1.4\n%%EOF\n"


def entries(obj: models.Model) -> list[ChangeLog]:
    return list(ChangeLog.objects.filter(object_type=obj._meta.label_lower,
                                         object_id=str(obj.pk)).order_by("id"))


def fields(entry: ChangeLog) -> dict[str, tuple[Any, Any]]:
    return {name: (before, after) for name, before, after in entry.changed_fields()}


class AuditCoverageTests(WorldTestCase):
    COVERED: ClassVar[dict[str, str]] = {
        "accounts.profile": "test_profile_changes_are_logged",
        "schemes.scheme": "test_scheme_and_version_changes_are_logged",
        "schemes.schemeversion": "test_scheme_and_version_changes_are_logged",
        "data.dataload": "test_data_loads_are_logged",
        "data.inspection": "test_inspections_are_logged_with_deletion",
        "runs.run": "test_run_create_execute_and_publish_are_logged",
        "runs.result": "test_result_adjustments_are_logged",
        "appeals.appeal": "test_appeals_filed_and_decided_are_logged",
        "appeals.attachment": "test_appeals_filed_and_decided_are_logged",
    }

    def test_every_change_logged_model_has_an_audit_test(self) -> None:
        logged = {m._meta.label_lower for m in apps.get_models() if issubclass(m, ChangeLogged)}
        self.assertEqual(sorted(logged - set(self.COVERED)), [],
                         "ChangeLogged models without an audit test: add them to COVERED")
        self.assertEqual(sorted(set(self.COVERED) - logged), [], "COVERED names a stale model")
        for method in set(self.COVERED.values()):
            self.assertTrue(callable(getattr(self, method, None)), method)

    def test_profile_changes_are_logged(self) -> None:
        admin, staff = self.world.users["admin"], self.world.users["staff"]
        profile = Profile.objects.get(user=staff)
        with acting_as(admin):
            profile.unit = self.world.other_hall
            profile.save()
        created, entry = entries(profile)  # created by the world's set-up, then changed
        self.assertEqual(created.action, "create")
        self.assertEqual((entry.action, entry.user, entry.user_name), ("update", admin, "admin"))
        self.assertEqual(fields(entry), {"unit_id": (self.world.hall.pk,
                                                     self.world.other_hall.pk)})

    def test_scheme_and_version_changes_are_logged(self) -> None:
        assessor = self.world.users["assessor"]
        scheme = Scheme.objects.get(code="clerk_star")
        old_name = scheme.name
        with acting_as(assessor):
            version = SchemeVersion.objects.create(
                scheme=scheme, number=scheme.current.number + 1, text=scheme.current.text,
                note="调整权重", author=assessor)
            scheme.current, scheme.name = version, "营业员星级（新）"
            scheme.save()
        [created] = entries(version)
        self.assertEqual((created.action, created.user, created.before), ("create", assessor, None))
        self.assertEqual(created.after["note"], "调整权重")
        [changed] = entries(scheme)[-1:]
        self.assertEqual((changed.action, changed.user), ("update", assessor))
        self.assertEqual(fields(changed)["name"], (old_name, "营业员星级（新）"))
        self.assertEqual(fields(changed)["current_id"][1], version.pk)

    def test_data_loads_are_logged(self) -> None:
        assessor = self.world.users["assessor"]
        with acting_as(assessor):
            load = DataLoad.objects.create(source="transactions", file_name="9月.csv",
                                           status=DataLoad.Status.STORED, rows=120,
                                           unit=self.world.branch, loaded_by=assessor)
        [entry] = entries(load)
        self.assertEqual((entry.action, entry.user), ("create", assessor))
        self.assertEqual((entry.after["rows"], entry.after["file_name"]), (120, "9月.csv"))

    def test_inspections_are_logged_with_deletion(self) -> None:
        inspector, admin = self.world.users["inspector"], self.world.users["admin"]
        with acting_as(inspector):
            visit = Inspection.objects.create(
                visit_id="V-2026-09-001", unit=self.world.hall, inspector=inspector,
                at=timezone.make_aware(datetime.datetime(2026, 9, 10, 10, 30)),
                method=Inspection.Method.SECRET, items=[{"item": "未起身迎客", "deduction": 2}],
                total_deduction=Decimal(2))
        pk = visit.pk
        with acting_as(admin):
            visit.delete()
        created, deleted = ChangeLog.objects.filter(object_type="data.inspection",
                                                    object_id=str(pk)).order_by("id")
        self.assertEqual((created.action, created.user), ("create", inspector))
        self.assertEqual(created.after["items"], [{"item": "未起身迎客", "deduction": 2}])
        self.assertEqual((deleted.action, deleted.user, deleted.after), ("delete", admin, None))
        self.assertEqual(deleted.before["visit_id"], "V-2026-09-001")

    def test_run_create_execute_and_publish_are_logged(self) -> None:
        assessor = self.world.users["assessor"]
        with acting_as(assessor):
            run = create_run(Scheme.objects.get(code="hall_service"), "2026-09", assessor)
            execute_run(run.pk)
            run.refresh_from_db()
            run.published_at, run.published_by = timezone.now(), assessor
            run.save(update_fields=["published_at", "published_by"])
        created, finished, published = entries(run)
        self.assertTrue(all(e.user == assessor for e in (created, finished, published)))
        self.assertEqual(created.action, "create")
        self.assertEqual(fields(finished)["status"][1], "done")
        self.assertEqual(fields(published)["published_by_id"], (None, assessor.pk))
        self.assertIsNone(fields(published)["published_at"][0])

    def test_result_adjustments_are_logged(self) -> None:
        admin = self.world.users["admin"]
        result = self.world.result("hall_service", self.world.hall.pk)
        with acting_as(admin):
            result.adjustment = Decimal("3.50")
            result.save(update_fields=["adjustment"])
        [entry] = entries(result)
        self.assertEqual((entry.action, entry.user), ("update", admin))
        self.assertEqual(fields(entry), {"adjustment": ("0.00", "3.50")})

    def test_appeals_filed_and_decided_are_logged(self) -> None:
        staff, assessor = self.world.users["staff"], self.world.users["assessor"]
        result = self.world.result("clerk_star", self.world.clerk.pk)
        with acting_as(staff):
            appeal = file_appeal(staff, result.pk, indicator="", reason="漏计",
                                 files=[(SimpleUploadedFile("a.pdf", PDF), KINDS[0])])
        attachment = appeal.attachments.get()
        with acting_as(assessor):
            decide_appeal(assessor, appeal.pk, accept=True, points=Decimal(5), reason="属实")
        filed, decided = entries(appeal)
        self.assertEqual((filed.action, filed.user), ("create", staff))
        self.assertEqual((decided.action, decided.user), ("update", assessor))
        self.assertEqual(fields(decided)["status"], ("filed", "accepted"))
        [stored] = entries(attachment)
        self.assertEqual((stored.action, stored.user, stored.after["content_type"]),
                         ("create", staff, "application/pdf"))
        attachment.file.delete(save=False)

    def test_the_request_user_is_logged_through_the_middleware(self) -> None:
        result = self.world.result("clerk_star", self.world.clerk.pk)
        self.post_as("staff", reverse("appeals:new", args=[result.pk]), {"reason": "漏计"})
        appeal = Appeal.objects.get(result=result)
        self.post_as("assessor", reverse("appeals:decide", args=[appeal.pk]),
                     {"outcome": "reject", "reason": "无依据"})
        filed, decided = entries(appeal)
        self.assertEqual((filed.user, decided.user),
                         (self.world.users["staff"], self.world.users["assessor"]))

    def test_changes_outside_a_request_are_logged_as_system(self) -> None:
        run = Run.objects.get(pk=self.world.runs["clerk_star"].pk)
        run.message = "重新检查"
        run.save()
        [entry] = entries(run)[-1:]
        self.assertEqual((entry.user, entry.user_name), (None, "system"))

    def test_unchanged_saves_leave_no_entry(self) -> None:
        result = Result.objects.get(pk=self.world.result("clerk_star", self.world.clerk.pk).pk)
        result.save()
        self.assertEqual(entries(result), [])
