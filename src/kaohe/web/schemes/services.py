"""Keep the web's schemes and the workspace's scheme files in step.

``sync_schemes`` imports the files (at setup, or after edits with the CLI); ``save_version`` and
``create_scheme`` are the web's edits: validated inside the transaction, stored as a new
``SchemeVersion`` and written back to ``schemes/<code>.yaml`` so that the CLI sees them too.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from kaohe.scheme.model import Scheme as ParsedScheme
from kaohe.web.core.querysets import scope_of
from kaohe.web.core.roles import Action, can
from kaohe.web.core.workspace import store_lock, workspace
from kaohe.web.org.models import Unit
from kaohe.web.schemes.models import Scheme, SchemeVersion
from kaohe.web.schemes.validation import Problem, normalize, validate
from kaohe.workspace import Workspace


@transaction.atomic
def sync_schemes(ws: Workspace, user: Any = None) -> list[Scheme]:
    """Every scheme file of the workspace becomes a Scheme; a file whose text differs from the
    current version becomes a new version (edited outside the web, e.g. with the CLI).

    It touches every scheme, so from the web only an admin may call it (schemes.views). A
    scheme first seen here is company-wide (no unit): an admin gives it a narrower scope."""
    out: list[Scheme] = []
    for code in ws.scheme_codes():
        parsed = ws.scheme(code)
        scheme, _ = Scheme.objects.get_or_create(code=code, defaults={
            "name": parsed.name, "entity": parsed.entity, "period": parsed.period})
        current = scheme.current
        if current is None or current.text != parsed.text:
            number = (current.number + 1) if current is not None else 1
            version = SchemeVersion.objects.create(
                scheme=scheme, number=number, text=parsed.text, author=user,
                note="从工作区导入 imported from the workspace")
            scheme.current = version
        scheme.name, scheme.entity, scheme.period = parsed.name, parsed.entity, parsed.period
        scheme.save()
        out.append(scheme)
    return out


class SaveRefused(Exception):
    """The text was not saved; ``problems`` says why (each at its line where it has one)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def scheme_file(ws: Workspace, code: str) -> Path:
    """The file a scheme lives in: the existing ``.yaml`` or ``.yml``, else a new ``.yaml``."""
    for suffix in (".yaml", ".yml"):
        path = ws.root / "schemes" / f"{code}{suffix}"
        if path.exists():
            return path
    return ws.root / "schemes" / f"{code}.yaml"


