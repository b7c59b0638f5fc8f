"""A run's DuckDB memory settings (``duckdb`` in kaohe.yaml, docs/operations.md): the limit and
the thread count reach the connection the formulas run on, the run spills into a folder of its
own under ``temp_directory`` that is removed afterwards, and the connection stays locked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from kaohe.engine.backends import duckdb_backend
from kaohe.errors import ConfigError
from kaohe.workspace.config import DuckDBSettings, load_settings
from wsbuilder import WsBuilder, scored


def test_defaults_without_a_duckdb_section(tmp_path: Path) -> None:
    (tmp_path / "kaohe.yaml").write_text("engine: duckdb\n", encoding="utf-8")
    assert load_settings(tmp_path).duckdb == DuckDBSettings("1GiB", "", 0, "2GiB")
    assert load_settings(tmp_path).duckdb.cache_limit_bytes == 2 * 1024 ** 3


def test_cache_limit_in_bytes(tmp_path: Path) -> None:
    (tmp_path / "kaohe.yaml").write_text("duckdb: {cache_limit: 500MB}\n", encoding="utf-8")
    assert load_settings(tmp_path).duckdb.cache_limit_bytes == 500 * 1000 ** 2


@pytest.mark.parametrize("text, named", [
    ("duckdb: {memory_limit: lots}", "memory_limit"),
    ("duckdb: {threads: -1}", "threads"),
    ("duckdb: {threads: two}", "threads"),
    ("duckdb: {cache_limit: 2 gigs}", "cache_limit"),
    ("duckdb: {memory: 1GiB}", "memory_limit"),  # an unknown key: the allowed ones are named
])
def test_bad_settings_are_named(tmp_path: Path, text: str, named: str) -> None:
    (tmp_path / "kaohe.yaml").write_text(text + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=named):
        load_settings(tmp_path)


def test_limit_threads_and_spill_folder_reach_the_run(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    spill = tmp_path / "spill"
    b = WsBuilder(tmp_path / "ws").standard_org().standard_sources()
    (tmp_path / "ws" / "kaohe.yaml").write_text(
        f"engine: duckdb\nduckdb:\n  memory_limit: 300MB\n  threads: 1\n"
        f"  temp_directory: '{spill}'\n", encoding="utf-8")
    b.scheme("s", {"entity": "person", "period": "month", "population": {"position": "营业员"},
                   "indicators": [scored("n", "sum(n)", 100,
                                         {"rule": "linear", "floor": 0, "target": 10})]})
    b.facts("tx", [{"person_id": "P1", "unit_id": "H1", "at": "2026-10-05 10:00", "n": 4},
                   {"person_id": "P1", "unit_id": "H1", "at": "2026-10-06 10:00", "n": 1}])
    seen: dict[str, Any] = {}
    real_lock = duckdb_backend.lock

    def spy(con: duckdb.DuckDBPyConnection) -> None:
        real_lock(con)
        seen.update(zip(("limit", "threads", "temp"), con.execute(
            "SELECT current_setting('memory_limit'), current_setting('threads'), "
            "current_setting('temp_directory')").fetchone() or ()))
        with pytest.raises(duckdb.Error):  # still locked: a formula cannot lift the limit
            con.execute("SET memory_limit = '10GB'")

    monkeypatch.setattr(duckdb_backend, "lock", spy)
    t = b.run("s", "2026-10")
    # P1: sum(n) = 4 + 1 = 5 → linear 0..10 → 50 points of 100
    assert t.loc["P1", "total"] == 50
    # DuckDB shows 300 MB (decimal) as 286.1 MiB; one thread as asked
    assert seen["limit"] == "286.1 MiB" and seen["threads"] == 1
    run_folder = Path(seen["temp"])
    assert run_folder.parent == spill and run_folder.name.startswith("kaohe-spill-")
    assert spill.is_dir() and not run_folder.exists()  # the run's folder is removed
