"""A short summary of an item scheme with hundreds of thousands of items: the full ranking and
warning list of every subscriber would scroll for minutes and take most of the demo's time in
Excel, so the demo prints the count per level and the first alerts, and writes the warning list
(`kaohe alerts` and `kaohe run --out` give everything)."""

from __future__ import annotations

import dataclasses

from rich.console import Console
from rich.text import Text

from kaohe.alerts import from_result
from kaohe.report.alerts_view import alerts_table
from kaohe.report.common import report_title
from kaohe.results import RunResult

ALERT_ROWS = 15


def print_summary(result: RunResult, console: Console) -> None:
    counts = result.table["grade"].value_counts()
    levels = "，".join(f"{g} {int(counts.get(g, 0)):,}" for g in _grade_labels(result))
    console.print(Text(f"{report_title(result)}: {len(result.table):,} 个对象 items — {levels}"))
    if not result.alerts:
        return
    rows = from_result(alerts_only(result))
    order = {g: k for k, g in enumerate(result.alerts)}
    rows.sort(key=lambda r: (order.get(r.grade, len(order)), r.rank, r.id))
    title = f"{report_title(result)}  预警 alerts: {len(rows):,}（前 first {ALERT_ROWS}）"
    console.print(alerts_table(rows[:ALERT_ROWS], result.alerts, title))


def _grade_labels(result: RunResult) -> list[str]:
    seen = [str(g) for g in result.table["grade"].dropna().unique()]
    labels = [label for _, label in result.grades] if result.grades else []
    return [g for g in labels if g in seen] or sorted(seen)


def alerts_only(result: RunResult) -> RunResult:
    """The result cut to its alerted items: the warning list (预警清单) a marketing department
    sends to its managers. The demo writes this instead of the full ranking of every subscriber
    (`kaohe run SCHEME --out FILE.xlsx` still writes the full one)."""
    alerted = result.table[result.table["alert"].fillna(False).astype(bool)]
    return dataclasses.replace(result, table=alerted.reset_index(drop=True))
