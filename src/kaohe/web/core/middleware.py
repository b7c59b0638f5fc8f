"""Responses to signed-in users are never stored by a browser or a proxy.

Every page behind the log-in holds someone's results, pay or appeals. ``Cache-Control: private,
no-store`` keeps them out of shared caches (an outlet's proxy) and out of the browser's disk
cache and back-forward history, so the next person at a shared counter PC cannot page back to
them after log-out. Static files are served before this middleware (WhiteNoise) and keep their
long cache lifetimes; the log-in page is public and cacheable as Django makes it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        # Asked before the view (a log-out ends the session) and after it (a log-in starts one).
        signed_in = bool(user is not None and user.is_authenticated)
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if signed_in or (user is not None and user.is_authenticated):
            patch_cache_control(response, private=True, no_store=True)
        return response
