"""Runs are jobs: two runs started together from two browsers both complete, the second waiting
its turn ("排队中 queued"), and no database error reaches either browser — on SQLite (the suite's
file database) and on PostgreSQL (``make test`` runs tests/web again with ``DATABASE_URL``).

A TransactionTestCase: the requests run in threads of their own and the worker thread computes
the runs, each with its own database connection, as in the server.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client, TransactionTestCase, override_settings
from django.urls import reverse

from kaohe.web.accounts.models import Profile
from kaohe.web.core.roles import Role
from kaohe.web.core.workspace import store_lock, workspace
from kaohe.web.org.sync import sync_org
from kaohe.web.runs import jobs
from kaohe.web.runs.models import Result, Run
from kaohe.web.runs.services import create_run
from kaohe.web.schemes.models import Scheme
from kaohe.web.schemes.services import sync_schemes


def progress(client: Client, run: Run) -> dict[str, Any]:
    response = client.get(reverse("runs:progress", args=[run.pk]))
    assert response.status_code == 200, response.content[:500]
    data: dict[str, Any] = response.json()
    return data


def follow(client: Client, run: Run, seconds: float = 180) -> dict[str, Any]:
    """Poll the run's progress as the page does, until it says done (or time runs out)."""
    deadline = time.monotonic() + seconds
    data = progress(client, run)
    while not data["done"] and time.monotonic() < deadline:
        time.sleep(0.2)
        data = progress(client, run)
    return data


@override_settings(KAOHE_RUNS_INLINE=False)
class ConcurrentRunTests(TransactionTestCase):
    def setUp(self) -> None:
        ws = workspace()
        sync_org(ws.org, ws.org.assignments["start"].max())
        sync_schemes(ws)
        self.user = get_user_model().objects.create_user("boss", is_superuser=True)
        Profile.objects.create(user=self.user, role=Role.ADMIN)

    def tearDown(self) -> None:
        jobs.stop()  # before the database is flushed under it

    def client_for(self) -> Client:
        client = Client()
        client.force_login(self.user)
        return client

    def start_together(self, posts: list[dict[str, Any]]) -> list[int]:
        """POST /runs/new/ from one thread per form, all released at once; the status codes."""
        barrier = threading.Barrier(len(posts))
        codes: list[int] = [0] * len(posts)
        clients = [self.client_for() for _ in posts]

        def post(i: int) -> None:
            try:
                barrier.wait()
                codes[i] = clients[i].post(reverse("runs:new"), posts[i]).status_code
            except Exception:  # a 500 in the test client is raised: record it as one
                codes[i] = 500
                raise
            finally:
                connection.close()

        threads = [threading.Thread(target=post, args=(i,)) for i in range(len(posts))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        return codes

    def test_two_runs_started_together_both_complete(self) -> None:
        star = Scheme.objects.get(code="clerk_star")
        hall = Scheme.objects.get(code="hall_service")
        codes = self.start_together([{"scheme": star.pk, "period": "2026-09"},
                                     {"scheme": hall.pk, "period": "2026-09"}])
        self.assertEqual(codes, [302, 302])
        runs = list(Run.objects.order_by("pk"))
        self.assertEqual(len(runs), 2)
        client = self.client_for()
        finals = [follow(client, run) for run in runs]
        for run, data in zip(runs, finals, strict=True):
            self.assertEqual((data["status"], data["progress"], data["error"]), ("done", 100, ""),
                             run)
            self.assertFalse(data["waiting"])
            self.assertTrue(Result.objects.filter(run=run).exists())
        # the engine stored both runs under the ids the web recorded
        with workspace().store.connect(read_only=True) as con:
            stored = {r for (r,) in con.execute("SELECT run_id FROM runs").fetchall()}
        self.assertLessEqual({r.engine_run_id for r in Run.objects.all()}, stored)

    def test_the_second_run_shows_it_waits_for_the_first(self) -> None:
        star = Scheme.objects.get(code="clerk_star")
        client = self.client_for()
        # The first run cannot have the store while this test holds it: it is claimed and waits.
        with store_lock:
            client.post(reverse("runs:new"), {"scheme": star.pk, "period": "2026-09"})
            client.post(reverse("runs:new"), {"scheme": star.pk, "period": "2026-08"})
            first, second = Run.objects.order_by("pk")
            deadline = time.monotonic() + 30
            while Run.objects.get(pk=first.pk).waiting_since is None \
                    and time.monotonic() < deadline:
                time.sleep(0.05)
            one, two = progress(client, first), progress(client, second)
            self.assertEqual((one["status"], one["waiting"], one["done"]),
                             ("running", True, False))
            self.assertIn("等待", one["message"])
            self.assertEqual((two["status"], two["waiting"], two["done"]), ("queued", True, False))
            self.assertIn(f"#{first.pk}", two["message"])
            self.assertEqual(two["status_label"], "排队中")
            page = client.get(reverse("runs:detail", args=[second.pk])).content.decode()
            self.assertIn(f"#{first.pk}", page)
        self.assertEqual(follow(client, first)["status"], "done")
        self.assertEqual(follow(client, second)["status"], "done")

    def test_each_queued_run_is_claimed_by_exactly_one_worker(self) -> None:
        """Workers of several processes claim at once (threads here, each with its own database
        connection): every queued run is taken once, none twice."""
        star = Scheme.objects.get(code="clerk_star")
        queued = {create_run(star, f"2026-0{m}", self.user).pk for m in (6, 7, 8)}
        barrier = threading.Barrier(6)
        taken: list[int | None] = []
        lock = threading.Lock()

        def worker() -> None:
            try:
                barrier.wait()
                while (run := jobs.claim()) is not None:
                    with lock:
                        taken.append(run.pk)
            finally:
                connection.close()

        threads = [threading.Thread(target=worker) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        self.assertEqual(sorted(taken), sorted(queued))
        self.assertEqual(set(Run.objects.values_list("status", flat=True)), {"running"})
