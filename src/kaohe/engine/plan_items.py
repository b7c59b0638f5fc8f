"""The plan's part for items (spec §8) and roll-up through an attribute (§18).

Each step is called from one line of ``plan.py``:
- ``aggregate_groups``: the (source, via) pairs aggregated separately, since an indicator with
  ``via`` groups its source's rows by another key than the same source read without it;
- ``item_base``: the start of one aggregation (key ``_k`` and joins) for an item scheme, for an
  indicator with ``via``, and for a unit scheme rolling up ``results:ITEM_SCHEME``;
- ``item_output_columns``: an item's own person and unit in the result table.
"""

from __future__ import annotations

from sqlglot import exp

from kaohe.engine.compiled import CompiledScheme
from kaohe.engine.items import PERSON, POP_PERSON, POP_UNIT, UNIT
from kaohe.engine.sqltree import T, col
from kaohe.scheme.model import Scheme
from kaohe.workspace.sources import Source

PU, TREE = "k_pu", "k_tree"


def via_table(attr: str, source: Source | None = None) -> str:
    """The small input (unit_id, person_id): units whose attribute ``attr`` names a person;
    for ``results:ITEM_SCHEME`` (``source``), (item_id, person_id) of its items."""
    if source is not None and is_item_results(source):
        return f"k_via_{source.table}_{attr}"
    return f"k_via_{attr}"


def is_item_results(source: Source) -> bool:
    """``results:ITEM_SCHEME``: rows carry the item's stored person and unit."""
    return source.derived_from is not None and source.person is not None \
        and source.unit is not None


def aggregate_groups(cs: CompiledScheme) -> list[tuple[str, Source, str | None]]:
    """(source name, source, via) for every aggregation the plan needs, in a fixed order."""
    out: list[tuple[str, Source, str | None]] = []
    for name, source in cs.sources.items():
        vias = [cs.part_via.get(p) for p, s in cs.part_source.items() if s == name]
        for via in dict.fromkeys(sorted(vias, key=lambda v: (v is not None, v or ""))):
            out.append((name, source, via))
    return out


def rollup_unit_join(cs: CompiledScheme, source: Source) -> bool:
    """A unit scheme reading the results of an item scheme: an item belongs to its stored
    unit's ancestors or, with no unit, to its person's unit's (as of this run's last day)."""
    return cs.scheme.entity == "unit" and is_item_results(source)


def _text(e: exp.Expression, typ: str | None) -> exp.Expression:
    """Keys compare as text: k_pop's ids are strings whatever the source column's type."""
    if typ in (None, "string"):
        return e
    return exp.Cast(this=e, to=exp.DataType.build("VARCHAR"))


def item_base(cs: CompiledScheme, source: Source, rel: exp.Expression, f: str,
              via: str | None) -> tuple[exp.Expression, exp.Select]:
    """(key, SELECT key AS _k FROM facts [joins]) for the three cases of this module."""
    s = cs.scheme
    if s.item is not None:
        column = next((i.match for i in s.indicators if i.source == source.name and i.match),
                      None) or s.item.key
        c = source.column(column)
        key = _text(col(column, f), c.type if c else None)
        return key, exp.select(exp.alias_(key, "_k", quote=True)).from_(rel)
    if via is not None:
        # rows of units (items) whose attribute ``via`` is the person: their own rows
        on = (T(":a = :b", a=col("item_id", "v"), b=col("entity_id", f))
              if is_item_results(source)
              else T(":a = :b", a=col("unit_id", "v"), b=col(source.unit or "", f)))
        key = col("person_id", "v")
        base = exp.select(exp.alias_(key, "_k", quote=True)).from_(rel).join(
            exp.alias_(exp.to_table(via_table(via, source)), "v", table=True), on=on)
        return key, base
    key = col("ancestor_id", "t")
    base = exp.select(exp.alias_(key, "_k", quote=True)).from_(rel).join(
        exp.alias_(exp.to_table(PU), "pu", table=True),
        on=T(":a = :b", a=col("person_id", "pu"), b=col(source.person or "", f)),
        join_type="LEFT").join(
        exp.alias_(exp.to_table(TREE), "t", table=True),
        on=T(":a = COALESCE(:u, :p)", a=col("unit_id", "t"), u=col(source.unit or "", f),
             p=col("unit_id", "pu")))
    return key, base


def item_output_columns(s: Scheme) -> list[exp.Expression]:
    """An item's own person and unit (its latest row's), null where the source has none."""
    if s.item is None:
        return []
    return [exp.alias_(col(POP_PERSON), PERSON, quote=True),
            exp.alias_(col(POP_UNIT), UNIT, quote=True)]
