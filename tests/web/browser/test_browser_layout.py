"""Layout in chromium: a 390 px phone (the inspector's home fits, the header keeps the user,
Chinese although the browser asks for English, and the choice of English is remembered) and a
1440 px desktop (the ranking uses the page's width)."""

from __future__ import annotations

from browser import PHONE, BrowserTestCase


class LayoutTests(BrowserTestCase):
    schemes = ("clerk_star", "hall_service")

    def test_phone_home_fits_and_speaks_chinese(self) -> None:
        with self.page_for("inspector", viewport=PHONE, locale="en-US") as page:
            self.assertEqual(page.get_attribute("html", "lang"), "zh-hans")
            self.assertEqual(page.inner_text("main h1"), "首页")
            # nothing wider than the phone: tables scroll inside their box, never the page
            width = page.evaluate("document.documentElement.scrollWidth")
            self.assertLessEqual(width, PHONE["width"])
            user = page.locator("header .who .user")
            self.assertTrue(user.is_visible())
            box = user.bounding_box()
            assert box is not None
            self.assertLessEqual(box["x"] + box["width"], PHONE["width"])
            self.assertIn("inspector", user.inner_text())  # the world's accounts have no name
            rows = page.locator("table.dashboard-rows").first
            self.assertTrue(rows.is_visible())
            # English, chosen in the header, stays chosen on the next page
            page.click("form.lang button")
            page.wait_for_load_state()
            page.goto(self.url("/runs/"))
            self.assertEqual(page.get_attribute("html", "lang"), "en")

    def test_desktop_ranking_uses_the_width(self) -> None:
        run = self.world.runs["clerk_star"]
        with self.page_for("admin", viewport={"width": 1440, "height": 900}) as page:
            page.goto(self.url(f"/runs/{run.pk}/ranking/"))
            main = page.locator("main").bounding_box()
            assert main is not None
            # the whole window but the padding (1.5rem each side at 14 px: 42 px)
            self.assertGreaterEqual(main["width"], 1440 - 60)
            self.shot(page, "04-ranking")
