"""The demo's branch scheme (kaohe_setup --demo): a copy of clerk_star scoped to the demo
assessor's branch, so that the README's `assessor` row holds — they run and publish it, while
an assessor of another branch may not."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from viewtests import WorldTestCase
from world import build_world

from kaohe.web.accounts.demo import BRANCH_SCHEME, create_branch_scheme
from kaohe.web.core.roles import Action
from kaohe.web.runs.models import Result, Run
from kaohe.web.schemes.models import Scheme


class DemoBranchSchemeTests(WorldTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        base = Path(settings.WORKSPACE)
        root = base.parent / "demo_branch"
        if root.exists():
            shutil.rmtree(root)
        shutil.copytree(base, root, ignore=shutil.ignore_patterns("*.lock", "uploads"))
        cls._ws = override_settings(WORKSPACE=root)
        cls._ws.enable()
        try:
            super().setUpClass()
        except Exception:
            cls._ws.disable()
            raise

    @classmethod
    def tearDownClass(cls) -> None:
        try:
            super().tearDownClass()
        finally:
            cls._ws.disable()

    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world(schemes=("clerk_star",), publish=False)
        cls.scheme: Any = create_branch_scheme(cls.world.users["admin"])

    def test_the_scheme_is_the_branchs(self) -> None:
        scheme = Scheme.objects.get(code=BRANCH_SCHEME)
        self.assertEqual(scheme.unit, self.world.branch)
        self.assertIn(f'"ancestor:{self.world.branch.kind}": "{self.world.branch.pk}"',
                      scheme.current.text)
        self.assertIsNone(create_branch_scheme(self.world.users["admin"]))  # once

    def test_the_assessor_runs_and_publishes_it(self) -> None:
        runnable = Scheme.objects.restrict(self.world.users["assessor"], Action.RUN)
        self.assertIn(self.scheme, runnable)
        self.assertNotIn(Scheme.objects.get(code="clerk_star"), runnable)
        self.assertNotIn(self.scheme, Scheme.objects.restrict(self.world.users["assessor_out"],
                                                              Action.RUN))
        response = self.post_as("assessor", reverse("runs:new"),
                                {"scheme": self.scheme.pk, "period": "2026-09"})
        self.assertEqual(response.status_code, 302)
        run = Run.objects.get(scheme=self.scheme, period="2026-09")
        self.assertEqual(run.status, Run.Status.DONE, run.error)
        branch = self.world.branch.path
        units = set(Result.objects.filter(run=run).values_list("unit__path", flat=True))
        self.assertTrue(units and all(u.startswith(branch) for u in units))
        url = reverse("runs:publish", args=[run.pk])
        self.assertEqual(self.post_as("assessor_out", url, {"confirm": "1"}).status_code, 403)
        self.post_as("assessor", url, {"confirm": "1"})
        run.refresh_from_db()
        self.assertIsNotNone(run.published_at)
