"""Workbooks built to exhaust the importer: refused quickly, with a message that names the limit
and what to do, and before anything is stored."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from bombs import unpacked_size, write_workbook
from wsbuilder import WsBuilder

from kaohe.errors import ConfigError, InputError
from kaohe.workspace import Workspace
from kaohe.workspace.config import load_settings
from kaohe.workspace.importer import import_file
from kaohe.workspace.limits import DEFAULT_LIMITS, ImportLimits
from kaohe.workspace.tables import read_table

HEADER = ["txn_id", "person_id", "unit_id", "at"]
ROW = ["X1", "P1", "H1", "2026-10-01 09:00"]


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    return WsBuilder(tmp_path / "ws").standard_org().standard_sources().workspace()


def test_a_zip_bomb_is_refused_from_the_zip_directory(ws: Workspace, tmp_path: Path) -> None:
    # 1.3M rows of sheet XML: > 200 MB unpacked (the default limit), about 2 MB on disk
    bomb = write_workbook(tmp_path / "bomb.xlsx", HEADER, ROW, 1_300_000)
    assert bomb.stat().st_size < 5 << 20
    assert unpacked_size(bomb) > DEFAULT_LIMITS.xlsx_uncompressed_bytes
    started = time.monotonic()
    with pytest.raises(InputError) as info:
        import_file(ws.store, ws.org, ws.source("tx"), bomb)
    assert time.monotonic() - started < 2.0  # no XML was parsed
    msg = str(info.value)
    assert "bomb.xlsx" in msg and "200 MB" in msg and "limits.xlsx_uncompressed_mb" in msg
    assert "CSV" in msg and "拆分" in msg
    assert not ws.store.path.exists()  # refused before the store was opened


def test_too_many_rows(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "rows.xlsx", HEADER, ROW, 1_500)
    assert read_table(path, limits=ImportLimits(xlsx_rows=1_500)).table.num_rows == 1_500
    with pytest.raises(InputError, match=r"1,000.*limits\.xlsx_rows"):
        read_table(path, limits=ImportLimits(xlsx_rows=1_000))


def test_too_many_columns(tmp_path: Path) -> None:
    wide = [f"c{i}" for i in range(1_200)]
    path = write_workbook(tmp_path / "wide.xlsx", wide, ["x"] * 1_200, 2)
    with pytest.raises(InputError, match=r"1,200.*1,000.*limits\.xlsx_columns"):
        read_table(path)


def test_reading_stops_at_the_time_limit(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "slow.xlsx", HEADER, ROW, 5_000)
    started = time.monotonic()
    with pytest.raises(InputError, match=r"limits\.read_seconds"):
        read_table(path, limits=ImportLimits(read_seconds=0.001))
    assert time.monotonic() - started < 10


def test_limits_come_from_kaohe_yaml(tmp_path: Path) -> None:
    (tmp_path / "kaohe.yaml").write_text(
        "limits: {xlsx_uncompressed_mb: 5, xlsx_rows: 10, read_seconds: 2.5}\n", encoding="utf-8")
    limits = load_settings(tmp_path).limits
    assert (limits.xlsx_uncompressed_mb, limits.xlsx_rows, limits.read_seconds) == (5, 10, 2.5)
    assert limits.xlsx_columns == DEFAULT_LIMITS.xlsx_columns
    for bad in ("limits: {xlsx_rows: 0}\n", "limits: {rows: 5}\n", "limits: {xlsx_rows: x}\n"):
        (tmp_path / "kaohe.yaml").write_text(bad, encoding="utf-8")
        with pytest.raises(ConfigError, match="limits"):
            load_settings(tmp_path)
