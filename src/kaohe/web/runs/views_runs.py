"""The run life cycle: list, start, follow, publish (placeholder while being written)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def _todo(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    raise Http404


run_list = run_new = run_detail = run_progress = run_publish = notice_pdf = notice_xlsx = _todo
