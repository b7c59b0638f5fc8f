"""The S9 notice: star privileges after the partner ranking, and the 酬金结算单 workbook.

``after_reports`` is called by the demo runner once the latest results are written: it prints
what each star level entitles a partner to (the privileges are policy, not computed, so they
are shown beside the result) and writes ``reports/channel_statement_PERIOD.xlsx`` — one row per
partner with every commission line and its total, the numbers clawed back by the 3-month audit,
and the privileges — as a marketing department sends it to its partners.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
from openpyxl.styles import Font
from rich.console import Console

from kaohe.results import RunResult

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
    """The commission statement workbook of one month (see the module docstring)."""
    wb = openpyxl.Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.title = "酬金结算单"
    year, month = partner.period.split("-")
    sheet.append([f"{year}年{int(month)}月 渠道酬金结算单 ({partner.title})"])
    sheet.cell(1, 1).font = Font(bold=True, size=14)
    lines = list(partner.payout_lines)
    sheet.append(["渠道编码", "渠道名称", "渠道类型", "总分", "星级", "新入网号码", *lines,
                  "应付酬金合计", "星级权益"])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    table = partner.table.sort_values("id")
    for row in table.to_dict("records"):
        sheet.append([row["id"], row["name"], row.get("g_kind"), row["total"], row["grade"],
                      int(row["v_new_cards"]), *[row[f"l_{name}"] for name in lines],
                      row["payout"], STAR_PRIVILEGES.get(str(row["grade"]), "")])
    for column in range(7, 8 + len(lines)):
        for (cell,) in sheet.iter_rows(min_row=3, min_col=column, max_col=column):
            cell.number_format = "#,##0.00"
    sheet.freeze_panes = "C3"
    claw = wb.create_sheet("养卡扣回明细")
    claw.append(["号码", "发展渠道编码", "达标月数", "三个月通话分钟", "三个月流量MB", "扣回金额"])
    if audit is not None:
        failed = audit.table[audit.table["grade"] == "扣回"].sort_values(["unit", "id"])
        for row in failed.to_dict("records"):
            claw.append([row["id"], row["unit"], int(row["v_active_months"]),
                         row["v_minutes"], row["v_mb"], -CLAWBACK_YUAN])
    stars = wb.create_sheet("星级权益")
    stars.append(["星级", "权益"])
    for star, text in STAR_PRIVILEGES.items():
        stars.append([star, text])
    wb.properties.creator = "kaohe demo"
    wb.properties.created = _WORKBOOK_TIME
    wb.properties.modified = _WORKBOOK_TIME
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
