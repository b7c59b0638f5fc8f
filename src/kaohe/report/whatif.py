"""A what-if (engine/whatif.py) as tables: for the terminal, the Excel export, JSON and the web.

Every number is the engine's (the draft's run and the stored runs); here they are only laid
out. Money is yuan to the fen (Decimal).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from kaohe.engine.whatif import NO_GRADE, Change, WhatIf
from kaohe.report.safe import write_text, write_texts, write_value
from kaohe.report.xlsx_style import OfficeWorkbook

MOVERS = 20  # largest payout changes shown

Rows = tuple[list[str], list[list[Any]]]


def _money(v: Decimal | None) -> float | None:
    return None if v is None else float(v)


def _status(c: Change) -> str:
    if c.old is None:
        return "新增"
    if c.new is None:
        return "移出"
    return ""


def entity_rows(w: WhatIf) -> Rows:
    """Every entity and period: old and new total, rank, grade, payout, each payout line."""
    head = ["期间", "编号", "名称", "对标组", "原得分", "新得分", "得分变化", "原排名", "新排名",
            "原等级", "新等级", "原末位淘汰", "新末位淘汰", "原兑现", "新兑现", "兑现变化", "说明"]
    for line in w.line_names:
        head += [f"原·{line}", f"新·{line}"]
    rows: list[list[Any]] = []
    for c in w.changes:
        o, n = c.old, c.new
        row: list[Any] = [
            c.period, c.entity_id, c.name, c.group,
            o.total if o else None, n.total if n else None, c.total_delta(),
            o.rank if o else None, n.rank if n else None,
            (o.grade if o else None), (n.grade if n else None),
            ("是" if o.eliminate else "否") if o else None,
            ("是" if n.eliminate else "否") if n else None,
            _money(o.payout) if o else None, _money(n.payout) if n else None,
            float(c.payout_delta()), _status(c)]
        for line in w.line_names:
            row += [_money(o.lines.get(line)) if o else None,
                    _money(n.lines.get(line)) if n else None]
        rows.append(row)
    return head, rows


def mover_rows(w: WhatIf) -> Rows:
    """The movers: grade up or down, into or out of the elimination list, largest payout
    changes (each entity once per kind of move)."""
    head = ["变动", "期间", "编号", "名称", "对标组", "原等级", "新等级", "原得分", "新得分",
            "原兑现", "新兑现", "兑现变化"]
    rows: list[list[Any]] = []

    def add(kind: str, changes: Iterable[Change]) -> None:
        for c in changes:
            o, n = c.old, c.new
            rows.append([kind, c.period, c.entity_id, c.name, c.group,
                         o.grade if o else None, n.grade if n else None,
                         o.total if o else None, n.total if n else None,
                         _money(o.payout) if o else None, _money(n.payout) if n else None,
                         float(c.payout_delta())])

    add("等级上升", w.grade_moves(up=True))
    add("等级下降", w.grade_moves(up=False))
    add("新进入末位淘汰", w.entered_elimination())
    add("移出末位淘汰", w.left_elimination())
    add("兑现变化最大", w.payout_movers(MOVERS))
    return head, rows


def _labels(w: WhatIf) -> list[str]:
    seen = [*w.grades]
    for g in w.groups:
        for label in [*g.before, *g.after]:
            if label not in seen and label != NO_GRADE:
                seen.append(label)
    if any(NO_GRADE in g.before or NO_GRADE in g.after for g in w.groups):
        seen.append(NO_GRADE)
    return seen


def group_rows(w: WhatIf) -> Rows:
    """Per period and peer group: each grade's count before → after, payout sums."""
    labels = _labels(w)
    head = ["期间", "对标组"]
    for label in labels:
        head += [f"{label}·原", f"{label}·新"]
    head += ["原兑现合计", "新兑现合计", "兑现变化"]
    rows: list[list[Any]] = []
    for g in w.groups:
        row: list[Any] = [g.period, g.group]
        for label in labels:
            row += [g.before.get(label, 0), g.after.get(label, 0)]
        row += [float(g.payout_before), float(g.payout_after),
                float(g.payout_after - g.payout_before)]
        rows.append(row)
    return head, rows


def histogram(w: WhatIf, bins: int = 20) -> dict[str, list[Any]]:
    """The changes of total as a histogram: bin labels and counts (entities in both runs)."""
    deltas = w.total_deltas()
    if not deltas:
        return {"labels": [], "counts": []}
    lo, hi = min(deltas), max(deltas)
    if lo == hi:
        return {"labels": [f"{lo:+.2f}"], "counts": [len(deltas)]}
    step = (hi - lo) / bins
    counts = [0] * bins
    for d in deltas:
        counts[min(int((d - lo) / step), bins - 1)] += 1
    labels = [f"{lo + i * step:+.2f}…{lo + (i + 1) * step:+.2f}" for i in range(bins)]
    return {"labels": labels, "counts": counts}


