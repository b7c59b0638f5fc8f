"""The inspection checklist on a phone (390×844): one column, big tap targets, live total."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))

from browser import PHONE, BrowserTestCase  # noqa: E402

from kaohe.web.data.checklist import ITEMS  # noqa: E402
from kaohe.web.data.models import Inspection  # noqa: E402


class PhoneChecklistTests(BrowserTestCase):
    def test_inspector_fills_the_checklist_on_a_phone(self) -> None:
        with self.page_for("inspector", viewport=PHONE) as page:
            page.goto(self.url("/data/inspections/new/"))
            # nothing wider than the screen: no sideways scrolling
            self.assertLessEqual(page.evaluate("document.documentElement.scrollWidth"), 390)
            boxes = [page.locator(f"label[for=item-{i.code}]").bounding_box() for i in ITEMS]
            for box in boxes:
                self.assertGreaterEqual(box["height"], 48)  # a thumb's tap target
                self.assertGreaterEqual(box["width"], 300)  # full width: one column
            xs = {round(b["x"]) for b in boxes}
            self.assertEqual(len(xs), 1)  # stacked, not side by side
            self.assertGreaterEqual(page.locator("button[type=submit].wide").bounding_box()
                                    ["height"], 48)
            self.shot(page, "data-inspection-phone")
            page.click("label[for=item-first_ask]")
            page.click("label[for=item-announce]")
            self.assertEqual(page.inner_text("#total"), "7.00")  # 5 + 2
            page.click("button[type=submit].wide")
            page.wait_for_url("**/data/inspections/*/")
            inspection = Inspection.objects.get()
            self.assertEqual(inspection.unit, self.world.hall)
            self.assertEqual(sorted(i["item"] for i in inspection.items), ["唱收唱付", "首问负责制"])
            self.assertIn("7.00", page.inner_text("main"))
            self.assertLessEqual(page.evaluate("document.documentElement.scrollWidth"), 390)
