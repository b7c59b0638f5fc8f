"""The ranking as `kaohe run` and `kaohe demo` print it."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

from kaohe.report.common import (
    Row,
    grade_colours,
    grade_labels,
    group_text,
    is_true,
    frame_records,
    plain,
    report_title,
)
from kaohe.results import RunResult

ELIMINATE = "末位淘汰"
VETOED = "否决"


def _flags(row: Row) -> Text:
    parts: list[Text] = []
    if is_true(row.get("eliminate")):
        parts.append(Text(ELIMINATE, style="bold red"))
    if is_true(row.get("vetoed")):
        parts.append(Text(VETOED, style="bold magenta"))
    return Text(" ").join(parts)


def _total_text(v: Any) -> str:
    v = plain(v)
    return "" if v is None else f"{float(v):.2f}"


def _entity_text(row: Row, peers: tuple[str, ...]) -> str:
    where = [str(row.get("id"))]
    if peers:
        where.append(group_text(row, peers))
    elif row.get("unit_name"):
        where.append(str(row.get("unit_name")))
    return f"{row.get('name') or row.get('id')}（{'，'.join(where)}）"


MAX_GROUPS = 20  # more peer groups than this are listed by count only: see the workbook


def _groups(result: RunResult) -> list[tuple[str, pd.DataFrame]]:
    """(group name, its rows in rank order) per peer group, in the table's order (group key);
    one unnamed group when the scheme has no peers."""
    t = result.table
    if not result.peers:
        return [("", t)]
    keys = [f"g_{p}" for p in result.peers]
    out = []
    for _key, sub in t.groupby(keys, sort=False, dropna=False):
        first = frame_records(sub.head(1))[0]
        out.append((group_text(first, result.peers) or "—", sub))
    return out


def ranking_table(result: RunResult, rows: pd.DataFrame, title: str, total: int) -> Table:
    """One peer group's first rows as a rich Table: rank within the group, id, name, unit."""
    shown = frame_records(rows)
    what = f"前 {len(shown)} / 共 {total} top {len(shown)} of {total}"
    # Titles and cells are Text, not strings: a name such as '[/bold]' is shown, never read as
    # rich markup (which would swallow it or crash the print).
    table = Table(title=Text(f"{title}  {what}"))
    # Chinese over English in every header keeps the table narrow enough for an 80-column
    # terminal without rich cutting names into '城东营 …'.
    table.add_column("排名\nRank", justify="right")
    table.add_column("编号\nID")
    table.add_column("名称\nName")
    table.add_column("所属单位\nUnit")
    table.add_column("总分\nTotal", justify="right")
    table.add_column("等级\nGrade")
    table.add_column("标记\nFlag")

    labels = grade_labels(result)
    styles = dict(zip(labels, grade_colours(len(labels), lightness=0.40, saturation=0.80),
                      strict=True))
    for row in shown:
        grade = plain(row.get("grade"))
        table.add_row(
            Text(str(plain(row.get("rank")) or "")),
            Text(str(row.get("id"))),
            Text(str(row.get("name") or row.get("id"))),
            Text(str(row.get("unit_name") or "")),
            Text(_total_text(row.get("total"))),
            Text("" if grade is None else str(grade), style=f"bold {styles[grade]}"
                 if grade in styles else ""),
            _flags(row),
        )
    return table


def print_ranking(result: RunResult, console: Console | None = None, limit: int = 20) -> None:
    """Print the ranking one peer group at a time (its name as the heading, ranks 1..n within
    it): the first ``limit`` rows of a single group, or about ``limit`` rows shared among
    several groups (at least 3 each; every row when limit < 1); then every entity flagged for
    elimination, including those below the rows shown."""
    console = console or Console()
    if result.table.empty:
        console.print(Text(f"{report_title(result)}: 无考核对象 no entities"))
        return
    groups = _groups(result)
    per = limit if len(groups) == 1 or limit < 1 else max(3, math.ceil(limit / len(groups)))
    n = len(result.table)
    split = f" · {len(groups)} 个分组 groups" if result.peers else ""
    console.print(Text(f"{report_title(result)}  共 {n} 个考核对象 entities{split} · "
                       f"方案 scheme {result.scheme} · 运行 run {result.run_id}", style="bold"))
    for name, rows in groups[:MAX_GROUPS]:
        # rank order (the table's own, by contract; nsmallest keeps it and is linear in n)
        shown = rows.sort_values("rank", kind="stable") if per < 1 \
            else rows.nsmallest(per, "rank", keep="first")
        title = f"分组 {name}" if result.peers else report_title(result)
        console.print(ranking_table(result, shown, title, len(rows)))
    if len(groups) > MAX_GROUPS:
        console.print(f"另有 {len(groups) - MAX_GROUPS} 个分组未列出 {len(groups) - MAX_GROUPS} "
                      "more groups not shown (全部见 --out .xlsx/.csv)")
    t = result.table
    flagged = frame_records(t[t["eliminate"].fillna(False).astype(bool)])
    if flagged:
        names = "；".join(_entity_text(r, result.peers) for r in flagged)
        console.print(Text.assemble((f"{ELIMINATE} eliminate ({len(flagged)}): ", "bold red"),
                                    names))
    else:
        console.print(f"{ELIMINATE} eliminate: 无 none")
    if result.alerts:  # spec §12: the alerted entities after the ranking
        from kaohe.alerts import from_result
        from kaohe.report.alerts_view import print_alerts

        print_alerts(from_result(result), result.alerts, report_title(result), console)
