"""Error pages, links and the interface language.

- 403, 404 and 500 are Chinese pages in the site's layout with a way back home; a 403 leaves
  one log line, no traceback.
- Every link on a user's home page leads somewhere the user may go (no 403, no 404).
- zh-Hans whatever the browser's Accept-Language; English when the user chooses it, remembered.
- People are named by their real names; the statement card shows its amount.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import server_error
from viewtests import USERS, WorldTestCase

from kaohe.web.runs.models import Result

HREF = re.compile(r'href="(/[^"#]*)"')


class ErrorPageTests(WorldTestCase):
    def test_404_is_chinese_in_the_layout(self) -> None:
        response = self.get_as("admin", "/runs/987654/")
        self.assertEqual(response.status_code, 404)
        page = response.content.decode()
        self.assertIn("页面不存在", page)
        self.assertIn('class="top"', page)  # the site's header, menu included
        self.assertIn(f'href="{reverse("core:dashboard")}"', page)

    def test_403_is_chinese_and_logged_without_traceback(self) -> None:
        with self.assertLogs("django.request", "WARNING") as logs:
            response = self.get_as("partner", reverse("appeals:list"))
        self.assertEqual(response.status_code, 403)
        page = response.content.decode()
        self.assertIn("无权访问", page)
        self.assertIn("返回首页", page)
        self.assertNotIn("403 Forbidden</h1>", page)  # Django's bare English page
        (record,) = logs.records
        self.assertIn("Forbidden", record.getMessage())
        self.assertIsNone(record.exc_info)

    def test_500_is_chinese_with_a_way_back(self) -> None:
        response = server_error(RequestFactory().get("/"))
        self.assertEqual(response.status_code, 500)
        page = response.content.decode()
        self.assertIn("系统出错", page)
        self.assertIn('href="/"', page)


class HomeLinksTests(WorldTestCase):
    def test_every_link_on_the_home_page_can_be_followed(self) -> None:
        # one user per role: the home page's links follow the role (the *_out users, the same
        # roles in the other branch, show the same kinds of links)
        for name in [u for u in USERS if not u.endswith("_out")]:
            client = self.client_for(name)
            page = client.get(reverse("core:dashboard")).content.decode()
            links = sorted({u for u in HREF.findall(page) if not u.startswith("/static/")})
            for url in links:
                with self.subTest(user=name, url=url):
                    self.assertIn(client.get(url).status_code, (200, 302))

    def test_no_appeals_card_for_roles_outside_appeals(self) -> None:
        for name in ("partner", "inspector"):
            page = self.get_as(name, reverse("core:dashboard")).content.decode()
            self.assertNotIn("待处理申诉", page)
            self.assertNotIn(reverse("appeals:list"), page)
        self.assertIn("待处理申诉", self.get_as("head", reverse("core:dashboard")).content.decode())

    def test_the_statement_card_shows_the_latest_periods_amount(self) -> None:
        paid = Result.objects.filter(unit=self.world.hall, payout__isnull=False,
                                     run__published_at__isnull=False)
        page = self.get_as("head", reverse("core:dashboard")).content.decode()
        self.assertTrue(paid.exists())  # clerk_star and hall_service both pay
        period = max(r.run.period for r in paid)
        total = sum((r.payout for r in paid if r.run.period == period), Decimal("0.00"))
        self.assertIn(f"¥{total:,.2f}", page)


class LanguageTests(WorldTestCase):
    def test_chinese_whatever_the_browser_says(self) -> None:
        response = self.get_as("admin", reverse("core:dashboard"),
                               HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
        page = response.content.decode()
        self.assertIn('<html lang="zh-hans">', page)
        self.assertIn("<h1>首页</h1>", page)

    def test_english_is_chosen_and_remembered(self) -> None:
        client = self.client_for("admin")
        response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
        self.assertEqual(response.status_code, 302)
        cookie = response.cookies["django_language"]
        self.assertEqual(cookie.value, "en")
        self.assertGreaterEqual(int(cookie["max-age"]), 300 * 24 * 3600)  # kept for a year
        page = client.get(reverse("core:dashboard"),
                          HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
        self.assertIn('<html lang="en">', page)
        client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
        page = client.get(reverse("core:dashboard")).content.decode()
        self.assertIn('<html lang="zh-hans">', page)


class RealNamesTests(WorldTestCase):
    def test_the_header_names_the_person_not_the_login(self) -> None:
        page = self.get_as("staff", reverse("core:dashboard")).content.decode()
        self.assertIn(f'<span class="user">{self.world.clerk.name} · ', page)
        admin = self.world.users["admin"]
        admin.last_name = "王立新"
        admin.save()
        page = self.get_as("admin", reverse("core:dashboard")).content.decode()
        self.assertIn('<span class="user">王立新 · ', page)
