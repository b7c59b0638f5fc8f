"""load_org reads the org a column at a time and falls back to the row-by-row reader, which
lists every problem, at the first problem it finds. Both readers must build the same Org from
the same files, and the column reader must hand every kind of problem to the row reader."""

from __future__ import annotations

import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from kaohe.errors import ConfigError
from kaohe.workspace import org as org_module
from kaohe.workspace.org import Org, _org_by_columns, _org_by_rows, load_org
from kaohe.workspace.tables import read_table

UNITS = "id,name,kind,parent_id\nC,公司,公司,\nB,分公司,分公司,C\nU1,一厅,自营厅,B\nU2,二厅,合作厅,B\n"
PEOPLE = "id,name,level\nP1,张三,3\nP2,李四,\n"
ASSIGNMENTS = ("person_id,unit_id,position,start,end\nP1,U1,营业员,2026-01-01,2026-10-15\n"
               "P1,U2,值班经理,2026/10/16,\nP2,U1,,20260101,\n")


def _write(root: Path, units: str = UNITS, people: str = PEOPLE,
           assignments: str = ASSIGNMENTS) -> Path:
    (root / "org").mkdir(exist_ok=True)
    for stem, text in (("units", units), ("people", people), ("assignments", assignments)):
        (root / f"org/{stem}.csv").write_text(text, encoding="utf-8")
    return root


def _raws(root: Path) -> tuple[object, object, object]:
    folder = root / "org"
    return tuple(read_table(next(folder.glob(f"{s}.*")))  # type: ignore[return-value]
                 for s in ("units", "people", "assignments"))


def _same(a: Org, b: Org) -> None:
    assert a.units == b.units and a.people == b.people
    pd.testing.assert_frame_equal(a.assignments, b.assignments)
    assert a.assignments.dtypes.to_dict() == b.assignments.dtypes.to_dict()


def test_python_whitespace_is_listed() -> None:
    """_SPACE covers every character str.strip() removes."""
    import re

    spaces = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
    assert all(re.match(f"[{org_module._SPACE}]", ch) for ch in spaces)


@pytest.mark.parametrize("variant", ["plain", "spaces", "separators", "empty"])
def test_columns_and_rows_build_the_same_org(tmp_path: Path, variant: str) -> None:
    units, people, assignments = UNITS, PEOPLE, ASSIGNMENTS
    if variant == "spaces":  # cells and headers with spaces around, blank cells
        units = units.replace("U1,一厅", " U1 ,\u3000一厅").replace(",B\n", ", B \n")
        people = "id , name,level\nP1, 张三 ,  \nP2,李四,\t\n"
        assignments = assignments.replace("P2,U1", "P2 ,U1 ")
    elif variant == "separators":  # str.strip() removes \x1c-\x1f, Unicode whitespace may not
        people = "id,name,level\nP1,张三\x1f,3\nP2,\x1c李四,\x1e\n"
    elif variant == "empty":
        assignments = "person_id,unit_id,position,start,end\n"
    raws = _raws(_write(tmp_path, units, people, assignments))
    by_columns = _org_by_columns(*raws)  # type: ignore[arg-type]
    assert by_columns is not None
    _same(by_columns, _org_by_rows(*raws))  # type: ignore[arg-type]


def test_xlsx_reads_the_same(tmp_path: Path) -> None:
    _write(tmp_path)
    wb = openpyxl.Workbook()
    ws = wb.active
    for line in ASSIGNMENTS.splitlines():
        ws.append([c or None for c in line.split(",")])
    wb.save(tmp_path / "org/assignments.xlsx")
    (tmp_path / "org/assignments.csv").unlink()
    raws = _raws(tmp_path)
    by_columns = _org_by_columns(*raws)  # type: ignore[arg-type]
    assert by_columns is not None
    _same(by_columns, _org_by_rows(*raws))  # type: ignore[arg-type]
    _same(load_org(tmp_path), by_columns)


BAD = {
    "missing column": {"people": "id\nP1\nP2\n"},
    "repeated header": {"people": "id,name,name\nP1,a,b\nP2,c,d\n"},
    "empty unit id": {"units": UNITS + ",无编号,厅,B\n"},
    "duplicate unit id": {"units": UNITS + "U1,重复,厅,B\n"},
    "unknown parent": {"units": UNITS + "U3,三厅,厅,X\n"},
    "cycle": {"units": UNITS.replace("C,公司,公司,", "C,公司,公司,U1")},
    "empty person id": {"people": PEOPLE + ",王五,\n"},
    "duplicate person id": {"people": PEOPLE + "P1,王五,\n"},
    "unknown person": {"assignments": ASSIGNMENTS + "P9,U1,营业员,2026-01-01,\n"},
    "empty person": {"assignments": ASSIGNMENTS + ",U1,营业员,2026-01-01,\n"},
    "unknown unit": {"assignments": ASSIGNMENTS + "P1,U9,营业员,2026-01-01,\n"},
    "bad start": {"assignments": ASSIGNMENTS + "P1,U1,营业员,2026-13-01,\n"},
    "bad end": {"assignments": ASSIGNMENTS + "P1,U1,营业员,2026-01-01,soon\n"},
    "no start": {"assignments": ASSIGNMENTS + "P1,U1,营业员,,\n"},
    "end before start": {"assignments": ASSIGNMENTS + "P1,U1,营业员,2026-05-01,2026-04-01\n"},
}


@pytest.mark.parametrize("problem", sorted(BAD))
def test_every_problem_goes_to_the_row_reader(tmp_path: Path, problem: str) -> None:
    root = _write(tmp_path, **BAD[problem])
    assert _org_by_columns(*_raws(root)) is None  # type: ignore[arg-type]
    if problem == "repeated header":  # not a problem for the row reader: the last one wins
        assert load_org(root).people["P1"] == {"name": "b"}
        return
    with pytest.raises(ConfigError):
        load_org(root)