def summary(w: WhatIf) -> dict[str, Any]:
    before, after = w.payout_sums()
    return {
        "scheme": w.scheme, "title": w.title, "periods": w.periods,
        "baseline_runs": w.baseline,
        "entities": len(w.changes),
        "grade_up": len(w.grade_moves(up=True)), "grade_down": len(w.grade_moves(up=False)),
        "entered_elimination": len(w.entered_elimination()),
        "left_elimination": len(w.left_elimination()),
        "payout_before": str(before), "payout_after": str(after),
        "payout_change": str(after - before),
        "aggregations_reused": w.reused, "aggregations_computed": w.computed,
    }


def to_json(w: WhatIf) -> dict[str, Any]:
    def records(rows: Rows) -> list[dict[str, Any]]:
        head, body = rows
        return [dict(zip(head, r, strict=True)) for r in body]

    return {"summary": summary(w), "movers": records(mover_rows(w)),
            "groups": records(group_rows(w)), "entities": records(entity_rows(w)),
            "histogram": histogram(w)}


# --- Excel -----------------------------------------------------------------------------------

def write_xlsx(w: WhatIf, path: Path | BinaryIO) -> None:
    """概览, 变动名单, 分组分布, 明细 — every cell through report/safe.py. ``path``: a file
    name, or a binary buffer (the web's download)."""

    book = (OfficeWorkbook(str(path)) if isinstance(path, Path)
            else OfficeWorkbook(path, {"in_memory": True}))
    try:
        bold = book.add_format({"bold": True})
        head_fmt = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        money = book.add_format({"num_format": "#,##0.00"})
        ws = book.add_worksheet("概览")
        write_text(ws, 0, 0, f"{w.title}（{w.scheme}）方案试算对比", bold)
        s = summary(w)
        lines = [
            ("期间", "、".join(w.periods)),
            ("对比的已存运行", "；".join(f"{p}: {r or '无'}" for p, r in w.baseline.items())),
            ("对象数（期间×对象）", s["entities"]),
            ("等级上升", s["grade_up"]), ("等级下降", s["grade_down"]),
            ("新进入末位淘汰", s["entered_elimination"]), ("移出末位淘汰", s["left_elimination"]),
            ("原兑现合计（元）", float(Decimal(s["payout_before"]))),
            ("新兑现合计（元）", float(Decimal(s["payout_after"]))),
            ("兑现变化（元）", float(Decimal(s["payout_change"]))),
        ]
        for i, (k, v) in enumerate(lines, start=2):
            write_text(ws, i, 0, k, bold)
            write_value(ws, i, 1, v, money if isinstance(v, float) else None)
        ws.set_column(0, 0, 22)
        ws.set_column(1, 1, 40)
        for name, rows in (("变动名单", mover_rows(w)), ("分组分布", group_rows(w)),
                           ("明细", entity_rows(w))):
            sheet = book.add_worksheet(name)
            head, body = rows
            write_texts(sheet, 0, 0, head, head_fmt)
            for r, row in enumerate(body, start=1):
                for c, v in enumerate(row):
                    if isinstance(v, str):
                        write_text(sheet, r, c, v)
                    else:
                        write_value(sheet, r, c, v)
            sheet.freeze_panes(1, 0)
            sheet.set_column(0, len(head) - 1, 12)
    finally:
        book.close()


# --- terminal --------------------------------------------------------------------------------

def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.2f}"
    return str(v)


def _table(title: str, rows: Rows, limit: int | None = None) -> Table:
    head, body = rows
    t = Table(title=title, title_justify="left")
    for h in head:
        t.add_column(escape(h))
    for row in body[:limit] if limit else body:
        t.add_row(*[escape(_fmt(v)) for v in row])
    return t


def print_whatif(w: WhatIf, console: Console, top: int = 20) -> None:
    s = summary(w)
    console.print(f"[bold]{escape(w.title)}（{escape(w.scheme)}）方案试算[/] "
                  f"期间 {escape('、'.join(w.periods))}")
    for p, r in w.baseline.items():
        console.print(f"  {escape(p)} 对比已存运行 {escape(r or '无（该期间尚无运行）')}")
    console.print(
        f"等级上升 {s['grade_up']} 人次，等级下降 {s['grade_down']} 人次；"
        f"新进入末位淘汰 {s['entered_elimination']}，移出末位淘汰 {s['left_elimination']}；"
        f"兑现合计 {s['payout_before']} → {s['payout_after']} 元"
        f"（变化 {s['payout_change']} 元）")
    console.print(f"[dim]复用聚合 {w.reused} 个，重新计算 {w.computed} 个；未保存任何运行[/]")
    head, body = mover_rows(w)
    console.print(_table(f"变动名单（前 {top} 行，共 {len(body)} 行）", (head, body), top))
    console.print(_table("各期间各对标组等级分布与兑现合计", group_rows(w)))
