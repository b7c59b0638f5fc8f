"""Views of the schemes app: list, detail, editor with live validation, versions and diffs.

Only roles that may configure schemes (admin, assessor) see these pages: anyone else gets 403.
Both read every scheme (its rules explain the results they see). Writing one — editing, a new
scheme, its scope — needs the scheme's scope 适用范围 inside the user's (``roles.WHOLE_SCHEME``,
``Scheme.owner_q``): a scheme the user reads but may not write is a 403, an unknown code a 404.
Importing the workspace's files touches every scheme, so it is for admins.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kaohe.errors import InputError
from kaohe.scheme.loader import parse_scheme
from kaohe.web.core.querysets import scope_of
from kaohe.web.core.roles import Action, can
from kaohe.web.core.workspace import workspace
from kaohe.web.org.models import Unit
from kaohe.web.runs.models import Run
from kaohe.web.schemes import services
from kaohe.web.schemes.diffs import line_diff
from kaohe.web.schemes.forms import DiffForm, SchemeEditForm, SchemeNewForm, ScopeForm
from kaohe.web.schemes.models import Scheme, SchemeVersion
from kaohe.web.schemes.validation import Problem, normalize, validate

ROLE_LABELS = {"scored": gettext_lazy("计分"), "bonus": gettext_lazy("加分"),
               "penalty": gettext_lazy("扣分"), "veto": gettext_lazy("一票否决"),
               "info": gettext_lazy("仅展示")}


def _require_configure(request: HttpRequest) -> None:
    if not can(request.user, Action.CONFIGURE):
        raise PermissionDenied


def _schemes(request: HttpRequest) -> Any:
    """The schemes the user reads (every scheme, for those who configure)."""
    return Scheme.objects.restrict(request.user)


def _versions(request: HttpRequest) -> Any:
    return SchemeVersion.objects.restrict(request.user)


def _writable(request: HttpRequest, scheme: Scheme) -> bool:
    return Scheme.objects.restrict(request.user, Action.CONFIGURE).filter(pk=scheme.pk).exists()


def _require_writable(request: HttpRequest, scheme: Scheme) -> None:
    if not _writable(request, scheme):
        raise PermissionDenied(_("该方案的适用范围（%(scope)s）不在您的管辖范围内，不能修改。")
                               % {"scope": scheme.scope_label})


def _scope_units(request: HttpRequest) -> Any:
    """The units the user may give a scheme as its scope."""
    return Unit.objects.filter(scope_of(request.user).covers_q("")).order_by("path")


def _check_scope_choice(request: HttpRequest) -> None:
    """403 when the posted scope is not the user's to give: company-wide (empty) for anyone but
    an admin, a unit outside their subtree. An unknown unit is left to the form."""
    unit_id = request.POST.get("unit", "")
    if not unit_id:
        if not scope_of(request.user).everything:
            raise PermissionDenied(_("全公司方案须由考核管理员设置。"))
        return
    if (Unit.objects.filter(pk=unit_id).exists()
            and not _scope_units(request).filter(pk=unit_id).exists()):
        raise PermissionDenied(_("不能把方案的适用范围设为您管辖范围以外的单位。"))


def _numbered(text: str) -> list[tuple[int, str]]:
    return list(enumerate(text.splitlines(), start=1))


@login_required
def scheme_list(request: HttpRequest) -> HttpResponse:
    """Every scheme with its current version, last change and number of runs."""
    _require_configure(request)
    schemes = (_schemes(request).select_related("current", "current__author", "unit")
               .annotate(run_count=Count("runs")).order_by("code"))
    writable = set(Scheme.objects.restrict(request.user, Action.CONFIGURE)
                   .values_list("pk", flat=True))
    return render(request, "schemes/scheme_list.html", {
        "schemes": schemes, "writable": writable,
        "can_sync": scope_of(request.user).everything})


def _indicators(scheme: Scheme) -> tuple[list[dict[str, Any]], str]:
    """The current version's indicators for the summary table, or the parse error."""
    if scheme.current is None:
        return [], ""
    try:
        parsed = parse_scheme(scheme.current.text, scheme.code)
    except InputError as exc:
        return [], str(exc)
    rows = [{"code": i.code, "name": i.name, "role": i.role,
             "role_label": ROLE_LABELS.get(i.role, i.role), "weight": i.weight,
             "rule": i.describe_rule(), "source": i.source or "", "value": i.value}
            for i in parsed.indicators]
    return rows, ""


