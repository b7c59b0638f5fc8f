"""Settings for the test suite: the production settings with a development key and inline runs.

pytest-django loads this module (pyproject.toml); ``DATABASE_URL`` selects PostgreSQL exactly as
in production (``make test`` runs the web tests on SQLite and on PostgreSQL).
"""

import os

os.environ.setdefault("KAOHE_DEBUG", "0")
os.environ.setdefault("KAOHE_SECRET_KEY", "kaohe-tests-only")
os.environ.setdefault("KAOHE_WORKSPACE", os.path.join(os.getcwd(), ".kaohe-test-workspace"))

from kaohe.web.settings import *  # noqa: E402,F403

KAOHE_RUNS_INLINE = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
AXES_ENABLED = True
