"""The run's small inputs, built from the org as of the period's last day (spec §1, §4)."""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import pyarrow as pa

from kaohe.engine.payout_lines import pool_column, pool_withins
from kaohe.periods import Period
from kaohe.scheme.model import Scheme
from kaohe.workspace.org import Org

GROUP_SEP = "\x1f"
MEMO_SIZE = 16  # tables kept per org (engine/run.py asks for a few per scheme and period)

_T = TypeVar("_T")
_MEMOS: dict[int, OrderedDict[Hashable, Any]] = {}


def memoized(org: Org, key: Hashable, make: Callable[[], _T]) -> _T:
    """``make()``, kept with the org object (read-only, as every user of an Org treats it):
    the org, population and group tables of a run depend only on the org and the few scheme
    settings in ``key``, so a what-if over several periods, or runs of the same process on
    the same org (the web's, which keeps its org while the files are unchanged), build them
    once. Forgotten with the org."""
    memo = _MEMOS.get(id(org))
    if memo is None:
        memo = _MEMOS[id(org)] = OrderedDict()
        weakref.finalize(org, _MEMOS.pop, id(org), None)
    if key in memo:
        memo.move_to_end(key)
        return memo[key]  # type: ignore[no-any-return]
    value = make()
    memo[key] = value
    if len(memo) > MEMO_SIZE:
        memo.popitem(last=False)
    return value


@dataclass(frozen=True)
class Population:
    """A scheme's entities as of the period's last day, a column at a time (row i is one
    entity): ``units`` is a person's unit, or the unit itself; ``positions`` is for people."""

    entity: str  # "person" or "unit"
    ids: list[str]
    names: list[str | None]
    units: list[str | None]
    positions: list[str | None]

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, keep: list[bool]) -> Population:
        def pick(values: list[str | None]) -> list[str | None]:
            return [v for v, k in zip(values, keep, strict=True) if k]

        return Population(self.entity, pick(self.ids), pick(self.names),  # type: ignore[arg-type]
                          pick(self.units), pick(self.positions) if self.positions else [])


def _text(values: list[object]) -> list[str | None]:
    """Cells of a pandas column as text; its missing values (None, NaN, NA) as None."""
    return [v if isinstance(v, str) else None for v in values]


def _entities(org: Org, scheme: Scheme, period: Period) -> Population:
    if scheme.entity != "person":
        ids = list(org.units)
        return Population("unit", ids, [org.units[u].get("name") for u in ids], list(ids), [])
    on = org.positions_on(period.last_day)
    pids = [str(p) for p in on["person_id"].tolist()]
    names = [org.people.get(p, {}).get("name") for p in pids]
    return Population("person", pids, names, _text(on["unit_id"].tolist()),
                      _text(on["position"].tolist()))


def attribute_column(org: Org, pop: Population, attr: str) -> list[str | None]:
    """Every entity's attribute: ``ancestor:KIND`` (the unit's nearest ancestor of that kind,
    itself included); a person's position, unit or own column, else their unit's; a unit's
    parent, itself (unit) or own column."""
    if attr.startswith("ancestor:"):
        kind = attr.split(":", 1)[1]
        found = {u: org.ancestor_of_kind(u, kind) for u in set(pop.units) if u}
        return [found[u] if u else None for u in pop.units]
    if pop.entity == "unit":
        if attr == "unit":
            return list(pop.ids)
        key = "parent_id" if attr == "parent" else attr
        return [org.units[u].get(key) for u in pop.ids]
    if attr == "position":
        return list(pop.positions)
    if attr == "unit":
        return list(pop.units)
    out: list[str | None] = []
    for pid, uid in zip(pop.ids, pop.units, strict=True):
        own = org.people.get(pid, {})
        if attr in own:
            out.append(own[attr])
        elif uid is not None and uid in org.units and uid != pid:
            out.append(org.units[uid].get(attr))
        else:
            out.append(None)
    return out


def population(org: Org, scheme: Scheme, period: Period) -> Population:
    key = ("population", scheme.entity, tuple((a, tuple(v)) for a, v in scheme.population),
           period.last_day)
    return memoized(org, key, lambda: _population(org, scheme, period))


def _population(org: Org, scheme: Scheme, period: Period) -> Population:
    pop = _entities(org, scheme, period)
    keep = [True] * len(pop)
    for attr, values in scheme.population:
        allowed = set(values)
        column = attribute_column(org, pop, attr)
        keep = [k and (v or "") in allowed for k, v in zip(keep, column, strict=True)]
    return pop.take(keep)


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None  # type: ignore[arg-type]
    except ValueError:
        return None


