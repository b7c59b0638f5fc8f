"""Ranking, scorecard and trend pages of the runs app (placeholders; another helper owns this)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def ranking(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404


def ranking_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404


def scorecard(request: HttpRequest, pk: int, entity_id: str) -> HttpResponse:
    raise Http404


def facts(request: HttpRequest, pk: int, entity_id: str, code: str) -> HttpResponse:
    raise Http404


def trend(request: HttpRequest, scheme: str, entity_id: str) -> HttpResponse:
    raise Http404


def statement(request: HttpRequest) -> HttpResponse:
    raise Http404
