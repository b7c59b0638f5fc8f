"""The run's small inputs, built from the org as of the period's last day (spec §1, §4)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pyarrow as pa

from kaohe.periods import Period
from kaohe.scheme.model import Scheme
from kaohe.workspace.org import Org

GROUP_SEP = "\x1f"


@dataclass(frozen=True)
class Entity:
    id: str
    name: str | None
    unit: str | None  # a person's unit; a unit itself
    attrs: Mapping[str, str | None]


def _person_entities(org: Org, period: Period) -> list[Entity]:
    out: list[Entity] = []
    on = org.positions_on(period.last_day)
    for pid, uid, position in zip(on["person_id"], on["unit_id"], on["position"], strict=True):
        person = org.people.get(pid, {})
        attrs: dict[str, str | None] = dict(person)
        attrs["position"] = position
        attrs["unit"] = uid
        out.append(Entity(pid, person.get("name"), uid, attrs))
    return out


def _unit_entities(org: Org) -> list[Entity]:
    return [Entity(uid, u.get("name"), uid, {**u, "parent": u.get("parent_id"), "unit": uid})
            for uid, u in org.units.items()]


def attribute(org: Org, e: Entity, attr: str) -> str | None:
    """An entity's attribute: its own, `ancestor:KIND`, or (for a person) its unit's."""
    if attr.startswith("ancestor:"):
        return org.ancestor_of_kind(e.unit, attr.split(":", 1)[1]) if e.unit else None
    if attr in e.attrs:
        return e.attrs[attr]
    if e.unit is not None and e.unit in org.units and e.unit != e.id:
        return org.units[e.unit].get(attr)
    return None


def population(org: Org, scheme: Scheme, period: Period) -> list[Entity]:
    entities = _person_entities(org, period) if scheme.entity == "person" else _unit_entities(org)
    out = []
    for e in entities:
        if all((attribute(org, e, a) or "") in values for a, values in scheme.population):
            out.append(e)
    return out


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None  # type: ignore[arg-type]
    except ValueError:
        return None


def pop_table(org: Org, scheme: Scheme, entities: list[Entity],
              numeric_attrs: tuple[str, ...]) -> pa.Table:
    within = scheme.payout.within if scheme.payout else ()
    cols: dict[str, list[object]] = {k: [] for k in ("entity_id", "name", "unit_name", "_unit",
                                                      "_g", "_w", "group_name")}
    for p in scheme.peers:
        cols[f"g_{p}"] = []
    for a in numeric_attrs:
        cols[f"a_{a}"] = []
    for e in entities:
        cols["entity_id"].append(e.id)
        cols["name"].append(e.name)
        if scheme.entity == "person":
            cols["unit_name"].append(org.unit_name(e.unit))
        else:
            cols["unit_name"].append(org.unit_name(org.units[e.id].get("parent_id")))
        cols["_unit"].append(e.unit)
        group = [attribute(org, e, p) for p in scheme.peers]
        for p, v in zip(scheme.peers, group, strict=True):
            cols[f"g_{p}"].append(v)
        cols["_g"].append(GROUP_SEP.join(v or "" for v in group))
        cols["group_name"].append(" / ".join(_label(org, p, v) for p, v in
                                             zip(scheme.peers, group, strict=True)))
        cols["_w"].append(GROUP_SEP.join(attribute(org, e, w) or "" for w in within))
        for a in numeric_attrs:
            cols[f"a_{a}"].append(_number(attribute(org, e, a)))
    fields = {k: pa.array(v, pa.float64() if k.startswith("a_") else pa.string())
              for k, v in cols.items()}
    return pa.table(fields)


def _label(org: Org, attr: str, value: str | None) -> str:
    """A peer group's value as people read it: unit ids become unit names."""
    if value is None:
        return ""
    if attr in ("unit", "parent") or attr.startswith("ancestor:"):
        return org.unit_name(value) or value
    return value


def tree_table(org: Org) -> pa.Table:
    df = org.closure()
    return pa.table({"ancestor_id": pa.array(df["ancestor_id"].tolist(), pa.string()),
                     "unit_id": pa.array(df["unit_id"].tolist(), pa.string())})


def person_unit_table(org: Org, period: Period) -> pa.Table:
    on = org.positions_on(period.last_day)
    return pa.table({"person_id": pa.array(on["person_id"].tolist(), pa.string()),
                     "unit_id": pa.array(on["unit_id"].tolist(), pa.string())})


def history_table(prev_bottoms: Mapping[str, int]) -> pa.Table:
    return pa.table({"entity_id": pa.array(list(prev_bottoms), pa.string()),
                     "prev_bottoms": pa.array(list(prev_bottoms.values()), pa.int64())})
