"""Inspections (checklist → Inspection + facts + DataLoad) and the head's spot checks and quiz
scores: stored through the importer, scoped to the user's outlets / hall."""

from __future__ import annotations

import struct
import zlib
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from test_data_upload import count
from viewtests import WorldTestCase

from kaohe.demo.events import ITEMS as DEMO_ITEMS
from kaohe.demo.events import NO_PROBLEM as DEMO_NO_PROBLEM
from kaohe.web.core.workspace import store_lock, workspace
from kaohe.web.data.checklist import ITEMS, NO_PROBLEM
from kaohe.web.data.models import DataLoad, Inspection


def png() -> bytes:
    """A real 1×1 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def facts(where: str) -> list[tuple[object, ...]]:
    ws = workspace()
    with store_lock, ws.store.connect() as con:
        return con.execute("SELECT unit_id, CAST(\"at\" AS VARCHAR), method, item, "
                           f"CAST(deduction AS DOUBLE) FROM fact_inspections WHERE {where} "
                           "ORDER BY item").fetchall()


class ChecklistTests(WorldTestCase):
    def test_items_are_the_demo_generators(self) -> None:
        # hall_service scores what the generator writes: same names, same deductions
        self.assertEqual([(i.name, float(i.deduction)) for i in ITEMS],
                         [(name, points) for name, points, _often in DEMO_ITEMS])
        self.assertEqual(NO_PROBLEM, DEMO_NO_PROBLEM)


class InspectionTests(WorldTestCase):
    url = reverse("data:inspection_new")

    def post(self, user: str, **data: object) -> object:
        base = {"unit": self.world.hall.pk, "method": "暗访", "at": "2026-11-20T10:30",
                "note": "门口有积水"}
        return self.post_as(user, self.url, {**base, **data})

    def test_problems_found(self) -> None:
        before = count("fact_inspections")
        response = self.post("inspector", items=["first_ask", "announce"])
        inspection = Inspection.objects.get()
        self.assertRedirects(response, reverse("data:inspection", args=[inspection.pk]),
                             fetch_redirect_response=False)
        self.assertEqual(inspection.unit, self.world.hall)
        self.assertEqual(inspection.total_deduction, Decimal("7.00"))  # 5 + 2
        self.assertTrue(inspection.visit_id.startswith("AF20261120"))
        self.assertEqual(count("fact_inspections"), before + 2)
        self.assertEqual(facts(f"visit_id = '{inspection.visit_id}'"), [
            (self.world.hall.pk, "2026-11-20 10:30:00", "暗访", "唱收唱付", 2.0),
            (self.world.hall.pk, "2026-11-20 10:30:00", "暗访", "首问负责制", 5.0)])
        load = DataLoad.objects.get()
        self.assertEqual((load.via, load.status, load.rows, load.unit, inspection.load),
                         (DataLoad.Via.FORM, DataLoad.Status.STORED, 2, self.world.hall, load))
        # the inspector reads it back, in the list and in their loads
        self.assertContains(self.get_as("inspector", reverse("data:inspections")),
                            inspection.visit_id)
        self.assertContains(self.get_as("inspector", reverse("data:list")), load.file_name)

    def test_clean_visit_is_one_row_without_deduction(self) -> None:
        before = count("fact_inspections")
        self.post("admin", method="明查")
        inspection = Inspection.objects.get()
        self.assertEqual((inspection.total_deduction, inspection.items), (Decimal(0), []))
        self.assertTrue(inspection.visit_id.startswith("MC"))
        self.assertEqual(count("fact_inspections"), before + 1)
        self.assertEqual(facts(f"visit_id = '{inspection.visit_id}'"),
                         [(self.world.hall.pk, "2026-11-20 10:30:00", "明查", "无问题", 0.0)])

    def test_other_inspectors_outlet_is_refused(self) -> None:
        before = count("fact_inspections")
        response = self.post("inspector_out", items=["smile"])
        self.assertEqual(response.status_code, 404)  # an outlet outside: no form to retry
        self.assertFalse(Inspection.objects.exists())
        self.assertFalse(DataLoad.objects.exists())
        self.assertEqual(count("fact_inspections"), before)

    def test_roles_that_may_not_inspect(self) -> None:
        for user in ("assessor", "head", "staff", "partner"):
            with self.subTest(user=user):
                self.assertEqual(self.post(user).status_code, 403)
        self.assertFalse(Inspection.objects.exists())

    def test_future_time_is_refused(self) -> None:
        response = self.post("inspector", at="2099-01-01T10:00")
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Inspection.objects.exists())

    def test_photo_is_stored_and_streamed_in_scope_only(self) -> None:
        photo = SimpleUploadedFile("x.png", png(), content_type="image/png")
        self.post("inspector", items=["smile"], photo=photo)
        inspection = Inspection.objects.get()
        self.assertTrue(inspection.photo.name.endswith(".png"))
        self.assertNotIn("x.png", inspection.photo.name)
        url = reverse("data:inspection_photo", args=[inspection.pk])
        response = self.get_as("inspector", url)
        self.assertEqual((response.status_code, response["Content-Type"]), (200, "image/png"))
        self.assertEqual(b"".join(response.streaming_content), png())
        self.assertEqual(self.get_as("inspector_out", url).status_code, 404)
        self.assertEqual(self.get_as("head_out", url).status_code, 404)
        self.assertEqual(self.get_as("staff", url).status_code, 403)
        self.assertContains(self.get_as("head", reverse("data:inspection",
                                                       args=[inspection.pk])), url)

    def test_photo_must_be_an_image(self) -> None:
        before = count("fact_inspections")
        fake = SimpleUploadedFile("x.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
        response = self.post("inspector", photo=fake)
        self.assertEqual(response.status_code, 400)
        self.assertIn("photo", response.context["form"].errors)
        self.assertFalse(Inspection.objects.exists())
        self.assertEqual(count("fact_inspections"), before)

    def test_a_pdf_is_no_photo(self) -> None:
        # a PDF is a file kind appeals accept (core.files), not a photo
        pdf = SimpleUploadedFile("x.jpg", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
                                 content_type="image/jpeg")
        response = self.post("inspector", photo=pdf)
        self.assertEqual(response.status_code, 400)
        self.assertIn("photo", response.context["form"].errors)
        self.assertFalse(Inspection.objects.exists())

    @override_settings(KAOHE_MAX_ATTACHMENT_BYTES=10)
    def test_photo_size_limit(self) -> None:
        response = self.post("inspector", photo=SimpleUploadedFile("x.png", png()))
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Inspection.objects.exists())

    def test_phone_form_has_every_item_with_its_deduction(self) -> None:
        page = self.get_as("inspector", self.url).content.decode()
        for item in ITEMS:
            self.assertIn(f'value="{item.code}"', page)
            self.assertIn(f'data-deduction="{item.deduction}"', page)
        self.assertIn('type="datetime-local"', page)


class EntryTests(WorldTestCase):
    url = reverse("data:entry")

    def test_head_enters_a_spot_check(self) -> None:
        before = count("fact_upsell")
        response = self.post_as("head", self.url, {
            "form": "upsell", "upsell-person": self.world.clerk.pk,
            "upsell-at": "2026-11-21T09:15", "upsell-said": "yes"})
        load = DataLoad.objects.get()
        self.assertRedirects(response, reverse("data:load", args=[load.pk]),
                             fetch_redirect_response=False)
        self.assertEqual((load.source, load.status, load.rows, load.unit),
                         ("upsell", DataLoad.Status.STORED, 1, self.world.hall))
        self.assertEqual(count("fact_upsell"), before + 1)
        self.assertEqual(count("fact_upsell", f"person_id = '{self.world.clerk.pk}' AND said AND "
                                              '"at" = TIMESTAMP \'2026-11-21 09:15:00\''), 1)

    def test_head_may_not_enter_another_halls_clerk(self) -> None:
        before = count("fact_upsell")
        response = self.post_as("head", self.url, {
            "form": "upsell", "upsell-person": self.world.other_clerk.pk,
            "upsell-at": "2026-11-21T09:15", "upsell-said": "no"})
        self.assertEqual(response.status_code, 404)  # a person outside the hall
        # nor ask for the other hall outright
        response = self.post_as("head", self.url, {
            "unit": self.world.other_hall.pk, "form": "upsell",
            "upsell-person": self.world.other_clerk.pk, "upsell-at": "2026-11-21T09:15",
            "upsell-said": "no"})
        self.assertEqual(response.status_code, 404)
        self.assertEqual(count("fact_upsell"), before)
        self.assertFalse(DataLoad.objects.exists())

    def test_quiz_scores_and_a_duplicate(self) -> None:
        clerks = list(self.world.hall.people.order_by("pk").values_list("pk", flat=True))[:2]
        data = {"form": "quiz", "quiz-day": "2026-11-10",
                f"quiz-score_{clerks[0]}": "90", f"quiz-score_{clerks[1]}": "70"}
        before = count("fact_quiz")
        self.post_as("head", self.url, data)
        self.assertEqual(DataLoad.objects.get().rows, 2)
        self.assertEqual(count("fact_quiz"), before + 2)
        self.assertEqual(count("fact_quiz", f"person_id = '{clerks[0]}' AND score = 90 AND "
                                            "day = DATE '2026-11-10'"), 1)
        # the same day again: the importer's duplicate-key message, nothing stored
        response = self.post_as("head", self.url, {**data, f"quiz-score_{clerks[1]}": ""})
        load = DataLoad.objects.order_by("-pk").first()
        self.assertEqual(load.status, DataLoad.Status.REJECTED)
        self.assertRedirects(response, reverse("data:load", args=[load.pk]),
                             fetch_redirect_response=False)
        self.assertEqual([(e["row"], e["column"], e["value"]) for e in load.errors],
                         [(2, "person_id+day", f"{clerks[0]}/2026-11-10")])
        self.assertIn("主键已存在", load.errors[0]["reason"])
        self.assertEqual(count("fact_quiz"), before + 2)
        self.assertContains(self.get_as("head", reverse("data:load", args=[load.pk])),
                            "主键已存在")

    def test_quiz_score_range(self) -> None:
        response = self.post_as("head", self.url, {
            "form": "quiz", "quiz-day": "2026-11-10", f"quiz-score_{self.world.clerk.pk}": "101"})
        self.assertEqual(response.status_code, 400)
        self.assertFalse(DataLoad.objects.exists())

    def test_admin_picks_a_hall(self) -> None:
        page = self.get_as("admin", self.url).content.decode()
        self.assertIn(f'<option value="{self.world.hall.pk}"', page)
        before = count("fact_upsell")
        self.post_as("admin", self.url, {
            "unit": self.world.other_hall.pk, "form": "upsell",
            "upsell-person": self.world.other_clerk.pk, "upsell-at": "2026-11-21T09:15",
            "upsell-said": "no"})
        self.assertEqual(DataLoad.objects.get().unit, self.world.other_hall)
        self.assertEqual(count("fact_upsell"), before + 1)

    def test_other_roles_may_not_enter(self) -> None:
        for user in ("assessor", "inspector", "staff", "partner"):
            with self.subTest(user=user):
                self.assertEqual(self.post_as(user, self.url, {"form": "quiz"}).status_code, 403)


