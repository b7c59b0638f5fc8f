"""Remember the request's user for the audit signals (one thread per request)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.http import HttpRequest, HttpResponse

_local = threading.local()


def current_user() -> Any:
    return getattr(_local, "user", None)


@contextmanager
def acting_as(user: Any) -> Iterator[None]:
    """Attribute changes made in this block (e.g. by a background run) to ``user``."""
    previous = current_user()
    _local.user = user
    try:
        yield
    finally:
        _local.user = previous


class CurrentUserMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        with acting_as(user if user is not None and user.is_authenticated else None):
            return self.get_response(request)
