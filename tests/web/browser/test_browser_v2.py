"""A head in a real browser: their customers' list (an item run read from the store), the
alert filter, one customer's page, and the alerts page (v2world)."""

from __future__ import annotations

from typing import ClassVar

from browser import BrowserTestCase
from django.test import override_settings
from v2world import PERIOD, item_alerts, ordered, v2_workspace, visible
from world import build_world


class HeadItemsAndAlertsTests(BrowserTestCase):
    schemes: ClassVar[tuple[str, ...]] = ("zero_use",)

    @classmethod
    def setUpClass(cls) -> None:
        cls._v2 = override_settings(WORKSPACE=v2_workspace())
        cls._v2.enable()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls) -> None:
        try:
            super().tearDownClass()
        finally:
            cls._v2.disable()

    def setUp(self) -> None:
        self.world = build_world(self.schemes, period=PERIOD)

    def test_head_lists_their_customers_and_their_alerts(self) -> None:
        run = self.world.runs["zero_use"]
        mine = visible(self.world, "head") or []
        with self.page_for("head") as page:
            page.goto(self.url(f"/runs/{run.pk}/items/"))
            self.assertIn(f"你的范围内共 {len(mine)} 个考核对象", page.inner_text("main"))
            first = page.locator("table.items tbody tr td:nth-child(2) a").first.inner_text()
            self.assertEqual(first, ordered(mine)[0])
            page.check("input[name=alert]")
            page.click("form.filters button[type=submit]")
            page.wait_for_load_state()
            alerted = [c for c in mine if c["grade"] != "正常"]
            self.assertIn(f"筛选结果 {len(alerted)} 条", page.inner_text("main"))
            page.locator("table.items tbody tr td:nth-child(2) a").first.click()
            page.wait_for_load_state()
            self.assertIn("当月消费", page.inner_text("main"))
            page.goto(self.url(f"/runs/{run.pk}/alerts/"))
            want = item_alerts(self.world, "head")
            row = page.locator("table.alerts tbody tr").first
            self.assertEqual(row.get_attribute("data-id"), want[0][0])
            self.assertIn("alert-red", row.get_attribute("class") or "")
            self.assertIn(want[0][2], row.inner_text())
            page.select_option("select[name=level]", "黄色")
            page.click("form.filters button[type=submit]")
            page.wait_for_load_state()
            yellow = [w for w in want if w[1] == "黄色"]
            self.assertIn(f"预警 {len(yellow)} 条", page.inner_text("main"))
            self.shot(page, "alerts-head")
