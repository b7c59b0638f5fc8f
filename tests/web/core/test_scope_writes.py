"""The role × URL matrix of writes, with ids in and out of each user's scope.

Every write — start a run, publish, edit a scheme or its scope, decide an appeal, upload a file,
enter spot checks and inspections — is posted by the anonymous user and by every user of the
world (viewtests.USERS), and each must get the status listed, *and* leave the data as the status
says: a refusal (403 the role or the scheme's scope does not allow it, 404 an id outside the
user's scope) changes nothing; a success changes exactly what was asked.

The world adds a scheme scoped to each branch (scope_world.py): the in-scope assessor owns
``branch_hall``, the out-of-scope assessor ``other_hall``; the demo's schemes are company-wide
and need an admin (roles.WHOLE_SCHEME).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from scope_world import add_branch_schemes, private_workspace  # noqa: F401 (module fixture)
from viewtests import USERS, WorldTestCase

from kaohe.web.appeals.models import Appeal
from kaohe.web.core.workspace import store_lock, workspace
from kaohe.web.data.models import DataLoad, Inspection
from kaohe.web.org.models import Unit
from kaohe.web.runs.models import Result, Run
from kaohe.web.schemes.models import Scheme

pytestmark = pytest.mark.usefixtures("private_workspace")

MANAGERS = ("admin", "assessor", "assessor_out")


def only(**allowed: int) -> dict[str, int]:
    """Every user 403 but those given (a role without the action is refused before any id)."""
    return {name: allowed.get(name, 403) for name in USERS}


COMPANY = only(admin=200)  # a company-wide scheme: admins only
BRANCH = only(admin=200, assessor=200)  # the in-scope assessor's branch scheme
OTHER = only(admin=200, assessor_out=200)  # the other branch's scheme


def store_count(table: str, where: str) -> int:
    ws = workspace()
    with store_lock, ws.store.connect() as con:
        return int(con.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0])


class ScopeWriteTests(WorldTestCase):
    branch_run: ClassVar[Run]
    other_run: ClassVar[Run]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.branch_run, cls.other_run = add_branch_schemes(cls.world)

    def setUp(self) -> None:
        super().setUp()
        schemes = Path(settings.WORKSPACE) / "schemes"
        saved = {p: p.read_bytes() for p in schemes.iterdir()}

        def restore() -> None:  # a successful edit rewrites the scheme's file
            for p in schemes.iterdir():
                if p not in saved:
                    p.unlink()
            for p, data in saved.items():
                p.write_bytes(data)

        self.addCleanup(restore)

    # --- helpers ----------------------------------------------------------------------------

    def status(self, response: Any) -> int:
        """200 for a page or a successful POST's redirect; the login redirect stays 302."""
        if response.status_code == 302 and "/accounts/login/" not in response["Location"]:
            return 200
        return int(response.status_code)

    def post(self, name: str | None, url: str, data: dict[str, Any]) -> int:
        client = Client()
        if name is not None:
            client.force_login(self.world.users[name])
        return self.status(client.post(url, data))

    def check(self, url: str, expect: dict[str, int], data: Any,
              changed: Any, before: Any = None, writes: set[str] | None = None) -> None:
        """POST ``data`` (a dict, or a function of the user name) to ``url`` as anonymous and
        as every user; ``changed(name)`` says whether the write happened, which it must for
        the users in ``writes`` (default: those expecting 200) and for nobody else.
        ``before(name)``, if given, resets the state first."""
        if writes is None:
            writes = {name for name, status in expect.items() if status == 200}
        self.assertEqual(sorted(expect), sorted(USERS))
        payload = data if callable(data) else (lambda _name: data)
        if before:
            before(None)
        self.assertEqual(self.post(None, url, payload("anonymous")), 302)
        self.assertFalse(changed(None), "anonymous")
        for name in USERS:
            with self.subTest(url=url, user=name):
                if before:
                    before(name)
                got = self.post(name, url, payload(name))
                self.assertEqual(got, expect[name])
                self.assertEqual(changed(name), name in writes)

    # --- runs -------------------------------------------------------------------------------

    def test_publish(self) -> None:
        for run, expect in ((self.world.runs["hall_service"], COMPANY),
                            (self.branch_run, BRANCH), (self.other_run, OTHER)):

            def unpublish(_name: str | None, run: Run = run) -> None:
                Run.objects.filter(pk=run.pk).update(published_at=None, published_by=None)

            def published(_name: str | None, run: Run = run) -> bool:
                return Run.objects.get(pk=run.pk).published_at is not None

            self.check(reverse("runs:publish", args=[run.pk]), expect, {"confirm": "1"},
                       published, unpublish)

    def test_publish_needs_every_result_in_the_publishers_scope(self) -> None:
        # A scheme narrowed to the branch after its company-wide run was computed: the
        # assessor now owns the scheme, but the run still holds other branches' results.
        run = self.world.runs["hall_service"]
        Run.objects.filter(pk=run.pk).update(published_at=None)
        Scheme.objects.filter(pk=run.scheme_id).update(unit=self.world.branch)
        outside = Result.objects.filter(run=run).exclude(
            unit__path__startswith=self.world.branch.path).count()
        self.assertGreater(outside, 0)
        response = self.client_for("assessor").post(reverse("runs:publish", args=[run.pk]),
                                                     {"confirm": "1"})
        self.assertEqual(response.status_code, 403)
        self.assertIsNone(Run.objects.get(pk=run.pk).published_at)

    def test_start_a_run(self) -> None:
        for scheme, expect in ((self.world.runs["hall_service"].scheme, COMPANY),
                               (self.branch_run.scheme, BRANCH),
                               (self.other_run.scheme, OTHER)):
            counted = {"n": Run.objects.filter(scheme=scheme).count()}

            def created(_name: str | None, scheme: Scheme = scheme,
                        counted: dict[str, int] = counted) -> bool:
                n = Run.objects.filter(scheme=scheme).count()
                grew, counted["n"] = n > counted["n"], n
                return grew

            self.check(reverse("runs:new"), expect, {"scheme": scheme.pk, "period": "2026-09"},
                       created)
        # The branch's run covers the branch's halls only (its population), all stored.
        mine = Run.objects.filter(scheme=self.branch_run.scheme).latest("pk")
        self.assertEqual(mine.status, Run.Status.DONE, mine.error)
        self.assertFalse(Result.objects.filter(run=mine).exclude(
            unit__path__startswith=self.world.branch.path).exists())

    def test_start_a_run_of_an_unknown_scheme(self) -> None:
        before = Run.objects.count()
        self.check(reverse("runs:new"), only(admin=404, assessor=404, assessor_out=404),
                   {"scheme": 999999, "period": "2026-09"}, lambda _n: False)
        self.assertEqual(Run.objects.count(), before)

    def test_a_scoped_schemes_run_reaching_outside_its_scope_stores_nothing(self) -> None:
        # branch_hall's population limited to the other branch: its results lie outside the
        # scheme's scope, so the run fails and keeps no result (runs/coverage.py).
        from scope_world import scoped_scheme

        scheme = scoped_scheme("stray_hall", self.world.branch, self.world.other_branch)
        response = self.client_for("assessor").post(reverse("runs:new"), {
            "scheme": scheme.pk, "period": "2026-09"})
        run = Run.objects.filter(scheme=scheme).get()
        self.assertRedirects(response, reverse("runs:detail", args=[run.pk]),
                             fetch_redirect_response=False)
        self.assertEqual(run.status, Run.Status.FAILED)
        self.assertIn("不在该范围内", run.error)
        self.assertFalse(Result.objects.filter(run=run).exists())

    # --- schemes ----------------------------------------------------------------------------

    def test_edit_a_scheme(self) -> None:
        for scheme, expect in ((self.world.runs["hall_service"].scheme, COMPANY),
                               (self.branch_run.scheme, BRANCH),
                               (self.other_run.scheme, OTHER)):
            url = reverse("schemes:edit", args=[scheme.code])
            for name in USERS:  # the editor page itself
                with self.subTest(url=url, user=name, method="get"):
                    self.assertEqual(self.get_as(name, url).status_code, expect[name])

            def text(name: str, scheme: Scheme = scheme) -> dict[str, Any]:
                current = Scheme.objects.get(pk=scheme.pk).current
                return {"text": current.text + f"# {name}\n", "note": name,
                        "base": current.number}

            def saved(name: str | None, scheme: Scheme = scheme) -> bool:
                return scheme.versions.filter(note=name or "anonymous").exists()

            self.check(url, expect, text, saved)

    def test_change_a_schemes_scope(self) -> None:
        w = self.world
        county = Unit.objects.filter(parent=w.branch).order_by("path").first()
        company, mine = w.runs["hall_service"].scheme, self.branch_run.scheme

        def scope_is(scheme: Scheme, unit: Unit | None) -> Any:
            return lambda _name: Scheme.objects.get(pk=scheme.pk).unit_id == (
                unit.pk if unit else None)

        def reset(scheme: Scheme, unit: Unit | None) -> Any:
            return lambda _name: Scheme.objects.filter(pk=scheme.pk).update(unit=unit)

        url = reverse("schemes:scope", args=[mine.code])
        # narrow the branch's scheme to a county of the branch
        self.check(url, BRANCH, {"unit": county.pk}, scope_is(mine, county),
                   reset(mine, w.branch))
        # hand the branch's scheme to the other branch, or make it company-wide: admins only
        self.check(url, COMPANY, {"unit": w.other_branch.pk}, scope_is(mine, w.other_branch),
                   reset(mine, w.branch))
        self.check(url, COMPANY, {"unit": ""}, scope_is(mine, None), reset(mine, w.branch))
        # take a company-wide scheme into a branch: admins only
        self.check(reverse("schemes:scope", args=[company.code]), COMPANY,
                   {"unit": w.branch.pk}, scope_is(company, w.branch), reset(company, None))

    def test_new_scheme_takes_a_scope_inside_the_users(self) -> None:
        text = Scheme.objects.get(code="hall_service").current.text

        def made(name: str | None) -> bool:
            return Scheme.objects.filter(code=f"new_{name or 'anonymous'}").exists()

        def form(unit: Unit | None) -> Any:
            return lambda name: {"code": f"new_{name}", "text": text, "note": "",
                                 "unit": unit.pk if unit else ""}

        def forget() -> None:  # the schemes made, and their files
            Scheme.objects.filter(code__startswith="new_").delete()
            for path in (Path(settings.WORKSPACE) / "schemes").glob("new_*.yaml"):
                path.unlink()

        w = self.world
        self.check(reverse("schemes:new"), BRANCH, form(w.branch), made)
        self.assertEqual(Scheme.objects.get(code="new_assessor").unit, w.branch)
        forget()
        # a company-wide scheme, or another branch's, is not the assessor's to create
        self.check(reverse("schemes:new"), only(admin=200, assessor=403, assessor_out=403),
                   form(None), made)
        self.assertIsNone(Scheme.objects.get(code="new_admin").unit)
        forget()
        self.check(reverse("schemes:new"), only(admin=200, assessor=403, assessor_out=200),
                   form(w.other_branch), made)
        forget()

    def test_importing_the_workspace_files_is_for_admins(self) -> None:
        self.assertEqual(self.client_for("assessor").post(reverse("schemes:sync")).status_code,
                         403)
        self.assertEqual(self.status(self.client_for("admin").post(reverse("schemes:sync"))),
                         200)

    # --- appeals ----------------------------------------------------------------------------

    def _appeal(self, result: Result) -> Appeal:
        Appeal.objects.filter(result=result, status=Appeal.Status.FILED).update(
            status=Appeal.Status.REJECTED)
        return Appeal.objects.create(result=result, reason="漏计",
                                     filed_by=self.world.users["staff"])

    def _decide(self, result: Result, expect: dict[str, int], outcome: str) -> None:
        appeals: dict[str, Appeal] = {}

        def fresh(name: str | None) -> None:
            appeals["now"] = self._appeal(result)

        def decided(_name: str | None) -> bool:
            return Appeal.objects.get(pk=appeals["now"].pk).status != Appeal.Status.FILED

        # the URL names the appeal made just before each POST
        for name in (None, *USERS):
            fresh(name)
            url = reverse("appeals:decide", args=[appeals["now"].pk])
            got = self.post(name, url, {"outcome": outcome, "points": "2", "reason": "核实"})
            with self.subTest(user=name, result=result.pk, outcome=outcome):
                if name is None:
                    self.assertEqual(got, 302)
                    self.assertFalse(decided(name))
                    continue
                self.assertEqual(got, expect[name])
                self.assertEqual(decided(name), expect[name] == 200)

    def test_decide_an_appeal(self) -> None:
        w = self.world
        mine = w.result("clerk_star", w.clerk.pk)  # peers: the county, inside the branch
        theirs = w.result("clerk_star", w.other_clerk.pk)
        self._decide(mine, only(admin=200, assessor=200, assessor_out=404), "reject")
        self._decide(theirs, only(admin=200, assessor=404, assessor_out=200), "reject")
        self._decide(mine, only(admin=200, assessor=200, assessor_out=404), "accept")

    def test_accepting_an_appeal_that_reranks_other_branches_is_for_admins(self) -> None:
        # hall_service ranks halls against halls of the same kind in every branch: an accepted
        # adjustment would move other branches' ranks (a rejection moves nothing).
        w = self.world
        hall = w.result("hall_service", w.hall.pk)
        self.assertTrue(Result.objects.filter(run=hall.run, group_key=hall.group_key).exclude(
            unit__path__startswith=w.branch.path).exists())
        ranks = dict(Result.objects.filter(run=hall.run).values_list("pk", "rank"))
        self._decide(hall, only(admin=200, assessor=409, assessor_out=404), "accept")
        self._decide(hall, only(admin=200, assessor=200, assessor_out=404), "reject")
        hall.refresh_from_db()
        self.assertEqual(hall.adjustment, Decimal("2.00"))  # the admin's acceptance only
        moved = {pk for pk, rank in Result.objects.filter(run=hall.run).values_list(
            "pk", "rank") if ranks[pk] != rank}
        self.assertTrue(moved <= set(Result.objects.filter(
            run=hall.run, group_key=hall.group_key).values_list("pk", flat=True)))

    # --- data -------------------------------------------------------------------------------

    def test_upload_rows_of_another_branch(self) -> None:
        # A quiz score of the other branch's clerk, a different day for each user: stored for
        # those whose scope holds the clerk, rejected (nothing stored) for the assessor.
        clerk = self.world.other_clerk.pk
        days = {name: f"2026-10-{i + 1:02d}" for i, name in enumerate(("anonymous", *USERS))}

        def file(name: str) -> dict[str, Any]:
            text = f"员工工号,答题日期,得分\n{clerk},{days[name]},88\n"
            return {"source": "quiz", "file": SimpleUploadedFile("quiz.csv", text.encode())}

        def stored(name: str | None) -> bool:
            day = days[name or "anonymous"]
            return store_count("fact_quiz", f"person_id = '{clerk}' AND day = DATE '{day}'") > 0

        # the assessor's upload is answered with the rejected load's report: stored nothing
        self.check(reverse("data:upload"), only(admin=200, assessor=200, assessor_out=200),
                   file, stored, writes={"admin", "assessor_out"})
        rejected = DataLoad.objects.get(loaded_by=self.world.users["assessor"])
        self.assertEqual(rejected.status, DataLoad.Status.REJECTED)
        self.assertEqual([(e["row"], e["value"]) for e in rejected.errors], [(2, clerk)])

    def test_enter_spot_checks_for_another_hall(self) -> None:
        w = self.world
        url = reverse("data:entry")
        minutes = {name: i for i, name in enumerate(("anonymous", *USERS))}

        def check(name: str) -> dict[str, Any]:
            return {"unit": w.other_hall.pk, "form": "upsell",
                    "upsell-person": w.other_clerk.pk,
                    "upsell-at": f"2026-11-21T09:{minutes[name]:02d}", "upsell-said": "yes"}

        def stored(name: str | None) -> bool:
            at = f"2026-11-21 09:{minutes[name or 'anonymous']:02d}:00"
            return store_count("fact_upsell", f"person_id = '{w.other_clerk.pk}' AND "
                                              f"\"at\" = TIMESTAMP '{at}'") > 0

        self.check(url, only(admin=200, head=404, head_out=200), check, stored)

        # the in-scope head naming the other hall's clerk in their own hall's form
        before = store_count("fact_upsell", "true")
        response = self.client_for("head").post(url, {**check("head"), "unit": ""})
        self.assertEqual(response.status_code, 404)
        response = self.client_for("head").post(url, {
            "form": "quiz", "quiz-day": "2026-11-10", f"quiz-score_{w.clerk.pk}": "90",
            f"quiz-score_{w.other_clerk.pk}": "90"})
        self.assertEqual(response.status_code, 404)  # never a stray score dropped silently
        self.assertEqual(store_count("fact_upsell", "true"), before)
        self.assertFalse(DataLoad.objects.filter(loaded_by=w.users["head"]).exists())

    def test_inspect_another_inspectors_outlet(self) -> None:
        w = self.world
        minutes = {name: i for i, name in enumerate(("anonymous", *USERS))}

        def visit(name: str) -> dict[str, Any]:
            return {"unit": w.other_hall.pk, "method": "暗访",
                    "at": f"2026-11-20T10:{minutes[name]:02d}", "items": ["smile"]}

        def stored(name: str | None) -> bool:
            return Inspection.objects.filter(
                unit=w.other_hall, at__minute=minutes[name or "anonymous"]).exists()

        self.check(reverse("data:inspection_new"), only(admin=200, inspector=404,
                                                        inspector_out=200), visit, stored)
