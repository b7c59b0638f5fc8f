"""User text in the CLI is text, never rich markup; bad files give exit 2 with a clear line.

Through a real ``python -m kaohe`` process (exit statuses and stderr as a user sees them) on a
tiny workspace whose people and cells carry markup such as ``[/bold]``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import kaohe

SRC = str(Path(kaohe.__file__).resolve().parent.parent)
SOURCE = """\
name: tx
time: at
person: person_id
key: [txn_id]
columns:
  txn_id:    {type: string, aliases: [流水号]}
  person_id: {type: string, aliases: [工号]}
  at:        {type: datetime, aliases: [时间]}
  n:         {type: integer, aliases: [数量]}
"""
SCHEME = """\
name: 测试[bold]方案
entity: person
period: month
indicators:
  - {code: volume, name: "量[/bold]", source: tx, value: "sum(n)", weight: 100,
     score: {rule: linear, floor: 0, target: 10}}
"""


def kaohe_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "COLUMNS": "200",
           "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "kaohe", *args], capture_output=True,
                          text=True, timeout=300, env=env)


@pytest.fixture()
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    for d in ("org", "sources", "schemes"):
        (root / d).mkdir(parents=True)
    (root / "kaohe.yaml").write_text("engine: duckdb\n", encoding="utf-8")
    (root / "org/units.csv").write_text("id,name,kind,parent_id\nH,[red]厅,hall,\n",
                                        encoding="utf-8")
    (root / "org/people.csv").write_text("id,name\nP1,[/bold]\nP2,[bold]张三\n", encoding="utf-8")
    (root / "org/assignments.csv").write_text(
        "person_id,unit_id,position,start,end\nP1,H,营业员,2026-01-01,\nP2,H,营业员,2026-01-01,\n",
        encoding="utf-8")
    (root / "sources/tx.yaml").write_text(SOURCE, encoding="utf-8")
    (root / "schemes/s.yaml").write_text(SCHEME, encoding="utf-8")
    return root


def test_import_errors_keep_their_column_and_markup_cells(ws: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("流水号,工号,时间,数量\nT1,P1,2026-10-01,[/bold]\nT2,[red]P9,2026-10-01,1\n",
                   encoding="utf-8")
    done = kaohe_cli("-w", str(ws), "import", "tx", str(bad))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "内部错误" not in done.stderr
    assert "bad.csv:2 [数量] '[/bold]'" in done.stderr
    assert "bad.csv:3 [工号] '[red]P9'" in done.stderr


def test_missing_column_names_column_file_and_headers(ws: Path, tmp_path: Path) -> None:
    bad = tmp_path / "short.csv"
    bad.write_text("流水号,工号,时间\nT1,P1,2026-10-01\n", encoding="utf-8")
    done = kaohe_cli("-w", str(ws), "import", "tx", str(bad))
    assert done.returncode == 2
    # the column is named by its header in files (its first alias), the file's headers listed
    assert "short.csv:1 [数量]" in done.stderr and "缺少列" in done.stderr
    assert "流水号、工号、时间" in done.stderr


def test_binary_file_is_exit_2_with_advice(ws: Path, tmp_path: Path) -> None:
    binary = tmp_path / "data.csv"
    binary.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8)
    done = kaohe_cli("-w", str(ws), "import", "tx", str(binary))
    assert done.returncode == 2, done.stderr
    assert "内部错误" not in done.stderr and "UnicodeDecodeError" not in done.stderr
    assert "data.csv" in done.stderr and "CSV UTF-8" in done.stderr


def test_names_with_markup_print_in_the_ranking(ws: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("流水号,工号,时间,数量\nT1,P1,2026-10-01,5\nT2,P2,2026-10-01,8\n",
                    encoding="utf-8")
    done = kaohe_cli("-w", str(ws), "import", "tx", str(good))
    assert done.returncode == 0, done.stderr
    done = kaohe_cli("-w", str(ws), "run", "s", "--period", "2026-10")
    assert done.returncode == 0, done.stderr
    for text in ("[/bold]", "[bold]张三", "[red]厅", "测试[bold]方案"):
        assert text in done.stdout, text
