"""The ranking as `kaohe run` and `kaohe demo` print it."""

from __future__ import annotations

from typing import Any

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
    top_records,
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


def ranking_table(result: RunResult, limit: int = 20) -> Table:
    """The top ``limit`` rows (every row when limit < 1) as a rich Table."""
    shown = top_records(result, limit)
    n = len(result.table)
    what = f"前 {len(shown)} / 共 {n} top {len(shown)} of {n}"
    # Titles and cells are Text, not strings: a name such as '[/bold]' is shown, never read as
    # rich markup (which would swallow it or crash the print).
    table = Table(title=Text(f"{report_title(result)}  {what}"),
                  caption=Text(f"方案 scheme {result.scheme} · 运行 run {result.run_id}"))
    # Chinese over English in every header keeps the table narrow enough for an 80-column
    # terminal without rich cutting names into '城东营 …'.
    table.add_column("排名\nRank", justify="right")
    table.add_column("名称\nName")
    table.add_column("所属单位\nUnit")
    if result.peers:
        table.add_column("分组\nGroup")
    table.add_column("总分\nTotal", justify="right")
    table.add_column("等级\nGrade")
    table.add_column("标记\nFlag")

    labels = grade_labels(result)
    styles = dict(zip(labels, grade_colours(len(labels), lightness=0.40, saturation=0.80),
                      strict=True))
    for row in shown:
        grade = plain(row.get("grade"))
        cells: list[Text] = [
            Text(str(plain(row.get("rank")) or "")),
            Text(str(row.get("name") or row.get("id"))),
            Text(str(row.get("unit_name") or "")),
        ]
        if result.peers:
            cells.append(Text(group_text(row, result.peers)))
        cells += [
            Text(_total_text(row.get("total"))),
            Text("" if grade is None else str(grade), style=f"bold {styles[grade]}"
                 if grade in styles else ""),
            _flags(row),
        ]
        table.add_row(*cells)
    return table


def print_ranking(result: RunResult, console: Console | None = None, limit: int = 20) -> None:
    """Print the top ``limit`` entities by total (every entity when limit < 1), then every
    entity flagged for elimination, including those below the top rows."""
    console = console or Console()
    if result.table.empty:
        console.print(Text(f"{report_title(result)}: 无考核对象 no entities"))
        return
    console.print(ranking_table(result, limit))
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
