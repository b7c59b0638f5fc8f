"""Small inputs for items (§8) and ``via`` (§18) that need the workspace or the org."""

from __future__ import annotations

import pyarrow as pa

from kaohe.engine.items import item_attributes, latest_attribute
from kaohe.engine.plan_items import is_item_results, via_table
from kaohe.errors import SchemeError
from kaohe.periods import Period
from kaohe.scheme.model import Scheme
from kaohe.workspace.org import Org
from kaohe.workspace.sources import RESULTS_PREFIX
from kaohe.workspace.workspace import Workspace


def scheme_attributes(ws: Workspace, scheme: Scheme) -> list[str]:
    """Attribute names a scheme's payout formulas may read: an item's source columns (and
    unit, person) for item schemes, the org's attributes otherwise."""
    if scheme.item is not None and scheme.item.source in ws.sources:
        return item_attributes(ws.sources[scheme.item.source])
    return sorted(ws.attributes())


def via_tables(ws: Workspace, scheme: Scheme, period: Period) -> dict[str, pa.Table]:
    """For each ``via`` attribute (spec §18): (unit_id, person_id), the units whose attribute
    names a person; on ``results:ITEM_SCHEME``, (item_id, person_id), the items whose latest
    row before this period's end names the person in that column. An attribute no unit (no
    item) has is an error naming the indicator."""
    out: dict[str, pa.Table] = {}
    for ind in scheme.indicators:
        if ind.via is None or ind.source is None:
            continue
        source = ws.source(ind.source)
        name = via_table(ind.via, source)
        if name in out:
            continue
        if is_item_results(source):
            out[name] = _item_via(ws, scheme, ind.code, ind.source, ind.via, period)
        else:
            out[name] = _unit_via(ws.org, scheme, ind.code, ind.via)
    return out


def _unit_via(org: Org, scheme: Scheme, code: str, attr: str) -> pa.Table:
    if not any(attr in u for u in org.units.values()):
        known = sorted({k for u in org.units.values() for k in u} - {"id"})
        raise SchemeError(scheme.code, f"indicator {code}.via",
                          f"单位没有属性 {attr!r} no unit has the attribute {attr!r} (a "
                          f"column of org/units.csv); unit attributes: {', '.join(known)}")
    pairs = [(u, str(a[attr])) for u, a in org.units.items() if a.get(attr)]
    return pa.table({"unit_id": pa.array([u for u, _ in pairs], pa.string()),
                     "person_id": pa.array([p for _, p in pairs], pa.string())})


def _item_via(ws: Workspace, scheme: Scheme, code: str, source: str, attr: str,
              period: Period) -> pa.Table:
    ref = ws.scheme(source[len(RESULTS_PREFIX):])
    assert ref.item is not None
    src = ws.source(ref.item.source)
    if src.column(attr) is None:
        raise SchemeError(scheme.code, f"indicator {code}.via",
                          f"对象没有属性 {attr!r}: 数据源 {src.name} 没有此列 the items of "
                          f"{ref.code} have no attribute {attr!r}; columns of {src.name}: "
                          + ", ".join(c.name for c in src.columns))
    return latest_attribute(ws.store, src, ref.item.key, attr, period.end)
