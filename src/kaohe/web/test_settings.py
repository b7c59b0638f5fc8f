"""Settings for the test suite: the production settings with a development key and inline runs.

pytest-django loads this module (pyproject.toml); ``DATABASE_URL`` selects PostgreSQL exactly as
in production (``make test`` runs the web tests on SQLite and on PostgreSQL).
"""

import os

os.environ.setdefault("KAOHE_DEBUG", "0")
os.environ.setdefault("KAOHE_SECRET_KEY",
                      "kaohe-tests-only-8Jq2vN5xR7tL0wY3zC6bF9hK1mP4sD-not-secret")
os.environ.setdefault("KAOHE_WORKSPACE", os.path.join(os.getcwd(), ".kaohe-test-workspace"))

from kaohe.web.settings import *  # noqa: E402,F403

KAOHE_RUNS_INLINE = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
AXES_ENABLED = True

# On SQLite the test database is a file, as in production, not Django's shared-cache in-memory
# database: there a background run's writes and a request's reads fail at once with "table is
# locked" instead of waiting out the busy timeout.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"kaohe-test-{os.getpid()}.sqlite3")}