def pop_table(org: Org, scheme: Scheme, entities: Population,
              numeric_attrs: tuple[str, ...]) -> pa.Table:
    """The population's table; the same ``entities`` object (population() keeps it) with the
    same settings gives the same table, built once."""
    key = ("pop_table", id(entities), scheme.entity, tuple(scheme.peers),
           tuple(scheme.payout.within) if scheme.payout else (),
           tuple(sorted(pool_withins(scheme).items())), tuple(numeric_attrs))
    # the entities object itself is kept beside its table: its id stays its own
    return memoized(org, key, lambda: (entities, _pop_table(org, scheme, entities,
                                                             numeric_attrs)))[1]


def _pop_table(org: Org, scheme: Scheme, entities: Population,
               numeric_attrs: tuple[str, ...]) -> pa.Table:
    within = scheme.payout.within if scheme.payout else ()
    pools = pool_withins(scheme)
    attrs = {a: attribute_column(org, entities, a)
             for a in dict.fromkeys([*scheme.peers, *within, *numeric_attrs,
                                     *(w for keys in pools.values() for w in keys)])}
    n = len(entities)
    # a person's unit; a unit's parent
    of = entities.units if scheme.entity == "person" else [
        org.units[u].get("parent_id") for u in entities.ids]
    names = {u: org.unit_name(u) for u in set(of)}
    unit_name = [names[u] for u in of]
    group = [attrs[p] for p in scheme.peers]
    labels = [_labels(org, p, attrs[p]) for p in scheme.peers]
    cols: dict[str, list[Any]] = {
        "entity_id": list(entities.ids), "name": list(entities.names), "unit_name": unit_name,
        "_unit": list(entities.units), "_g": _joined(group, n), "_w": _joined(
            [attrs[w] for w in within], n),
        "group_name": [" / ".join(ls) for ls in zip(*labels, strict=True)] if labels
        else [""] * n,
    }
    for i, keys in pools.items():  # each pool line's within group (spec §10)
        cols[pool_column(i)] = _joined([attrs[w] for w in keys], n)
    for p in scheme.peers:
        cols[f"g_{p}"] = list(attrs[p])
    for a in numeric_attrs:
        cols[f"a_{a}"] = [_number(v) for v in attrs[a]]
    fields = {k: pa.array(v, pa.float64() if k.startswith("a_") else pa.string())
              for k, v in cols.items()}
    return pa.table(fields)


def _joined(columns: list[list[str | None]], n: int) -> list[object]:
    """The values of each row joined with GROUP_SEP, a missing one as ''."""
    if not columns:
        return [""] * n
    return [GROUP_SEP.join(v or "" for v in row) for row in zip(*columns, strict=True)]


def _labels(org: Org, attr: str, values: list[str | None]) -> list[str]:
    found = {v: _label(org, attr, v) for v in set(values)}
    return [found[v] for v in values]


def _label(org: Org, attr: str, value: str | None) -> str:
    """A peer group's value as people read it: unit ids become unit names."""
    if value is None:
        return ""
    if attr in ("unit", "parent") or attr.startswith("ancestor:"):
        return org.unit_name(value) or value
    return value


def tree_table(org: Org) -> pa.Table:
    return memoized(org, ("tree",), lambda: _tree_table(org))


def _tree_table(org: Org) -> pa.Table:
    df = org.closure()
    return pa.table({"ancestor_id": pa.array(df["ancestor_id"].tolist(), pa.string()),
                     "unit_id": pa.array(df["unit_id"].tolist(), pa.string())})


def person_unit_table(org: Org, period: Period) -> pa.Table:
    return memoized(org, ("person_unit", period.last_day), lambda: _person_unit_table(org, period))


def _person_unit_table(org: Org, period: Period) -> pa.Table:
    on = org.positions_on(period.last_day)
    return pa.table({"person_id": pa.array(on["person_id"].tolist(), pa.string()),
                     "unit_id": pa.array(on["unit_id"].tolist(), pa.string())})


def history_table(prev_bottoms: Mapping[str, int]) -> pa.Table:
    return pa.table({"entity_id": pa.array(list(prev_bottoms), pa.string()),
                     "prev_bottoms": pa.array(list(prev_bottoms.values()), pa.int64())})
