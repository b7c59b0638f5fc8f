"""``window`` and ``offset`` of an indicator (spec §7), checked where the scheme is loaded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MAX_WINDOW = 36
MAX_OFFSET = 36
MAX_SHIFTED_OFFSET = 48  # an offset increased by prev(code, K) may reach this


def indicator_window(err: Callable[[str, str], None], raw: dict[str, Any], path: str,
                     has_source: bool) -> tuple[int, int]:
    """(window, offset) of an indicator's YAML mapping; problems go to ``err(path, message)``
    and give the defaults (1, 0). Both apply to source-based indicators only: a derived
    indicator is shifted with ``prev`` in its formula instead."""
    window = _bounded(err, raw.get("window"), f"{path}.window", 1, MAX_WINDOW, 1)
    offset = _bounded(err, raw.get("offset"), f"{path}.offset", 0, MAX_OFFSET, 0)
    if not has_source:
        for key in ("window", "offset"):
            if raw.get(key) is not None:
                err(f"{path}.{key}", f"派生指标不能设置 {key} a derived indicator has no {key}: "
                    "it applies to source-based indicators; use prev(code, K) in the formula")
        return 1, 0
    return window, offset


def _bounded(err: Callable[[str, str], None], v: Any, path: str, low: int, high: int,
             default: int) -> int:
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
        err(path, f"应为 {low} 到 {high} 的整数 expected an integer from {low} to {high}, "
            f"got {v!r}")
        return default
    return v
