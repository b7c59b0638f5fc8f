"""Checks on uploaded files before anything reads them: size, extension and content.

A data file must be what its extension says: ``.xlsx`` a zip holding a workbook, ``.parquet``
framed by the magic ``PAR1``, ``.csv`` text in UTF-8 or GB18030 without NUL bytes. A photo must
be a JPEG or PNG by its magic bytes (``core.files``). Uploaded files are copied to a private
temporary folder (data) or saved under a random name (photos); they are never executed and
never served as static files.
"""

from __future__ import annotations

import codecs
import zipfile
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils.translation import gettext as _

from kaohe.web.core.files import IMAGES, kind_of

DATA_SUFFIXES = (".csv", ".xlsx", ".parquet")
CHUNK = 1 << 20


class TooLarge(FileUploadHandler):
    """First upload handler of a view: stops the upload once it passes ``limit`` bytes, so an
    oversized file is neither kept in memory nor written to disk. ``exceeded`` tells the view."""

    def __init__(self, request: Any, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.seen = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.seen += len(raw_data)
        if self.seen > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def _chunks(f: UploadedFile) -> Any:
    f.seek(0)
    yield from f.chunks(CHUNK)
    f.seek(0)


def _head_tail(f: UploadedFile, n: int) -> tuple[bytes, bytes]:
    f.seek(0)
    head = f.read(n)
    f.seek(max(0, f.size - n))
    tail = f.read(n)
    f.seek(0)
    return head, tail


def _is_text(f: UploadedFile) -> bool:
    """Decodes as UTF-8 (with or without BOM) or else as GB18030, and holds no NUL byte."""
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for chunk in _chunks(f):
                if b"\x00" in chunk:
                    return False
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return True
        except UnicodeDecodeError:
            continue
    return False


def _is_workbook(f: UploadedFile) -> bool:
    head, _tail = _head_tail(f, 4)
    if head != b"PK\x03\x04":
        return False
    try:
        f.seek(0)
        with zipfile.ZipFile(f) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        f.seek(0)
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


def data_file_problem(f: UploadedFile, limit: int) -> str | None:
    """Why ``f`` may not be imported (a translated message), or None when it may."""
    suffix = Path(f.name or "").suffix.lower()
    if suffix not in DATA_SUFFIXES:
        return _("不支持的文件类型，请上传 .csv、.xlsx 或 .parquet 文件")
    if f.size > limit:
        return _("文件过大：上限 %(mb)s MB") % {"mb": limit // (1024 * 1024)}
    if f.size == 0:
        return _("文件为空")
    if suffix == ".xlsx" and not _is_workbook(f):
        return _("文件内容不是 Excel 工作簿（.xlsx）")
    if suffix == ".parquet":
        head, tail = _head_tail(f, 4)
        if head != b"PAR1" or tail != b"PAR1":
            return _("文件内容不是 Parquet 文件")
    if suffix == ".csv" and not _is_text(f):
        return _("CSV 文件须为 UTF-8 或 GB18030 编码的文本")
    return None


def photo_suffix(f: UploadedFile, limit: int) -> tuple[str | None, str | None]:
    """(".jpg" or ".png", None) for an acceptable photo, else (None, translated reason)."""
    if f.size > limit:
        return None, _("照片过大：上限 %(mb)s MB") % {"mb": limit // (1024 * 1024)}
    kind = kind_of(f)
    if kind in IMAGES:
        return kind.extension, None  # type: ignore[union-attr]
    return None, _("照片须为 JPEG 或 PNG 图片")
