"""Views of the appeals app (申诉).

Who sees what (every view starts from ``restrict``; 404 outside the scope, 403 for a role that
may not take the action at all, the login page for anonymous users):

- file (``appeals:new``, action "appeal"): staff, for their own result of a finished run; admins
  may file on someone's behalf (their scope is everything). Other roles: 403.
- list, detail, attachments (action "view"): admin (all), assessor (their subtree), head (their
  hall's appeals, read-only), staff (their own). Inspectors and channel partners have no part in
  appeals (they neither file, decide nor manage the people concerned): 403.
- decide (``appeals:decide``, action "decide"): assessors in scope and admins.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kaohe.web.appeals.forms import AppealFilterForm, AppealForm, DecisionForm
from kaohe.web.appeals.models import Appeal, Attachment
from kaohe.web.appeals.services import (
    AppealRefused,
    OutOfScope,
    appealable,
    decide_appeal,
    file_appeal,
)
from kaohe.web.audit.display import changes, object_type_label
from kaohe.web.audit.models import ChangeLog
from kaohe.web.core.roles import Action, can
from kaohe.web.runs.models import Result, Score

PER_PAGE = 50


def _require(request: HttpRequest, action: str) -> None:
    if not can(request.user, action):
        raise PermissionDenied


def _indicator_name(indicators: list[dict[str, Any]], code: str) -> str:
    for i in indicators:
        if str(i.get("code")) == code:
            return str(i.get("name") or code)
    return code


@login_required
@require_http_methods(["GET", "POST"])
def appeal_new(request: HttpRequest, result_id: int) -> HttpResponse:
    """File an appeal against result ``result_id`` (the user's own, for staff)."""
    _require(request, Action.APPEAL)
    result = (Result.objects.restrict(request.user, Action.APPEAL).select_related("run__scheme")
              .filter(pk=result_id).first())
    if result is None:
        raise Http404
    indicators = list(result.run.indicators)
    refusal = appealable(result)
    status = 200
    if request.method == "POST" and refusal is None:
        form = AppealForm(request.POST, request.FILES, indicators=indicators)
        if form.is_valid():
            try:
                appeal = file_appeal(request.user, result.pk,
                                     indicator=form.cleaned_data["indicator"],
                                     reason=form.cleaned_data["reason"],
                                     files=form.cleaned_data["attachments"])
            except OutOfScope as exc:
                raise Http404 from exc
            except AppealRefused as exc:
                refusal = str(exc)
            else:
                messages.success(request, _("申诉已提交，等待考核专员处理。"))
                return redirect("appeals:detail", pk=appeal.pk)
    else:
        form = AppealForm(indicators=indicators)
    if refusal is not None and request.method == "POST":
        status = 409
    open_appeal = result.appeals.filter(status=Appeal.Status.FILED).first()
    return render(request, "appeals/appeal_new.html", {
        "result": result, "form": form, "refusal": refusal, "open_appeal": open_appeal,
    }, status=status)


@login_required
def appeal_list(request: HttpRequest) -> HttpResponse:
    """The appeals in the user's scope, newest first, filtered by status."""
    _require(request, Action.READ_APPEALS)
    appeals = (Appeal.objects.restrict(request.user, Action.VIEW)
               .select_related("result__run__scheme", "filed_by", "decided_by"))
    form = AppealFilterForm(request.GET or None)
    if form.is_valid() and form.cleaned_data["status"]:
        appeals = appeals.filter(status=form.cleaned_data["status"])
    page = Paginator(appeals, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "appeals/appeal_list.html", {
        "page": page, "form": form, "query": query.urlencode(),
        "can_decide": can(request.user, Action.DECIDE),
    })


def _history(appeal: Appeal) -> list[dict[str, Any]]:
    """The change-log entries of the appeal, its attachments and its result, oldest first."""
    attachment_ids = [str(pk) for pk in appeal.attachments.values_list("pk", flat=True)]
    entries = ChangeLog.objects.filter(
        Q(object_type="appeals.appeal", object_id=str(appeal.pk))
        | Q(object_type="appeals.attachment", object_id__in=attachment_ids)
        | Q(object_type="runs.result", object_id=str(appeal.result_id))
    ).order_by("time", "id")
    return [{"entry": e, "type": object_type_label(e.object_type), "changes": changes(e)}
            for e in entries]


@login_required
def appeal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The appeal, its files, the result it concerns (as it stands now) and its history."""
    _require(request, Action.READ_APPEALS)
    appeal = (Appeal.objects.restrict(request.user, Action.VIEW)
              .select_related("result__run__scheme", "result__unit", "filed_by", "decided_by")
              .filter(pk=pk).first())
    if appeal is None:
        raise Http404
    result = appeal.result
    score = (Score.objects.filter(result=result, code=appeal.indicator).first()
             if appeal.indicator else None)
    may_decide = (appeal.status == Appeal.Status.FILED
                  and Appeal.objects.restrict(request.user, Action.DECIDE)
                  .filter(pk=appeal.pk).exists())
    return render(request, "appeals/appeal_detail.html", {
        "appeal": appeal, "result": result, "score": score,
        "indicator_name": _indicator_name(result.run.indicators, appeal.indicator),
        "attachments": appeal.attachments.all(), "history": _history(appeal),
        "decision_form": DecisionForm() if may_decide else None,
        "can_audit": can(request.user, Action.AUDIT),
    })


@login_required
@require_http_methods(["GET", "POST"])
def appeal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept with an adjustment or reject (assessors in scope, admins); once only."""
    _require(request, Action.DECIDE)
    appeal = (Appeal.objects.restrict(request.user, Action.DECIDE)
              .select_related("result__run__scheme", "filed_by").filter(pk=pk).first())
    if appeal is None:
        raise Http404
    refusal = None if appeal.status == Appeal.Status.FILED else _("该申诉已处理，不能重复处理。")
    form = DecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if refusal is None and form.is_valid():
            accept = form.cleaned_data["outcome"] == DecisionForm.ACCEPT
            try:
                decided = decide_appeal(request.user, appeal.pk, accept=accept,
                                        points=form.cleaned_data["points"],
                                        reason=form.cleaned_data["reason"],
                                        kind=form.cleaned_data["kind"])
            except OutOfScope as exc:
                raise Http404 from exc
            except AppealRefused as exc:
                refusal = str(exc)
            else:
                messages.success(request, _(
                    "申诉已采纳，考核结果已按调整重新计算，现为第 %(n)s 版。") % {
                    "n": decided.revision} if accept else _("申诉已驳回。"))
                return redirect("appeals:detail", pk=appeal.pk)
        if refusal is not None:
            status = 409
    return render(request, "appeals/appeal_decide.html", {
        "appeal": appeal, "result": appeal.result, "form": form, "refusal": refusal,
        "indicator_name": _indicator_name(appeal.result.run.indicators, appeal.indicator),
    }, status=status)


@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Stream an attachment as a download (never inline), with its detected content type."""
    _require(request, Action.READ_APPEALS)
    attachment = Attachment.objects.restrict(request.user, Action.VIEW).filter(pk=pk).first()
    if attachment is None:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, as_attachment=True, filename=attachment.name,
                            content_type=attachment.content_type)
    # Even if a browser were to render it, the file gets no scripts and no origin.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    return response
