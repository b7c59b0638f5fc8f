"""The secret key's strength, checked before Django starts (settings, ``kaohe serve``).

Django signs sessions, password-reset links and CSRF tokens with ``SECRET_KEY``: a short or
guessable key lets anyone forge a session, i.e. log in as an admin and publish pay. The rule is
Django's own (``django.core.checks.security.base.check_secret_key``, which only warns, and only
under ``check --deploy``): at least 50 characters, at least 5 different ones, and not a key
Django generated for development. Here a weak key is an error: the server does not start.
"""

from __future__ import annotations

MIN_LENGTH = 50
MIN_UNIQUE = 5
INSECURE_PREFIX = "django-insecure-"
GENERATE = "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"


def weakness(key: str) -> str | None:
    """Why ``key`` is too weak to sign sessions, or None when it is strong enough."""
    if not key:
        return "未设置 KAOHE_SECRET_KEY is not set"
    if len(key) < MIN_LENGTH:
        return (f"KAOHE_SECRET_KEY 太短：{len(key)} 个字符，至少 {MIN_LENGTH} 个 "
                f"is too short: {len(key)} characters, at least {MIN_LENGTH}")
    if len(set(key)) < MIN_UNIQUE:
        return (f"KAOHE_SECRET_KEY 太单一：只有 {len(set(key))} 种字符，至少 {MIN_UNIQUE} 种 "
                f"has too little variety: {len(set(key))} distinct characters, at least "
                f"{MIN_UNIQUE}")
    if key.startswith(INSECURE_PREFIX):
        return (f"KAOHE_SECRET_KEY 是 Django 的开发用密钥（{INSECURE_PREFIX}…） "
                f"is a Django development key")
    return None


def problem(key: str) -> str | None:
    """The full configuration error for a weak ``key`` (what is wrong and how to fix it)."""
    why = weakness(key)
    if why is None:
        return None
    return (f"{why}。请生成一个随机密钥并保密 generate a random key and keep it secret: "
            f"export KAOHE_SECRET_KEY=\"$({GENERATE})\" (docs/operations.md)；"
            f"演示请用 for the demo use: kaohe -w DEMO serve --demo")
