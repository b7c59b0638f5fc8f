"""A small world for web tests: the demo org and schemes, one user per role in scope and one
out of scope, and computed runs. Built in ``setUpTestData`` (rolled back after each class)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from kaohe.web.accounts.models import Profile
from kaohe.web.core.roles import Role
from kaohe.web.core.workspace import workspace
from kaohe.web.org.models import Person, Unit
from kaohe.web.org.sync import sync_org
from kaohe.web.runs.models import Result, Run
from kaohe.web.runs.services import create_run, execute_run
from kaohe.web.schemes.models import Scheme
from kaohe.web.schemes.services import sync_schemes

PASSWORD = "kaohe-test-pw-1"


@dataclass
class World:
    users: dict[str, Any] = field(default_factory=dict)  # "admin", "assessor", "assessor_out", …
    branch: Unit | None = None  # the in-scope assessor's branch
    other_branch: Unit | None = None
    hall: Unit | None = None  # in the branch: the head's hall, the staff member's hall
    other_hall: Unit | None = None  # in the other branch
    partner_hall: Unit | None = None
    clerk: Person | None = None  # works in ``hall``
    other_clerk: Person | None = None  # works in ``other_hall``
    runs: dict[str, Run] = field(default_factory=dict)  # scheme code → latest run

    def result(self, code: str, entity_id: str) -> Result:
        return Result.objects.get(run=self.runs[code], entity_id=entity_id)


def _hall_with_clerks(branch: Unit, kinds: list[str]) -> Unit:
    for unit in Unit.objects.filter(path__startswith=branch.path, kind__in=kinds).order_by("path"):
        if unit.people.filter(position="营业员").count() >= 2:
            return unit
    raise LookupError(f"no hall with clerks under {branch}")


def _user(name: str, role: str, unit: Unit | None = None, person: Person | None = None,
          outlets: list[Unit] | None = None) -> Any:
    user = get_user_model().objects.create_user(name, password=PASSWORD,
                                                is_superuser=role == Role.ADMIN)
    profile = Profile.objects.create(user=user, role=role, unit=unit, person=person)
    if outlets:
        profile.outlets.set(outlets)
    return user


def build_world(schemes: tuple[str, ...] = ("clerk_star", "hall_service"),
                period: str = "2026-09", publish: bool = True) -> World:
    ws = workspace()
    sync_org(ws.org, ws.org.assignments["start"].max())
    sync_schemes(ws)
    w = World()
    branches = list(Unit.objects.filter(depth=1).order_by("path"))
    w.branch, w.other_branch = branches[0], branches[1]
    w.hall = _hall_with_clerks(w.branch, ["自营厅"])
    w.other_hall = _hall_with_clerks(w.other_branch, ["自营厅"])
    w.partner_hall = Unit.objects.filter(path__startswith=w.branch.path,
                                         kind="合作厅").order_by("path").first()
    other_partner = Unit.objects.filter(path__startswith=w.other_branch.path,
                                        kind="合作厅").order_by("path").first()
    w.clerk = Person.objects.filter(unit=w.hall, position="营业员").order_by("pk").first()
    w.other_clerk = Person.objects.filter(unit=w.other_hall,
                                          position="营业员").order_by("pk").first()
    w.users = {
        "admin": _user("admin", Role.ADMIN),
        "assessor": _user("assessor", Role.ASSESSOR, unit=w.branch),
        "assessor_out": _user("assessor_out", Role.ASSESSOR, unit=w.other_branch),
        "head": _user("head", Role.HEAD, unit=w.hall),
        "head_out": _user("head_out", Role.HEAD, unit=w.other_hall),
        "staff": _user("staff", Role.STAFF, unit=w.hall, person=w.clerk),
        "staff_out": _user("staff_out", Role.STAFF, unit=w.other_hall, person=w.other_clerk),
        "inspector": _user("inspector", Role.INSPECTOR, outlets=[w.hall]),
        "inspector_out": _user("inspector_out", Role.INSPECTOR, outlets=[w.other_hall]),
        "partner": _user("partner", Role.PARTNER, unit=w.partner_hall),
        "partner_out": _user("partner_out", Role.PARTNER, unit=other_partner),
    }
    for code in schemes:
        run = execute_run(create_run(Scheme.objects.get(code=code), period, None).pk)
        assert run.status == Run.Status.DONE, run.error
        if publish:  # heads, staff, inspectors and partners see published runs only
            run.published_at = timezone.now()
            run.save(update_fields=["published_at"])
        w.runs[code] = run
    return w
