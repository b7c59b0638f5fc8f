"""WSGI entry point: ``waitress-serve kaohe.web.wsgi:application`` (``kaohe serve`` does it)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaohe.web.settings")
application = get_wsgi_application()

# Runs left running by a server that died are settled, and queued runs computed (runs/recovery.py).
from kaohe.web.runs.recovery import on_server_start  # noqa: E402

on_server_start()
