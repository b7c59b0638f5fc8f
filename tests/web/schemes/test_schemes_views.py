"""The schemes pages: who may see them (every view, every role) and what they show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import reverse
from viewtests import RoleMatrix, WorldTestCase

from kaohe.web.schemes.models import Scheme

# Both assessors read every scheme; the demo's schemes are company-wide, so only admins write
# them (roles.WHOLE_SCHEME; branch-scoped schemes: tests/web/core/test_scope_writes.py).
CONFIGURERS = {"admin": 200, "assessor": 200, "assessor_out": 200}
EXPECT = {**CONFIGURERS, **{name: 403 for name in (
    "head", "head_out", "staff", "staff_out", "inspector", "inspector_out", "partner",
    "partner_out")}}
WRITERS = {**EXPECT, "assessor": 403, "assessor_out": 403}


def schemes_dir() -> Path:
    return Path(settings.WORKSPACE) / "schemes"


class RestoresSchemeFiles:
    """The workspace is shared by the whole test session: put its scheme files back."""

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        saved = {p: p.read_text(encoding="utf-8") for p in schemes_dir().iterdir()}

        def restore() -> None:
            for p in schemes_dir().iterdir():
                if p not in saved:
                    p.unlink()
            for p, text in saved.items():
                p.write_text(text, encoding="utf-8")

        self.addCleanup(restore)  # type: ignore[attr-defined]


class ListMatrix(RoleMatrix, WorldTestCase):
    expect = EXPECT

    def url(self) -> str:
        return reverse("schemes:list")

    def must_show(self, name: str) -> list[str]:
        return ["clerk_star", "hall_service", reverse("schemes:detail", args=["clerk_star"])]


class DetailMatrix(RoleMatrix, WorldTestCase):
    expect = EXPECT

    def url(self) -> str:
        return reverse("schemes:detail", args=["clerk_star"])

    def must_show(self, name: str) -> list[str]:
        # From the demo's clerk_star.yaml: an indicator, its rule as describe_rule() words it,
        # a numbered line of the text and the link to version 1.
        return ["development", "发展类业务量", "percentile 组内百分位 direction=higher",
                "veto 一票否决: v &gt; 0", '<td class="ln">1</td>',
                reverse("schemes:version", args=["clerk_star", 1])]


class EditMatrix(RoleMatrix, WorldTestCase):
    expect = WRITERS

    def url(self) -> str:
        return reverse("schemes:edit", args=["clerk_star"])

    def must_show(self, name: str) -> list[str]:
        return ["schemes/editor.js", reverse("schemes:validate"), "营业员星级考核"]


class EditPostMatrix(RestoresSchemeFiles, RoleMatrix, WorldTestCase):
    expect = WRITERS
    method = "post"

    def url(self) -> str:
        return reverse("schemes:edit", args=["clerk_star"])

    def data(self) -> dict[str, Any]:
        # No base: each allowed user saves one more version on top of the last.
        current = Scheme.objects.get(code="clerk_star").current
        assert current is not None
        return {"text": current.text + "# edited\n", "note": "matrix"}


class NewMatrix(RoleMatrix, WorldTestCase):
    expect = EXPECT

    def url(self) -> str:
        return reverse("schemes:new")


class NewPostMatrix(RestoresSchemeFiles, RoleMatrix, WorldTestCase):
    expect = WRITERS
    method = "post"
    n = 0

    def url(self) -> str:
        return reverse("schemes:new")

    def data(self) -> dict[str, Any]:
        NewPostMatrix.n += 1  # a fresh code for each allowed user
        text = (schemes_dir() / "hall_service.yaml").read_text(encoding="utf-8")
        return {"code": f"copy_{NewPostMatrix.n}", "text": text}


class ValidateMatrix(RoleMatrix, WorldTestCase):
    expect = EXPECT
    method = "post"

    def url(self) -> str:
        return reverse("schemes:validate")

    def data(self) -> dict[str, Any]:
        return {"code": "clerk_star", "text": "name: x\n"}


class VersionMatrix(RoleMatrix, WorldTestCase):
    expect = EXPECT

    def url(self) -> str:
        return reverse("schemes:version", args=["clerk_star", 1])

    def must_show(self, name: str) -> list[str]:
        # the run the world computed with version 1
        return [reverse("runs:detail", args=[self.world.runs["clerk_star"].pk]), "2026-09"]


class DiffMatrix(RoleMatrix, WorldTestCase):
    expect = EXPECT

    def url(self) -> str:
        return reverse("schemes:diff", args=["clerk_star"]) + "?a=1&b=1"


class SyncMatrix(RoleMatrix, WorldTestCase):
    expect = WRITERS
    method = "post"

    def url(self) -> str:
        return reverse("schemes:sync")
