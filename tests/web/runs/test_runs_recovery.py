"""A run whose worker is gone is settled when its page polls it (recovery.py): adopted when the
engine store holds it, failed with the reason otherwise; a run whose worker lives is left alone.

"Gone" is decided from the worker id the run is stamped with (host:pid:token) and its
heartbeat: a dead pid on this host, or silence past KAOHE_RUN_STALE_SECONDS elsewhere.
"""

from __future__ import annotations

import os
import subprocess
import threading
from unittest import mock
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from kaohe.engine.run import run_scheme
from kaohe.scheme.loader import parse_scheme
from kaohe.web.accounts.models import Profile
from kaohe.web.core.roles import Role
from kaohe.web.core.workspace import workspace
from kaohe.web.org.sync import sync_org
from kaohe.web.runs import jobs
from kaohe.web.runs.models import Result, Run, Score
from kaohe.web.runs.services import create_run, execute_run
from kaohe.web.schemes.models import Scheme
from kaohe.web.schemes.services import sync_schemes

RESULT_FIELDS = ["entity_id", "name", "unit_id", "unit_name", "group_key", "group_name", "total",
                 "rank", "grade", "group_size", "vetoed", "bottom", "eliminate", "payout",
                 "adjustment", "adjustments"]


def dead_pid() -> int:
    """The pid of a process that has ended."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


class RecoveryTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        ws = workspace()
        sync_org(ws.org, ws.org.assignments["start"].max())
        sync_schemes(ws)
        cls.user = get_user_model().objects.create_user("boss", is_superuser=True)
        Profile.objects.create(user=cls.user, role=Role.ADMIN)

    def setUp(self) -> None:
        self.client.force_login(self.user)

    def claimed(self, code: str, period: str, worker: str, beat: Any = None) -> Run:
        """A run claimed by ``worker`` (computing it, as far as the database knows)."""
        run = create_run(Scheme.objects.get(code=code), period, self.user)
        claimed = jobs.claim(run.pk)
        assert claimed is not None
        Run.objects.filter(pk=run.pk).update(worker=worker, heartbeat=beat or timezone.now(),
                                             progress=45, message="计算 computing on duckdb")
        return Run.objects.get(pk=run.pk)

    def poll(self, run: Run) -> dict[str, Any]:
        data: dict[str, Any] = self.client.get(reverse("runs:progress", args=[run.pk])).json()
        return data

    def test_a_run_of_a_dead_worker_is_failed_with_the_reason(self) -> None:
        run = self.claimed("clerk_star", "2026-08", f"{jobs.HOST}:{dead_pid()}:gone")
        data = self.poll(run)
        self.assertEqual((data["status"], data["done"], data["waiting"]), ("failed", True, False))
        self.assertIn("服务器在运行中重启", data["error"])
        self.assertIn("start it again", data["error"])
        self.assertFalse(Result.objects.filter(run=run).exists())
        page = self.client.get(reverse("runs:detail", args=[run.pk])).content.decode()
        self.assertNotIn('id="run-progress"', page)

    def test_a_run_whose_worker_lives_is_left_running(self) -> None:
        # the parent process (pytest's runner) is alive and has beaten just now
        run = self.claimed("clerk_star", "2026-08", f"{jobs.HOST}:{os.getppid()}:alive")
        data = self.poll(run)
        self.assertEqual((data["status"], data["done"], data["progress"]), ("running", False, 45))
        # another host's worker, silent for longer than the stale limit, is gone
        Run.objects.filter(pk=run.pk).update(
            worker="elsewhere:4242:far", heartbeat=timezone.now() - timedelta(seconds=61))
        self.assertEqual(self.poll(run)["status"], "failed")

    def test_a_run_the_engine_stored_before_the_crash_is_adopted(self) -> None:
        # The reference: the same scheme and period computed the normal way.
        reference = execute_run(create_run(Scheme.objects.get(code="clerk_star"), "2026-09",
                                           self.user).pk)
        self.assertEqual(reference.status, Run.Status.DONE)
        # The crash: the engine saved the run under the id the web recorded, the web did not
        # get to copy the results before its process died.
        run = self.claimed("clerk_star", "2026-09", f"{jobs.HOST}:{dead_pid()}:gone")
        run_scheme(workspace(), "clerk_star", "2026-09",
                   scheme=parse_scheme(run.version.text, "clerk_star"), run_id=run.engine_run_id)
        self.assertFalse(Result.objects.filter(run=run).exists())
        data = self.poll(run)
        self.assertEqual((data["status"], data["progress"], data["done"], data["error"]),
                         ("done", 100, True, ""))
        run.refresh_from_db()
        self.assertEqual((run.entity, run.peers, run.grades, run.has_payout, run.indicators),
                         (reference.entity, reference.peers, reference.grades,
                          reference.has_payout, reference.indicators))
        got = list(Result.objects.filter(run=run).order_by("entity_id").values(*RESULT_FIELDS))
        want = list(Result.objects.filter(run=reference).order_by("entity_id")
                    .values(*RESULT_FIELDS))
        self.assertGreater(len(want), 10)
        self.assertEqual(got, want)
        scores = ["result__entity_id", "code", "value", "points", "missing"]
        self.assertEqual(
            list(Score.objects.filter(result__run=run).order_by(*scores[:2]).values_list(*scores)),
            list(Score.objects.filter(result__run=reference).order_by(*scores[:2])
                 .values_list(*scores)))

    def test_a_run_the_web_cannot_keep_leaves_the_engine_history(self) -> None:
        """Results that cannot be copied fail the run, and the engine's copy stops counting
        (bottom-n streaks and results:SCHEME read only done runs)."""
        run = create_run(Scheme.objects.get(code="clerk_star"), "2026-09", self.user)
        with mock.patch("kaohe.web.runs.services.store_results",
                        side_effect=RuntimeError("disk full")):
            run = execute_run(run.pk)
        self.assertEqual((run.status, run.error), ("failed", "disk full"))
        with workspace().store.connect(read_only=True) as con:
            status = con.execute("SELECT status FROM runs WHERE run_id = ?",
                                 [run.engine_run_id]).fetchall()
        self.assertEqual(status, [("retired",)])

    def test_a_run_that_never_gets_the_store_fails_with_a_reason(self) -> None:
        run = create_run(Scheme.objects.get(code="clerk_star"), "2026-09", self.user)
        held, done = threading.Event(), threading.Event()

        def writer() -> None:  # another process writing the store the whole time
            with workspace().store.connect():
                held.set()
                done.wait(60)

        other = threading.Thread(target=writer)
        other.start()
        try:
            self.assertTrue(held.wait(30))
            with override_settings(KAOHE_RUN_STORE_WAIT=0.5):
                run = execute_run(run.pk)
        finally:
            done.set()
            other.join(60)
        self.assertEqual(run.status, "failed")
        self.assertIn("考核库在 0.5 秒内一直被其他运行或导入占用", run.error)
        self.assertIsNone(run.waiting_since)
