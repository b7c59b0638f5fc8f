"""The org pages: units and people within scope."""

from __future__ import annotations

from django.urls import reverse
from viewtests import RoleMatrix, WorldTestCase


class UnitListTests(RoleMatrix, WorldTestCase):
    expect = {"admin": 200, "assessor": 200, "assessor_out": 200, "head": 200, "head_out": 200,
              "staff": 403, "staff_out": 403, "inspector": 200, "inspector_out": 200,
              "partner": 200, "partner_out": 200}

    def url(self) -> str:
        return reverse("org:units")

    def must_show(self, name: str) -> list[str]:
        w = self.world
        return {"assessor": [w.hall.name], "head": [w.hall.name], "inspector": [w.hall.name],
                "partner": [w.partner_hall.name]}.get(name, [])

    def must_hide(self, name: str) -> list[str]:
        w = self.world
        return {"assessor": [w.other_hall.name], "head": [w.other_hall.name],
                "inspector": [w.other_hall.name], "partner": [w.hall.name]}.get(name, [])


class UnitDetailTests(RoleMatrix, WorldTestCase):
    # The hall of the in-scope head: in the assessor's branch, assigned to the inspector.
    expect = {"admin": 200, "assessor": 200, "assessor_out": 404, "head": 200, "head_out": 404,
              "staff": 403, "staff_out": 403, "inspector": 200, "inspector_out": 404,
              "partner": 404, "partner_out": 404}

    def url(self) -> str:
        return reverse("org:unit", args=[self.world.hall.pk])

    def must_show(self, name: str) -> list[str]:
        return [self.world.clerk.name]
