"""Keep the web's schemes and the workspace's scheme files in step."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from kaohe.web.schemes.models import Scheme, SchemeVersion
from kaohe.workspace import Workspace


@transaction.atomic
def sync_schemes(ws: Workspace, user: Any = None) -> list[Scheme]:
    """Every scheme file of the workspace becomes a Scheme; a file whose text differs from the
    current version becomes a new version (edited outside the web, e.g. with the CLI)."""
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
