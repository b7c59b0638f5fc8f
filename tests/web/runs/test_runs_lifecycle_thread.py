"""Starting a run never blocks the request: with ``KAOHE_RUNS_INLINE=False`` the run is computed
in a background thread, and the progress JSON follows it to 100 % and "done".

A TransactionTestCase, so that the thread (its own database connection) sees the committed run.
"""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.test import TransactionTestCase, override_settings
from django.urls import reverse

from kaohe.web.accounts.models import Profile
from kaohe.web.core.roles import Role
from kaohe.web.core.workspace import store_lock, workspace
from kaohe.web.org.sync import sync_org
from kaohe.web.runs import jobs
from kaohe.web.runs.models import Result, Run
from kaohe.web.schemes.models import Scheme
from kaohe.web.schemes.services import sync_schemes


@override_settings(KAOHE_RUNS_INLINE=False)
class BackgroundRunTests(TransactionTestCase):
    def setUp(self) -> None:
        ws = workspace()
        sync_org(ws.org, ws.org.assignments["start"].max())
        sync_schemes(ws)
        user = get_user_model().objects.create_user("boss", is_superuser=True)
        Profile.objects.create(user=user, role=Role.ADMIN)
        self.client.force_login(user)

    def tearDown(self) -> None:
        jobs.stop()  # before the database is flushed under it

    def wait_for_thread(self, run: Run) -> None:
        self.assertTrue(jobs.wait_idle(120))

    def test_start_returns_at_once_and_progress_reaches_done(self) -> None:
        scheme = Scheme.objects.get(code="hall_service")
        # Hold the engine's lock: a request that waited for the run would never return.
        with store_lock:
            started = time.monotonic()
            response = self.client.post(reverse("runs:new"),
                                        {"scheme": scheme.pk, "period": "2026-09"})
            self.assertLess(time.monotonic() - started, 10)
            run = Run.objects.get()
            self.assertRedirects(response, reverse("runs:detail", args=[run.pk]),
                                 fetch_redirect_response=False)
            data = self.client.get(reverse("runs:progress", args=[run.pk])).json()
            self.assertIn(data["status"], ("queued", "running"))
            self.assertFalse(data["done"])
            self.assertLess(data["progress"], 100)
            page = self.client.get(reverse("runs:detail", args=[run.pk])).content.decode()
            self.assertIn('id="run-progress"', page)
            self.assertIn("runs/progress.js", page)
        deadline = time.monotonic() + 120
        seen = {data["progress"]}
        while not data["done"] and time.monotonic() < deadline:
            time.sleep(0.2)
            data = self.client.get(reverse("runs:progress", args=[run.pk])).json()
            seen.add(data["progress"])
        self.wait_for_thread(run)
        self.assertEqual((data["status"], data["progress"], data["error"]), ("done", 100, ""))
        self.assertEqual(seen, {p for p in seen if 0 <= p <= 100})
        self.assertTrue(Result.objects.filter(run=run).exists())
        page = self.client.get(reverse("runs:detail", args=[run.pk])).content.decode()
        self.assertNotIn('id="run-progress"', page)
        self.assertIn(reverse("runs:ranking", args=[run.pk]), page)
