"""Screenshots of the main pages for docs/screenshots/ (README links them).

Run against a served demo that may be changed (it files an appeal and uploads a bad file):

    make demo            # in another terminal, or: kaohe -w DIR serve --demo
    .venv/bin/python scripts/screenshots.py [--base http://127.0.0.1:8000] [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

PASSWORD = "kaohe-demo-2026"
WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def login(page: Page, base: str, user: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", user)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def first_href(page: Page, pattern: str) -> str:
    for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
        if re.search(pattern, href or ""):
            return str(href)
    raise LookupError(f"no link like {pattern} on {page.url}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="http://127.0.0.1:8000")
    ap.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = ap.parse_args()
    base, out = args.base.rstrip("/"), args.out
    out.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")

        def session(user: str | None, viewport: dict[str, int] = WIDE) -> Page:
            page = browser.new_context(viewport=viewport, locale="zh-CN").new_page()
            if user:
                login(page, base, user)
            return page

        def shot(page: Page, name: str, full: bool = False) -> None:
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(out / f"{name}.png"), full_page=full)
            print(out / f"{name}.png")

        page = session(None)
        page.goto(f"{base}/accounts/login/")
        shot(page, "01-login")

        page = session("admin")
        shot(page, "02-dashboard-admin", full=True)
        page.goto(f"{base}/runs/")
        shot(page, "03-runs")
        run_url = str(page.locator("tr", has_text="营业员星级考核").first.locator("a").first
                      .get_attribute("href"))
        page.goto(base + run_url + "ranking/")
        shot(page, "04-ranking")
        page.goto(base + run_url)
        shot(page, "05-run-detail", full=True)
        page.goto(f"{base}/schemes/clerk_star/edit/")
        area = page.locator("textarea[name=text]")
        area.click()
        text = area.input_value().replace("avg(score)", "avg(score) + read_csv('/etc/passwd')", 1)
        area.fill(text)
        page.wait_for_timeout(1500)
        shot(page, "06-scheme-editor")
        page.goto(f"{base}/audit/")
        shot(page, "07-audit")

        page = session("staff")
        shot(page, "08-dashboard-staff", full=True)
        card = first_href(page, r"/runs/\d+/entity/")
        page.goto(base + card)
        shot(page, "09-scorecard", full=True)
        page.click("a[href*='/appeals/new/']")
        page.fill("textarea[name=reason]", "9月22日系统故障，3笔业务未计入业务量，附工单号 GD20260922031。")
        page.click("main form button[type=submit]")
        appeal = page.url
        page = session("assessor")
        page.goto(appeal)
        shot(page, "10-appeal-decide", full=True)

        page = session("assessor")
        page.goto(f"{base}/data/upload/")
        page.select_option("select[name=source]", "quiz")
        page.set_input_files("input[name=file]", files=[{
            "name": "每日一题-10月.csv", "mimeType": "text/csv",
            "buffer": "员工工号,答题日期,得分\n0010001,2026-10-01,90\n0010001,2026-13-01,80\n"
                      "9999999,2026-10-02,85\n0010001,2026-10-03,abc\n".encode()}])
        page.click("form.stack button[type=submit]")
        shot(page, "11-upload-errors", full=True)

        page = session("inspector", PHONE)
        page.goto(f"{base}/data/inspections/new/")
        page.check("input[name=items] >> nth=0")
        page.check("input[name=items] >> nth=3")
        shot(page, "12-inspection-phone", full=True)

        page = session("partner")
        page.goto(f"{base}/runs/statement/")
        shot(page, "13-partner-statement", full=True)

        page = session("head")
        shot(page, "14-dashboard-head", full=True)

        # what-if: the current clerk scheme with the 四星 line lowered from 85 to 80, back-tested
        page = session("admin")
        page.goto(f"{base}/schemes/clerk_star/edit/")
        draft = page.locator("textarea[name=text]").input_value().replace(
            "[85, 四星]", "[80, 四星]", 1)
        page.goto(f"{base}/schemes/clerk_star/whatif/")
        page.fill("textarea[name=text]", draft)
        page.fill("input[name=start]", "2026-08")
        page.fill("input[name=end]", "2026-09")
        page.click("main form button[type=submit]")
        shot(page, "16-whatif")

        page = session("channel")
        page.goto(f"{base}/channels/partners/")
        shot(page, "17-channel-partners", full=True)

        page = session("custmgr")
        page.goto(f"{base}/channels/warnings/")
        shot(page, "18-customer-warnings")

        page = session("staff")
        page.goto(f"{base}/notify/")
        shot(page, "19-notifications")

        page = session("inspector", PHONE)
        shot(page, "20-inspector-home-phone", full=True)

        page = session("admin")
        page.goto(f"{base}/nowhere/")
        shot(page, "21-not-found")

        page = session("admin")
        page.click("form.lang button")
        page.wait_for_load_state()
        shot(page, "15-dashboard-english")
        browser.close()


if __name__ == "__main__":
    main()
