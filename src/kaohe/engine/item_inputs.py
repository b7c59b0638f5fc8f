"""Small inputs for items (§8) and ``via`` (§18) that need the workspace or the org."""

from __future__ import annotations

import pyarrow as pa

from kaohe.engine.items import item_attributes
from kaohe.engine.plan_items import via_table
from kaohe.errors import SchemeError
from kaohe.scheme.model import Scheme
from kaohe.workspace.org import Org
from kaohe.workspace.workspace import Workspace


def scheme_attributes(ws: Workspace, scheme: Scheme) -> list[str]:
    """Attribute names a scheme's payout formulas may read: an item's source columns (and
    unit, person) for item schemes, the org's attributes otherwise."""
    if scheme.item is not None and scheme.item.source in ws.sources:
        return item_attributes(ws.sources[scheme.item.source])
    return sorted(ws.attributes())


def via_tables(org: Org, scheme: Scheme) -> dict[str, pa.Table]:
    """For each ``via`` attribute, (unit_id, person_id): the units whose attribute names a
    person (spec §18). An attribute no unit has is an error naming the indicator."""
    out: dict[str, pa.Table] = {}
    for ind in scheme.indicators:
        if ind.via is None or via_table(ind.via) in out:
            continue
        attr = ind.via
        if not any(attr in u for u in org.units.values()):
            known = sorted({k for u in org.units.values() for k in u} - {"id"})
            raise SchemeError(scheme.code, f"indicator {ind.code}.via",
                              f"单位没有属性 {attr!r} no unit has the attribute {attr!r} (a "
                              f"column of org/units.csv); unit attributes: {', '.join(known)}")
        pairs = [(u, str(a[attr])) for u, a in org.units.items() if a.get(attr)]
        out[via_table(attr)] = pa.table({
            "unit_id": pa.array([u for u, _ in pairs], pa.string()),
            "person_id": pa.array([p for _, p in pairs], pa.string())})
    return out
