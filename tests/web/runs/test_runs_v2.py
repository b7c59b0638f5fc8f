"""Version-2 runs in the web (spec §8, §10, §12): what a run keeps of payout lines and alerts,
and item runs kept in the store. Expected values come from the v2 world's data (v2world), never
from the engine's output."""

from __future__ import annotations

from decimal import Decimal

from v2world import ITEMS, V2WorldTestCase, built

from kaohe.web.runs.models import Result


def clerk_expected(person: str) -> dict[str, object]:
    """clerk_alert for one clerk, by hand: points 100 × min(tx / T, 1), 合格 from 60."""
    tx = built("tx").get(person, 0)
    points = round(100 * min(tx / built("target"), 1), 2)
    grade = "合格" if points >= 60 else "待改进"
    lines = {"基本奖": 100.0 if grade == "合格" else 50.0, "笔数酬金": 2.0 * tx}
    return {"tx": tx, "points": points, "grade": grade, "lines": lines}


class V2RunsStoredTests(V2WorldTestCase):
    def test_person_run_keeps_alerts_and_payout_lines(self) -> None:
        run = self.world.runs["clerk_alert"]
        self.assertEqual(run.alerts, ["待改进"])
        self.assertEqual(run.payout_lines, ["基本奖", "笔数酬金"])
        clerk = self.world.clerk.pk
        want = clerk_expected(clerk)
        r = Result.objects.get(run=run, entity_id=clerk)
        self.assertEqual(r.final_grade, want["grade"])
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
