"""方案试算 (schemes:whatif): who may use it, what it shows, and that it stores nothing."""

from __future__ import annotations

import hashlib
import io
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
from django.conf import settings
from django.urls import reverse
from viewtests import RoleMatrix, WorldTestCase

from kaohe.web.appeals.models import Appeal
from kaohe.web.runs.models import Result, Run

# the demo's schemes are company-wide: only admins configure them (test_schemes_views.py)
EXPECT = {"admin": 200, **{name: 403 for name in (
    "assessor", "assessor_out", "head", "head_out", "staff", "staff_out", "inspector",
    "inspector_out", "partner", "partner_out")}}


def _store_digest() -> dict[str, str]:
    """Every file of the workspace but the aggregate cache, by content."""
    root = Path(settings.WORKSPACE)
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file() and ".aggregates" not in str(p.relative_to(root))}


class WhatIfFormMatrix(RoleMatrix, WorldTestCase):
    expect = EXPECT

    def url(self) -> str:
        return reverse("schemes:whatif", args=["clerk_star"])

    def must_show(self, name: str) -> list[str]:
        return ["方案试算", 'name="start"', 'name="text"']


class WhatIfRunTests(WorldTestCase):
    def test_a_draft_giving_everyone_five_stars_moves_every_other_clerk_up(self) -> None:
        run = self.world.runs["clerk_star"]  # 2026-09, published
        text = run.version.text
        # every total reaches 五星; a vetoed clerk still gets the last grade, 一星 (spec §4)
        draft = re.sub(r"^grades:.*$", "grades: [[-1000, 五星], [-1001, 四星], [-1002, 三星], "
                       "[-1003, 二星], [-1004, 一星]]", text, flags=re.M)
        assert draft != text
        results = Result.objects.filter(run=run)
        n = results.count()
        kept = results.filter(vetoed=False)
        not_five = kept.exclude(grade="五星").count()
        down = results.filter(vetoed=True).exclude(grade="一星").count()
        before_pay = sum((r.payout or Decimal(0) for r in results), Decimal(0))
        counts = (Run.objects.count(), Result.objects.count(), Appeal.objects.count())
        digest = _store_digest()
        url = reverse("schemes:whatif", args=["clerk_star"])
        query = {"start": "2026-09", "end": "2026-09", "text": draft}
        response = self.get_as("admin", url, data=query)
        self.assertEqual(response.status_code, 200)
        summary = response.context["summary"]
        self.assertEqual(summary["baseline_runs"], {"2026-09": run.engine_run_id})
        self.assertEqual(summary["entities"], n)
        self.assertEqual(summary["grade_up"], not_five)
        self.assertEqual(summary["grade_down"], down)
        # every clerk not vetoed 五星: 800 × 1.5 = 1200 yuan each; 一星 pays 0
        self.assertEqual(Decimal(summary["payout_after"]), Decimal(1200) * kept.count())
        self.assertEqual(Decimal(summary["payout_before"]), before_pay)
        self.assertContains(response, "echarts.min.js")
        self.assertContains(response, "等级上升")
        # thresholds move money, not totals: a second histogram, of the payout per clerk
        self.assertContains(response, "兑现变化分布")
        self.assertTrue(response.context["payout_chart"])
        # the page lists at most PAGE_ROWS rows a table and says where the rest are
        from unittest import mock

        from kaohe.web.schemes.whatif import PAGE_ROWS

        movers = response.context["movers"][2]  # every grade move is one row, at least
        self.assertGreaterEqual(movers, not_five + down)
        self.assertEqual(len(response.context["movers"][1]), min(movers, PAGE_ROWS))
        with mock.patch("kaohe.web.schemes.whatif.PAGE_ROWS", 2):
            short = self.get_as("admin", url, data=query)
        self.assertEqual(len(short.context["movers"][1]), 2)
        self.assertEqual(short.context["movers"][2], movers)
        self.assertContains(short, f"仅列出前 2 行，共 {movers} 行")
        groups = short.context["groups"]
        if groups[2] > 2:  # the groups the draft moves most come first
            self.assertContains(short, f"兑现变化最大的 2 个分组，共 {groups[2]} 个")
        xlsx = self.get_as("admin", url, data={**query, "format": "xlsx"})
        self.assertEqual(xlsx.status_code, 200)
        book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
        self.assertEqual(book.sheetnames, ["概览", "变动名单", "分组分布", "变化分布", "明细"])
        self.assertEqual(book["明细"].max_row, n + 1)
        # nothing of the what-if was stored: no run, result, appeal, no byte of the store
        self.assertEqual((Run.objects.count(), Result.objects.count(), Appeal.objects.count()),
                         counts)
        self.assertEqual(_store_digest(), digest)

    def test_a_bad_draft_shows_its_problem(self) -> None:
        url = reverse("schemes:whatif", args=["clerk_star"])
        response = self.get_as("admin", url, data={"start": "2026-09", "end": "2026-09",
                                                   "text": "name: x\nperiod: week\n"})
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "period", status_code=400)

    def test_the_version_page_links_the_what_if_for_those_who_configure_the_scheme(self) -> None:
        url = reverse("schemes:version", args=["clerk_star", 1])
        link = reverse("schemes:whatif", args=["clerk_star"]) + "?version=1"
        self.assertContains(self.get_as("admin", url), link)
        # an assessor reads the company-wide scheme but may not configure it
        self.assertNotContains(self.get_as("assessor", url), link)
