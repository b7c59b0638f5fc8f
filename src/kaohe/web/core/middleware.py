"""Responses to signed-in users are never stored by a browser or a proxy.

Every page behind the log-in holds someone's results, pay or appeals. ``Cache-Control: private,
no-store`` keeps them out of shared caches (an outlet's proxy) and out of the browser's disk
cache and back-forward history, so the next person at a shared counter PC cannot page back to
them after log-out. Static files are served before this middleware (WhiteNoise) and keep their
long cache lifetimes; the log-in page is public and cacheable as Django makes it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
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


class LanguageMiddleware(LocaleMiddleware):
    """zh-Hans unless the user chose English (the header's switch sets the language cookie).

    Django's ``LocaleMiddleware`` falls back on the browser's Accept-Language, so a browser
    without zh in it got English pages; kaohe's users read Chinese whatever their browser says.
    The choice is the cookie ``set_language`` writes (``LANGUAGE_COOKIE_AGE``: a year)."""

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
