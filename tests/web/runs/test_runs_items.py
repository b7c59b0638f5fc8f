"""Item runs in the web (spec §8): the list (server-side pages of 50), search and filters, one
item's scorecard, the Excel export, and scope through the item's owners, over the v2 world's
20,000 generated customers. Who sees which customer is worked out here from the generator
(v2world.customer) and the world's org, never from the scope code."""

from __future__ import annotations

import io
import re
from typing import Any, ClassVar
from unittest import mock

import openpyxl
from django.urls import reverse
from v2world import ITEMS, V2WorldTestCase, customer, ordered, visible
from viewtests import USERS, RoleMatrix

from kaohe.web.runs import items


def shown_ids(html: str) -> list[str]:
    return re.findall(r'/items/(C\d{5})/"', html)


class ItemListMatrix(RoleMatrix, V2WorldTestCase):
    expect: ClassVar[dict[str, int]] = {}

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.expect = {}
        for name in USERS:
            seen = visible(cls.world, name)
            cls.expect[name] = 403 if seen is None else 200 if seen else 404

    def url(self) -> str:
        return reverse("runs:items", args=[self.world.runs["zero_use"].pk])

    def must_show(self, name: str) -> list[str]:
        seen = visible(self.world, name) or []
        return [f"你的范围内共 {len(seen)} 个考核对象", *ordered(seen)[:3]]

    def must_hide(self, name: str) -> list[str]:
        mine = {c["id"] for c in visible(self.world, name) or []}
        others = [c for c in ordered([customer(i) for i in range(ITEMS)]) if c not in mine]
        return [f"/items/{c}/" for c in others[:50]]

    def test_roles_see_some_items(self) -> None:
        # the matrix means something only if most roles do see items
        self.assertEqual([n for n, s in self.expect.items() if s == 200 and n != "partner"
                          and n != "partner_out"],
                         ["admin", "assessor", "assessor_out", "head", "head_out", "staff",
                          "staff_out"])


