"""The dashboard needs a login and shows every role a page."""

from __future__ import annotations

from typing import ClassVar

from django.urls import reverse
from viewtests import RoleMatrix, WorldTestCase


class DashboardViewTests(RoleMatrix, WorldTestCase):
    expect: ClassVar[dict[str, int]] = {name: 200 for name in (
        "admin", "assessor", "assessor_out", "head", "head_out", "staff", "staff_out",
        "inspector", "inspector_out", "partner", "partner_out")}

    def url(self) -> str:
        return reverse("core:dashboard")


class RegimeMenuTests(WorldTestCase):
    def test_regime_pages_appear_only_where_their_schemes_are(self) -> None:
        # the test world is the telecom demo: the channel pages, not the power station's
        page = self.get_as("admin", reverse("core:dashboard")).content.decode()
        self.assertIn(f'href="{reverse("channels:partners")}"', page)
        self.assertNotIn(f'href="{reverse("power:dashboard")}"', page)
