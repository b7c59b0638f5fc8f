"""The alerts page (预警清单, spec §12): its rows, levels, costs, filters and export, checked
against hand-computed expectations from the v2 world's data (v2world), for a person run
(clerk_alert) and an item run (zero_use), and who may see what."""

from __future__ import annotations

import io
import re
from typing import Any, ClassVar

import openpyxl
from django.urls import reverse
from v2world import V2WorldTestCase, clerk_alerts, item_alerts, visible
from viewtests import USERS, RoleMatrix


def page_rows(html: str) -> list[tuple[str, str]]:
    """(id, level class) of each row of the alerts table."""
    return re.findall(r'<tr class="(alert-\w+)" data-id="([^"]+)"', html)


PERSON_RUN = {**{n: 200 for n in USERS}, "inspector": 403, "inspector_out": 403,
              "partner": 403, "partner_out": 403}


class ClerkAlertsMatrix(RoleMatrix, V2WorldTestCase):
    expect: ClassVar[dict[str, int]] = PERSON_RUN

    def url(self) -> str:
        return reverse("runs:alerts", args=[self.world.runs["clerk_alert"].pk])

    def must_show(self, name: str) -> list[str]:
        return [f'data-id="{p}"' for p, _t in clerk_alerts(self.world, name)][:50]

    def must_hide(self, name: str) -> list[str]:
        mine = {p for p, _t in clerk_alerts(self.world, name)}
        return [f'data-id="{p}"' for p, _t in clerk_alerts(self.world, "admin")
                if p not in mine]


class ItemAlertsMatrix(RoleMatrix, V2WorldTestCase):
    expect: ClassVar[dict[str, int]] = {}

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.expect = {}
        for name in USERS:
            seen = visible(cls.world, name)
            cls.expect[name] = 403 if seen is None else 200 if seen else 404

    def url(self) -> str:
        return reverse("runs:alerts", args=[self.world.runs["zero_use"].pk])

    def must_show(self, name: str) -> list[str]:
        rows = item_alerts(self.world, name)
        return [f"预警 {len(rows)} 条", *(f'data-id="{i}"' for i, _g, _c in rows[:50])]


class AlertsPageTests(V2WorldTestCase):
    def test_clerk_alerts_rows_and_costs(self) -> None:
        want = clerk_alerts(self.world, "admin")
        self.assertTrue(want)
        url = reverse("runs:alerts", args=[self.world.runs["clerk_alert"].pk])
        html = self.get_as("admin", url).content.decode()
        self.assertIn(f"预警 {len(want)} 条", html)
        self.assertEqual(page_rows(html), [("alert-red", p) for p, _t in want[:50]])
        for _p, text in want[:50]:
            self.assertIn(text, html)

    def test_item_alerts_order_levels_and_filters(self) -> None:
        want = item_alerts(self.world, "head")
        url = reverse("runs:alerts", args=[self.world.runs["zero_use"].pk])
        html = self.get_as("head", url).content.decode()
        classes = {"红色": "alert-red", "黄色": "alert-orange"}
        self.assertEqual(page_rows(html), [(classes[g], i) for i, g, _c in want[:50]])
        self.assertIn(want[0][2], html)
        yellow = [w for w in want if w[1] == "黄色"]
        html = self.get_as("head", url + "?level=黄色&page=2").content.decode()
        self.assertIn(f"预警 {len(yellow)} 条", html)
        self.assertEqual([i for _c, i in page_rows(html)], [i for i, _g, _c in yellow[50:100]])
        clerk = self.world.clerk.pk
        mine = [w for w in want if w[0] in {c["id"] for c in visible(self.world, "staff") or []}]
        html = self.get_as("head", url + f"?owner={clerk}").content.decode()
        self.assertIn(f"预警 {len(mine)} 条", html)

    def test_alerts_export_read_back(self) -> None:
        url = reverse("runs:alerts_xlsx", args=[self.world.runs["clerk_alert"].pk])
        response = self.get_as("assessor", url)
        self.assertEqual(response.status_code, 200)
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
        self.assertEqual(rows[0], ["预警级别", "编号", "名称", "人员", "单位", "总分", "排名",
                                   "失分指标"])
        self.assertEqual([(r[1], r[7]) for r in rows[1:]], clerk_alerts(self.world, "assessor"))
        self.assertEqual({r[0] for r in rows[1:]}, {"待改进"})

    def test_index_and_run_page_link_to_alerts(self) -> None:
        html = self.get_as("head", reverse("runs:alert_index")).content.decode()
        for code in ("clerk_alert", "zero_use"):
            self.assertIn(reverse("runs:alerts", args=[self.world.runs[code].pk]), html)
        self.assertNotIn(reverse("runs:alerts", args=[self.world.runs["clerk_star"].pk]), html)
        # inspectors open neither a person run's pages nor items: nothing listed
        html = self.get_as("inspector", reverse("runs:alert_index")).content.decode()
        for code in ("clerk_alert", "zero_use"):
            self.assertNotIn(reverse("runs:alerts", args=[self.world.runs[code].pk]), html)
        run = self.world.runs["clerk_alert"]
        html = self.get_as("head", reverse("runs:detail", args=[run.pk])).content.decode()
        self.assertIn(reverse("runs:alerts", args=[run.pk]), html)
        self.assertIn(reverse("runs:alert_index"), html)  # the menu
        # a run without alerts has no alerts page
        star = self.world.runs["clerk_star"]
        self.assertEqual(self.get_as("admin", reverse("runs:alerts", args=[star.pk])
                                     ).status_code, 404)
