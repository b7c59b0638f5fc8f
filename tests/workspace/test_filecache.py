"""The per-process cache of parsed workspace files (kaohe.workspace.filecache): two opens of
an unchanged workspace share one parse; any change to an org, source or scheme file is seen by
the next open; a file written moments ago is not trusted; a run leaves the shared org as the
files say."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from kaohe.errors import ConfigError
from kaohe.workspace import filecache, org as org_module, sources as sources_module
from kaohe.workspace import workspace as workspace_module
from kaohe.workspace.org import load_org
from kaohe.workspace.workspace import Workspace

UNITS = "id,name,kind,parent_id\nC,公司,公司,\nU1,一厅,自营厅,C\n"
PEOPLE = "id,name\nP1,张三\nP2,李四\n"
ASSIGNMENTS = "person_id,unit_id,position,start,end\nP1,U1,营业员,2026-01-01,\nP2,U1,营业员,2026-01-01,\n"
SOURCE = ("name: tx\ntime: at\nperson: person_id\ncolumns:\n  person_id: {type: string}\n"
          "  at: {type: datetime}\n  n: {type: decimal}\n")
SCHEME = ("name: 测试\nentity: person\nperiod: month\nindicators:\n  - code: n\n    source: tx\n"
          "    value: sum(n)\n    weight: 100\n    score: {rule: linear, floor: 0, target: 10}\n")


@pytest.fixture
def ws_root(tmp_path: Path) -> Path:
    (tmp_path / "org").mkdir()
    (tmp_path / "org/units.csv").write_text(UNITS, encoding="utf-8")
    (tmp_path / "org/people.csv").write_text(PEOPLE, encoding="utf-8")
    (tmp_path / "org/assignments.csv").write_text(ASSIGNMENTS, encoding="utf-8")
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources/tx.yaml").write_text(SOURCE, encoding="utf-8")
    (tmp_path / "schemes").mkdir()
    (tmp_path / "schemes/s.yaml").write_text(SCHEME, encoding="utf-8")
    return tmp_path


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by the test count as settled at once (no 2 s wait)."""
    monkeypatch.setattr(filecache, "RACY_SECONDS", 0.0)


def _parses() -> int:
    return org_module._orgs.parses


def test_two_opens_share_one_parse(ws_root: Path, settled: None) -> None:
    before = _parses()
    first = Workspace.open(ws_root).org
    second = Workspace.open(ws_root).org
    assert second is first
    assert _parses() == before + 1
    src_parses = sources_module._sources.parses
    a, b = Workspace.open(ws_root).sources, Workspace.open(ws_root).sources
    assert a["tx"] is b["tx"] and a is not b  # each open its own dict, the Source shared
    assert sources_module._sources.parses <= src_parses + 1
    assert Workspace.open(ws_root).scheme("s") is Workspace.open(ws_root).scheme("s")


def test_a_changed_org_file_is_seen_by_the_next_open(ws_root: Path, settled: None) -> None:
    org = Workspace.open(ws_root).org
    assert org.people["P2"]["name"] == "李四"
    # the same size: only the stamp's times (and the content) differ
    (ws_root / "org/people.csv").write_text(PEOPLE.replace("李四", "王五"), encoding="utf-8")
    again = Workspace.open(ws_root).org
    assert again.people["P2"]["name"] == "王五"
    (ws_root / "org/assignments.csv").write_text(
        ASSIGNMENTS.replace("P2,U1,营业员,2026-01-01,", "P2,U1,营业员,2026-01-01,2026-05-31"),
        encoding="utf-8")
    last = Workspace.open(ws_root).org
    ends = dict(zip(last.assignments["person_id"], last.assignments["end"], strict=True))
    assert str(ends["P2"]) == "2026-05-31" and ends["P1"] is None


