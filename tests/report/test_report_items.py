"""Outputs of item schemes (spec §8): each item's person and unit, and outputs that stay
usable at millions of items (the Excel ranking lists the first 100,000 and says so; the JSON
is written a slice at a time; the terminal converts only the rows it prints)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from rich.console import Console

from kaohe.report import flat, print_ranking, write_result
from kaohe.report.xlsx import write_xlsx
from kaohe.results import IndicatorInfo, RunResult


def _items(n: int) -> RunResult:
    """n items; item i has total i / 8 (the last one highest), graded A from 5 up."""
    total = np.round(np.arange(n) / 8, 2)
    t = pd.DataFrame({
        "id": [f"C{i:06d}" for i in range(n)], "name": None, "unit_name": "城东厅",
        "group_name": "", "total": total, "rank": n - np.arange(n), "group_size": n,
        "grade": np.where(total >= 5, "A", "B"), "vetoed": False, "bottom": False,
        "eliminate": np.arange(n) == 3, "payout": None, "v_a": 1.0, "p_a": total, "m_a": False,
        "person": [None if i % 2 else "P1" for i in range(n)], "unit": "H1"})
    return RunResult(scheme="cust", title="客户", period="2026-10", run_id="r1", entity="item",
                     peers=(), indicators=(IndicatorInfo("a", "甲", "scored", 100.0, "", "x",
                                                         "src", "zero"),),
                     grades=((5.0, "A"), (0.0, "B")), table=t)


def test_json_streamed_is_the_same_document() -> None:
    r = _items(flat.JSON_STREAM_FROM + 7)
    buf = io.StringIO()
    flat.write_json(r, buf)
    got = json.loads(buf.getvalue())
    assert got == json.loads(json.dumps(r.to_json_dict()))
    assert got["entities"][1]["person"] is None and got["entities"][0]["person"] == "P1"
    assert got["entities"][0]["unit"] == "H1"


def test_excel_lists_the_first_rows_and_says_so(tmp_path: Path) -> None:
    r = _items(50)
    path = tmp_path / "r.xlsx"
    write_xlsx(r, path, row_limit=10)
    book = openpyxl.load_workbook(path)
    ws = book["排名"]
    data = [row for row in ws.iter_rows(min_row=5, values_only=True) if row[0] is not None]
    assert len(data) == 10
    info = str(ws.cell(2, 1).value)
    assert "共 50 个" in info and "前 10 个" in info
    headers = [c.value for c in ws[3]]  # person and unit span both header rows
    assert "负责人员" in headers and "对象单位" in headers
    # the grade counts cover all 50 items: totals 5.0 and up are i >= 40 → 10 A, 40 B
    grades = {row[0]: row[2] for row in book["等级分布"].iter_rows(min_row=2,
                                                                        values_only=True)}
    assert grades["A"] == 10 and grades["B"] == 40


def test_csv_has_every_item_with_person_and_unit(tmp_path: Path) -> None:
    r = _items(12)
    path = tmp_path / "r.csv"
    write_result(r, path)
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 13 and "负责人员" in lines[0] and "对象单位" in lines[0]


def test_terminal_prints_the_top_rows_and_every_flag() -> None:
    buf = io.StringIO()
    print_ranking(_items(1000), Console(file=buf, width=200), limit=5)
    text = buf.getvalue()
    assert "前 5 / 共 1000" in text and "C000999" in text and "C000001" not in text
    assert "C000003" in text  # flagged for elimination, below the top rows


def test_parquet_of_items_keeps_types_and_missing_values(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    r = _items(6)
    path = tmp_path / "r.parquet"
    write_result(r, path)
    t = pq.read_table(path)
    assert t.schema.field("person").type == "string" and t.schema.field("total").type == "double"
    assert t.column("person").to_pylist() == ["P1", None, "P1", None, "P1", None]
    assert t.column("total").to_pylist() == [0.0, 0.12, 0.25, 0.38, 0.5, 0.62]
    assert t.column("eliminate").to_pylist() == [False, False, False, True, False, False]
    assert t.column("name").null_count == 6
