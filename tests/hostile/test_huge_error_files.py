"""A file of 200,000 rows, every one with a bad datetime: the importer counts every error but
keeps only the first ``errors_kept`` (bounded memory and storage), all or nothing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from wsbuilder import WsBuilder

from kaohe.errors import DataError
from kaohe.workspace import Workspace
from kaohe.workspace.importer import import_file
from kaohe.workspace.limits import ImportLimits

ROWS = 200_000


def bad_rows_csv(path: Path, rows: int = ROWS) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        fh.write("txn_id,person_id,unit_id,at,n\n")
        fh.writelines(f"T{i},P1,H1,2026-10-99 09:00,1\n" for i in range(rows))
    return path


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    b = WsBuilder(tmp_path / "ws").standard_org()
    b.source("tx", {"time": "at", "person": "person_id", "unit": "unit_id", "key": ["txn_id"],
                    "columns": {"txn_id": {"type": "string"}, "person_id": {"type": "string"},
                                "unit_id": {"type": "string"}, "at": {"type": "datetime"},
                                "n": {"type": "integer", "optional": True}}})
    return b.workspace()


def test_errors_are_capped_and_counted(ws: Workspace, tmp_path: Path) -> None:
    path = bad_rows_csv(tmp_path / "bad.csv")
    started = time.monotonic()
    with pytest.raises(DataError) as info:
        import_file(ws.store, ws.org, ws.source("tx"), path)
    assert time.monotonic() - started < 20
    exc = info.value
    assert exc.total == ROWS  # one bad datetime per row, nothing else wrong
    assert len(exc.errors) == 1_000
    assert [e.row for e in exc.errors] == list(range(2, 1_002))  # the first rows, in order
    assert {(e.column, e.value) for e in exc.errors} == {("at", "2026-10-99 09:00")}
    assert f"{ROWS} error(s)" in str(exc)
    assert f"and {ROWS - 50} more errors" in str(exc)  # 50 lines shown, the rest counted
    assert str(exc).count("\n") == 51


def test_the_cap_is_configurable(ws: Workspace, tmp_path: Path) -> None:
    path = bad_rows_csv(tmp_path / "bad.csv", 500)
    with pytest.raises(DataError) as info:
        import_file(ws.store, ws.org, ws.source("tx"), path, limits=ImportLimits(errors_kept=7))
    assert (len(info.value.errors), info.value.total) == (7, 500)


def test_an_unreadable_key_is_not_also_a_duplicate(ws: Workspace, tmp_path: Path) -> None:
    """Rows whose key cell is empty got a second error each ('duplicate key') before."""
    path = tmp_path / "nokey.csv"
    path.write_text("txn_id,person_id,unit_id,at\n,P1,H1,2026-10-01\n,P1,H1,2026-10-02\n",
                    encoding="utf-8")
    with pytest.raises(DataError) as info:
        import_file(ws.store, ws.org, ws.source("tx"), path)
    assert [(e.row, e.column) for e in info.value.errors] == [(2, "txn_id"), (3, "txn_id")]
