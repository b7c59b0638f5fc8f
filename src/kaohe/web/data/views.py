"""Views of the data app: data loads (list, report, upload).

Who sees what (every view starts from ``restrict``; 404 outside the scope, 403 for a role that
may not take the action at all, the login page for anonymous users):

- ``data:list`` and ``data:load``: admins and assessors see the loads of their scope (action
  "import": an assessor's uploads belong to their unit, an admin's to no unit, so only admins
  see those); hall heads and inspectors see their own form entries (of their hall / outlets).
  Staff and channel partners: 403.
- ``data:upload`` (action "import"): admins and assessors. Assessors may only load rows of
  their subtree (``services.outside_scope``), reported with every other error of the file.

Inspections and the head's entries are in ``data.entry_views``.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from kaohe.report.safe import csv_row
from kaohe.web.core.querysets import scope_of
from kaohe.web.core.roles import Action, can
from kaohe.web.core.workspace import workspace
from kaohe.web.data.forms import UploadForm
from kaohe.web.data.models import DataLoad
from kaohe.web.data.services import load_file, shown_reason
from kaohe.web.data.uploads import TooLarge

PER_PAGE = 50
ERRORS_PER_PAGE = 1000


def loads_for(user: Any) -> Any:
    """The loads ``user`` may read; raises PermissionDenied for roles without any."""
    if can(user, Action.IMPORT):
        return DataLoad.objects.restrict(user, Action.IMPORT)
    for action in (Action.ENTER, Action.INSPECT):
        if can(user, action):
            # Their own form entries (a head's spot checks, an inspector's visits), in scope.
            return DataLoad.objects.restrict(user, action).filter(via=DataLoad.Via.FORM,
                                                                  loaded_by=user)
    raise PermissionDenied


def source_choices() -> list[tuple[str, str]]:
    """The workspace's fact sources as (name, "title (name)")."""
    sources = workspace().sources
    return [(name, f"{s.title}（{name}）") for name, s in sorted(sources.items())]


@login_required
def load_list(request: HttpRequest) -> HttpResponse:
    # The list never shows error rows: do not fetch them (up to errors_kept per load).
    rows = loads_for(request.user).select_related("loaded_by", "unit").defer("errors")
    source = request.GET.get("source", "").strip()
    status = request.GET.get("status", "").strip()
    if source:
        rows = rows.filter(source=source)
    if status in DataLoad.Status.values:
        rows = rows.filter(status=status)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    sources = sorted(set(loads_for(request.user).values_list("source", flat=True)))
    return render(request, "data/list.html", {
        **store_overview(request.user),
        "page": page, "source": source, "status": status, "sources": sources,
        "statuses": DataLoad.Status.choices,
        "may_upload": can(request.user, Action.IMPORT),
        "may_enter": can(request.user, Action.ENTER),
        "may_inspect": can(request.user, Action.INSPECT),
    })


COVERAGE_PERIODS = 6  # the latest months shown per source


def store_overview(user: Any) -> dict[str, Any]:
    """What the store holds, read from the store itself so that ``kaohe import`` counts as
    much as an upload: each source's rows and covered entities in the latest months, and the
    latest imports. Company-wide counts: for admins only (an assessor's scope is a branch)."""
    if not scope_of(user).everything:
        return {}
    from kaohe.web.core.workspace import store_lock
    from kaohe.workspace.completeness import coverage, stored_imports

    ws = workspace()
    with store_lock:
        cells = coverage(ws)
        imports = stored_imports(ws)
    periods = sorted({c.period for c in cells}, reverse=True)[:COVERAGE_PERIODS]
    by_source: dict[str, dict[str, Any]] = {}
    for c in cells:
        row = by_source.setdefault(c.source, {"source": c.source, "title": c.title, "cells": {}})
        row["cells"][c.period] = c
    rows = [{**row, "cells": [row["cells"].get(p) for p in periods]}
            for _name, row in sorted(by_source.items())]
    return {"coverage": {"periods": periods, "rows": rows}, "stored_imports": imports}


