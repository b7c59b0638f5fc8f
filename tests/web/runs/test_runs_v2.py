"""Version-2 runs in the web (spec §8, §10, §12): what a run keeps of payout lines and alerts,
and item runs kept in the store. Expected values come from the v2 world's data (v2world), never
from the engine's output."""

from __future__ import annotations

from decimal import Decimal

from v2world import ITEMS, V2WorldTestCase, built, clerk_expected

from kaohe.web.runs.models import Result


class V2RunsStoredTests(V2WorldTestCase):
    def test_person_run_keeps_alerts_and_payout_lines(self) -> None:
        run = self.world.runs["clerk_alert"]
        self.assertEqual(run.alerts, ["待改进"])
        self.assertEqual(run.payout_lines, ["基本奖", "笔数酬金"])
        clerk = self.world.clerk.pk
        want = clerk_expected(clerk)
        r = Result.objects.get(run=run, entity_id=clerk)
        self.assertEqual(r.grade, want["grade"])
        self.assertEqual(r.alert, want["grade"] == "待改进")
        self.assertEqual(r.payout_lines, want["lines"])
        self.assertEqual(r.payout, Decimal(str(sum(want["lines"].values()))).quantize(
            Decimal("0.01")))
        alerted = {p for p, _u in built("clerks") if clerk_expected(p)["grade"] == "待改进"}
        self.assertEqual(set(Result.objects.filter(run=run, alert=True)
                             .values_list("entity_id", flat=True)), alerted)
        self.assertEqual(run.alert_count, len(alerted))

    def test_single_payout_is_one_line(self) -> None:
        run = self.world.runs["clerk_star"]
        self.assertEqual(run.payout_lines, ["兑现"])
        self.assertEqual(run.alerts, [])
        for r in Result.objects.filter(run=run, payout__isnull=False)[:20]:
            self.assertEqual(r.payout_lines, {"兑现": float(r.payout)})
            self.assertFalse(r.alert)

    def test_item_run_is_not_copied_into_rows(self) -> None:
        run = self.world.runs["zero_use"]
        self.assertEqual(run.entity, "item")
        self.assertEqual(run.item_count, ITEMS)
        self.assertEqual(run.alert_count, sum(1 for i in range(ITEMS) if i % 150 < 60))
        self.assertEqual(run.alerts, ["红色", "黄色"])
        self.assertFalse(Result.objects.filter(run=run).exists())

    def test_a_scoped_item_scheme_keeps_its_items_in_scope(self) -> None:
        from kaohe.web.org.models import Unit
        from kaohe.web.runs.models import Run
        from kaohe.web.runs.services import create_run, execute_run
        from v2world import customer

        scheme = self.world.runs["zero_use"].scheme
        scheme.unit = self.world.branch
        scheme.save(update_fields=["unit"])
        halls = set(Unit.objects.filter(path__startswith=self.world.branch.path)
                    .values_list("pk", flat=True))
        outside = sum(1 for i in range(ITEMS) if customer(i)["hall"] not in halls)
        self.assertGreater(outside, 0)
        run = execute_run(create_run(scheme, "2026-09", None).pk)
        self.assertEqual(run.status, Run.Status.FAILED)
        self.assertIn(f"有 {outside} 个考核对象不在该范围内", run.error)

    # --- payout lines on the scorecard, the ranking's payout tooltip and the statement ---

    def test_scorecard_lists_the_lines_and_their_total(self) -> None:
        from django.urls import reverse

        clerk = self.world.clerk.pk
        want = clerk_expected(clerk)["lines"]
        url = reverse("runs:scorecard", args=[self.world.runs["clerk_alert"].pk, clerk])
        html = self.get_as("head", url).content.decode()
        self.assertIn("兑现明细", html)
        for name, amount in want.items():
            self.assertIn(f"<td>{name}</td><td class=\"num\">¥{amount:.2f}</td>", html)
        self.assertIn(f"¥{sum(want.values()):.2f}", html)
        # a single payout is one line: no breakdown
        url = reverse("runs:scorecard", args=[self.world.runs["clerk_star"].pk, clerk])
        self.assertNotIn("兑现明细", self.get_as("head", url).content.decode())

    def test_ranking_payout_cell_tooltip(self) -> None:
        from django.urls import reverse

        clerk = self.world.clerk.pk
        want = clerk_expected(clerk)["lines"]
        text = "；".join(f"{n} ¥{a:.2f}" for n, a in want.items())
        url = reverse("runs:ranking", args=[self.world.runs["clerk_alert"].pk])
        html = self.get_as("head", url + f"?q={clerk}").content.decode()
        self.assertIn(f'title="{text}"', html)

    def test_statement_rows_per_line_and_totals(self) -> None:
        from django.urls import reverse

        hall = self.world.hall.pk
        clerks = [p for p, u in built("clerks") if u == hall]
        html = self.get_as("head", reverse("runs:statement")).content.decode()
        self.assertEqual(html.count("└ 基本奖"), len(clerks))
        self.assertEqual(html.count("└ 笔数酬金"), len(clerks))
        fee = sum(2 * built("tx").get(p, 0) for p in clerks)
        base = sum(clerk_expected(p)["lines"]["基本奖"] for p in clerks)  # type: ignore
        self.assertIn(f"<td>笔数酬金</td><td class=\"num\">¥{fee:.2f}</td>", html)
        self.assertIn(f"<td>基本奖</td><td class=\"num\">¥{base:.2f}</td>", html)
