"""runs/scores_cache.py: a done run's scores are read once per process and then served from
memory — the same values the database holds, for the results asked about only, never for a
run that is not done or under a reused id, and within its memory bound."""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

from django.test import TestCase

from kaohe.web.runs import scores_cache
from kaohe.web.runs.models import Result, Run, Score
from kaohe.web.schemes.models import Scheme, SchemeVersion

CODES = ("sales", "quiz", "complaints")


class ScoresCacheTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        scheme = Scheme.objects.create(code="tiny", name="小方案", entity="person",
                                       period="month")
        cls.version = SchemeVersion.objects.create(scheme=scheme, number=1, text="tiny")
        cls.scheme = scheme
        cls.run_a = cls.make_run("2026-08", "20261001090000-aaaaaaaa", entities=3)
        cls.run_b = cls.make_run("2026-09", "20261101090000-bbbbbbbb", entities=2)

    @classmethod
    def make_run(cls, period: str, engine_run_id: str, entities: int,
                 status: str = Run.Status.DONE) -> Run:
        run = Run.objects.create(scheme=cls.scheme, version=cls.version, period=period,
                                 status=status, entity="person", engine_run_id=engine_run_id)
        for n in range(entities):
            r = Result.objects.create(run=run, entity_id=f"p{n}", name=f"人{n}", total=50,
                                      rank=n + 1, group_size=entities)
            for k, code in enumerate(CODES):
                # distinct, hand-picked numbers: 10·n + k points, value n + k/10, the last
                # indicator of the first entity missing
                Score.objects.create(result=r, code=code, value=n + k / 10,
                                     points=Decimal(10 * n + k), missing=(n == 0 and k == 2))
        return run

    def setUp(self) -> None:
        scores_cache.clear()
        self.addCleanup(scores_cache.clear)

    def ids(self, run: Run) -> list[int]:
        return list(Result.objects.filter(run=run).order_by("entity_id")
                    .values_list("pk", flat=True))

    def test_the_scores_are_the_databases(self) -> None:
        ids = self.ids(self.run_a)
        got = scores_cache.scores_of(self.run_a, ids)
        self.assertEqual(sorted(got), sorted(ids))
        for n, rid in enumerate(ids):
            for k, code in enumerate(CODES):
                row = got[rid][code]
                self.assertEqual(row.points, Decimal(10 * n + k))
                self.assertAlmostEqual(row.value, n + k / 10)
                self.assertEqual(row.missing, n == 0 and k == 2)

    def test_only_the_results_asked_for(self) -> None:
        ids = self.ids(self.run_a)
        self.assertEqual(list(scores_cache.scores_of(self.run_a, ids[1:2])), ids[1:2])
        # the whole run is cached now; still only the results asked for come back
        self.assertEqual(list(scores_cache.scores_of(self.run_a, ids[2:])), ids[2:])
        # a result of another run is not in this run's scores
        other = self.ids(self.run_b)[0]
        self.assertEqual(scores_cache.scores_of(self.run_a, [other]), {})

    def test_the_second_page_reads_no_database(self) -> None:
        ids = self.ids(self.run_a)
        first = scores_cache.scores_of(self.run_a, ids)
        with self.assertNumQueries(0):
            again = scores_cache.scores_of(self.run_a, ids)
        self.assertEqual(first, again)

    def test_a_run_that_is_not_done_is_read_every_time(self) -> None:
        running = self.make_run("2026-07", "20260901090000-cccccccc", entities=1,
                                status=Run.Status.RUNNING)
        ids = self.ids(running)
        with self.assertNumQueries(1):
            scores_cache.scores_of(running, ids)
        with self.assertNumQueries(1):
            scores_cache.scores_of(running, ids)
        self.assertEqual(scores_cache.cached_runs(), [])

    def test_a_new_run_under_the_same_id_is_not_served_old_scores(self) -> None:
        ids = self.ids(self.run_a)
        scores_cache.scores_of(self.run_a, ids)
        # as after a rollback that reuses the id: same pk, another engine run, other scores
        Score.objects.filter(result__run=self.run_a).update(points=Decimal("-1.00"))
        again = Run.objects.get(pk=self.run_a.pk)
        again.engine_run_id = "20261001090000-dddddddd"
        got = scores_cache.scores_of(again, ids)
        self.assertEqual({row.points for s in got.values() for row in s.values()},
                         {Decimal("-1.00")})

    def test_least_recently_used_runs_leave_first(self) -> None:
        # run A holds 9 scores, run B 6: a bound of 10 keeps one of them
        with mock.patch.object(scores_cache, "MAX_SCORES", 10):
            scores_cache.scores_of(self.run_a, self.ids(self.run_a))
            scores_cache.scores_of(self.run_b, self.ids(self.run_b))
            self.assertEqual(scores_cache.cached_runs(),
                             [(self.run_b.pk, self.run_b.engine_run_id)])

    def test_a_run_larger_than_the_bound_is_never_cached(self) -> None:
        ids = self.ids(self.run_a)
        with mock.patch.object(scores_cache, "MAX_SCORES", 5):
            got = scores_cache.scores_of(self.run_a, ids)
            self.assertEqual(scores_cache.cached_runs(), [])
            self.assertEqual(got[ids[2]]["quiz"].points, Decimal(21))
            with self.assertNumQueries(1):  # read as before, without counting again
                scores_cache.scores_of(self.run_a, ids)
