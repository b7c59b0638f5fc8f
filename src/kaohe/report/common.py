"""What every report format shares: labels, the column layout, value kinds, colours.

The layout lives here once so the CSV, the workbook and the terminal agree on what a column is
called and what it holds.
"""

from __future__ import annotations

import colorsys
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import pandas as pd

from kaohe.results import LINE_PREFIX, IndicatorInfo, RunResult

ROLE_ZH: dict[str, str] = {
    "scored": "计分",
    "bonus": "加分",
    "penalty": "扣分",
    "veto": "否决",
    "info": "仅展示",
}

MISSING_ZH: dict[str, str] = {
    "zero": "记 0 分",
    "full": "记满分（权重分）",
    "exclude": "不参与计分，其余计分指标按权重折算",
}

# Roles whose points take part in the total; veto and info indicators only have a value.
POINT_ROLES = frozenset({"scored", "bonus", "penalty"})

YES = "是"

Kind = Literal["int", "text", "points", "number", "rate", "money", "flag"]
Row = dict[str, Any]


@dataclass(frozen=True)
class Column:
    """One report column: its header, how to read it from a row, and what kind of value it is."""

    header: str
    get: Callable[[Row], Any]
    kind: Kind
    # The indicator code for value/points columns, so writers can colour missing cells.
    code: str | None = None


def plain(v: Any) -> Any:
    """pandas/numpy scalars to plain Python values; NaN/NA/NaT to None; Decimal (as a SQL
    engine may hand back) to float, since the table's numbers are floats by contract."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, Decimal):
        return float(v)
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def records(result: RunResult, limit: int | None = None) -> list[Row]:
    """The table's rows as plain dicts, in the table's order (group key, rank, id); with
    ``limit``, only the first ``limit`` rows (an item scheme can have millions)."""
    table = result.table if limit is None else result.table.head(limit)
    return frame_records(table)


def frame_records(table: pd.DataFrame) -> list[Row]:
    return [{k: plain(v) for k, v in row.items()} for row in table.to_dict("records")]


def top_records(result: RunResult, n: int) -> list[Row]:
    """The n highest totals across all groups (every row when n < 1); ties keep the table's
    order. Sorted in pandas, converted to dicts only for the rows returned."""
    t = result.table
    order = t["total"].astype(float).fillna(0.0).sort_values(ascending=False, kind="stable")
    picked = t.loc[order.index] if n < 1 else t.loc[order.index[:n]]
    return frame_records(picked)


def shows_points(ind: IndicatorInfo) -> bool:
    return ind.role in POINT_ROLES


def role_zh(role: str) -> str:
    return ROLE_ZH.get(role, role)


# The missing policy only applies to scored indicators (spec §4): for the other roles a missing
# value simply has no effect, and saying "记 0 分" there would mislead the reader.
MISSING_BY_ROLE_ZH: dict[str, str] = {
    "bonus": "不加分",
    "penalty": "不扣分",
    "veto": "不否决",
    "info": "留空，不计分",
}


def missing_zh(policy: str, role: str = "scored") -> str:
    if role in MISSING_BY_ROLE_ZH:
        return MISSING_BY_ROLE_ZH[role]
    return MISSING_ZH.get(policy, policy)


def indicator_labels(indicators: Sequence[IndicatorInfo]) -> dict[str, str]:
    """Display name per code; a name two indicators share gets its code appended, so headers
    stay unique."""
    counts: dict[str, int] = {}
    for ind in indicators:
        counts[ind.name] = counts.get(ind.name, 0) + 1
    return {
        ind.code: ind.name if counts[ind.name] == 1 and ind.name else f"{ind.name}({ind.code})"
        for ind in indicators
    }


def group_text(row: Row, peers: Sequence[str]) -> str:
    """The peer group as one text: the engine's group_name (unit names rather than ids) when
    present, else the key's values joined with ' / '."""
    name = row.get("group_name")
    if isinstance(name, str) and name:
        return name
    parts = [row.get(f"g_{p}") for p in peers]
    return " / ".join("" if p is None else str(p) for p in parts)


def is_true(v: Any) -> bool:
    return bool(plain(v))


def flag(v: Any) -> str:
    return YES if is_true(v) else ""


FORMAT_KINDS: dict[str, Kind] = {"percent": "rate", "count": "int", "yuan": "money",
                                 "hours": "number", "score": "points", "number": "number"}


