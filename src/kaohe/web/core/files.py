"""What an uploaded file *is*, by its first bytes: the signatures kaohe accepts for appeal
attachments (PDF, JPEG, PNG) and inspection photos (JPEG, PNG). The file's name and the
browser's content type are never trusted; a stored file is named after its detected kind."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse
from django.utils.http import content_disposition_header


@dataclass(frozen=True)
class FileKind:
    content_type: str
    extension: str
    magic: bytes


PDF = FileKind("application/pdf", ".pdf", b"%PDF-")
JPEG = FileKind("image/jpeg", ".jpg", b"\xff\xd8\xff")
PNG = FileKind("image/png", ".png", b"\x89PNG\r\n\x1a\n")
KINDS = (PDF, JPEG, PNG)
IMAGES = (JPEG, PNG)


def sniff(head: bytes) -> FileKind | None:
    """The kind whose signature ``head`` (a file's first bytes) starts with, or None."""
    return next((k for k in KINDS if head.startswith(k.magic)), None)


def kind_of(upload: UploadedFile) -> FileKind | None:
    """The upload's kind by its first bytes (the read position is left at the start)."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    return sniff(head)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(data: bytes, filename: str) -> HttpResponse:
    """An .xlsx download (RFC 6266 file name: a Chinese name survives every browser)."""
    return HttpResponse(data, content_type=XLSX, headers={
        "Content-Disposition": content_disposition_header(True, filename)})
