"""One demo account per role, chosen from the demo workspace's org (README lists them)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from kaohe.web.accounts.models import Profile
from kaohe.web.core.roles import Role
from kaohe.web.org.models import Person, Unit

DEMO_PASSWORD = "kaohe-demo-2026"
HALL_KINDS = ["自营厅", "合作厅", "特约厅", "代理店"]


# The demo's people without an org person of their own.
DEMO_NAMES = {"admin": "王立新", "assessor": "李敏", "inspector": "赵磊", "partner": "陈志强"}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    what: str


def _first_hall(kind_contains: str) -> Unit:
    halls = Unit.objects.filter(kind__contains=kind_contains).order_by("path")
    for unit in halls:
        if unit.people.filter(position="营业员").exists():
            return unit
    raise LookupError(f"the org has no {kind_contains} with clerks")


def _channel_manager_of(partner_hall: Unit) -> Person | None:
    """The channel manager (渠道经理) who looks after ``partner_hall`` (the org's unit
    attribute ``channel_manager``; S9), if the workspace has one."""
    from kaohe.web.channels.scope import partners_by_manager

    for person_id, units in sorted(partners_by_manager().items()):
        if partner_hall.pk in units:
            return Person.objects.filter(pk=person_id).first()
    return None


def _customer_manager(hall: Unit) -> Person | None:
    """A customer manager (客户经理) of ``hall``'s county, else the first one: their
    customers' warnings (S4) make the warning list."""
    managers = Person.objects.filter(position="客户经理").order_by("pk")
    if hall.parent_id:
        near = managers.filter(unit__path__startswith=hall.parent.path).first()  # type: ignore
        if near is not None:
            return near
    return managers.first()


@transaction.atomic
def create_demo_accounts() -> list[DemoAccount]:
    """Create (or reset) the demo accounts; returns what each one is."""
    from kaohe.demo.power.runner import demo_kind
    from kaohe.web.core.workspace import workspace

    if demo_kind(workspace().root) == "power":  # the county power demo has its own accounts
        from kaohe.web.accounts.demo_power import create_power_accounts

        return create_power_accounts()
    User = get_user_model()
    branch = Unit.objects.filter(depth=1).order_by("path").first()
    hall = _first_hall("自营厅")
    partner_hall = _first_hall("合作厅")
    clerk = Person.objects.filter(unit=hall, position="营业员").order_by("pk").first()
    head = (Person.objects.filter(unit=hall, position="营业厅主任").order_by("pk").first()
            or Person.objects.filter(unit=hall).exclude(position="营业员").order_by("pk").first())
    inspected = list(Unit.objects.filter(kind__in=HALL_KINDS).order_by("path")[:6])
    channel_manager = _channel_manager_of(partner_hall)
    customer_manager = _customer_manager(hall)
    plan = [
        ("admin", Role.ADMIN, None, None, "全部 everything"),
        ("assessor", Role.ASSESSOR, branch, None, f"{branch.name if branch else ''}"),
        ("head", Role.HEAD, hall, head, hall.name),
        ("staff", Role.STAFF, hall, clerk, f"{clerk.name if clerk else ''}（{hall.name}）"),
        ("inspector", Role.INSPECTOR, None, None, f"{len(inspected)} 个营业厅 outlets"),
        ("partner", Role.PARTNER, partner_hall, None, partner_hall.name),
    ]
    if channel_manager is not None:  # S9: the partner's channel manager (渠道经理)
        plan.append(("channel", Role.CHANNEL_MANAGER, None, channel_manager,
                     f"{channel_manager.name}：{partner_hall.name} 等渠道"))
    if customer_manager is not None:  # S4: a customer manager's warning list (客户经理)
        plan.append(("custmgr", Role.STAFF, customer_manager.unit, customer_manager,
                     f"{customer_manager.name}（客户经理）：名下预警客户"))
    out: list[DemoAccount] = []
    for username, role, unit, person, what in plan:
        user, _ = User.objects.get_or_create(username=username)
        # pages name people, not logins: heads and staff by their org person, the others by
        # the name on the account (core.people)
        user.last_name = DEMO_NAMES.get(username, "")
        user.set_password(DEMO_PASSWORD)
        user.is_superuser = user.is_staff = role == Role.ADMIN
        user.save()
        profile, _ = Profile.objects.update_or_create(user=user, defaults={
            "role": role, "unit": unit, "person": person})
        if role == Role.INSPECTOR:
            profile.outlets.set(inspected)
        out.append(DemoAccount(username, str(role.label), what))
    return out


# --- the demo's branch scheme -----------------------------------------------------------------

BRANCH_SCHEME = "branch_clerk_star"  # clerk_star for the assessor's branch only


def branch_scheme_text(star_text: str, branch: Unit) -> str:
    """clerk_star's text with the branch's name and a population limited to the branch's
    subtree (``ancestor:<kind>``), so that every result lies inside the scheme's scope."""
    lines = []
    for line in star_text.splitlines():
        if line.startswith("name:"):
            line = f"name: {branch.name}营业员星级考核"
        elif line.startswith("population:"):
            line = (f'population: {{position: 营业员, "ancestor:{branch.kind}": '
                    f'"{branch.pk}"}}  # {branch.name} only: the scheme\'s scope')
        lines.append(line)
    return "\n".join(lines) + "\n"


def create_branch_scheme(admin: object) -> object | None:
    """A scheme owned by the demo assessor's branch (scope = the branch), so that `assessor`
    can run and publish something (the demo's own schemes are company-wide); None when the
    workspace has no clerk_star or the scheme exists already."""
    from kaohe.web.schemes.models import Scheme
    from kaohe.web.schemes.services import create_scheme

    branch = Unit.objects.filter(depth=1).order_by("path").first()
    star = Scheme.objects.filter(code="clerk_star").select_related("current").first()
    if branch is None or star is None or star.current is None:
        return None
    if Scheme.objects.filter(code=BRANCH_SCHEME).exists():
        return None
    text = branch_scheme_text(star.current.text, branch)
    version = create_scheme(admin, BRANCH_SCHEME, text, note="演示：分公司方案 demo branch scheme",
                            unit=branch)
    return version.scheme
