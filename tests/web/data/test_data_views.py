"""Role matrices of every view of the data app (who gets 200, 403 or 404)."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from viewtests import RoleMatrix, WorldTestCase

from kaohe.web.data.models import DataLoad, Inspection


class DataWorld(WorldTestCase):
    """The world plus three loads (an assessor's upload, an admin's upload, a head's entry)
    and one inspection of the head's hall."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        w = cls.world
        cls.assessor_load = DataLoad.objects.create(
            source="quiz", file_name="assessor_file.csv", status=DataLoad.Status.STORED,
            rows=3, unit=w.branch, loaded_by=w.users["assessor"])
        cls.admin_load = DataLoad.objects.create(
            source="quiz", file_name="admin_file.csv", status=DataLoad.Status.REJECTED,
            errors=[{"row": 2, "column": "得分", "value": "x", "reason": "bad"}],
            loaded_by=w.users["admin"])
        cls.head_load = DataLoad.objects.create(
            source="upsell", file_name="head_entry.csv", via=DataLoad.Via.FORM,
            status=DataLoad.Status.STORED, rows=1, unit=w.hall, loaded_by=w.users["head"])
        cls.inspection = Inspection.objects.create(
            visit_id="AF20261101WTEST", unit=w.hall, inspector=w.users["inspector"],
            at=timezone.now(), method=Inspection.Method.SECRET,
            items=[{"item": "微笑服务", "deduction": "1"}], total_deduction=Decimal(1))


FILES = ("assessor_file.csv", "admin_file.csv", "head_entry.csv")


class LoadListTests(RoleMatrix, DataWorld):
    expect = {"admin": 200, "assessor": 200, "assessor_out": 200, "head": 200, "head_out": 200,
              "staff": 403, "staff_out": 403, "inspector": 200, "inspector_out": 200,
              "partner": 403, "partner_out": 403}
    shown = {"admin": FILES, "assessor": ("assessor_file.csv", "head_entry.csv"),
             "head": ("head_entry.csv",)}

    def url(self) -> str:
        return reverse("data:list")

    def must_show(self, name: str) -> list[str]:
        return list(self.shown.get(name, ()))

    def must_hide(self, name: str) -> list[str]:
        return [f for f in FILES if f not in self.shown.get(name, ())]


class AssessorLoadTests(RoleMatrix, DataWorld):
    expect = {"admin": 200, "assessor": 200, "assessor_out": 404, "head": 404, "head_out": 404,
              "staff": 403, "staff_out": 403, "inspector": 404, "inspector_out": 404,
              "partner": 403, "partner_out": 403}

    def url(self) -> str:
        return reverse("data:load", args=[self.assessor_load.pk])

    def must_show(self, name: str) -> list[str]:
        return ["assessor_file.csv"]


class AdminLoadErrorsTests(RoleMatrix, DataWorld):
    expect = {"admin": 200, "assessor": 404, "assessor_out": 404, "head": 404, "head_out": 404,
              "staff": 403, "staff_out": 403, "inspector": 404, "inspector_out": 404,
              "partner": 403, "partner_out": 403}

    def url(self) -> str:
        return reverse("data:load_errors", args=[self.admin_load.pk])


class HeadLoadTests(RoleMatrix, DataWorld):
    expect = {"admin": 200, "assessor": 200, "assessor_out": 404, "head": 200, "head_out": 404,
              "staff": 403, "staff_out": 403, "inspector": 404, "inspector_out": 404,
              "partner": 403, "partner_out": 403}

    def url(self) -> str:
        return reverse("data:load", args=[self.head_load.pk])


class UploadPageTests(RoleMatrix, DataWorld):
    expect = {"admin": 200, "assessor": 200, "assessor_out": 200, "head": 403, "head_out": 403,
              "staff": 403, "staff_out": 403, "inspector": 403, "inspector_out": 403,
              "partner": 403, "partner_out": 403}

    def url(self) -> str:
        return reverse("data:upload")

    def must_show(self, name: str) -> list[str]:
        return ['value="quiz"', 'value="inspections"', 'enctype="multipart/form-data"']


class UploadPostTests(RoleMatrix, DataWorld):
    """A POST without a file: 400 for the roles that may import, 403 for the rest."""

    method = "post"
    expect = {"admin": 400, "assessor": 400, "assessor_out": 400, "head": 403, "head_out": 403,
              "staff": 403, "staff_out": 403, "inspector": 403, "inspector_out": 403,
              "partner": 403, "partner_out": 403}

    def url(self) -> str:
        return reverse("data:upload")


class InspectionNewTests(RoleMatrix, DataWorld):
    expect = {"admin": 200, "assessor": 403, "assessor_out": 403, "head": 403, "head_out": 403,
              "staff": 403, "staff_out": 403, "inspector": 200, "inspector_out": 200,
              "partner": 403, "partner_out": 403}

    def url(self) -> str:
        return reverse("data:inspection_new")

    def must_show(self, name: str) -> list[str]:
        shown = ["首问负责制", "唱收唱付", 'name="photo"']
        if name in ("admin", "inspector"):
            shown.append(f'value="{self.world.hall.pk}"')
        return shown

    def must_hide(self, name: str) -> list[str]:
        return [f'value="{self.world.hall.pk}"'] if name == "inspector_out" else []


class InspectionListTests(RoleMatrix, DataWorld):
    expect = {"admin": 200, "assessor": 200, "assessor_out": 200, "head": 200, "head_out": 200,
              "staff": 403, "staff_out": 403, "inspector": 200, "inspector_out": 200,
              "partner": 200, "partner_out": 200}
    seen = ("admin", "assessor", "head", "inspector")

    def url(self) -> str:
        return reverse("data:inspections")

    def must_show(self, name: str) -> list[str]:
        return ["AF20261101WTEST"] if name in self.seen else []

    def must_hide(self, name: str) -> list[str]:
        return [] if name in self.seen else ["AF20261101WTEST"]


class InspectionDetailTests(RoleMatrix, DataWorld):
    expect = {"admin": 200, "assessor": 200, "assessor_out": 404, "head": 200, "head_out": 404,
              "staff": 403, "staff_out": 403, "inspector": 200, "inspector_out": 404,
              "partner": 404, "partner_out": 404}

    def url(self) -> str:
        return reverse("data:inspection", args=[self.inspection.pk])

    def must_show(self, name: str) -> list[str]:
        return ["AF20261101WTEST", "微笑服务"]


class InspectionPhotoTests(RoleMatrix, DataWorld):
    """No photo on this inspection: 404 even in scope; the scope's answers stay 403/404."""

    expect = {"admin": 404, "assessor": 404, "assessor_out": 404, "head": 404, "head_out": 404,
              "staff": 403, "staff_out": 403, "inspector": 404, "inspector_out": 404,
              "partner": 404, "partner_out": 404}

    def url(self) -> str:
        return reverse("data:inspection_photo", args=[self.inspection.pk])


class EntryTests(RoleMatrix, DataWorld):
    expect = {"admin": 200, "assessor": 403, "assessor_out": 403, "head": 200, "head_out": 200,
              "staff": 403, "staff_out": 403, "inspector": 403, "inspector_out": 403,
              "partner": 403, "partner_out": 403}

    def url(self) -> str:
        return reverse("data:entry")

    def must_show(self, name: str) -> list[str]:
        if name == "head":
            return [f'value="{self.world.clerk.pk}"', self.world.hall.name]
        if name == "head_out":
            return [f'value="{self.world.other_clerk.pk}"']
        return []

    def must_hide(self, name: str) -> list[str]:
        if name == "head":
            return [f'value="{self.world.other_clerk.pk}"']
        if name == "head_out":
            return [f'value="{self.world.clerk.pk}"']
        return []


class EntryOtherHallTests(RoleMatrix, DataWorld):
    """A head asking for another hall's form: 404; an admin may pick any hall."""

    expect = {"admin": 200, "assessor": 403, "assessor_out": 403, "head": 200, "head_out": 404,
              "staff": 403, "staff_out": 403, "inspector": 403, "inspector_out": 403,
              "partner": 403, "partner_out": 403}

    def url(self) -> str:
        return reverse("data:entry") + f"?unit={self.world.hall.pk}"

    def must_show(self, name: str) -> list[str]:
        return [f'value="{self.world.clerk.pk}"']
