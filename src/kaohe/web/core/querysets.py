"""Permissions in the queryset, never in the template (NetBox's ``RestrictedQuerySet``).

Every list and object view starts from ``Model.objects.restrict(user, action)``. A model says
how scope applies to it by defining ``scope_q(profile_scope) -> Q``; the scope is computed once
per user from the org tree (``Scope``). Writes call ``restrict`` again inside their transaction.

Actions on a whole scheme (``roles.WHOLE_SCHEME``: configure, run, publish) also need the
scheme's own scope inside the user's: such models define ``owner_q(scope) -> Q`` as well, and a
model without one yields nothing for those actions (closed by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q

from kaohe.web.core.roles import WHOLE_SCHEME, Role, can, role_of


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

    def covers_q(self, field: str) -> Q:
        """Q over an owner's scope: ``field`` is the lookup path to a nullable Unit (e.g.
        ``"unit__"``) where an empty unit means the whole company. True where that scope lies
        inside this one: admins cover everything, an assessor their subtree, nobody else any."""
        if self.everything:
            return Q()
        if self.unit_path:
            return Q(**{f"{field}path__startswith": self.unit_path})
        return Q(pk__in=[])


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
    if role == Role.CHANNEL_MANAGER:
        from kaohe.web.channels.scope import partners_of

        return Scope(role=role, unit_ids=partners_of(profile.person_id))
    return Scope(role=role, person_id=profile.person_id)


class RestrictedQuerySet(models.QuerySet):  # type: ignore[type-arg]
    def restrict(self, user: Any, action: str = "view") -> RestrictedQuerySet:
        """Only the rows ``user`` may take ``action`` on; none for anonymous users."""
        if not can(user, action):
            return self.none()
        return self.within(scope_of(user), action)

    def within(self, scope: Scope, action: str = "view") -> RestrictedQuerySet:
        """The rows ``scope`` reaches for ``action`` (the role's permission is the caller's:
        ``restrict`` checks it). For querysets built from a scope, e.g. the audit log's."""
        if scope.everything:
            return self
        q = self.model.scope_q(scope)  # type: ignore[attr-defined]
        if action in WHOLE_SCHEME:
            owner_q = getattr(self.model, "owner_q", None)
            q &= owner_q(scope) if owner_q is not None else Q(pk__in=[])
        return self.filter(q)
