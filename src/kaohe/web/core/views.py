"""The dashboard (首页): what the user's role cares about, within the user's scope."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kaohe.web.runs.models import Run


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    runs = Run.objects.restrict(request.user).filter(status=Run.Status.DONE)[:10]
    return render(request, "core/dashboard.html", {"runs": runs})
