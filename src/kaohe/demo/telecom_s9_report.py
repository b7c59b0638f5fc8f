"""The S9 notice: star privileges after the partner ranking, and the 酬金结算单 workbook.

``after_reports`` is called by the demo runner once the latest results are written: it prints
what each star level entitles a partner to (the privileges are policy, not computed, so they
are shown beside the result) and writes ``reports/channel_statement_PERIOD.xlsx`` — one row per
partner with every commission line and its total, the numbers clawed back by the 3-month audit,
and the privileges — as a marketing department sends it to its partners.
"""

from __future__ import annotations

import numbers
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from kaohe.report.safe import write_text, write_texts, write_value
from kaohe.results import RunResult
from kaohe.report.xlsx_style import OfficeWorkbook

STAR_PRIVILEGES = {
    "六星": "营业员工号 15 个；优先供货；年度合作优先续签",
    "五星": "营业员工号 10 个；优先参加促销活动",
    "四星": "营业员工号 6 个",
    "三星": "营业员工号 2 个",
    "不达标": "不新增工号；列入观察；连续两个月低于 60 分暂停酬金并评估合作关系",
}
CLAWBACK_YUAN = 30
_WORKBOOK_TIME = datetime(2026, 1, 1)


def after_reports(results: dict[str, RunResult], reports: Path, out: Console) -> list[Path]:
    partner = results.get("channel_partner")
    if partner is None:
        return []
    out.print()
    out.print("[bold]渠道星级权益 star privileges:[/] " + "；".join(
        f"{star}: {text}" for star, text in STAR_PRIVILEGES.items()))
    path = reports / f"channel_statement_{partner.period}.xlsx"
    write_statement(partner, results.get("card_audit"), path)
    return [path]


def write_statement(partner: RunResult, audit: RunResult | None, path: Path) -> Path:
    """The commission statement workbook of one month (see the module docstring). Every cell
    goes through report/safe.py: names and ids stay text, never a formula."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = OfficeWorkbook(str(path))
    wb.set_properties({"author": "kaohe demo", "created": _WORKBOOK_TIME})
    title = wb.add_format({"bold": True, "font_size": 14})
    bold = wb.add_format({"bold": True})
    money = wb.add_format({"num_format": "#,##0.00"})
    sheet = wb.add_worksheet("酬金结算单")
    year, month = partner.period.split("-")
    write_text(sheet, 0, 0, f"{year}年{int(month)}月 渠道酬金结算单 ({partner.title})", title)
    lines = list(partner.payout_lines)
    write_texts(sheet, 1, 0, ["渠道编码", "渠道名称", "渠道类型", "总分", "星级", "新入网号码",
                              *lines, "应付酬金合计", "星级权益"], bold)
    table = partner.table.sort_values("id")
    for r, row in enumerate(table.to_dict("records"), start=2):
        for c, value in enumerate([row["id"], row["name"], row.get("g_kind")]):
            write_text(sheet, r, c, value)
        write_value(sheet, r, 3, _num(row["total"]))
        write_text(sheet, r, 4, row["grade"])
        write_value(sheet, r, 5, int(row["v_new_cards"]))
        amounts = [row[f"l_{name}"] for name in lines] + [row["payout"]]
        for c, value in enumerate(amounts, start=6):
            write_value(sheet, r, c, _num(value), money)
        write_text(sheet, r, 7 + len(lines), STAR_PRIVILEGES.get(str(row["grade"]), ""))
    sheet.freeze_panes(2, 2)
    claw = wb.add_worksheet("养卡扣回明细")
    write_texts(claw, 0, 0, ["号码", "发展渠道编码", "达标月数", "三个月通话分钟", "三个月流量MB",
                             "扣回金额"], bold)
    if audit is not None:
        failed = audit.table[audit.table["grade"] == "扣回"].sort_values(["unit", "id"])
        for r, row in enumerate(failed.to_dict("records"), start=1):
            write_text(claw, r, 0, row["id"])
            write_text(claw, r, 1, row["unit"])
            write_value(claw, r, 2, int(row["v_active_months"]))
            write_value(claw, r, 3, _num(row["v_minutes"]))
            write_value(claw, r, 4, _num(row["v_mb"]))
            write_value(claw, r, 5, -CLAWBACK_YUAN, money)
    stars = wb.add_worksheet("星级权益")
    write_texts(stars, 0, 0, ["星级", "权益"], bold)
    for r, (star, text) in enumerate(STAR_PRIVILEGES.items(), start=1):
        write_texts(stars, r, 0, [star, text])
    wb.close()
    return path


def _num(value: Any) -> Any:
    """A number cell's value: Decimal and numpy numbers as float (the result table's types)."""
    return float(value) if isinstance(value, numbers.Number) and not isinstance(value, bool) \
        else value
