"""Checks of a scheme against its sources for items (spec §8) and ``via`` (§18), made while
compiling, so that a bad key, match or via column is an error before anything runs."""

from __future__ import annotations

from collections.abc import Mapping

from kaohe.errors import InputError, SchemeError
from kaohe.scheme.model import Scheme
from kaohe.workspace.sources import RESULTS_PREFIX, Source


def check_entity_sources(scheme: Scheme, sources: Mapping[str, Source]) -> list[InputError]:
    # imported here: items → inputs → payout_lines → compiled → this module
    from kaohe.engine.items import check_item_scheme

    out = check_item_scheme(scheme, sources)
    for ind in scheme.indicators:
        if ind.via is None or ind.source not in sources:
            continue
        src = sources[ind.source]
        # results of a unit scheme (the unit's attribute) or of an item scheme (the item's)
        rollup = ind.source.startswith(RESULTS_PREFIX) and src.unit is not None
        if not rollup and not (src.unit and not src.person):
            out.append(SchemeError(
                scheme.code, f"indicator {ind.code}.via",
                f"via 只用于单位或对象方案的 results: 或只有单位列的数据源 via reads results:SCHEME of "
                f"a unit or item scheme, or a source with a unit column and no person column; "
                f"{ind.source} has " + ", ".join(
                    f"{k} column {v!r}" for k, v in (("person", src.person), ("unit", src.unit))
                    if v)))
    # one key column per source: the plan aggregates a source's rows once per item
    if scheme.item is not None:
        seen: dict[str, str] = {}
        for ind in scheme.indicators:
            if ind.source is None:
                continue
            column = ind.match or scheme.item.key
            if seen.setdefault(ind.source, column) != column:
                out.append(SchemeError(
                    scheme.code, f"indicator {ind.code}.match",
                    f"同一数据源 {ind.source} 须用同一 match 列 every indicator over one source "
                    f"matches items by the same column: {seen[ind.source]!r} or {column!r}"))
    return out
