"""The scheme editor in a real browser: problems appear at their lines while typing."""

from __future__ import annotations

import sys
from pathlib import Path

from test_schemes_views import RestoresSchemeFiles, schemes_dir

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
from browser import BrowserTestCase  # noqa: E402


class EditorTests(RestoresSchemeFiles, BrowserTestCase):
    def test_live_validation_marks_lines_and_a_fixed_text_saves(self) -> None:
        text = (schemes_dir() / "clerk_star.yaml").read_text(encoding="utf-8")
        n = text.splitlines().index("    value: count(*)") + 1  # the first indicator's formula
        # clerk_star is company-wide: only an admin configures it (scope on every write)
        with self.page_for("admin") as page:
            page.goto(self.url("/schemes/clerk_star/edit/"))
            page.wait_for_selector("[data-status].ok")  # the untouched text is checked at once
            page.fill("textarea[name=text]",
                      text.replace("    value: count(*)\n", "    value: read_csv('/etc/passwd')\n",
                                   1))
            item = page.wait_for_selector(f"[data-problems] li[data-line='{n}']")
            self.assertIn(f"第 {n} 行", item.inner_text())
            self.assertIn("read_csv", item.inner_text())
            self.assertEqual(page.locator("[data-gutter] .bad").all_inner_texts(), [str(n)])
            self.assertEqual(page.inner_text("[data-status]"), "发现 1 个问题")
            page.fill("textarea[name=text]", text + "# checked in a browser\n")
            page.wait_for_selector("[data-status].ok")
            self.assertEqual(page.locator("[data-problems] li").count(), 0)
            page.fill("input[name=note]", "浏览器测试")
            page.click("form.stack button[type=submit]")
            page.wait_for_url(self.url("/schemes/clerk_star/"))
            self.assertIn("已保存为第 2 版", page.inner_text(".messages"))
        self.assertTrue((schemes_dir() / "clerk_star.yaml").read_text(encoding="utf-8")
                        .endswith("# checked in a browser\n"))
