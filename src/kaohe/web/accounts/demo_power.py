"""The power demo's accounts (``kaohe demo --kind power``; README, docs/power-demo.md).

The same password as the telecom demo. Roles map onto the supply company's posts (no new role:
the existing ones, scoped): the 营销部 admin, an assessor for the whole county, a station head
(所长, head of one station), a 台区经理 and a 抄表员 of that station (staff: their own results).
Each profile names its person, so the pages show the post as the org calls it.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from kaohe.web.accounts.demo import DEMO_NAMES, DEMO_PASSWORD, DemoAccount
from kaohe.web.accounts.models import Profile
from kaohe.web.core.roles import Role
from kaohe.web.org.models import Person, Unit

__all__ = ["DEMO_PASSWORD", "create_power_accounts"]


def _first_station() -> Unit:
    for unit in Unit.objects.filter(kind="供电所").order_by("path"):
        if unit.people.filter(position="抄表员").exists():
            return unit
    raise LookupError("the org has no 供电所 with 抄表员")


@transaction.atomic
def create_power_accounts() -> list[DemoAccount]:
    """Create (or reset) the power demo's accounts; returns what each one is."""
    User = get_user_model()
    county = Unit.objects.filter(kind="县公司").order_by("path").first()
    station = _first_station()
    head = Person.objects.filter(unit=station, position="所长").order_by("pk").first()
    manager = Person.objects.filter(unit=station, position="台区经理").order_by("pk").first()
    reader = Person.objects.filter(unit=station, position="抄表员").order_by("pk").first()
    dept = Unit.objects.filter(kind="部门", name="营销部").order_by("path").first()
    clerk = (Person.objects.filter(unit=dept, position="营销部专责").order_by("pk").first()
             if dept else None)
    plan = [
        # 营销部: everything; the profile names the 营销部专责 so pages show the post
        ("admin", Role.ADMIN, dept, clerk, "营销部 全部 everything"),
        ("assessor", Role.ASSESSOR, county, None, county.name if county else ""),
        ("head", Role.HEAD, station, head, f"所长 {head.name if head else ''}（{station.name}）"),
        ("manager", Role.STAFF, station, manager,
         f"台区经理 {manager.name if manager else ''}（{station.name}）"),
        ("reader", Role.STAFF, station, reader,
         f"抄表员 {reader.name if reader else ''}（{station.name}）"),
    ]
    out: list[DemoAccount] = []
    for username, role, unit, person, what in plan:
        user, _ = User.objects.get_or_create(username=username)
        user.set_password(DEMO_PASSWORD)
        user.is_superuser = user.is_staff = role == Role.ADMIN
        # an account without an org person is named on the account (core/people.py)
        user.last_name = "" if person is not None else DEMO_NAMES.get(username, "")
        user.save()
        Profile.objects.update_or_create(user=user, defaults={
            "role": role, "unit": unit, "person": person})
        out.append(DemoAccount(username, str(role.label), what))
    return out
