"""The seam between the web and the engine: runs copied into results, scope in querysets."""

from __future__ import annotations

from decimal import Decimal

from django.test import TestCase

from kaohe.web.runs.models import Result
from world import World, build_world


class RunSeamTests(TestCase):
    world: World

    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()

    def test_results_match_the_engine_store(self) -> None:
        from kaohe.web.core.workspace import workspace

        run = self.world.runs["clerk_star"]
        ws = workspace()
        with ws.store.connect(read_only=True) as con:
            rows = con.execute("SELECT entity_id, total, rank, grade FROM run_entities "
                               "WHERE run_id = ?", [run.engine_run_id]).fetchall()
        stored = {r.entity_id: r for r in Result.objects.filter(run=run)}
        self.assertEqual(len(rows), len(stored))
        for eid, total, rank, grade in rows:
            self.assertEqual(stored[eid].total, Decimal(str(round(total, 2))).quantize(
                Decimal("0.01")))
            self.assertEqual(stored[eid].rank, rank)
            self.assertEqual(stored[eid].grade, grade or "")

    def test_scope_in_querysets(self) -> None:
        w = self.world
        run = w.runs["clerk_star"]
        mine = Result.objects.restrict(w.users["staff"]).filter(run=run)
        self.assertEqual([r.entity_id for r in mine], [w.clerk.pk])
        head = Result.objects.restrict(w.users["head"]).filter(run=run)
        self.assertTrue(head.exists())
        self.assertTrue(all(r.unit_id == w.hall.pk for r in head))
        assessor = Result.objects.restrict(w.users["assessor"]).filter(run=run)
        self.assertTrue(all(r.unit.path.startswith(w.branch.path) for r in assessor))
        self.assertFalse(assessor.filter(entity_id=w.other_clerk.pk).exists())
        self.assertEqual(Result.objects.restrict(w.users["admin"]).filter(run=run).count(),
                         run.results.count())
        from django.contrib.auth.models import AnonymousUser

        self.assertFalse(Result.objects.restrict(AnonymousUser()).exists())


class ResultUnitTests(TestCase):
    """A person's result belongs to the unit of their assignment on the period's last day (the
    org a run uses, spec §1): the matching assignment with the latest start."""

    world: World

    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world(("clerk_star",))

    def test_results_belong_to_the_unit_on_the_last_day(self) -> None:
        from datetime import date

        from kaohe.web.core.workspace import workspace

        day = date(2026, 9, 30)
        rows = workspace().org.assignments.to_dict("records")
        run = self.world.runs["clerk_star"]
        moved = 0
        for res in run.results.all():
            matching = [r for r in rows if r["person_id"] == res.entity_id
                        and r["start"] <= day and (r["end"] is None or r["end"] != r["end"]
                                                   or r["end"] >= day)]
            best = max(matching, key=lambda r: r["start"])
            self.assertEqual(res.unit_id, best["unit_id"])
            moved += len({r["unit_id"] for r in rows if r["person_id"] == res.entity_id}) > 1
        self.assertGreater(moved, 0, "the demo has people who moved between halls")
