"""Views of the audit app (审计日志): the change log, filtered, and one entry field by field.

Action "audit": admins read every entry; assessors the entries about objects they may see
(``ChangeLog.scope_q``), with a failed run's error withheld (``display.withheld``); other roles
get 403, anonymous users the login page.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from kaohe.web.audit.display import changes, object_type_label, object_url, withheld
from kaohe.web.audit.forms import ChangeLogFilterForm
from kaohe.web.audit.models import ChangeLog
from kaohe.web.core.roles import Action, can

PER_PAGE = 50


@login_required
def changelog_list(request: HttpRequest) -> HttpResponse:
    """Entries newest first: time, user, action, object type, object; filters in the query."""
    if not can(request.user, Action.AUDIT):
        raise PermissionDenied
    entries = ChangeLog.objects.restrict(request.user, Action.AUDIT).select_related(
        "user__profile__person")  # the actor's real name (audit_tags.audit_actor)
    form = ChangeLogFilterForm(request.GET or None)
    if form.is_bound and form.is_valid():
        entries = form.filter(entries)
    elif form.is_bound:
        entries = entries.none()
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    rows = [{"entry": e, "type": object_type_label(e.object_type), "url": object_url(e)}
            for e in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/changelog_list.html", {
        "page": page, "rows": rows, "form": form, "query": query.urlencode()})


@login_required
def changelog_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One entry: who, when, what, and every changed field with its value before and after."""
    if not can(request.user, Action.AUDIT):
        raise PermissionDenied
    entry = ChangeLog.objects.restrict(request.user, Action.AUDIT).filter(pk=pk).first()
    if entry is None:
        raise Http404
    return render(request, "audit/changelog_detail.html", {
        "entry": entry, "type": object_type_label(entry.object_type), "url": object_url(entry),
        "changes": changes(entry, withheld(request.user, entry.object_type))})
