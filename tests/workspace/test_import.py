"""Import (spec §2): aliases, header_row, ids as strings, all-or-nothing, every error listed."""

from __future__ import annotations

from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kaohe.errors import DataError, InputError
from kaohe.periods import Period
from kaohe.workspace import Workspace
from kaohe.workspace.importer import import_file

SOURCE = """\
name: transactions
title: 业务办理明细
time: at
person: person_id
unit: unit_id
key: [txn_id]
columns:
  txn_id:    {type: string, aliases: [流水号]}
  person_id: {type: string, aliases: [营业员工号]}
  unit_id:   {type: string, aliases: [营业厅编码]}
  at:        {type: datetime, aliases: [办理时间]}
  biz_type:  {type: string, aliases: [业务类型], optional: true}
  amount:    {type: decimal, aliases: [金额], optional: true}
  n:         {type: integer, aliases: [数量], optional: true}
  ok:        {type: boolean, aliases: [成功], optional: true}
  day:       {type: date, aliases: [日期], optional: true}
"""


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    (tmp_path / "org").mkdir()
    (tmp_path / "sources").mkdir()
    (tmp_path / "kaohe.yaml").write_text("engine: duckdb\n", encoding="utf-8")
    (tmp_path / "org/units.csv").write_text(
        "id,name,kind,parent_id\nC,公司,公司,\n0101,一厅,自营厅,C\n", encoding="utf-8")
    (tmp_path / "org/people.csv").write_text("id,name\n007,张三\n0070,李四\n", encoding="utf-8")
    (tmp_path / "org/assignments.csv").write_text(
        "person_id,unit_id,position,start,end\n007,0101,营业员,2026-01-01,\n"
        "0070,0101,营业员,2026-01-01,\n", encoding="utf-8")
    (tmp_path / "sources/transactions.yaml").write_text(SOURCE, encoding="utf-8")
    return Workspace.open(tmp_path)


