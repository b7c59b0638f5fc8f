import logging

from django.apps import AppConfig


class ForbiddenWithoutTraceback(logging.Filter):
    """A 403 is a user following a link their role may not, not a fault: Django logs it with
    the PermissionDenied's traceback (``log_response(exception=...)``); keep the one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True


class CoreConfig(AppConfig):
    name = "kaohe.web.core"
    label = "core"
    verbose_name = "kaohe"

    def ready(self) -> None:
        request_log = logging.getLogger("django.request")
        if not any(isinstance(f, ForbiddenWithoutTraceback) for f in request_log.filters):
            request_log.addFilter(ForbiddenWithoutTraceback())
