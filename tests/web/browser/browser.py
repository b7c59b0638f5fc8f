"""Playwright driving Debian's chromium against Django's live server.

``BrowserTestCase`` starts one browser per class (``/usr/bin/chromium``, or ``KAOHE_CHROMIUM``),
builds the world per test (a live-server test case flushes the database after each test) and
logs users in through the real login form.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import pytest
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from world import PASSWORD, World, build_world

CHROMIUM = os.environ.get("KAOHE_CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}


@pytest.mark.browser
class BrowserTestCase(StaticLiveServerTestCase):
    playwright: ClassVar[Playwright]
    browser: ClassVar[Browser]
    world: World
    schemes: ClassVar[tuple[str, ...]] = ("clerk_star",)

    @classmethod
    def setUpClass(cls) -> None:
        # Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run
        # beside one unless told that this (test) thread is synchronous.
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        super().setUpClass()
        cls.playwright = sync_playwright().start()
        cls.browser = cls.playwright.chromium.launch(executable_path=CHROMIUM)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.browser.close()
        cls.playwright.stop()
        super().tearDownClass()

    def setUp(self) -> None:
        self.world = build_world(self.schemes)

    @contextmanager
    def page_for(self, name: str | None, viewport: dict[str, int] | None = None,
                 locale: str = "zh-CN") -> Iterator[Page]:
        """A fresh browser context, logged in as ``name`` through the login form."""
        context = self.browser.new_context(viewport=viewport or {"width": 1366, "height": 900},
                                           locale=locale)
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            if name is not None:
                self.login(page, name)
            yield page
        finally:
            context.close()

    def login(self, page: Page, name: str) -> None:
        page.goto(self.live_server_url + "/accounts/login/")
        page.fill("#id_username", name)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(self.live_server_url + "/")

    def url(self, path: str) -> str:
        return self.live_server_url + path

    def shot(self, page: Page, name: str) -> None:
        """Save a screenshot for docs/screenshots when KAOHE_SCREENSHOTS names a folder."""
        folder = os.environ.get("KAOHE_SCREENSHOTS")
        if folder:
            os.makedirs(folder, exist_ok=True)
            page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def text_of(page: Page) -> str:
    return str(page.inner_text("body"))


__all__ = ["PHONE", "BrowserTestCase", "text_of", "Any"]
