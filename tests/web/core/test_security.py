"""Security: log-in throttling, CSRF, headers, hashed passwords, and no asset from outside."""

from __future__ import annotations

import re
from pathlib import Path

from django.contrib.auth import get_user_model
from django.test import Client, TestCase, override_settings
from django.urls import reverse
from viewtests import WorldTestCase
from world import PASSWORD

import kaohe.web

WEB = Path(kaohe.web.__file__).parent


class LoginThrottlingTests(WorldTestCase):
    def test_five_failures_lock_the_account_even_for_the_right_password(self) -> None:
        client = Client()
        url = reverse("accounts:login")
        for _ in range(4):
            response = client.post(url, {"username": "staff", "password": "wrong"},
                                   REMOTE_ADDR="10.1.2.3")
            self.assertEqual(response.status_code, 200)  # the form again, with an error
        response = client.post(url, {"username": "staff", "password": "wrong"},
                               REMOTE_ADDR="10.1.2.3")
        self.assertEqual(response.status_code, 429)  # the fifth failure locks
        response = client.post(url, {"username": "staff", "password": PASSWORD},
                               REMOTE_ADDR="10.1.2.3")
        self.assertEqual(response.status_code, 429)
        self.assertContains(response, "登录失败次数过多", status_code=429)
        self.assertNotIn("_auth_user_id", client.session)

    def test_the_right_password_logs_in(self) -> None:
        client = Client()
        response = client.post(reverse("accounts:login"),
                               {"username": "staff", "password": PASSWORD},
                               REMOTE_ADDR="10.1.2.4")
        self.assertRedirects(response, reverse("core:dashboard"))


class CsrfTests(WorldTestCase):
    def test_a_post_without_the_token_is_refused(self) -> None:
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.world.users["assessor"])
        response = client.post(reverse("runs:new"), {"scheme": 1, "period": "2026-09"})
        self.assertEqual(response.status_code, 403)


class HeaderTests(WorldTestCase):
    def test_pages_carry_the_security_headers(self) -> None:
        for url in (reverse("accounts:login"), reverse("core:dashboard")):
            with self.subTest(url=url):
                response = self.get_as("admin", url)
                csp = response["Content-Security-Policy"]
                self.assertIn("default-src 'self'", csp)
                self.assertIn("script-src 'self'", csp)
                self.assertNotIn("unsafe-inline", csp)
                self.assertEqual(response["X-Frame-Options"], "DENY")
                self.assertEqual(response["X-Content-Type-Options"], "nosniff")
                self.assertEqual(response["Referrer-Policy"], "same-origin")

    def test_session_cookie_is_http_only(self) -> None:
        client = Client()
        client.post(reverse("accounts:login"), {"username": "admin", "password": PASSWORD})
        cookie = client.cookies["sessionid"]
        self.assertTrue(cookie["httponly"])
        self.assertEqual(cookie["samesite"], "Lax")


class PasswordTests(TestCase):
    @override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"])
    def test_passwords_are_stored_hashed(self) -> None:
        user = get_user_model().objects.create_user("x", password="s3cret-Passw0rd")
        self.assertTrue(user.password.startswith("pbkdf2_sha256$"))
        self.assertNotIn("s3cret-Passw0rd", user.password)

    def test_production_settings_hash_with_pbkdf2(self) -> None:
        from kaohe.web import settings as production

        self.assertFalse(hasattr(production, "PASSWORD_HASHERS"))  # Django's default: PBKDF2


class OfflineAssetsTests(TestCase):
    """Outlets' intranets are offline: no template or script loads anything from outside."""

    EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.I)
    IMPORT = re.compile(r"""(?:@import|url\()\s*["']?(?:https?:)?//""", re.I)

    def test_no_template_or_stylesheet_refers_to_another_host(self) -> None:
        files = [p for p in WEB.rglob("*") if p.suffix in (".html", ".css")]
        self.assertGreater(len(files), 20)
        for path in files:
            text = path.read_text(encoding="utf-8")
            with self.subTest(path=str(path.relative_to(WEB))):
                self.assertIsNone(self.EXTERNAL.search(text))
                self.assertIsNone(self.IMPORT.search(text))

    def test_pages_load_only_local_scripts(self) -> None:
        for path in WEB.rglob("*.html"):
            text = path.read_text(encoding="utf-8")
            for src in re.findall(r"<script[^>]*src=[\"']([^\"']+)", text):
                self.assertTrue(src.startswith("{% static"), (path.name, src))
            self.assertNotRegex(text, r"<script>(?!</script>)", path.name)  # no inline code

    def test_the_vendored_echarts_is_served(self) -> None:
        response = Client().get("/static/vendor/echarts/echarts.min.js")
        self.assertEqual(response.status_code, 200)
