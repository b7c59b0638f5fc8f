"""Copy the workspace's org (units, people, current positions) into the web database."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from kaohe.web.org.models import Person, Unit
from kaohe.workspace.org import Org


def _paths(org: Org) -> dict[str, tuple[str, int]]:
    out: dict[str, tuple[str, int]] = {}
    for uid in org.units:
        chain = list(reversed(org.ancestors(uid)))
        out[uid] = ("/" + "/".join(chain) + "/", len(chain) - 1)
    return out


@transaction.atomic
def sync_org(org: Org, day: date | None = None) -> tuple[int, int]:
    """Make the web's units and people equal to ``org`` as of ``day`` (default today).

    Returns (units, people). Units and people no longer in the org are kept (results and
    appeals refer to them) but lose their parent/unit.
    """
    paths = _paths(org)
    for uid, u in org.units.items():
        path, depth = paths[uid]
        Unit.objects.update_or_create(pk=uid, defaults={
            "name": u.get("name") or uid, "kind": u.get("kind") or "", "path": path,
            "depth": depth, "parent": None})
    for uid, u in org.units.items():
        parent = u.get("parent_id")
        if parent and parent in org.units:
            Unit.objects.filter(pk=uid).update(parent_id=parent)
    on = org.positions_on(day or date.today())
    where = {str(r.person_id): (str(r.unit_id), str(r.position or ""))
             for r in on.itertuples(index=False)}
    for pid, p in org.people.items():
        unit_id, position = where.get(pid, (None, ""))
        Person.objects.update_or_create(pk=pid, defaults={
            "name": p.get("name") or pid,
            "unit_id": unit_id if unit_id in org.units else None, "position": position})
    return len(org.units), len(org.people)
