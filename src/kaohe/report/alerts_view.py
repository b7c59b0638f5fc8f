"""The warning list (spec §12) in the terminal: after the ranking in ``kaohe run`` and as the
output of ``kaohe alerts``. Cells are ``Text``, never markup: names come from user files."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from kaohe.alerts import AlertRow
from kaohe.report.common import grade_colours

HEADERS = ("预警\nLevel", "排名\nRank", "编号\nId", "名称\nName", "人员\nPerson", "单位\nUnit",
           "总分\nTotal", "失分指标\nPoints lost")


def alerts_table(rows: list[AlertRow], alerts: tuple[str, ...], title: str) -> Table:
    table = Table(title=title)
    for h in HEADERS:
        table.add_column(h, justify="right" if h.startswith(("排名", "总分")) else "left")
    # most severe first: red for the first alert level through yellow
    colours = grade_colours(len(alerts) + 1, lightness=0.40, saturation=0.80)[::-1]
    style = dict(zip(alerts, colours, strict=False))
    for r in rows:
        table.add_row(Text(r.grade, style=f"bold {style.get(r.grade, '')}".strip()),
                      Text(str(r.rank)), Text(r.id), Text(r.name or ""), Text(r.person or ""),
                      Text(r.unit or ""), Text(f"{r.total:.2f}"), Text("；".join(r.costs)))
    return table


def print_alerts(rows: list[AlertRow], alerts: tuple[str, ...], title: str,
                 console: Console) -> None:
    if not alerts:
        return
    if not rows:
        console.print(Text(f"预警 alerts ({'、'.join(alerts)}): 无 none"))
        return
    console.print(alerts_table(rows, alerts, f"{title}  预警 alerts: {len(rows)}"))
