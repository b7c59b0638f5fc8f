"""Shared helpers of the appeals tests: files, a temporary MEDIA_ROOT, appeals made directly."""

from __future__ import annotations

import shutil
import tempfile
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from world import World

from kaohe.web.appeals.models import Appeal
from kaohe.web.runs.models import Result

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> Any:
    return SimpleUploadedFile(name, content, content_type=content_type)


def staff_result(world: World) -> Result:
    """The in-scope staff member's own clerk_star result."""
    return world.result("clerk_star", world.clerk.pk)


def fresh_appeal(world: World, result: Result | None = None, reason: str = "业务量漏计") -> Appeal:
    """A new open appeal by "staff" on their result; any open appeal there is closed first (the
    one-open-appeal rule), so a test can ask for as many as it needs."""
    result = result or staff_result(world)
    Appeal.objects.filter(result=result, status=Appeal.Status.FILED).update(
        status=Appeal.Status.REJECTED)
    return Appeal.objects.create(result=result, reason=reason, filed_by=world.users["staff"])


class TemporaryMedia:
    """Mixin for test cases: MEDIA_ROOT is a fresh folder, removed after the class."""

    _media: str
    _media_override: Any

    @classmethod
    def setUpClass(cls) -> None:
        cls._media = tempfile.mkdtemp(prefix="kaohe-appeals-")
        cls._media_override = override_settings(MEDIA_ROOT=cls._media)
        cls._media_override.enable()
        super().setUpClass()  # type: ignore[misc]

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()  # type: ignore[misc]
        cls._media_override.disable()
        shutil.rmtree(cls._media, ignore_errors=True)

