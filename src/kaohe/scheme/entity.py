"""The ``entity:`` key of a scheme (spec §4, §8): ``person``, ``unit`` or an item source.

An item entity is written ``{source: S, key: K[, window: N][, offset: K]}``; ``window`` and
``offset`` widen and shift the population exactly as they do an indicator's rows (§7).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kaohe.scheme.model import ItemEntity

IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
ITEM_KEYS = {"source", "key", "window", "offset"}
MAX_WINDOW, MAX_OFFSET = 36, 36

Err = Callable[[str, str], None]


def parse_entity(raw: Any, err: Err) -> tuple[str, ItemEntity | None]:
    """("person" | "unit" | "item", the item entity or None); problems go to ``err``."""
    if raw in ("person", "unit"):
        return str(raw), None
    if not isinstance(raw, dict):
        err("entity", f"应为 person、unit 或 {{source, key}} expected person, unit or "
                      f"{{source: SOURCE, key: COLUMN}}, got {raw!r}")
        return "person", None
    for k in raw:
        if k not in ITEM_KEYS:
            err(f"entity.{k}", f"未知键 unknown key; allowed: {', '.join(sorted(ITEM_KEYS))}")
    source, key = raw.get("source"), raw.get("key")
    ok = True
    if not isinstance(source, str) or not source.strip():
        err("entity.source", "对象数据源必填 the item source is required, e.g. "
                             "{source: new_cards, key: number}")
        ok = False
    if not isinstance(key, str) or not IDENT.match(key):
        err("entity.key", f"主键列须为列名 key must name one column of the source, got {key!r}")
        ok = False
    window = _integer(raw.get("window", 1), 1, MAX_WINDOW, "entity.window", err)
    offset = _integer(raw.get("offset", 0), 0, MAX_OFFSET, "entity.offset", err)
    if not ok or window is None or offset is None:
        return "item", None
    return "item", ItemEntity(source=str(source), key=str(key), window=window, offset=offset)


def _integer(v: Any, low: int, high: int, path: str, err: Err) -> int | None:
    if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
        err(path, f"应为 {low} 到 {high} 的整数 expected an integer from {low} to {high}, "
                  f"got {v!r}")
        return None
    return v


def parse_match(raw: dict[str, Any], entity: str, path: str, err: Err) -> str | None:
    """An indicator's ``match: COLUMN`` (item schemes only)."""
    m = raw.get("match")
    if m is None:
        return None
    if entity != "item":
        err(path + ".match", "match 只用于对象方案 only item schemes (entity: {source, key}) "
                             "match a key column")
        return None
    if not isinstance(m, str) or not IDENT.match(m):
        err(path + ".match", f"应为列名 expected a column name, got {m!r}")
        return None
    return m


def parse_via(raw: dict[str, Any], entity: str, path: str, err: Err) -> str | None:
    """An indicator's ``via: ATTRIBUTE`` (person schemes only, spec §18)."""
    v = raw.get("via")
    if v is None:
        return None
    if entity != "person":
        err(path + ".via", "via 只用于人员方案 only person schemes roll up via an attribute")
        return None
    if not isinstance(v, str) or not IDENT.match(v):
        err(path + ".via", f"应为属性名 expected an attribute name, got {v!r}")
        return None
    if raw.get("source") is None:
        err(path + ".via", "派生指标没有 via a derived indicator reads no rows; via needs a "
                           "source")
        return None
    return v
