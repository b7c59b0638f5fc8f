"""Hand-built RunResults for the report tests.

Two peer groups (U01 with three clerks, U02 with two); 李四 has no on-time value (missing: full),
王五 is vetoed by a major complaint, 钱七 is eliminated. The same table with and without payout.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from kaohe.results import IndicatorInfo, RunResult
from kaohe.scheme.formats import Format

INDICATORS = (
    IndicatorInfo("volume", "业务办理量", "scored", 40.0, "linear floor=0 target=300",
                  "count(*)", "transactions", "zero", description="本月以本人工号办理的业务笔数。",
                  format=Format("count", None, "笔"), sentence="目标 300 笔得满分 40 分，按比例计分",
                  sentence_en="Full 40 points at the target of 300, in proportion below it"),
    IndicatorInfo("on_time", "工单及时率", "scored", 30.0,
                  "steps [[0.98, 1.0], [0.95, 0.8], [0.90, 0.6]]",
                  "count(*) filter (where closed_at <= due_at) / count(*)", "tickets", "full"),
    IndicatorInfo("inspection", "明查暗访扣分", "scored", 30.0, "deduct per=1", "sum(deduction)",
                  "inspections", "zero"),
    IndicatorInfo("praise", "表扬加分", "bonus", None, "per=2 cap=5", "count(*)", "praises",
                  "zero"),
    IndicatorInfo("major_complaint", "重大投诉", "veto", None, "v > 0 否决",
                  "count(*) filter (where severity = '重大')", "complaints", "zero"),
    IndicatorInfo("wait", "平均等候时长", "info", None, "仅展示", "avg(wait_minutes)", None,
                  "exclude"),
)
GRADES = ((95.0, "五星"), (85.0, "四星"), (75.0, "三星"), (60.0, "二星"), (0.0, "一星"))

# id, name, unit, total, rank, grade, vetoed, bottom, eliminate, payout,
# then (value, points) for volume, on_time, inspection, praise; major_complaint, wait values.
ROWS: list[tuple[Any, ...]] = [
    ("P001", "张三", "U01", 97.0, 1, "五星", False, False, False, 1500.0,
     (270, 36.0), (0.985, 30.0), (1, 29.0), (1, 2.0), 0, 5.5),
    ("P002", "李四", "U01", 88.0, 2, "四星", False, False, False, 1200.0,
     (225, 30.0), (None, 30.0), (2, 28.0), (0, 0.0), 0, 6.25),
    ("P003", "王五", "U01", 0.0, 3, "一星", True, True, False, 0.0,
     (150, 20.0), (0.9, 18.0), (0, 30.0), (0, 0.0), 1, 7.0),
    ("P004", "赵六", "U02", 81.67, 1, "三星", False, False, False, 1000.0,
     (200, 26.67), (0.96, 24.0), (3, 27.0), (2, 4.0), 0, 4.0),
    ("P005", "钱七", "U02", 37.0, 2, "一星", False, True, True, 0.0,
     (90, 12.0), (0.8, 0.0), (5, 25.0), (0, 0.0), 0, None),
]
UNIT_NAMES = {"U01": "城东营业厅", "U02": "城西营业厅"}


def build_table(rows: list[tuple[Any, ...]], has_payout: bool, peers: bool = True) -> pd.DataFrame:
    records = []
    sizes = {u: sum(1 for r in rows if r[2] == u) for u in {r[2] for r in rows}}
    for (pid, name, unit, total, rank, grade, vetoed, bottom, elim, payout,
         volume, on_time, inspection, praise, major, wait) in rows:
        rec: dict[str, Any] = {"id": pid, "name": name, "unit_name": UNIT_NAMES.get(unit, unit)}
        if peers:
            rec["g_unit"] = unit
        rec.update({
            "total": total, "rank": rank, "group_size": sizes[unit] if peers else len(rows),
            "grade": grade, "vetoed": vetoed, "bottom": bottom, "eliminate": elim,
            "payout": payout if has_payout else None,
        })
        for code, (v, p) in (("volume", volume), ("on_time", on_time),
                             ("inspection", inspection), ("praise", praise)):
            rec[f"v_{code}"] = None if v is None else float(v)
            rec[f"p_{code}"] = p
            rec[f"m_{code}"] = v is None
        for code, v in (("major_complaint", major), ("wait", wait)):
            rec[f"v_{code}"] = None if v is None else float(v)
            rec[f"p_{code}"] = None
            rec[f"m_{code}"] = v is None
        records.append(rec)
    return pd.DataFrame.from_records(records)


def make_result(has_payout: bool = True, rows: list[tuple[Any, ...]] | None = None,
                peers: bool = True) -> RunResult:
    rows = ROWS if rows is None else rows
    return RunResult(
        scheme="clerk_star",
        title="营业员星级考核",
        period="2026-10",
        run_id="run-20261101-0001",
        entity="person",
        peers=("unit",) if peers else (),
        indicators=INDICATORS,
        grades=GRADES,
        table=build_table(rows, has_payout, peers),
        has_payout=has_payout,
    )


def many_rows(n: int) -> list[tuple[Any, ...]]:
    """n clerks in one unit with distinct totals, listed by rank."""
    out = []
    for i in range(n):
        total = round(99.0 - i * 2.1, 2)
        grade = next(label for low, label in GRADES if total >= low)
        out.append((f"P{i + 1:03d}", f"员工{i + 1:02d}", "U01", total, i + 1, grade, False,
                    i == n - 1, i == n - 1, None, (300 - i, 40.0), (0.99, 30.0), (0, 30.0),
                    (0, 0.0), 0, 3.0))
    return out


@pytest.fixture
def result() -> RunResult:
    return make_result(has_payout=True)


@pytest.fixture
def result_no_payout() -> RunResult:
    return make_result(has_payout=False)


@pytest.fixture
def result_factory() -> Any:
    """make_result itself, for tests that need a variant (no peers, many entities)."""
    return make_result


@pytest.fixture
def rows_factory() -> Any:
    return many_rows
