"""What the dashboard shows each role, checked against Result rows selected here from the org
(paths, halls, people) rather than through the scope code."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal

from django.db.models import QuerySet
from django.urls import reverse
from viewtests import WorldTestCase

from kaohe.web.runs.models import Result


def top_bottom(rows: QuerySet[Result]) -> tuple[list[str], list[str]]:
    listed = sorted(rows, key=lambda r: (-r.total, r.entity_id))
    bottom = sorted(rows, key=lambda r: (r.total, r.entity_id))
    return [r.entity_id for r in listed[:5]], [r.entity_id for r in bottom[:5]]


class DashboardContentTests(WorldTestCase):
    def blocks(self, user: str) -> tuple[dict[str, object], str]:
        response = self.get_as(user, reverse("core:dashboard"))
        self.assertEqual(response.status_code, 200)
        return ({b.run.scheme.code: b for b in response.context["blocks"]},
                response.content.decode())

    def card(self, code: str, entity_id: str) -> str:
        return reverse("runs:scorecard", args=[self.world.runs[code].pk, entity_id])

    def test_admin_sees_top_and_bottom_of_every_scheme(self) -> None:
        blocks, text = self.blocks("admin")
        self.assertEqual(set(blocks), {"clerk_star", "hall_service"})
        for code, block in blocks.items():
            rows = Result.objects.filter(run=self.world.runs[code])
            top, bottom = top_bottom(rows)
            self.assertEqual([r.entity_id for r in block.top], top)
            self.assertEqual([r.entity_id for r in block.bottom], bottom)
            for entity_id in top + bottom:
                self.assertIn(self.card(code, entity_id), text)
                self.assertIn(rows.get(entity_id=entity_id).name, text)
            self.assertEqual(block.count, rows.count())
            self.assertEqual(block.flagged, sum(1 for r in rows
                                                if r.vetoed or r.eliminate or r.bottom))
            mean = sum((r.total for r in rows), Decimal(0)) / rows.count()
            self.assertEqual(block.average, mean.quantize(Decimal("0.01")))

    def test_assessor_sees_the_top_and_bottom_of_the_branch_only(self) -> None:
        blocks, text = self.blocks("assessor")
        rows = Result.objects.filter(run=self.world.runs["clerk_star"],
                                     unit__path__startswith=self.world.branch.path)
        top, bottom = top_bottom(rows)
        block = blocks["clerk_star"]
        self.assertEqual([r.entity_id for r in block.top], top)
        self.assertEqual([r.entity_id for r in block.bottom], bottom)
        everyone = Result.objects.filter(run=self.world.runs["clerk_star"])
        outside = [e for e in top_bottom(everyone)[0]
                   if not everyone.get(entity_id=e).unit.path.startswith(
                       self.world.branch.path)]
        for entity_id in outside:
            self.assertNotIn(self.card("clerk_star", entity_id), text)

    def test_grade_distribution_counts(self) -> None:
        blocks, _text = self.blocks("admin")
        for code, block in blocks.items():
            option = json.loads(block.grade_chart)
            got = {d["name"]: d["value"] for d in option["series"][0]["data"]}
            want = Counter(Result.objects.filter(run=self.world.runs[code])
                           .values_list("grade", flat=True))
            self.assertEqual(got, {g or "—": n for g, n in want.items()})

    def test_trend_is_the_average_total_per_period_in_scope(self) -> None:
        blocks, _text = self.blocks("head")
        option = json.loads(blocks["clerk_star"].trend_chart)
        rows = Result.objects.filter(run=self.world.runs["clerk_star"], unit=self.world.hall)
        mean = sum((r.total for r in rows), Decimal(0)) / rows.count()
        self.assertEqual(option["xAxis"]["data"], ["2026-09"])
        self.assertEqual(option["series"][0]["data"], [round(float(mean), 2)])

    def test_head_sees_the_halls_clerks_ranked(self) -> None:
        blocks, text = self.blocks("head")
        want = Result.objects.filter(run=self.world.runs["clerk_star"], unit=self.world.hall)
        got = blocks["clerk_star"].listing
        self.assertEqual({r.entity_id for r in got}, set(want.values_list("entity_id",
                                                                           flat=True)))
        ranks = [r.rank for r in got]
        self.assertEqual(ranks, sorted(ranks))
        for r in want:
            self.assertIn(r.name, text)
        self.assertIn("本厅员工排名", text)

    def test_staff_see_themselves_only(self) -> None:
        blocks, text = self.blocks("staff")
        self.assertEqual(set(blocks), {"clerk_star"})
        (mine,) = blocks["clerk_star"].listing
        self.assertEqual(mine.entity_id, self.world.clerk.pk)
        self.assertIn(self.world.clerk.name, text)
        self.assertIn("我的申诉", text)
        self.assertNotIn(self.card("clerk_star", self.world.other_clerk.pk), text)

    def test_inspector_sees_their_outlets_and_no_people(self) -> None:
        blocks, text = self.blocks("inspector")
        self.assertEqual(set(blocks), {"hall_service"})
        self.assertEqual([r.entity_id for r in blocks["hall_service"].listing],
                         [self.world.hall.pk])
        self.assertIn(self.world.hall.name, text)
        self.assertIn("我负责的营业厅", text)
        self.assertNotIn(self.world.other_hall.name, text)

    def test_partner_sees_their_outlet_and_the_statement_link(self) -> None:
        blocks, text = self.blocks("partner")
        hall = blocks["hall_service"].listing
        self.assertEqual([r.entity_id for r in hall], [self.world.partner_hall.pk])
        self.assertIn(reverse("runs:statement"), text)
        self.assertIn("酬金对账单", text)
