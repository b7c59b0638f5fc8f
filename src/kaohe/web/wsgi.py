"""WSGI entry point: ``waitress-serve kaohe.web.wsgi:application`` (``kaohe serve`` does it)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaohe.web.settings")
application = get_wsgi_application()