def value_kind(ind: IndicatorInfo, table: pd.DataFrame) -> Kind:
    """How to format an indicator's values: as its scheme's ``format`` says, else guessed.

    A rate is a ratio (a '/' in the formula, or a name ending in 率) whose values all lie in
    [0, 1]; counts (every value a whole number) need no decimals. Anything else is a number.
    """
    if ind.format is not None:
        return FORMAT_KINDS[ind.format.kind]
    col = f"v_{ind.code}"
    # vectorised: an item scheme's table can have millions of rows
    values = (pd.to_numeric(table[col], errors="coerce").dropna().astype(float)
              if col in table.columns else pd.Series([], dtype=float))
    ratio = "/" in (ind.formula or "") or ind.name.endswith("率")
    if len(values) and ratio and bool(((values >= 0.0) & (values <= 1.0)).all()):
        return "rate"
    if bool((values == values.round()).all()):
        return "int"
    return "number"


def _get(key: str) -> Callable[[Row], Any]:
    return lambda row: row.get(key)


def base_columns(result: RunResult) -> list[Column]:
    """排名 名称 编号 所属单位 [分组] 总分 等级."""
    cols = [
        Column("排名", _get("rank"), "int"),
        Column("名称", _get("name"), "text"),
        Column("编号", _get("id"), "text"),
        Column("所属单位", _get("unit_name"), "text"),
    ]
    if result.entity == "item":  # an item's own person and unit (spec §8)
        cols += [Column("负责人员", _get("person"), "text"), Column("对象单位", _get("unit"), "text")]
    if result.peers:
        peers = result.peers
        cols.append(Column("分组", lambda row: group_text(row, peers), "text"))
    cols += [
        Column("总分", _get("total"), "points"),
        Column("等级", _get("grade"), "text"),
    ]
    return cols


def indicator_columns(result: RunResult) -> list[Column]:
    """'<name> 值' for every indicator and '<name> 得分' for those that score."""
    labels = indicator_labels(result.indicators)
    cols: list[Column] = []
    for ind in result.indicators:
        label = labels[ind.code]
        cols.append(Column(f"{label} 值", _get(f"v_{ind.code}"), value_kind(ind, result.table),
                           ind.code))
        if shows_points(ind):
            cols.append(Column(f"{label} 得分", _get(f"p_{ind.code}"), "points", ind.code))
    return cols


def flag_columns(result: RunResult) -> list[Column]:
    """否决 末位淘汰 [兑现金额]."""
    cols = [
        Column("否决", lambda row: flag(row.get("vetoed")), "flag"),
        Column("末位淘汰", lambda row: flag(row.get("eliminate")), "flag"),
    ]
    if result.alerts:
        cols.append(Column("预警", lambda row: flag(row.get("alert")), "flag"))
    if result.has_payout:
        cols += line_columns(result)
        cols.append(Column("兑现金额", _get("payout"), "money"))
    return cols


SINGLE_LINE = "兑现"  # the single-dict payout's one line: its amount is the payout column


def line_columns(result: RunResult) -> list[Column]:
    """One money column per payout line, headed by the line's name (spec §10); none for the
    single-dict form, whose one line is the payout itself."""
    if list(result.payout_lines) in ([], [SINGLE_LINE]):
        return []
    taken = {"兑现金额", "否决", "末位淘汰", "预警"}
    return [Column(name if name not in taken else f"{name}(兑现项)",
                   _get(LINE_PREFIX + name), "money") for name in result.payout_lines]


def display_width(text: str) -> int:
    """Width in monospace cells: CJK and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def grade_colours(n: int, lightness: float = 0.80, saturation: float = 0.65) -> list[str]:
    """n colours '#RRGGBB' from green (first grade) through yellow to red (last grade)."""
    out: list[str] = []
    for i in range(n):
        hue = 120.0 * (1 - i / (n - 1)) if n > 1 else 120.0
        r, g, b = colorsys.hls_to_rgb(hue / 360.0, lightness, saturation)
        out.append("#{:02X}{:02X}{:02X}".format(round(r * 255), round(g * 255), round(b * 255)))
    return out


def grade_labels(result: RunResult) -> list[str]:
    """Grade labels in the order written, each once."""
    seen: list[str] = []
    for _, label in result.grades:
        if label not in seen:
            seen.append(label)
    return seen


def report_title(result: RunResult) -> str:
    return f"{result.title or result.scheme} {result.period} 考核结果"
