"""The org pages: the units and people in the user's scope (read-only; the workspace's org files
are the source of truth, copied in by ``kaohe serve``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from kaohe.web.core.roles import Action, can
from kaohe.web.org.models import Person, Unit


def _may_browse(request: HttpRequest) -> None:
    if not can(request.user, Action.BROWSE_ORG):
        raise PermissionDenied


@login_required
def units(request: HttpRequest) -> HttpResponse:
    _may_browse(request)
    rows = (Unit.objects.restrict(request.user).annotate(people_count=Count("people"))
            .order_by("path"))
    q = request.GET.get("q", "").strip()
    if q:
        rows = rows.filter(name__icontains=q)
    return render(request, "org/units.html", {"units": rows, "q": q})


@login_required
def unit(request: HttpRequest, pk: str) -> HttpResponse:
    _may_browse(request)
    obj = get_object_or_404(Unit.objects.restrict(request.user), pk=pk)
    children = Unit.objects.restrict(request.user).filter(parent=obj).order_by("path")
    people = Person.objects.restrict(request.user).filter(unit=obj).order_by("position", "pk")
    return render(request, "org/unit.html", {"unit": obj, "children": children,
                                             "people": people})
