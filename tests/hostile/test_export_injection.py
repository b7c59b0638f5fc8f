"""Formula injection: people, units and grades named like formulas, through every file kaohe
writes from the CLI (``kaohe run --out`` .csv and .xlsx). Read back with openpyxl, no cell may be
a formula (data_type 'f') and each hostile name must be there as the same text; in CSV every
hostile name must carry the neutralising quote and nothing else may be changed."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from corpus import FORMULAS, is_neutral_csv
from wsbuilder import STANDARD_ASSIGNMENTS, STANDARD_UNITS, WsBuilder, avg_of, person_scheme, \
    scored, value_rows

from kaohe.cli.main import _register, cli
from kaohe.report.safe import csv_text

# The six clerks get hostile names; one hall too; the grades are hostile labels as well.
CLERKS = ["P1", "P2", "P3", "P4", "P5", "P6"]
NAMES = dict(zip(CLERKS, FORMULAS, strict=False))
HALL_NAME = '=HYPERLINK("http://evil","城东厅")'
GRADES = [[80, "=1+1"], [0, "@SUM(1,1)"]]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile") / "ws"
    b = WsBuilder(root).standard_sources()
    b.units([(u, HALL_NAME if u == "H1" else name, kind, parent)
             for u, name, kind, parent in STANDARD_UNITS])
    b.people([(p, NAMES.get(p, "赵经理")) for p in [*CLERKS, "M1"]])
    b.assignments(STANDARD_ASSIGNMENTS)
    b.scheme("s", person_scheme(
        [scored("t", avg_of("t"), 100, {"rule": "linear", "floor": 0, "target": 100},
                name="=2+2")], grades=GRADES))
    b.facts("tx", value_rows({p: {"t": 50 + 5 * i} for i, p in enumerate(CLERKS)}))
    return root


def run_to(workspace: Path, out: Path) -> None:
    _register()
    result = CliRunner().invoke(cli, ["-w", str(workspace), "run", "s", "--period", "2026-10",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output


def test_csv_out_neutralises_every_hostile_cell(workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    run_to(workspace, out)
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    cells = [c for r in rows for c in r]
    for c in cells:
        # a number written as text (-3.5) is no formula; everything else must be neutral
        assert is_neutral_csv(c) or c.lstrip("+-").replace(".", "", 1).isdigit(), repr(c)
    for name in [*NAMES.values(), HALL_NAME, "=1+1", "@SUM(1,1)"]:
        assert "'" + name in cells, name  # the text itself is kept, behind the quote
    assert "'=2+2 得分" in rows[0] or any(h.startswith("'=2+2") for h in rows[0])


def test_xlsx_out_has_no_formula_cell(workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    run_to(workspace, out)
    wb = openpyxl.load_workbook(out)
    texts: set[str] = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.add(cell.value)
    for name in [*NAMES.values(), HALL_NAME, "=1+1", "@SUM(1,1)"]:
        assert name in texts, name  # shown exactly as written, as text


@pytest.mark.parametrize(("text", "expected"), [
    ("=1+1", "'=1+1"), ("+1+1", "'+1+1"), ("-1+1", "'-1+1"), ("@A1", "'@A1"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("张三", "张三"), ("", ""),
    ("-3.5", "-3.5"), ("+86", "+86"), ("1e5", "1e5"), ("a=b", "a=b"),
])
def test_csv_text_rule(text: str, expected: str) -> None:
    assert csv_text(text) == expected
