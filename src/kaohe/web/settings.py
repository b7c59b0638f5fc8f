"""Django settings for kaohe's web application.

Environment:
- ``KAOHE_WORKSPACE``: the workspace folder the site serves (default ``demo-workspace``).
- ``DATABASE_URL``: the application database; SQLite in the workspace by default,
  e.g. ``postgresql://postgres@127.0.0.1:5432/test`` for PostgreSQL (docs/operations.md).
- ``KAOHE_SECRET_KEY``: required (at least 50 characters, not repetitive: ``secret_key.py``)
  unless ``KAOHE_DEBUG=1`` (development: a random key per process).
- ``KAOHE_ALLOWED_HOSTS``: comma-separated host names (default: localhost names).
- ``KAOHE_DB_CONN_MAX_AGE``: seconds a database connection is reused (``kaohe serve``: 600;
  otherwise 0, one per request).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

from kaohe.web import secret_key

WEB_DIR = Path(__file__).resolve().parent
WORKSPACE = Path(os.environ.get("KAOHE_WORKSPACE", "demo-workspace")).resolve()

DEBUG = os.environ.get("KAOHE_DEBUG", "") == "1"
# No key is built in: a published key would let anyone forge a session. Development without a
# key gets a random one per process (sessions end with the process); ``kaohe serve --demo`` on a
# workspace made by ``kaohe demo`` does the same (cli/web.py). A weak key stops the server.
SECRET_KEY = os.environ.get("KAOHE_SECRET_KEY", "") or (
    secrets.token_urlsafe(50) if DEBUG else "")
if (_key_problem := secret_key.problem(SECRET_KEY)) is not None:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(_key_problem)
ALLOWED_HOSTS = [h for h in os.environ.get(
    "KAOHE_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "kaohe.web.core",
    "kaohe.web.accounts",
    "kaohe.web.org",
    "kaohe.web.schemes",
    "kaohe.web.data",
    "kaohe.web.runs",
    "kaohe.web.appeals",
    "kaohe.web.audit",
    "kaohe.web.power",
    "kaohe.web.channels",
    "kaohe.web.notify",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kaohe.web.core.middleware.LanguageMiddleware",  # zh-Hans unless the user chose English
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kaohe.web.core.middleware.NoStoreMiddleware",
    "kaohe.web.audit.middleware.CurrentUserMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kaohe.web.urls"
WSGI_APPLICATION = "kaohe.web.wsgi.application"

TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.template.context_processors.i18n",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
        "kaohe.web.core.context.navigation",
    ]},
}]

# `kaohe serve` keeps connections between requests (KAOHE_DB_CONN_MAX_AGE=600: one per server
# thread, checked before reuse): opening one per request cost PostgreSQL a process fork each
# time (docs/performance.md, "Result pages under load"). Elsewhere (tests, manage) 0: closed
# after each request.
DATABASES = {"default": dj_database_url.config(
    default=f"sqlite:///{WORKSPACE / 'web.sqlite3'}",
    conn_max_age=int(os.environ.get("KAOHE_DB_CONN_MAX_AGE", "0")), conn_health_checks=True)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Runs write from a background thread (or another server process) while requests read and
    # write: wait rather than fail. WAL lets readers read while a run stores its results; a
    # transaction takes the write lock when it begins (IMMEDIATE), so it waits out the busy
    # timeout there instead of failing at once with "database is locked" when a transaction
    # that began by reading tries to write after another connection wrote.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "timeout": 30, "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL"})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login throttling (django-axes): 5 failures lock the user name + address for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"

# Security headers and cookies.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if os.environ.get("KAOHE_HTTPS") == "1":
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_SSL_REDIRECT = True
CONTENT_SECURITY_POLICY = {"DIRECTIVES": {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}}

# Uploads: size-limited; kept in the workspace, never served as code.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
KAOHE_MAX_UPLOAD_BYTES = int(os.environ.get("KAOHE_MAX_UPLOAD_MB", "50")) * 1024 * 1024
KAOHE_MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MEDIA_ROOT = WORKSPACE / "uploads"
MEDIA_URL = "/media/"  # never routed: attachments are streamed by a scoped view

# Runs start in a background thread; tests may run them inline.
KAOHE_RUNS_INLINE = os.environ.get("KAOHE_RUNS_INLINE", "") == "1"
# A run waits this long for another process (the CLI, another server) to release the store.
KAOHE_RUN_STORE_WAIT = float(os.environ.get("KAOHE_RUN_STORE_WAIT", "3600"))
# A running run whose worker has been silent this long is reconciled (docs/operations.md).
KAOHE_RUN_STALE_SECONDS = 60

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600  # the header's switch is remembered (core.middleware)
# Translations live in each app's locale/en/ (zh-Hans is the source language).
LOCALE_PATHS: list[str] = []
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# `kaohe manage collectstatic` target for a production web server; WhiteNoise serves the apps'
# static folders directly otherwise.
STATIC_ROOT = os.environ.get("KAOHE_STATIC_ROOT") or None

# Static files are served by kaohe itself (WhiteNoise), straight from the apps' static folders:
# outlets' intranets are offline, so nothing comes from a CDN.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Notifications (notify app) are in-app; e-mail only when switched on (nothing leaves the machine
# by default), through Django's mail settings (docs/operations.md).
KAOHE_NOTIFY_EMAIL = os.environ.get("KAOHE_NOTIFY_EMAIL", "") == "1"
KAOHE_SITE_URL = os.environ.get("KAOHE_SITE_URL", "")  # prefixed to the links in mails
EMAIL_HOST = os.environ.get("KAOHE_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("KAOHE_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("KAOHE_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("KAOHE_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("KAOHE_EMAIL_TLS", "") == "1"
DEFAULT_FROM_EMAIL = os.environ.get("KAOHE_EMAIL_FROM", "kaohe@localhost")
