"""Permissions in the queryset, never in the template (NetBox's ``RestrictedQuerySet``).

Every list and object view starts from ``Model.objects.restrict(user, action)``. A model says
how scope applies to it by defining ``scope_q(profile_scope) -> Q``; the scope is computed once
per user from the org tree (``Scope``). Writes call ``restrict`` again inside their transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q

from kaohe.web.core.roles import Role, can, role_of


@dataclass(frozen=True)
class Scope:
    """What part of the org a user sees.

    ``everything`` for admins; otherwise ``unit_path`` (a subtree, for assessors), ``unit_ids``
    (one outlet for heads and partners, assigned outlets for inspectors) and ``person_id``
    (staff: only themselves).
    """

    role: str
    everything: bool = False
    unit_path: str | None = None
    unit_ids: frozenset[str] = frozenset()
    person_id: str | None = None

    def units_q(self, field: str = "") -> Q:
        """Q over a Unit (``field`` is the lookup path to it, e.g. ``"unit__"``)."""
        if self.everything:
            return Q()
        q = Q(pk__in=[])
        if self.unit_path:
            q |= Q(**{f"{field}path__startswith": self.unit_path})
        if self.unit_ids:
            q |= Q(**{f"{field}{'id' if field else 'pk'}__in": sorted(self.unit_ids)})
        return q


NOTHING = Scope(role="")


def scope_of(user: Any) -> Scope:
    role = role_of(user)
    if role is None:
        return NOTHING
    if role == Role.ADMIN:
        return Scope(role=role, everything=True)
    profile = user.profile
    if role == Role.ASSESSOR:
        return Scope(role=role, unit_path=profile.unit.path if profile.unit else None)
    if role in (Role.HEAD, Role.PARTNER):
        return Scope(role=role, unit_ids=frozenset([profile.unit_id] if profile.unit_id else []))
    if role == Role.INSPECTOR:
        return Scope(role=role, unit_ids=frozenset(profile.outlets.values_list("pk", flat=True)))
    return Scope(role=role, person_id=profile.person_id)


class RestrictedQuerySet(models.QuerySet):  # type: ignore[type-arg]
    def restrict(self, user: Any, action: str = "view") -> RestrictedQuerySet:
        """Only the rows ``user`` may take ``action`` on; none for anonymous users."""
        if not can(user, action):
            return self.none()
        scope = scope_of(user)
        if scope.everything:
            return self
        return self.filter(self.model.scope_q(scope))  # type: ignore[attr-defined]
