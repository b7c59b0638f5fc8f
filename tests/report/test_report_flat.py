"""JSON, CSV and Parquet reports, read back with independent readers; suffix dispatch."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kaohe.errors import InputError
from kaohe.report import SUFFIXES, write_result
from kaohe.results import RunResult


def test_json_is_the_spec_result(result: RunResult, tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    write_result(result, path)
    text = path.read_text(encoding="utf-8")
    assert "张三" in text  # ensure_ascii=False: Chinese stays readable
    assert '\n  "scheme"' in text  # indent 2
    data = json.loads(text)
    assert data == result.to_json_dict()
    assert (data["scheme"], data["period"], data["run_id"]) == \
        ("clerk_star", "2026-10", "run-20261101-0001")
    by_id = {e["id"]: e for e in data["entities"]}
    assert [e["id"] for e in data["entities"]] == ["P001", "P002", "P003", "P004", "P005"]
    li = by_id["P002"]
    assert li["group"] == {"unit": "U01"}
    assert li["indicators"]["on_time"] == {"value": None, "points": 30.0, "missing": True}
    assert by_id["P003"]["vetoed"] is True and by_id["P003"]["total"] == 0.0
    assert by_id["P005"]["eliminate"] is True
    assert by_id["P001"]["payout"] == 1500.0
    assert by_id["P001"]["indicators"]["major_complaint"]["points"] is None


def test_json_without_payout(result_no_payout: RunResult, tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    write_result(result_no_payout, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert all(e["payout"] is None for e in data["entities"])


def _read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the UTF-8 BOM to read Chinese"
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def test_csv_headers_and_values(result: RunResult, tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_result(result, path)
    rows = _read_csv(path)
    header = rows[0]
    assert header[:10] == ["排名", "名称", "编号", "所属单位", "分组", "总分", "等级",
                           "否决", "末位淘汰", "兑现金额"]
    assert header[10:] == [
        "业务办理量 值", "业务办理量 得分", "工单及时率 值", "工单及时率 得分",
        "明查暗访扣分 值", "明查暗访扣分 得分", "表扬加分 值", "表扬加分 得分",
        "重大投诉 值", "平均等候时长 值",
    ]
    assert len(rows) == 6
    table = [dict(zip(header, r, strict=True)) for r in rows[1:]]
    zhang, li, wang, zhao, qian = table
    assert zhang["名称"] == "张三" and zhang["所属单位"] == "城东营业厅"
    assert zhang["分组"] == "U01" and zhao["分组"] == "U02"
    assert zhang["总分"] == "97" and zhao["总分"] == "81.67"
    assert zhang["业务办理量 值"] == "270"  # counts without '.0'
    assert zhang["工单及时率 值"] == "0.985"
    assert li["工单及时率 值"] == "" and li["工单及时率 得分"] == "30"
    assert wang["否决"] == "是" and wang["末位淘汰"] == ""
    assert qian["末位淘汰"] == "是" and qian["否决"] == ""
    assert qian["平均等候时长 值"] == ""
    assert zhang["兑现金额"] == "1500" and zhao["兑现金额"] == "1000"


def test_csv_without_payout_or_peers(result_factory, tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_result(result_factory(has_payout=False, peers=False), path)
    header = _read_csv(path)[0]
    assert "兑现金额" not in header
    assert "分组" not in header
    assert header[:6] == ["排名", "名称", "编号", "所属单位", "总分", "等级"]


def test_parquet_is_typed(result: RunResult, tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    write_result(result, path)
    table = pq.read_table(path)
    schema = table.schema
    assert schema.field("id").type == pa.string()
    assert schema.field("g_unit").type == pa.string()
    assert schema.field("total").type == pa.float64()
    assert schema.field("rank").type == pa.int64()
    assert schema.field("eliminate").type == pa.bool_()
    assert schema.field("v_on_time").type == pa.float64()
    assert schema.field("p_major_complaint").type == pa.float64()
    assert schema.field("m_on_time").type == pa.bool_()
    cols = table.to_pydict()
    assert cols["name"] == ["张三", "李四", "王五", "赵六", "钱七"]
    assert cols["total"] == [97.0, 88.0, 0.0, 81.67, 37.0]
    assert cols["v_on_time"][1] is None and cols["m_on_time"][1] is True
    assert cols["p_major_complaint"] == [None] * 5
    assert cols["payout"] == [1500.0, 1200.0, 0.0, 1000.0, 0.0]
    meta = json.loads(schema.metadata[b"kaohe"])
    assert meta["scheme"] == "clerk_star" and meta["title"] == "营业员星级考核"
    assert meta["period"] == "2026-10" and meta["peers"] == ["unit"]
    assert [i["code"] for i in meta["indicators"]][:2] == ["volume", "on_time"]


def test_parquet_without_payout(result_no_payout: RunResult, tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    write_result(result_no_payout, path)
    table = pq.read_table(path)
    assert table.schema.field("payout").type == pa.float64()
    assert table.column("payout").null_count == 5


@pytest.mark.parametrize("name", ["out.txt", "out.xls", "out", "out.json.gz"])
def test_unknown_suffix_is_input_error(result: RunResult, tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError) as info:
        write_result(result, tmp_path / name)
    message = str(info.value)
    assert "不支持" in message and "unsupported" in message
    for suffix in SUFFIXES:
        assert suffix in message
    assert info.value.exit_status == 2
    assert list(tmp_path.iterdir()) == []


def test_suffix_case_and_parent_dirs(result: RunResult, tmp_path: Path) -> None:
    path = tmp_path / "reports" / "2026-10" / "OUT.JSON"
    write_result(result, path)
    assert json.loads(path.read_text(encoding="utf-8"))["scheme"] == "clerk_star"
    # The temporary file is renamed into place, not left behind.
    assert [p.name for p in path.parent.iterdir()] == ["OUT.JSON"]


def test_failed_write_leaves_old_file(result: RunResult, tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    path.write_text("old", encoding="utf-8")
    # RunResult.entities() needs the rank column, so the JSON writer fails half way.
    broken = RunResult(**{**result.__dict__, "table": result.table.drop(columns=["rank"])})
    with pytest.raises(KeyError):
        write_result(broken, path)
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_nullable_dtypes(result: RunResult, tmp_path: Path, suffix: str) -> None:
    """Engines may hand back pandas nullable dtypes (Int64, Float64, boolean) with pd.NA."""
    nullable = RunResult(**{**result.__dict__, "table": result.table.convert_dtypes()})
    assert str(nullable.table["rank"].dtype) == "Int64"
    path = tmp_path / f"out{suffix}"
    write_result(nullable, path)
    plain_path = tmp_path / f"plain{suffix}"
    write_result(result, plain_path)
    if suffix == ".parquet":
        assert pq.read_table(path).equals(pq.read_table(plain_path))
    elif suffix == ".json":  # whole floats may come back as Int64 and print as 270, not 270.0
        assert json.loads(path.read_text(encoding="utf-8")) == \
            json.loads(plain_path.read_text(encoding="utf-8"))
    elif suffix == ".csv":  # the workbook's zip carries timestamps
        assert path.read_bytes() == plain_path.read_bytes()
    else:  # the workbook's zip carries timestamps: compare the cells
        cells = [list(openpyxl.load_workbook(p)["排名"].values) for p in (path, plain_path)]
        assert cells[0] == cells[1]