def test_a_file_replaced_with_the_same_size_and_mtime_is_seen(ws_root: Path,
                                                              settled: None) -> None:
    """rsync -t and cp -p keep the mtime; the replacement is a new file (inode, ctime)."""
    path = ws_root / "org/units.csv"
    assert Workspace.open(ws_root).org.units["U1"]["name"] == "一厅"
    st = path.stat()
    new = ws_root / "units.new"
    new.write_text(UNITS.replace("一厅", "二厅"), encoding="utf-8")
    os.utime(new, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(new, path)
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    assert Workspace.open(ws_root).org.units["U1"]["name"] == "二厅"


def test_files_written_just_now_are_parsed_again(ws_root: Path) -> None:
    """Within RACY_SECONDS of a write a coarse clock could hide a second write: not kept."""
    before = _parses()
    assert Workspace.open(ws_root).org is not Workspace.open(ws_root).org
    assert _parses() == before + 2


def test_org_file_switched_to_another_format_or_removed(ws_root: Path, settled: None) -> None:
    assert "U1" in Workspace.open(ws_root).org.units
    (ws_root / "org/units.csv").unlink()
    with pytest.raises(ConfigError, match="units.csv"):
        Workspace.open(ws_root).org
    pd.DataFrame({"id": ["C", "U9"], "name": ["公司", "九厅"], "kind": ["公司", "自营厅"],
                  "parent_id": [None, "C"]}).to_excel(ws_root / "org/units.xlsx", index=False)
    (ws_root / "org/assignments.csv").write_text(ASSIGNMENTS.replace("U1", "U9"),
                                                 encoding="utf-8")
    assert sorted(Workspace.open(ws_root).org.units) == ["C", "U9"]


def test_an_org_with_errors_is_not_kept(ws_root: Path, settled: None) -> None:
    Workspace.open(ws_root).org
    (ws_root / "org/people.csv").write_text("id,name\nP1,张三\nP1,重复\n", encoding="utf-8")
    for _ in range(2):  # raised each time, not once
        with pytest.raises(ConfigError, match="duplicate id"):
            Workspace.open(ws_root).org


def test_sources_and_schemes_follow_their_files(ws_root: Path, settled: None) -> None:
    ws = Workspace.open(ws_root)
    assert [c.name for c in ws.sources["tx"].columns] == ["person_id", "at", "n"]
    (ws_root / "sources/tx.yaml").write_text(SOURCE + "  c: {type: string}\n", encoding="utf-8")
    (ws_root / "sources/pz.yaml").write_text(SOURCE.replace("name: tx", "name: pz"),
                                             encoding="utf-8")
    ws = Workspace.open(ws_root)
    assert sorted(ws.sources) == ["pz", "tx"]
    assert [c.name for c in ws.sources["tx"].columns] == ["person_id", "at", "n", "c"]
    (ws_root / "sources/pz.yaml").unlink()
    assert sorted(Workspace.open(ws_root).sources) == ["tx"]
    assert Workspace.open(ws_root).scheme("s").indicators[0].weight == 100
    (ws_root / "schemes/s.yaml").write_text(SCHEME.replace("weight: 100", "weight: 90"),
                                            encoding="utf-8")
    assert Workspace.open(ws_root).scheme("s").indicators[0].weight == 90


def test_a_scheme_reached_through_a_link_keeps_its_own_code(ws_root: Path,
                                                            settled: None) -> None:
    """Kept by the path as given: a scheme's code is its file's name."""
    (ws_root / "schemes/t.yaml").symlink_to(ws_root / "schemes/s.yaml")
    ws = Workspace.open(ws_root)
    assert (ws.scheme("s").code, ws.scheme("t").code) == ("s", "t")
    assert workspace_module._schemes.size >= 2


def test_the_cache_drops_the_least_recently_used(tmp_path: Path, settled: None) -> None:
    cache: filecache.FileCache[str] = filecache.FileCache(size=2)
    files = []
    for name in "abc":
        (tmp_path / name).write_text(name)
        files.append(tmp_path / name)
    for f in files:
        cache.get(f.name, [f], f.read_text)
    assert cache.parses == 3
    cache.get("c", [files[2]], files[2].read_text)  # kept
    cache.get("a", [files[0]], files[0].read_text)  # dropped first: parsed again
    assert cache.parses == 4


def test_a_run_leaves_the_shared_org_as_its_files_say(tmp_path: Path, settled: None) -> None:
    """Everyone in the process shares the cached Org: after runs of every kind of scheme the
    tests build, it still equals a fresh read of the files."""
    from tests.engine.wsbuilder import WsBuilder

    b = WsBuilder(tmp_path).standard_org().standard_sources()
    b.scheme("s", {"entity": "person", "period": "month", "population": {"position": "营业员"},
                   "peers": ["ancestor:county"],
                   "indicators": [{"code": "n", "source": "tx", "value": "sum(n)",
                                   "weight": 100,
                                   "score": {"rule": "linear", "floor": 0, "target": 10}}],
                   "grades": [[60, "A"], [0, "B"]],
                   "payout": {"base": 100, "coefficient": {"A": 1, "B": 0}}})
    b.scheme("u", {"entity": "unit", "period": "month", "population": {"kind": "hall"},
                   "indicators": [{"code": "n", "source": "hall", "value": "sum(n)",
                                   "weight": 100,
                                   "score": {"rule": "linear", "floor": 0, "target": 10}}]})
    b.facts("tx", [{"person_id": "P1", "unit_id": "H1", "at": "2026-10-05 10:00", "n": 3}])
    b.facts("hall", [{"unit_id": "H1", "day": "2026-10-05", "n": 4}])
    shared = Workspace.open(tmp_path).org
    for code in ("s", "u"):
        b.run(code, "2026-10", "duckdb")
    assert Workspace.open(tmp_path).org is shared
    fresh = load_org(tmp_path)
    assert shared.units == fresh.units and shared.people == fresh.people
    pd.testing.assert_frame_equal(shared.assignments, fresh.assignments)
