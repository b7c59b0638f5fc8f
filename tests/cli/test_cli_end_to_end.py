"""The CLI end to end on a small demo: commands, outputs and exit statuses (spec §5)."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest


def kaohe(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kaohe", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=600,
                          env={"COLUMNS": "160", "PATH": "/usr/bin:/bin",
                               "HOME": str(Path.home())})


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli") / "demo"
    done = kaohe("demo", str(root), "--scale", "0.05")
    assert done.returncode == 0, done.stderr
    assert "营业员星级考核" in done.stdout and "窗口服务考核" in done.stdout
    return root


def test_demo_wrote_reports(demo: Path) -> None:
    reports = sorted(p.name for p in (demo / "reports").glob("*.xlsx"))
    # the regime packs (S3, S4 …) add their own reports: tests/demo checks those
    assert {"clerk_quarter_2026-Q3.xlsx", "clerk_star_2026-09.xlsx",
            "hall_service_2026-09.xlsx"} <= set(reports)
    wb = openpyxl.load_workbook(demo / "reports" / "clerk_star_2026-09.xlsx")
    ranking = wb.worksheets[0]
    headers = [c.value for row in ranking.iter_rows(min_row=1, max_row=5) for c in row]
    for h in ("排名", "名称", "所属单位", "总分", "等级"):
        assert h in headers


def test_check_passes_then_reports_every_problem(demo: Path, tmp_path: Path) -> None:
    ok = kaohe("-w", str(demo), "check")
    assert ok.returncode == 0, ok.stderr
    broken = tmp_path / "broken"
    shutil.copytree(demo, broken, ignore=shutil.ignore_patterns("data", "*.duckdb*", "reports"))
    scheme = broken / "schemes" / "clerk_star.yaml"
    text = scheme.read_text(encoding="utf-8")
    text = text.replace("period: month", "period: fortnight", 1)
    scheme.write_text(text + "\nextra_key: 1\n", encoding="utf-8")
    (broken / "schemes" / "evil.yaml").write_text(
        "name: x\nentity: person\nperiod: month\nindicators:\n"
        "  - {code: a, source: transactions, value: \"read_csv('/etc/passwd')\", weight: 1,\n"
        "     score: {rule: linear, floor: 0, target: 1}}\n", encoding="utf-8")
    bad = kaohe("-w", str(broken), "check")
    assert bad.returncode == 2
    assert "period" in bad.stderr and "extra_key" in bad.stderr
    assert "evil" in bad.stderr and "read_csv" in bad.stderr.lower()


def test_run_outputs_every_format(demo: Path, tmp_path: Path) -> None:
    for suffix in (".json", ".csv", ".parquet", ".xlsx"):
        out = tmp_path / f"r{suffix}"
        done = kaohe("-w", str(demo), "run", "hall_service", "--period", "2026-08",
                     "--out", str(out))
        assert done.returncode == 0, done.stderr
        assert out.exists()
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["scheme"] == "hall_service" and data["period"] == "2026-08"
    entities = data["entities"]
    assert entities and {"id", "total", "rank", "group_size", "grade", "indicators"} <= set(
        entities[0])
    # ranks are competition ranks within each group, 1 at the top
    by_group: dict[str, list[tuple[float, int]]] = {}
    for e in entities:
        by_group.setdefault(json.dumps(e["group"], sort_keys=True), []).append(
            (e["total"], e["rank"]))
    for members in by_group.values():
        for total, rank in members:
            assert rank == 1 + sum(1 for t, _ in members if t > total)
    with (tmp_path / "r.csv").open(encoding="utf-8-sig") as fh:
        assert len(list(csv.DictReader(fh))) == len(entities)
    assert pq.read_table(tmp_path / "r.parquet").num_rows == len(entities)


def test_explain_shows_parts_and_rows(demo: Path) -> None:
    data = json.loads(kaohe("-w", str(demo), "run", "clerk_star", "-p", "2026-09", "--out",
                            str(demo / "x.json")).stdout and
                      (demo / "x.json").read_text(encoding="utf-8"))
    who = data["entities"][0]["id"]
    done = kaohe("-w", str(demo), "explain", "clerk_star", "-p", "2026-09", "-e", who,
                 "--rows", "3")
    assert done.returncode == 0, done.stderr
    assert who in done.stdout and "COUNT(*)" in done.stdout and "行 rows" in done.stdout
    missing = kaohe("-w", str(demo), "explain", "clerk_star", "-p", "2026-09", "-e", "nobody")
    assert missing.returncode == 2


def test_exit_statuses_for_bad_input(demo: Path, tmp_path: Path) -> None:
    assert kaohe("-w", str(demo), "run", "clerk_star", "--period", "2026-13").returncode == 2
    assert kaohe("-w", str(demo), "run", "nope", "--period", "2026-09").returncode == 2
    assert kaohe("-w", str(demo), "run", "clerk_star").returncode == 2  # usage
    assert kaohe("-w", str(demo), "run", "clerk_star", "-p", "2026-09", "--out",
                 str(tmp_path / "x.pdf")).returncode == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("complaint_id,person_id,unit_id,at,severity,category\n"
                   "Z1,nobody,,2026-09-01,重大,服务\n",
                   encoding="utf-8")
    done = kaohe("-w", str(demo), "import", "complaints", str(bad))
    assert done.returncode == 2
    assert "bad.csv:2" in done.stderr and "人员编号不存在" in done.stderr
    assert kaohe("-w", str(tmp_path / "nowhere"), "check").returncode == 2