class ItemPagesTests(V2WorldTestCase):
    def url(self, name: str = "runs:items", *args: Any) -> str:
        return reverse(name, args=[self.world.runs["zero_use"].pk, *args])

    def test_pages_are_read_from_the_store_fifty_at_a_time(self) -> None:
        real = items.page
        limits: list[int] = []

        def spy(*a: Any, **kw: Any) -> Any:
            limits.append(kw.get("limit", items.PAGE_SIZE))
            return real(*a, **kw)

        with mock.patch.object(items, "page", spy):
            html = self.get_as("admin", self.url() + "?page=3").content.decode()
        self.assertEqual(limits, [50])
        self.assertEqual(shown_ids(html), ordered([customer(i) for i in range(ITEMS)])[100:150])
        self.assertIn(f"第 3 / {ITEMS // 50} 页", html)

    def test_head_pages_through_their_hall_only(self) -> None:
        mine = ordered(visible(self.world, "head") or [])
        self.assertGreater(len(mine), 50)  # more than a page
        html = self.get_as("head", self.url() + "?page=2").content.decode()
        self.assertEqual(shown_ids(html), mine[50:100])

    def test_search_and_filters(self) -> None:
        html = self.get_as("admin", self.url() + "?q=c0001").content.decode()
        self.assertEqual(sorted(shown_ids(html)), [f"C0001{d}" for d in range(10)])
        clerk = self.world.clerk.pk
        want = [c for c in visible(self.world, "admin") or []
                if c["person"] == clerk and c["grade"] == "红色"]
        html = self.get_as("admin", self.url() + f"?grade=红色&owner={clerk}").content.decode()
        self.assertIn(f"筛选结果 {len(want)} 条", html)
        self.assertEqual(shown_ids(html), ordered(want)[:50])
        alerted = [c for c in visible(self.world, "head") or [] if c["grade"] != "正常"]
        html = self.get_as("head", self.url() + "?alert=on").content.decode()
        self.assertIn(f"筛选结果 {len(alerted)} 条", html)

    def test_item_scorecard(self) -> None:
        c = customer(140)  # amount 140: 100 points, 正常
        html = self.get_as("admin", self.url("runs:item", c["id"])).content.decode()
        self.assertIn("当月消费", html)
        self.assertIn("140", html)
        self.assertIn("100.00", html)
        self.assertIn("正常", html)
        self.assertIn(c["person"], html)
        c = customer(12)  # 12 points, 红色, the first alert level
        html = self.get_as("admin", self.url("runs:item", c["id"])).content.decode()
        self.assertIn('<span class="tag alert-red">红色</span>', html)
        self.assertIn("12.00", html)
        # issue 13: the formula is one click away for admins only, never for a head
        self.assertIn('<details class="formula">', html)
        mine = next(iter(visible(self.world, "head") or []))
        html = self.get_as("head", self.url("runs:item", mine["id"])).content.decode()
        self.assertNotIn("<details", html)
        self.assertNotIn("sum(", html)

    def test_out_of_scope_items_are_404_and_inspectors_403(self) -> None:
        mine = {c["id"] for c in visible(self.world, "head") or []}
        other = next(c["id"] for c in visible(self.world, "head_out") or [])
        self.assertNotIn(other, mine)
        self.assertEqual(self.get_as("head", self.url("runs:item", other)).status_code, 404)
        self.assertEqual(self.get_as("head_out", self.url("runs:item", other)).status_code, 200)
        own = next(c["id"] for c in visible(self.world, "staff") or [])
        self.assertEqual(self.get_as("staff", self.url("runs:item", own)).status_code, 200)
        self.assertEqual(self.get_as("staff_out", self.url("runs:item", own)).status_code, 404)
        self.assertEqual(self.get_as("admin", self.url("runs:item", "C99999")).status_code, 404)
        self.assertEqual(self.get_as("inspector", self.url("runs:item", own)).status_code, 403)
        self.assertEqual(self.get_as("inspector", self.url("runs:items_xlsx")).status_code, 403)
        self.assertEqual(self.get_as("staff_out", self.url("runs:items_xlsx")
                                     + f"?q={own}").status_code, 200)

    def test_a_draft_item_run_is_for_admins_and_assessors(self) -> None:
        run = self.world.runs["zero_use"]
        run.published_at = None
        run.save(update_fields=["published_at"])
        own = next(c["id"] for c in visible(self.world, "staff") or [])
        urls = [self.url(), self.url("runs:item", own), self.url("runs:items_xlsx"),
                reverse("runs:alerts", args=[run.pk]),
                reverse("runs:alerts_xlsx", args=[run.pk])]
        managers = ("admin", "assessor", "assessor_out")  # roles.SEES_DRAFTS
        for name in USERS:
            seen = visible(self.world, name)
            for n, url in enumerate(urls):
                if seen is None:  # inspectors: no items (403); the draft's alerts are not
                    want = 403 if n < 3 else 404  # theirs to find (404)
                elif name not in managers:
                    want = 404
                elif n == 1:  # the staff member's customer: only in some managers' scope
                    want = 200 if own in {c["id"] for c in seen} else 404
                else:
                    want = 200
                with self.subTest(user=name, url=url):
                    self.assertEqual(self.get_as(name, url).status_code, want)

    def test_ranking_of_an_item_run_goes_to_the_item_list(self) -> None:
        response = self.get_as("admin", self.url("runs:ranking"))
        self.assertRedirects(response, self.url(), fetch_redirect_response=False)

    def test_run_page_shows_counts_without_listing_items(self) -> None:
        html = self.get_as("head", reverse("runs:detail", args=[self.world.runs["zero_use"].pk])
                           ).content.decode()
        self.assertIn(str(ITEMS), html)
        self.assertIn(f'<div class="n">{len(visible(self.world, "head") or [])}</div>', html)
        self.assertEqual(shown_ids(html), [])

    def sheet(self, name: str, query: str) -> list[list[Any]]:
        url = reverse("runs:items_xlsx", args=[self.world.runs["zero_use"].pk]) + query
        response = self.get_as(name, url)
        self.assertEqual(response.status_code, 200)
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]

    def test_export_is_the_filtered_list(self) -> None:
        clerk = self.world.clerk.pk
        want = [c for c in visible(self.world, "head") or [] if c["person"] == clerk
                and c["grade"] == "黄色"]
        rows = self.sheet("head", f"?grade=黄色&owner={clerk}")
        self.assertEqual(rows[0][:3], ["排名", "编号", "名称"])
        self.assertEqual([r[1] for r in rows[1:]], ordered(want))
        self.assertEqual({r[6] for r in rows[1:]}, {"黄色"})
        self.assertEqual({r[7] for r in rows[1:]}, {"预警"})
        first = next(c for c in want if c["id"] == rows[1][1])
        self.assertEqual(rows[1][5], float(first["amount"]))

    def test_export_is_capped_and_says_so(self) -> None:
        with mock.patch.object(items, "EXPORT_LIMIT", 30):
            rows = self.sheet("admin", "")
        self.assertIn(f"仅导出前 30 条，共 {ITEMS} 条", rows[0][0])
        self.assertEqual(len(rows), 32)  # the note, the header, 30 items

    def test_dashboard_counts_items_and_alerts_in_scope(self) -> None:
        run = self.world.runs["zero_use"]
        for name in ("admin", "head", "staff"):
            with self.subTest(user=name):
                seen = visible(self.world, name) or []
                html = self.get_as(name, reverse("core:dashboard")).content.decode()
                self.assertIn(reverse("runs:items", args=[run.pk]), html)
                self.assertIn(f'<div class="n">{len(seen)}</div>', html)
                alerted = sum(1 for c in seen if c["grade"] != "正常")
                self.assertIn(f'{reverse("runs:alerts", args=[run.pk])}">{alerted}</a>', html)
        html = self.get_as("inspector", reverse("core:dashboard")).content.decode()
        self.assertNotIn(reverse("runs:items", args=[run.pk]), html)
