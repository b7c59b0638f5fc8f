"""``kaohe run SCHEME --period A..B`` (spec §17) and explain of windowed parts, via the CLI.

Scheme m (monthly, clerks): vol = sum(n) of pz, linear 0..100 (W 100); elimination bottom 1
over 2 consecutive months. pz: P1 10 every month, P2 50 in Aug, 5 in Sep and Oct; others 20.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import kaohe

sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))  # wsbuilder
from wsbuilder import WsBuilder, person_scheme, role, scored  # noqa: E402

SRC = str(Path(kaohe.__file__).parents[1])


def kaohe_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "160", "PYTHONPATH": SRC}
    return subprocess.run([sys.executable, "-m", "kaohe", *args], capture_output=True,
                          text=True, timeout=600, env=env)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> WsBuilder:
    b = WsBuilder(tmp_path_factory.mktemp("range")).standard_org().standard_sources()
    b.scheme("m", person_scheme(
        [scored("vol", "sum(n)", 100, {"rule": "linear", "floor": 0, "target": 100},
                source="pz"),
         role("q", "sum(n)", "info", source="pz", window=3)],
        elimination={"bottom": 1, "consecutive": 2}))
    rows = []
    for month in ("08", "09", "10"):
        for p in ("P1", "P2", "P3", "P4", "P5", "P6"):
            n = {"P1": 10, "P2": 50 if month == "08" else 5}.get(p, 20)
            rows.append({"person_id": p, "at": f"2026-{month}-12 10:00:00", "n": n})
    b.facts("pz", rows)
    return b


def test_range_runs_each_period_in_order_and_writes_one_file_each(ws: WsBuilder) -> None:
    out = ws.root / "out" / "m.json"
    out.parent.mkdir()
    done = kaohe_cli("-w", str(ws.root), "run", "m", "--period", "2026-08-15..2026-10-01",
                     "--out", str(out))
    assert done.returncode == 0, done.stderr
    files = sorted(p.name for p in out.parent.iterdir())
    assert files == ["m-2026-08-01.json", "m-2026-09-01.json", "m-2026-10-01.json"]
    marks = [done.stdout.index(f"{i}/3 2026-{m}") for i, m in ((1, "08"), (2, "09"), (3, "10"))]
    assert marks == sorted(marks)
    data = {f: json.loads((out.parent / f).read_text(encoding="utf-8")) for f in files}
    assert [d["period"] for d in data.values()] == ["2026-08", "2026-09", "2026-10"]
    sep = {e["id"]: e for e in data["m-2026-09-01.json"]["entities"]}
    oct_ = {e["id"]: e for e in data["m-2026-10-01.json"]["entities"]}
    # bottom: Aug P1 (10); Sep P2 (5); Oct P2 (5) → P2 flagged in Oct (two in a row, the
    # September run stored by the range before October ran), P1 not
    assert sep["P2"]["eliminate"] is False and oct_["P2"]["eliminate"] is True
    assert oct_["P1"]["eliminate"] is False
    # window 3 in October: P2 50 + 5 + 5
    assert oct_["P2"]["indicators"]["q"]["value"] == 60


def test_a_day_range_of_a_month_scheme_and_bad_ranges(ws: WsBuilder) -> None:
    one = kaohe_cli("-w", str(ws.root), "run", "m", "--period", "2026-10-05..2026-10-20")
    assert one.returncode == 0, one.stderr
    assert "1 个期间 periods" in one.stdout
    bad = kaohe_cli("-w", str(ws.root), "run", "m", "--period", "2026-10..2026-08")
    assert bad.returncode == 2 and "ends before it starts" in bad.stderr
    bad = kaohe_cli("-w", str(ws.root), "run", "m", "--period", "2026-10..")
    assert bad.returncode == 2 and "A..B" in bad.stderr


def test_explain_shows_a_parts_window(ws: WsBuilder) -> None:
    done = kaohe_cli("-w", str(ws.root), "explain", "m", "--period", "2026-10", "--entity",
                     "P2")
    assert done.returncode == 0, done.stderr
    assert "2026-08-01 … 2026-10-31" in done.stdout and "window 3" in done.stdout
    rows = kaohe_cli("-w", str(ws.root), "explain", "m", "--period", "2026-10", "--entity",
                     "P2", "--rows", "5")
    assert rows.returncode == 0, rows.stderr
    assert "3 行 rows" in rows.stdout  # the window's rows: August's 50, September's, October's
