"""A user's own notifications: the list, and marking one or all read. Nobody reads or marks
another user's notifications (a foreign id is a 404)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kaohe.web.notify.models import Notification

PER_PAGE = 50


def mine(request: HttpRequest) -> object:
    return Notification.objects.filter(user=request.user)


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(mine(request), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "notify/list.html", {"page": page})


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Mark one notification read (and go to its page when ``open`` is posted), or all."""
    now = timezone.now()
    if pk is None:
        mine(request).filter(read_at__isnull=True).update(read_at=now)
        return redirect(_next(request, "notify:list"))
    note = get_object_or_404(mine(request), pk=pk)
    if note.read_at is None:
        note.read_at = now
        note.save(update_fields=["read_at"])
    if request.POST.get("open") and note.url:
        return redirect(note.url)
    return redirect(_next(request, "notify:list"))


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()},
                                                  request.is_secure()):
        return target
    return default