@login_required
def scheme_detail(request: HttpRequest, code: str) -> HttpResponse:
    """The current text (read-only, numbered), its indicators and the version history."""
    _require_configure(request)
    scheme = get_object_or_404(_schemes(request).select_related("current", "current__author",
                                                                "unit"), code=code)
    versions = list(_versions(request).filter(scheme=scheme).select_related("author")
                    .annotate(run_count=Count("runs")).order_by("-number"))
    indicators, parse_error = _indicators(scheme)
    current = scheme.current
    diff_form = DiffForm(initial={"a": versions[1].number if len(versions) > 1 else None,
                                  "b": current.number if current else None})
    return render(request, "schemes/scheme_detail.html", {
        "scheme": scheme, "current": current, "versions": versions,
        "lines": _numbered(current.text) if current else [],
        "indicators": indicators, "parse_error": parse_error, "diff_form": diff_form,
        "run_count": Run.objects.restrict(request.user).filter(scheme=scheme).count(),
        "writable": (writable := _writable(request, scheme)),
        "scope_form": ScopeForm(units=_scope_units(request),
                                company_wide=scope_of(request.user).everything,
                                initial={"unit": scheme.unit_id}) if writable else None,
    })


@login_required
def scheme_edit(request: HttpRequest, code: str) -> HttpResponse:
    """GET: the editor on the current text. POST: a new version, or the page again with every
    problem listed when ``services.save_version`` refuses it."""
    _require_configure(request)
    scheme = get_object_or_404(_schemes(request).select_related("current"), code=code)
    _require_writable(request, scheme)
    problems: list[Problem] = []
    if request.method == "POST":
        form = SchemeEditForm(request.POST)
        if form.is_valid():
            try:
                version = services.save_version(
                    request.user, code, form.cleaned_data["text"], form.cleaned_data["note"],
                    form.cleaned_data["base"])
            except Scheme.DoesNotExist as exc:  # configure rights lost meanwhile
                raise PermissionDenied from exc
            except services.SaveRefused as exc:
                problems = exc.problems
            else:
                messages.success(request, _("已保存为第 %(n)d 版") % {"n": version.number})
                return redirect("schemes:detail", code=code)
    else:
        current = scheme.current
        form = SchemeEditForm(initial={"text": current.text if current else "",
                                       "base": current.number if current else None})
    return render(request, "schemes/scheme_edit.html",
                   {"scheme": scheme, "form": form, "problems": problems},
                   status=400 if problems else 200)


@login_required
def scheme_new(request: HttpRequest) -> HttpResponse:
    """A new scheme: its code (the file name) and YAML, checked like an edit."""
    _require_configure(request)
    problems: list[Problem] = []
    units = {"units": _scope_units(request), "company_wide": scope_of(request.user).everything}
    if request.method == "POST":
        _check_scope_choice(request)
        form = SchemeNewForm(request.POST, **units)
        if form.is_valid():
            code = form.cleaned_data["code"]
            try:
                version = services.create_scheme(request.user, code, form.cleaned_data["text"],
                                                 form.cleaned_data["note"],
                                                 unit=form.cleaned_data["unit"])
            except PermissionError as exc:  # the scope is no longer the user's to give
                raise PermissionDenied from exc
            except services.SaveRefused as exc:
                problems = exc.problems
            else:
                messages.success(request, _("已新建方案 %(code)s") % {"code": code})
                return redirect("schemes:detail", code=version.scheme.code)
    else:
        form = SchemeNewForm(**units, initial={"unit": getattr(
            getattr(request.user, "profile", None), "unit_id", None)})
    return render(request, "schemes/scheme_new.html", {"form": form, "problems": problems},
                   status=400 if problems or form.is_bound else 200)