@login_required
def load_detail(request: HttpRequest, pk: int) -> HttpResponse:
    load = get_object_or_404(loads_for(request.user).select_related("loaded_by", "unit"), pk=pk)
    errors = [e if isinstance(e, dict) else {"reason": str(e)} for e in load.errors]
    page = Paginator(errors, ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = [{**e, "reason": shown_reason(e)} for e in page.object_list]
    return render(request, "data/load.html", {"load": load, "page": page,
                                              "error_count": max(load.error_count, len(errors)),
                                              "not_kept": load.errors_not_kept})


@login_required
def load_errors_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The stored bad rows of a rejected load as CSV (UTF-8 with BOM, so that Excel opens it);
    a last line counts the errors not kept."""
    load = get_object_or_404(loads_for(request.user), pk=pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="load-{load.pk}-errors.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(csv_row([_("行号"), _("列"), _("值"), _("原因")]))
    for e in load.errors:  # values are the file's cells: text a spreadsheet won't evaluate
        e = e if isinstance(e, dict) else {"reason": str(e)}
        writer.writerow(csv_row([e.get("row", ""), e.get("column", ""), e.get("value", ""),
                                 shown_reason(e)]))
    if load.errors_not_kept:
        writer.writerow(csv_row(["", "", "", not_kept_text(load.errors_not_kept)]))
    return response


def not_kept_text(n: int) -> str:
    return _("…及另外 %(n)s 处错误（未保存明细）") % {"n": n}


@csrf_exempt  # CSRF is checked by _upload, after the size-limiting handler is in place
@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    """Upload a fact file (action "import"); the report of the load follows, stored or not."""
    if not can(request.user, Action.IMPORT):
        raise PermissionDenied
    handler = None
    if request.method == "POST":
        # Before anything reads the body: an oversized file is cut off, not spooled to disk.
        handler = TooLarge(request, settings.KAOHE_MAX_UPLOAD_BYTES)
        request.upload_handlers.insert(0, handler)
    return _upload(request, handler)


@csrf_protect
def _upload(request: HttpRequest, handler: TooLarge | None) -> HttpResponse:
    sources = source_choices()
    if request.method != "POST":
        return render(request, "data/upload.html", {"form": UploadForm(sources=sources),
                                                    **_limits()})
    form = UploadForm(request.POST, request.FILES, sources=sources)
    if handler is not None and handler.exceeded:
        form.is_valid()
        form.errors.clear()
        form.add_error("file", _("文件过大：上限 %(mb)s MB") % {
            "mb": settings.KAOHE_MAX_UPLOAD_BYTES // (1024 * 1024)})
        return render(request, "data/upload.html", {"form": form, **_limits()}, status=400)
    if not form.is_valid():
        return render(request, "data/upload.html", {"form": form, **_limits()}, status=400)
    user = request.user
    upload_file = form.cleaned_data["file"]
    name = Path(upload_file.name).name[:255]
    profile_unit = None if scope_of(user).everything else user.profile.unit  # type: ignore[union-attr]
    load = DataLoad(source=form.cleaned_data["source"], file_name=name, via=DataLoad.Via.UPLOAD,
                    replace_period=form.cleaned_data["replace_period"], unit=profile_unit,
                    loaded_by=user)
    with tempfile.TemporaryDirectory(prefix="kaohe-upload-") as tmp:
        # A private copy under a fixed name: the user's file name never becomes a path.
        path = Path(tmp) / f"upload{Path(name).suffix.lower()}"
        with path.open("wb") as fh:
            for chunk in upload_file.chunks():
                fh.write(chunk)
        outcome = load_file(user, Action.IMPORT, load, path,
                            header_row=form.cleaned_data["header_row"],
                            sheet=form.cleaned_data["sheet"] or None)
    if outcome.ok:
        messages.success(request, _("已导入 %(n)s 行") % {"n": outcome.load.rows})
    else:
        messages.error(request, _("导入被拒绝，未保存任何数据"))
    return redirect("data:load", pk=outcome.load.pk)


def _limits() -> dict[str, Any]:
    return {"max_mb": settings.KAOHE_MAX_UPLOAD_BYTES // (1024 * 1024)}