def rows(ws: Workspace, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(ws.store.path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def load(ws: Workspace, path: Path, **kw: object) -> object:
    return import_file(ws.store, ws.org, ws.sources["transactions"], path, **kw)  # type: ignore[arg-type]


def test_chinese_headers_ids_keep_leading_zeros_and_types(ws: Workspace, tmp_path: Path) -> None:
    f = write(tmp_path / "t.csv",
              "流水号,营业员工号,营业厅编码,办理时间,业务类型,金额,数量,成功,日期\n"
              "A1,007,0101,2026-10-01 09:30,开户,\"1,234.50\",3,是,2026/10/01\n"
              "A2,0070,0101,2026/10/02 10:00:05,缴费,,,false,\n")
    report = load(ws, f)
    assert report.rows == 2  # type: ignore[attr-defined]
    got = rows(ws, "SELECT txn_id, person_id, unit_id, CAST(\"at\" AS VARCHAR), amount, n, ok, day "
                   "FROM fact_transactions ORDER BY txn_id")
    assert got[0][:4] == ("A1", "007", "0101", "2026-10-01 09:30:00")
    assert str(got[0][4]) == "1234.5000" and got[0][5] == 3 and got[0][6] is True
    assert str(got[0][7]) == "2026-10-01"
    assert got[1][1] == "0070" and got[1][3] == "2026-10-02 10:00:05"
    assert got[1][4] is None and got[1][5] is None and got[1][6] is False


def test_rows_are_stored_by_month_unit_person_then_time(ws: Workspace, tmp_path: Path) -> None:
    """cluster_order: a run reads each entity's rows of a period side by side. Ties (same
    month, unit, person and time) keep the file's order."""
    f = write(tmp_path / "t.csv",
              "流水号,营业员工号,营业厅编码,办理时间\n"
              "N1,0070,0101,2026-11-03 08:00\n"   # November: after every October row
              "B2,007,0101,2026-10-20 09:00\n"
              "D1,0070,0101,2026-10-05 09:00\n"   # person 0070 after 007 ("007" < "0070")
              "E1,007,C,2026-10-01 09:00\n"       # unit C after 0101
              "A2,007,0101,2026-10-02 10:00\n"    # same time as A1, earlier in the file
              "A1,007,0101,2026-10-02 10:00\n")
    load(ws, f)
    stored = [r[0] for r in rows(ws, "SELECT txn_id FROM fact_transactions ORDER BY rowid")]
    assert stored == ["A2", "A1", "B2", "D1", "E1", "N1"]


def test_every_error_listed_and_nothing_stored(ws: Workspace, tmp_path: Path) -> None:
    good = write(tmp_path / "good.csv", "txn_id,person_id,unit_id,at\nG1,007,0101,2026-10-01\n")
    load(ws, good)
    bad = write(tmp_path / "bad.csv",
                "txn_id,person_id,unit_id,at,amount,n,ok\n"
                "B1,007,0101,2026-10-01 09:00,abc,1,true\n"      # row 2: amount not a number
                "B2,999,0101,2026-10-02 09:00,1,1.5,true\n"      # row 3: unknown person; n
                "B3,007,0101,,1,1,maybe\n"                       # row 4: time missing; ok
                "B1,007,0101,2026-10-03 09:00,1,1,true\n"        # row 5: duplicate key
                "G1,007,0101,2026-10-04 09:00,1,1,true\n"        # row 6: key already stored
                "B6,,,2026-10-04 09:00,1,1,true\n")              # row 7: no person nor unit
    with pytest.raises(DataError) as info:
        load(ws, bad)
    # every error at once, in row then column order, Chinese reasons only
    got = [(e.row, e.column, e.value, e.reason) for e in info.value.errors]
    assert got == [
        (2, "amount", "abc", "格式错误：应为数字"),
        (3, "person_id", "999", "人员编号不存在：组织架构中没有此人员"),
        (3, "n", "1.5", "格式错误：应为整数"),
        (4, "at", "", "必填：此格不能为空"),
        (4, "ok", "maybe", "格式错误：应为“是”或“否”"),
        (5, "txn_id", "B1", "主键重复：与本文件第 2 行相同"),
        (6, "txn_id", "G1", "主键已存在：此前已导入过这条记录"),
        (7, "person_id/unit_id", "", "人员与单位至少填一个"),
    ]
    assert all(e.code for e in info.value.errors)
    first = next(e for e in info.value.errors if e.row == 2)
    assert first.column == "amount" and first.value == "abc" and first.file == str(bad)
    assert "bad.csv:2 [amount] 'abc'" in str(info.value)
    assert info.value.exit_status == 2
    # all or nothing: only the first file's row is there
    assert rows(ws, "SELECT txn_id FROM fact_transactions") == [("G1",)]


def test_error_list_shows_first_50_then_a_count(ws: Workspace, tmp_path: Path) -> None:
    body = "".join(f"X{i},nobody,0101,2026-10-01\n" for i in range(70))
    bad = write(tmp_path / "many.csv", "txn_id,person_id,unit_id,at\n" + body)
    with pytest.raises(DataError) as info:
        load(ws, bad)
    assert len(info.value.errors) == 70
    assert "and 20 more errors" in str(info.value)


def test_missing_required_column_names_accepted_headers(ws: Workspace, tmp_path: Path) -> None:
    bad = write(tmp_path / "nohead.csv", "流水号,营业员工号\nA,007\n")
    with pytest.raises(DataError) as info:
        load(ws, bad)
    msg = str(info.value)
    assert "at" in msg and "办理时间" in msg and "缺少必需列" in msg
    assert [e.column for e in info.value.errors] == ["营业厅编码", "办理时间"]  # source order


def test_xlsx_with_title_row_and_header_row(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.append(["2026年10月 业务办理明细"])
    sheet.append(["流水号", "营业员工号", "营业厅编码", "办理时间", "金额", "日期"])
    import datetime as dt
    sheet.append(["X1", "007", "0101", dt.datetime(2026, 10, 5, 8, 0), 12.5,
                  dt.datetime(2026, 10, 5)])
    sheet.append(["X2", "0070", "0101", "2026-10-06 09:00", 3, None])
    wb.save(path)
    with pytest.raises(DataError):  # without header_row the title row is taken as the header
        load(ws, path)
    load(ws, path, header_row=2)
    got = rows(ws, "SELECT txn_id, person_id, CAST(\"at\" AS VARCHAR), amount, CAST(day AS VARCHAR) "
                   "FROM fact_transactions ORDER BY 1")
    assert got[0][:3] == ("X1", "007", "2026-10-05 08:00:00")
    assert str(got[0][3]) == "12.5000" and got[0][4] == "2026-10-05"
    assert got[1][1] == "0070"


def test_xlsx_errors_report_spreadsheet_rows(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "bad.xlsx"
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.append(["标题"])
    sheet.append(["流水号", "营业员工号", "营业厅编码", "办理时间"])
    sheet.append(["X1", "007", "0101", "not a time"])
    wb.save(path)
    with pytest.raises(DataError) as info:
        load(ws, path, header_row=2)
    (err,) = info.value.errors
    assert (err.row, err.column, err.value) == (3, "办理时间", "not a time")


def test_parquet(ws: Workspace, tmp_path: Path) -> None:
    import datetime as dt
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({
        "txn_id": ["P1", "P2"], "person_id": ["007", "0070"], "unit_id": ["0101", "0101"],
        "at": pa.array([dt.datetime(2026, 10, 1, 8), dt.datetime(2026, 10, 2, 9)]),
        "n": pa.array([1, 2], pa.int64()),
    }), path)
    load(ws, path)
    assert rows(ws, "SELECT sum(n), count(*) FROM fact_transactions") == [(3, 2)]


def test_replace_period(ws: Workspace, tmp_path: Path) -> None:
    load(ws, write(tmp_path / "a.csv", "txn_id,person_id,unit_id,at\n"
                   "S1,007,0101,2026-09-30 23:59\nO1,007,0101,2026-10-01\nO2,007,0101,2026-10-31\n"))
    # re-delivered October: O1 is back, O2 gone, O3 new; September untouched
    again = write(tmp_path / "b.csv", "txn_id,person_id,unit_id,at\nO1,007,0101,2026-10-01\n"
                  "O3,007,0101,2026-10-15\n")
    with pytest.raises(DataError):  # without --replace, O1 is a duplicate of a stored key
        load(ws, again)
    report = load(ws, again, replace=Period.parse("2026-10"))
    assert report.deleted == 2  # type: ignore[attr-defined]
    assert rows(ws, "SELECT txn_id FROM fact_transactions ORDER BY 1") == [
        ("O1",), ("O3",), ("S1",)]
    outside = write(tmp_path / "c.csv", "txn_id,person_id,unit_id,at\nN1,007,0101,2026-11-01\n")
    with pytest.raises(DataError) as info:
        load(ws, outside, replace=Period.parse("2026-10"))
    assert [(e.row, e.column, e.reason) for e in info.value.errors] == [
        (2, "at", "不在替换的考核期 2026-10 内")]


def test_gbk_csv(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("流水号,营业员工号,营业厅编码,办理时间,业务类型\nK1,007,0101,2026-10-01,开户\n"
                     .encode("gb18030"))
    load(ws, path)
    assert rows(ws, "SELECT biz_type FROM fact_transactions") == [("开户",)]


def test_unsupported_and_missing_files(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unsupported"):
        load(ws, write(tmp_path / "x.txt", "a"))
    with pytest.raises(InputError, match="not found"):
        load(ws, tmp_path / "nope.csv")


# --- issue 11 item 7: missing declared columns, binary files and encodings --------------------

STRICT = """\
name: visits
time: at
person: person_id
key: [visit_id]
columns:
  visit_id:  {type: string, aliases: [检查编号]}
  person_id: {type: string, aliases: [工号]}
  at:        {type: datetime, aliases: [时间]}
  score:     {type: integer, aliases: [得分, 分数]}
  note:      {type: string, aliases: [备注], optional: true}
"""


@pytest.fixture()
def strict(ws: Workspace) -> Workspace:
    (ws.root / "sources/visits.yaml").write_text(STRICT, encoding="utf-8")
    return Workspace.open(ws.root)


def load_visits(ws: Workspace, path: Path) -> object:
    return import_file(ws.store, ws.org, ws.sources["visits"], path)


def test_a_declared_column_missing_from_the_file_is_an_error(strict: Workspace,
                                                              tmp_path: Path) -> None:
    bad = write(tmp_path / "visits.csv", "检查编号,工号,时间,备注\nV1,007,2026-10-01 09:00,x\n")
    with pytest.raises(DataError) as info:
        load_visits(strict, bad)
    (err,) = info.value.errors
    assert (err.file, err.row, err.column) == (str(bad), 1, "得分")  # its first alias
    # what would do, and what the file has
    assert "score、得分、分数" in err.reason and "检查编号、工号、时间、备注" in err.reason
    assert "optional: true" in err.reason
    assert not strict.store.path.exists()  # refused before the store was opened


def test_an_optional_column_may_be_absent(strict: Workspace, tmp_path: Path) -> None:
    ok = write(tmp_path / "visits.csv", "检查编号,工号,时间,分数\nV1,007,2026-10-01 09:00,7\n")
    assert load_visits(strict, ok).rows == 1  # type: ignore[attr-defined]
    assert rows(strict, "SELECT visit_id, score, note FROM fact_visits") == [("V1", 7, None)]


def test_required_and_optional_together_is_a_config_error(tmp_path: Path) -> None:
    from kaohe.errors import ConfigError
    from kaohe.workspace.sources import load_source

    path = write(tmp_path / "x.yaml", STRICT.replace("optional: true", "optional: true, "
                                                                          "required: true"))
    with pytest.raises(ConfigError, match="required.*optional"):
        load_source(path)
    path = write(tmp_path / "y.yaml", STRICT.replace("aliases: [时间]}",
                                                     "aliases: [时间], optional: true}"))
    with pytest.raises(ConfigError, match="time"):
        load_source(path)


def test_a_binary_file_is_a_clear_input_error(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 40)  # an .xls
    with pytest.raises(InputError) as info:
        load(ws, path)
    assert not isinstance(info.value, DataError)
    assert "t.csv" in str(info.value) and "CSV UTF-8" in str(info.value)
    assert info.value.exit_status == 2


def test_neither_utf8_nor_gb18030_is_a_clear_input_error(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    # 0x80 and 0xFF are invalid lead bytes in both encodings
    path.write_bytes("txn_id,person_id,unit_id,at\n".encode() + b"A\x80\xff,007,0101,2026-10-01\n")
    with pytest.raises(InputError, match="UTF-8.*GB18030"):
        load(ws, path)


def test_utf8_with_bom_and_gb18030_far_into_the_file(ws: Workspace, tmp_path: Path) -> None:
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeff流水号,营业员工号,营业厅编码,办理时间,业务类型\n"
                    "B1,007,0101,2026-10-01,开户\n".encode())
    assert load(ws, bom).rows == 1  # type: ignore[attr-defined]
    # GB18030 bytes that only appear after the first megabyte (a sniffed head would say UTF-8)
    gb = tmp_path / "gb.csv"
    body = "".join(f"G{i},007,0101,2026-10-02,x\n" for i in range(60_000))
    gb.write_bytes(("txn_id,person_id,unit_id,at,biz_type\n" + body
                    + "G_last,007,0101,2026-10-02,缴费\n").encode("gb18030"))
    assert gb.stat().st_size > 1 << 20
    assert load(ws, gb).rows == 60_001  # type: ignore[attr-defined]
    assert rows(ws, "SELECT biz_type FROM fact_transactions WHERE txn_id = 'G_last'") == [
        ("缴费",)]


def test_a_csv_without_line_breaks_is_a_clear_input_error(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "one-line.csv"
    path.write_text("x" * 300_000, encoding="utf-8")  # longer than the csv module's field limit
    with pytest.raises(InputError, match="one-line.csv.*malformed CSV"):
        load(ws, path)


@pytest.mark.parametrize("suffix", [".parquet", ".xlsx"])
def test_junk_under_a_binary_suffix_is_a_clear_input_error(ws: Workspace, tmp_path: Path,
                                                           suffix: str) -> None:
    path = tmp_path / f"junk{suffix}"
    path.write_bytes(b"PAR1 not really" + bytes(range(256)) * 4)
    with pytest.raises(InputError, match=f"junk\\{suffix}"):
        load(ws, path)


# --- issue 13 §3: allowed values, every error in one pass, scope ------------------------------

LEVELS = SOURCE.replace("biz_type:  {type: string, aliases: [业务类型], optional: true}",
                        "biz_type:  {type: string, aliases: [业务类型], optional: true, "
                        "values: [一般, 较大, 重大]}")


@pytest.fixture()
def levels(ws: Workspace) -> Workspace:
    (ws.root / "sources/transactions.yaml").write_text(LEVELS, encoding="utf-8")
    return Workspace.open(ws.root)


def test_a_value_not_allowed_is_a_row_error(levels: Workspace, tmp_path: Path) -> None:
    bad = write(tmp_path / "v.csv", "流水号,营业员工号,营业厅编码,办理时间,业务类型\n"
                "V1,007,0101,2026-10-01,一般\n"
                "V2,007,0101,2026-10-02,很严重\n"     # row 3: not in the list
                "V3,007,0101,2026-10-03, 重大 \n"     # spaces trimmed: allowed
                "V4,007,0101,2026-10-04,\n"           # empty: allowed (not required)
                "V5,007,0101,2026-10-05,一般。\n")    # row 6: not exactly a listed value
    with pytest.raises(DataError) as info:
        load(levels, bad)
    assert [(e.row, e.column, e.value, e.reason, e.code) for e in info.value.errors] == [
        (3, "业务类型", "很严重", "不是允许的值：应为 一般、较大、重大 之一", "not_allowed"),
        (6, "业务类型", "一般。", "不是允许的值：应为 一般、较大、重大 之一", "not_allowed")]
    good = write(tmp_path / "g.csv", "流水号,营业员工号,营业厅编码,办理时间,业务类型\n"
                 "V1,007,0101,2026-10-01,一般\nV3,007,0101,2026-10-03, 重大 \n"
                 "V4,007,0101,2026-10-04,\n")
    assert load(levels, good).rows == 3  # type: ignore[attr-defined]
    assert rows(levels, "SELECT txn_id, biz_type FROM fact_transactions ORDER BY 1") == [
        ("V1", "一般"), ("V3", "重大"), ("V4", None)]


@pytest.mark.parametrize("spec, message", [
    ("{type: integer, values: [1, 2]}", "string"),
    ("{type: string, values: []}", "non-empty"),
    ("{type: string, values: 一般}", "non-empty"),
    ("{type: string, values: [一般, 一般]}", "distinct"),
])
def test_values_must_be_a_list_on_a_string_column(tmp_path: Path, spec: str,
                                                  message: str) -> None:
    from kaohe.errors import ConfigError
    from kaohe.workspace.sources import load_source

    path = write(tmp_path / "s.yaml", "name: s\ntime: at\nperson: p\ncolumns:\n"
                 f"  p: {{type: string}}\n  at: {{type: date}}\n  level: {spec}\n")
    with pytest.raises(ConfigError, match=f"columns.level.values.*{message}"):
        load_source(path)


def test_scope_errors_come_with_every_other_error(ws: Workspace, tmp_path: Path) -> None:
    """The web's scope (known ids the uploader may not load) is checked in the same pass as
    everything else: one import lists the out-of-scope row and the others together."""
    from kaohe.workspace.importer import Scope

    bad = write(tmp_path / "s.csv", "流水号,营业员工号,营业厅编码,办理时间,金额\n"
                "S1,007,0101,2026-10-01,1\n"           # row 2: fine
                "S2,0070,0101,2026-10-01,1\n"          # row 3: 0070 outside the scope
                "S3,9999,0101,2026-10-01,x\n"          # row 4: unknown person, bad amount
                "S1,007,0101,2026-10-02,1\n")          # row 5: repeats row 2's key
    with pytest.raises(DataError) as info:
        import_file(ws.store, ws.org, ws.sources["transactions"], bad,
                    scope=Scope(people=frozenset({"0070"})))
    assert [(e.row, e.column, e.code) for e in info.value.errors] == [
        (3, "营业员工号", "outside_scope"), (4, "营业员工号", "unknown_person"),
        (4, "金额", "decimal"), (5, "流水号", "duplicate_key")]
    assert info.value.total == 4
    # a unit outside the scope: every row names hall 0101
    with pytest.raises(DataError) as info:
        import_file(ws.store, ws.org, ws.sources["transactions"], bad,
                    scope=Scope(units=frozenset({"0101"})))
    assert sum(e.code == "outside_scope" for e in info.value.errors) == 4


def test_errors_of_a_hand_built_parquet(ws: Workspace, tmp_path: Path) -> None:
    """Typed Parquet columns go through the same checks as CSV text; within a row, errors
    follow the file's column order, the key's last."""
    import datetime as dt
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({
        "txn_id": ["P1", "P1", None], "person_id": ["007", "x", "0070"],
        "unit_id": ["0101", "0101", "0101"],
        "at": pa.array([dt.datetime(2026, 10, 1, 8), None, dt.datetime(2026, 10, 2, 9)]),
        "n": pa.array([1.0, 2.5, 3.0], pa.float64()),  # 2.5 is no integer
    }), path)
    with pytest.raises(DataError) as info:
        load(ws, path)
    # a Parquet file has no header row: its first data row is row 1
    assert [(e.row, e.column, e.value, e.code) for e in info.value.errors] == [
        (2, "person_id", "x", "unknown_person"), (2, "at", "", "required"),
        (2, "n", "2.5", "integer"), (2, "txn_id", "P1", "duplicate_key"),
        (3, "txn_id", "", "required")]
    assert info.value.errors[3].reason == "主键重复：与本文件第 1 行相同"
