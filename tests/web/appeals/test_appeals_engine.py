"""Accepting an appeal in the browser is an engine adjustment (spec §19): the run becomes a new
revision and the money follows. 营业员星级考核 pays 800 × 1.0 for 三星 and 800 × 0.6 for 二星, and
the issue's case was a clerk raised to 三星 by an appeal and still paid 480; 窗口服务考核 splits
8000 yuan among each county's halls by total, which re-ranking alone never re-split."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from typing import Any

from django.urls import reverse
from viewtests import RetireRevisions, WorldTestCase

from kaohe.web.appeals.models import Appeal
from kaohe.web.audit.models import ChangeLog
from kaohe.web.runs.models import Result, Run


def pool_split(pool: Decimal, totals: dict[str, Decimal]) -> dict[str, Decimal]:
    """An independent reference for spec §4's pool: in whole fen, each share floored, the fen
    left over one each to the largest remainders (ties: lower id first)."""
    fen = int(pool * 100)
    whole = sum(totals.values())
    if whole == 0:
        raw = {k: Decimal(fen) / len(totals) for k in totals}
    else:
        raw = {k: Decimal(fen) * t / whole for k, t in totals.items()}
    floor = {k: int(v.to_integral_value(ROUND_FLOOR)) for k, v in raw.items()}
    left = fen - sum(floor.values())
    for k in sorted(raw, key=lambda k: (-(raw[k] - floor[k]), k))[:left]:
        floor[k] += 1
    return {k: Decimal(v) / 100 for k, v in floor.items()}


class EngineAdjustmentFlowTests(RetireRevisions, WorldTestCase):
    def decide(self, appeal: Appeal, name: str, **data: Any) -> Any:
        return self.post_as(name, reverse("appeals:decide", args=[appeal.pk]), data)

    def test_raised_to_three_stars_is_paid_800(self) -> None:
        w = self.world
        run = w.runs["clerk_star"]
        mine = Result.objects.restrict(w.users["assessor"]).filter(run=run)
        # a 二星 clerk of the assessor's branch (60 <= total < 75, paid 800 × 0.6 = 480) whose
        # county group lies in the branch
        target = next(r for r in mine.filter(grade="二星", vetoed=False).order_by("-total")
                      if not Result.objects.filter(run=run, group_key=r.group_key).exclude(
                          pk__in=mine.values("pk")).exists())
        self.assertEqual(target.payout, Decimal("480.00"))
        others = {r.pk: (r.total, r.payout) for r in Result.objects.filter(run=run).exclude(
            pk=target.pk)}
        appeal = Appeal.objects.create(result=target, reason="漏计业务",
                                       filed_by=w.users["staff"])
        points = Decimal("75") - target.total  # exactly 三星's minimum
        response = self.decide(appeal, "assessor", outcome="accept", kind="points",
                               points=str(points), reason="核实漏计")
        self.assertRedirects(response, reverse("appeals:detail", args=[appeal.pk]))
        target.refresh_from_db()
        # 75.00 → 三星 → 800 × 1.0, as every other 三星 clerk
        self.assertEqual((target.total, target.grade, target.payout),
                         (Decimal("75.00"), "三星", Decimal("800.00")))
        self.assertEqual(set(Result.objects.filter(run=run, grade="三星")
                             .values_list("payout", flat=True)), {Decimal("800.00")})
        # points added to one total change no other total or payout (no pool, no quota)
        self.assertEqual({r.pk: (r.total, r.payout) for r in Result.objects.filter(
            run=run).exclude(pk=target.pk)}, others)
        now = Run.objects.get(pk=run.pk)
        self.assertEqual((now.revision > run.revision, now.adjustment_count), (True, 1))
        appeal.refresh_from_db()
        self.assertEqual(appeal.revision, now.revision)
        label = f"第 {now.revision} 版（含 1 项申诉调整）"
        page = self.get_as("assessor", reverse("runs:scorecard", args=[run.pk, target.entity_id]))
        self.assertContains(page, label)
        self.assertContains(self.get_as("assessor", reverse("runs:ranking", args=[run.pk])),
                            label)
        # the audit log: the run's revision, the result's total, grade and payout
        entry = ChangeLog.objects.filter(object_type="runs.run", object_id=str(run.pk),
                                         action="update").latest("id")
        changed = {n: (b, a) for n, b, a in entry.changed_fields()}
        self.assertEqual(changed["revision"], (run.revision, now.revision))
        entry = ChangeLog.objects.filter(object_type="runs.result",
                                         object_id=str(target.pk)).latest("id")
        changed = {n: (b, a) for n, b, a in entry.changed_fields()}
        self.assertEqual(changed["payout"], ("480.00", "800.00"))
        self.assertEqual(changed["grade"], ("二星", "三星"))

    def test_a_corrected_hall_resplits_its_county_pool(self) -> None:
        w = self.world
        run = w.runs["hall_service"]
        hall = Result.objects.restrict(w.users["assessor"]).filter(
            run=run, vetoed=False, payout__isnull=False).order_by("total", "entity_id").first()
        county = list(Result.objects.filter(run=run, unit__parent_id=hall.unit.parent_id))
        self.assertGreater(len(county), 2)
        self.assertEqual(sum(r.payout for r in county), Decimal("8000.00"))
        appeal = Appeal.objects.create(result=hall, reason="暗访扣分有误",
                                       filed_by=w.users["head"])
        # the hall's peers (its kind) reach other branches: an admin decides
        self.assertEqual(self.decide(appeal, "assessor", outcome="accept", kind="points",
                                     points="10", reason="x").status_code, 409)
        self.decide(appeal, "admin", outcome="accept", kind="points", points="10",
                    reason="扣分有误")
        totals = {r.entity_id: r.total for r in county}
        totals[hall.entity_id] += Decimal("10")  # nobody else's total moves
        want = pool_split(Decimal("8000"), totals)
        got = {r.entity_id: r.payout for r in Result.objects.filter(pk__in=[r.pk for r in county])}
        self.assertEqual(got, want)
        self.assertEqual(sum(got.values()), Decimal("8000.00"))
        self.assertGreater(got[hall.entity_id], hall.payout)
        changed = [k for k in got if got[k] != {r.entity_id: r.payout for r in county}[k]]
        self.assertGreater(len(changed), 1)  # the other halls' shares moved too