def write_text(path: Path, text: str) -> None:
    """Replace ``path`` atomically: readers (the CLI, a run) see the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _checked(ws: Workspace, code: str, text: str) -> ParsedScheme:
    """The parsed scheme, or ``SaveRefused`` with every problem ``kaohe check`` finds."""
    result = validate(ws, code, text)
    if not result.ok or result.scheme is None:
        raise SaveRefused(result.problems)
    return result.scheme


def _store(ws: Workspace, scheme: Scheme, parsed: ParsedScheme, text: str, note: str,
           user: Any) -> SchemeVersion:
    """Inside the caller's transaction: the new version, the scheme's current pointer and
    names, then the file. A failing write raises, so the transaction stores nothing; if the
    commit fails after the write, the caller puts the old file back."""
    last = scheme.versions.aggregate(n=Max("number"))["n"] or 0
    version = SchemeVersion.objects.create(scheme=scheme, number=last + 1, text=text,
                                           note=note, author=user)
    scheme.current = version
    scheme.name, scheme.entity, scheme.period = parsed.name, parsed.entity, parsed.period
    scheme.save()
    path = scheme_file(ws, scheme.code)
    try:
        with store_lock:
            write_text(path, text)
    except OSError as exc:  # leaving the block rolls the transaction back: nothing is stored
        raise SaveRefused([Problem(None, "", _("无法写入方案文件 %(path)s：%(error)s")
                                   % {"path": path, "error": exc.strerror or exc})]) from exc
    return version


def _restoring(path: Path, old: str | None) -> None:
    """Undo a file write whose transaction did not commit."""
    if old is None:
        path.unlink(missing_ok=True)
    else:
        write_text(path, old)


def save_version(user: Any, code: str, text: str, note: str = "",
                 base: int | None = None) -> SchemeVersion:
    """Store ``text`` as the next version of scheme ``code`` and rewrite its file.

    Raises ``Scheme.DoesNotExist`` when ``user`` may not configure the scheme, ``SaveRefused``
    when the text does not pass ``kaohe check``, is unchanged, was edited from version ``base``
    while another version became current, or the file no longer holds the current version
    (edited outside the web: import it first). Nothing is stored unless everything succeeds.
    """
    text = normalize(text)
    ws = workspace()
    path: Path | None = None
    old: str | None = None
    written = False  # the file holds ``text``: undo it if the commit fails
    try:
        with transaction.atomic():
            scheme = (Scheme.objects.restrict(user, Action.CONFIGURE).select_for_update()
                      .get(code=code))
            current = scheme.current
            if base is not None and current is not None and current.number != base:
                raise SaveRefused([Problem(None, "", _(
                    "方案已被他人修改（当前为第 %(n)d 版），请在最新版本上重新编辑")
                    % {"n": current.number})])
            if current is not None and current.text == text:
                raise SaveRefused([Problem(None, "", _("内容没有变化，未保存"))])
            path = scheme_file(ws, code)
            with store_lock:
                old = path.read_text(encoding="utf-8") if path.exists() else None
            if current is not None and old is not None and old != current.text:
                raise SaveRefused([Problem(None, "", _(
                    "工作区中的方案文件已在网页之外被修改，请先导入工作区中的方案"))])
            version = _store(ws, scheme, _checked(ws, code, text), text, note, user)
            written = True
    except BaseException:
        if written and path is not None:
            with store_lock:
                _restoring(path, old)
        raise
    return version


def may_own(user: Any, unit: Unit | None) -> bool:
    """May ``user`` give a scheme the scope ``unit`` (None: company-wide)? Only a scope inside
    their own (roles.WHOLE_SCHEME): an assessor a unit of their subtree, an admin anything."""
    if not can(user, Action.CONFIGURE):
        return False
    scope = scope_of(user)
    if unit is None:
        return scope.everything
    return Unit.objects.filter(scope.covers_q(""), pk=unit.pk).exists()


def set_scope(user: Any, code: str, unit: Unit | None) -> Scheme:
    """Give scheme ``code`` the scope ``unit``. Raises ``Scheme.DoesNotExist`` when ``user`` may
    not configure the scheme as it is, ``PermissionError`` when not with the new scope."""
    with transaction.atomic():
        scheme = Scheme.objects.restrict(user, Action.CONFIGURE).select_for_update().get(code=code)
        if not may_own(user, unit):
            raise PermissionError(code)
        scheme.unit = unit
        scheme.save(update_fields=["unit"])
    return scheme


def create_scheme(user: Any, code: str, text: str, note: str = "",
                  unit: Unit | None = None) -> SchemeVersion:
    """A new scheme from the web, with the scope ``unit`` (None: company-wide): version 1 and
    the file ``schemes/<code>.yaml``.

    Raises ``PermissionError`` when ``user`` may not configure schemes of that scope and
    ``SaveRefused`` when the code is taken (in the database or as a file) or the text does not
    pass ``kaohe check``.
    """
    if not may_own(user, unit):
        raise PermissionError(code)
    text = normalize(text)
    ws = workspace()
    path = scheme_file(ws, code)
    written = False
    try:
        with transaction.atomic():
            if Scheme.objects.filter(code=code).exists() or path.exists():
                raise SaveRefused([Problem(None, "code", _("方案代码 %(code)s 已存在")
                                           % {"code": code})])
            parsed = _checked(ws, code, text)
            scheme = Scheme.objects.create(code=code, name=parsed.name, entity=parsed.entity,
                                           period=parsed.period, unit=unit)
            version = _store(ws, scheme, parsed, text, note, user)
            written = True
    except BaseException:
        if written:
            with store_lock:
                _restoring(path, None)
        raise
    return version
