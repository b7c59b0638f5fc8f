"""A what-if (engine/whatif.py) as tables: for the terminal, the Excel export, JSON and the web.

Every number is the engine's (the draft's run and the stored runs); here they are only laid
out, from the what-if's frame (no object per entity is built). Money is yuan to the fen:
exact integer fen there, float yuan in cells, Decimal text in the summary.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from kaohe.engine.whatif import WhatIf
from kaohe.report.safe import write_text, write_texts, write_value
from kaohe.report.xlsx_style import OfficeWorkbook

MOVERS = 20  # largest payout changes shown
BINS = 20  # bars of a histogram

Rows = tuple[list[str], list[list[Any]]]


def _py(s: pd.Series) -> list[Any]:
    """A column as Python values, None for missing."""
    return s.astype(object).where(s.notna(), None).tolist()


def _money(fen: pd.Series) -> list[float | None]:
    """Integer fen as float yuan (190.0 for 19000), None for none."""
    return _py(fen.astype("float64") / 100)


def _side(values: list[Any], present: pd.Series) -> list[Any]:
    return [v if p else None for v, p in zip(values, present.tolist(), strict=True)]


def _flag(f: pd.DataFrame, side: str) -> list[str | None]:
    return [("是" if e else "否") if p else None
            for e, p in zip(f[f"{side}_elim"].tolist(), f[f"{side}_in"].tolist(), strict=True)]


def entity_rows(w: WhatIf) -> Rows:
    """Every entity and period: old and new total, rank, grade, payout, each payout line."""
    head = ["期间", "编号", "名称", "对标组", "原得分", "新得分", "得分变化", "原排名", "新排名",
            "原等级", "新等级", "原末位淘汰", "新末位淘汰", "原兑现", "新兑现", "兑现变化", "说明"]
    f = w.frame
    status = ["新增" if not o else ("移出" if not n else "")
              for o, n in zip(f["o_in"].tolist(), f["n_in"].tolist(), strict=True)]
    cols: list[list[Any]] = [
        _py(f["period"]), _py(f["entity_id"]), _py(f["name"]), _py(f["group"]),
        _py(f["o_total"]), _py(f["n_total"]), _py(f["d_total"]),
        _py(f["o_rank"]), _py(f["n_rank"]), _py(f["o_grade"]), _py(f["n_grade"]),
        _flag(f, "o"), _flag(f, "n"), _money(f["o_fen"]), _money(f["n_fen"]),
        (f["d_fen"].to_numpy("float64") / 100).tolist(), status]
    for i, line in enumerate(w.line_names):
        head += [f"原·{line}", f"新·{line}"]
        cols += [_money(f[f"o_l{i}"]), _money(f[f"n_l{i}"])]
    return head, [list(r) for r in zip(*cols, strict=True)] if len(f) else []


def mover_rows(w: WhatIf) -> Rows:
    """The movers: grade up or down, into or out of the elimination list, largest payout
    changes (each entity once per kind of move)."""
    head = ["变动", "期间", "编号", "名称", "对标组", "原等级", "新等级", "原得分", "新得分",
            "原兑现", "新兑现", "兑现变化"]
    rows: list[list[Any]] = []
    for kind, f in (("等级上升", w.moved("up")), ("等级下降", w.moved("down")),
                    ("新进入末位淘汰", w.moved("entered")), ("移出末位淘汰", w.moved("left")),
                    ("兑现变化最大", w.payout_moved(MOVERS))):
        if not len(f):
            continue
        cols = [[kind] * len(f), _py(f["period"]), _py(f["entity_id"]), _py(f["name"]),
                _py(f["group"]), _py(f["o_grade"]), _py(f["n_grade"]), _py(f["o_total"]),
                _py(f["n_total"]), _money(f["o_fen"]), _money(f["n_fen"]),
                (f["d_fen"].to_numpy("float64") / 100).tolist()]
        rows += [list(r) for r in zip(*cols, strict=True)]
    return head, rows


def group_rows(w: WhatIf) -> Rows:
    """Per period and peer group: each grade's count before → after, payout sums."""
    labels = w.labels()
    t = w.group_table
    head = ["期间", "对标组"]
    cols: list[list[Any]] = [_py(t["period"]), _py(t["group"])]
    zero = [0] * len(t)
    for label in labels:
        head += [f"{label}·原", f"{label}·新"]
        cols += [t[c].tolist() if c in t.columns else zero
                 for c in ("b:" + label, "a:" + label)]
    head += ["原兑现合计", "新兑现合计", "兑现变化"]
    before, after = t["fen_before"].to_numpy("int64"), t["fen_after"].to_numpy("int64")
    cols += [(before / 100).tolist(), (after / 100).tolist(), ((after - before) / 100).tolist()]
    return head, [list(r) for r in zip(*cols, strict=True)] if len(t) else []