@login_required
@require_POST
def scheme_validate(request: HttpRequest) -> JsonResponse:
    """The editor's live check: POST ``code`` and ``text``; answers
    ``{"ok": bool, "problems": [{"line": n or null, "path": "...", "message": "..."}]}``."""
    _require_configure(request)
    code = request.POST.get("code", "")
    text = normalize(request.POST.get("text", ""))
    result = validate(workspace(), code, text)
    return JsonResponse({"ok": result.ok, "problems": [p.as_json() for p in result.problems]})


@login_required
def scheme_version(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """One version's text and the runs computed with it."""
    _require_configure(request)
    scheme = get_object_or_404(_schemes(request).select_related("current"), code=code)
    version = get_object_or_404(_versions(request).select_related("author"), scheme=scheme,
                                number=number)
    runs = (Run.objects.restrict(request.user).filter(version=version)
            .order_by("-period", "-created"))
    previous = (_versions(request).filter(scheme=scheme, number__lt=number)
                .order_by("-number").first())
    return render(request, "schemes/scheme_version.html", {
        "scheme": scheme, "version": version, "lines": _numbered(version.text), "runs": runs,
        "previous": previous, "writable": _writable(request, scheme),  # what-if link
    })


@login_required
def scheme_diff(request: HttpRequest, code: str) -> HttpResponse:
    """The line diff from version ``a`` to version ``b`` (``?a=N&b=M``); without both, the
    current version against the one before it."""
    _require_configure(request)
    scheme = get_object_or_404(_schemes(request).select_related("current"), code=code)
    versions = _versions(request).filter(scheme=scheme)
    data = request.GET
    if "a" not in data and "b" not in data and scheme.current is not None:
        data = {"a": max(scheme.current.number - 1, 1), "b": scheme.current.number}
    form = DiffForm(data)
    numbers = list(versions.order_by("-number").values_list("number", flat=True))
    context: dict[str, Any] = {"scheme": scheme, "form": form, "numbers": numbers}
    if not form.is_valid():
        return render(request, "schemes/scheme_diff.html", context, status=400)
    a = get_object_or_404(versions.select_related("author"), number=form.cleaned_data["a"])
    b = get_object_or_404(versions.select_related("author"), number=form.cleaned_data["b"])
    rows = line_diff(a.text, b.text)
    context.update({"a": a, "b": b, "rows": rows,
                    "added": sum(1 for r in rows if r.kind == "add"),
                    "removed": sum(1 for r in rows if r.kind == "del")})
    return render(request, "schemes/scheme_diff.html", context)


@login_required
@require_POST
def scheme_sync(request: HttpRequest) -> HttpResponse:
    """Import the workspace's scheme files (edited with the CLI) as new versions. It writes
    every scheme, company-wide ones included: admins only."""
    _require_configure(request)
    if not scope_of(request.user).everything:
        raise PermissionDenied(_("从工作区导入会修改所有方案，须由考核管理员操作。"))
    try:
        synced = services.sync_schemes(workspace(), request.user)
    except InputError as exc:  # a broken file: say which, import nothing
        messages.error(request, str(exc))
        return redirect("schemes:list")
    messages.success(request, _("已从工作区导入 %(n)d 个方案") % {"n": len(synced)})
    return redirect("schemes:list")


@login_required
@require_POST
def scheme_scope(request: HttpRequest, code: str) -> HttpResponse:
    """Change the scheme's scope 适用范围: both the old and the new scope must lie inside the
    user's (an assessor narrows within their subtree; company-wide is for admins)."""
    _require_configure(request)
    scheme = get_object_or_404(_schemes(request), code=code)
    _require_writable(request, scheme)
    _check_scope_choice(request)
    form = ScopeForm(request.POST, units=_scope_units(request),
                     company_wide=scope_of(request.user).everything)
    if not form.is_valid():  # an unknown unit
        messages.error(request, _("未知单位，适用范围未修改。"))
        return redirect("schemes:detail", code=code)
    try:
        scheme = services.set_scope(request.user, code, form.cleaned_data["unit"])
    except (Scheme.DoesNotExist, PermissionError) as exc:
        raise PermissionDenied from exc
    messages.success(request, _("适用范围已改为 %(scope)s") % {"scope": scheme.scope_label})
    return redirect("schemes:detail", code=code)
