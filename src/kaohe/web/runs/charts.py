"""ECharts options built on the server (docs: echarts.apache.org/en/option.html).

Every function returns the option as a JSON string for ``<div class="chart" data-chart="…">``;
``core/static/kaohe/kaohe.js`` parses it and draws the chart. Only data goes in the option —
never functions — because the page's CSP forbids evaluated script.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

# One palette for all pages, so a scheme keeps its colour from chart to chart.
PALETTE = ["#2f6fb0", "#d9822b", "#3a9d5d", "#b03a48", "#7a5cb0", "#5f7d8c", "#c2a400"]


def _num(v: Any) -> float | None:
    if v is None:
        return None
    if isinstance(v, Decimal):
        return float(v)
    return float(v)


def dumps(option: dict[str, Any]) -> str:
    return json.dumps(option, ensure_ascii=False, separators=(",", ":"))


def line(categories: Sequence[str], series: Sequence[tuple[str, Sequence[Any]]],
         y_name: str = "", inverse: bool = False,
         second: tuple[str, Sequence[Any]] | None = None) -> str:
    """A line chart over ``categories`` (periods); ``second`` adds a series on a right-hand axis
    (ranks: drawn inverted, 1 at the top)."""
    y_axes: list[dict[str, Any]] = [{"type": "value", "name": y_name, "inverse": inverse,
                                     "scale": True}]
    out_series: list[dict[str, Any]] = [
        {"name": name, "type": "line", "data": [_num(v) for v in values],
         "connectNulls": True, "symbolSize": 7}
        for name, values in series]
    if second is not None:
        y_axes.append({"type": "value", "name": second[0], "inverse": True, "minInterval": 1,
                       "min": 1, "position": "right"})
        out_series.append({"name": second[0], "type": "line", "yAxisIndex": 1,
                           "data": [_num(v) for v in second[1]], "connectNulls": True,
                           "lineStyle": {"type": "dashed"}})
    return dumps({
        "color": PALETTE,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 48, "right": 48 if second else 24, "top": 36, "bottom": 28},
        "xAxis": {"type": "category", "data": list(categories)},
        "yAxis": y_axes if second else y_axes[0],
        "series": out_series,
    })


def bar(categories: Sequence[str], series: Sequence[tuple[str, Sequence[Any]]],
        y_name: str = "", stack: bool = False) -> str:
    """Vertical bars per category, one series per entry (stacked when ``stack``)."""
    return dumps({
        "color": PALETTE,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 56, "right": 24, "top": 36, "bottom": 28},
        "xAxis": {"type": "category", "data": list(categories)},
        "yAxis": {"type": "value", "name": y_name},
        "series": [{"name": name, "type": "bar", "data": [_num(v) for v in values],
                    **({"stack": "total"} if stack else {})}
                   for name, values in series],
    })


def pie(items: Sequence[tuple[str, Any]], name: str = "") -> str:
    """A ring of ``(label, count)`` items."""
    return dumps({
        "color": PALETTE,
        "tooltip": {"trigger": "item"},
        "legend": {"bottom": 0},
        "series": [{"name": name, "type": "pie", "radius": ["40%", "70%"],
                    "data": [{"name": label, "value": _num(v)} for label, v in items]}],
    })