def _histogram(deltas: list[float] | np.ndarray, bins: int) -> dict[str, list[Any]]:
    d = np.asarray(deltas, dtype="float64")
    if not len(d):
        return {"labels": [], "counts": []}
    lo, hi = float(d.min()), float(d.max())
    if lo == hi:
        return {"labels": [f"{lo:+.2f}"], "counts": [len(d)]}
    step = (hi - lo) / bins
    at = np.minimum(((d - lo) / step).astype(np.int64), bins - 1)
    counts = np.bincount(at, minlength=bins).tolist()
    labels = [f"{lo + i * step:+.2f}…{lo + (i + 1) * step:+.2f}" for i in range(bins)]
    return {"labels": labels, "counts": counts}


def histogram(w: WhatIf, bins: int = BINS) -> dict[str, list[Any]]:
    """The changes of total as a histogram: bin labels and counts (entities in both runs)."""
    return _histogram(w.frame["d_total"].dropna().to_numpy("float64"), bins)


def payout_histogram(w: WhatIf, bins: int = BINS) -> dict[str, list[Any]]:
    """The changes of payout (yuan per entity and period, new − old; an entity new to or gone
    from the population counts its whole payout) as a histogram; empty without a payout. A
    change of grade thresholds moves no totals but does move money: this shows it."""
    if not w.has_payout:
        return {"labels": [], "counts": []}
    return _histogram(w.frame["d_fen"].to_numpy("float64") / 100, bins)


def summary(w: WhatIf) -> dict[str, Any]:
    before, after = w.payout_sums()
    return {
        "scheme": w.scheme, "title": w.title, "periods": w.periods,
        "baseline_runs": w.baseline,
        "entities": len(w.frame),
        "grade_up": w.count("up"), "grade_down": w.count("down"),
        "entered_elimination": w.count("entered"), "left_elimination": w.count("left"),
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
            "histogram": histogram(w), "payout_histogram": payout_histogram(w)}


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
                           ("变化分布", None), ("明细", entity_rows(w))):
            if rows is None:
                _write_histograms(book, w, head_fmt)
                continue
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


def _write_histograms(book: OfficeWorkbook, w: WhatIf, head_fmt: Any) -> None:
    """变化分布: the change of totals and (with a payout) of payouts, each as a table of bins
    and a column chart."""
    sheet = book.add_worksheet("变化分布")
    col = 0
    for title, head, hist in (
            ("得分变化分布", "得分变化", histogram(w)),
            ("兑现变化分布（元）", "兑现变化（元）", payout_histogram(w) if w.has_payout
             else None)):
        if hist is None:
            continue
        write_text(sheet, 0, col, title, head_fmt)
        write_texts(sheet, 1, col, [head, "对象数"], head_fmt)
        for r, (label, n) in enumerate(zip(hist["labels"], hist["counts"], strict=True),
                                       start=2):
            write_text(sheet, r, col, label)
            write_value(sheet, r, col + 1, n)
        if hist["labels"]:
            chart = book.add_chart({"type": "column"})
            chart.add_series({"name": title,
                              "categories": ["变化分布", 2, col, len(hist["labels"]) + 1, col],
                              "values": ["变化分布", 2, col + 1, len(hist["labels"]) + 1,
                                         col + 1]})
            chart.set_title({"name": title, "name_font": {"size": 12}})
            chart.set_legend({"none": True})
            chart.set_y_axis({"min": 0, "num_format": "0"})
            sheet.insert_chart(len(hist["labels"]) + 3, col, chart)
        sheet.set_column(col, col, 20)
        sheet.set_column(col + 1, col + 1, 10)
        col += 9  # the next table beside the first chart


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
