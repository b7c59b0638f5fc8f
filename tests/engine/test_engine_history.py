"""A saved run (history.save_run): one run_entities row per entity and one run_indicators row
per entity and indicator, equal to the result table; missing values and info points NULL."""

from __future__ import annotations

import math
from typing import Any

import pytest

from wsbuilder import WsBuilder, person_scheme, role, scored

LIN = {"rule": "linear", "floor": 0, "target": 10}
SCHEME = person_scheme([
    scored("vol", "sum(n)", 60, LIN),
    scored("avg", "avg(n) filter (where c = 'x')", 40, LIN, missing="exclude"),
    role("kinds", "count(distinct c)", "info"),
    role("late", "count(*) filter (where c = 'late')", "penalty", score={"per": 1}),
], peers=["unit"], grades=[[50, "A"], [0, "B"]])
TX: list[dict[str, Any]] = [
    {"person_id": "P1", "at": "2026-10-03 10:00:00", "n": 4, "c": "x"},
    {"person_id": "P1", "at": "2026-10-04 10:00:00", "n": 2, "c": "late"},
    {"person_id": "P2", "at": "2026-10-05 10:00:00", "n": 7, "c": "y"},
]


def _same(a: Any, b: Any) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None
    return bool(a == b)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[WsBuilder, Any]:
    b = WsBuilder(tmp_path_factory.mktemp("history")).standard_org().standard_sources()
    b.scheme("h", SCHEME)
    b.facts("tx", TX)
    return b, b.run_output("h", "2026-10").result


def test_indicator_rows_equal_the_result(saved: tuple[WsBuilder, Any]) -> None:
    b, result = saved
    t = result.table
    with b.workspace().store.connect(read_only=True) as con:
        rows = con.execute("SELECT entity_id, code, value, points, missing FROM run_indicators "
                           "WHERE run_id = ?", [result.run_id]).fetchall()
        types = con.execute("SELECT DISTINCT typeof(value), typeof(points), typeof(missing) "
                            "FROM run_indicators WHERE value IS NOT NULL AND points IS NOT NULL"
                            ).fetchall()
    codes = [i["code"] for i in SCHEME["indicators"]]
    assert len(rows) == len(t) * len(codes) and len(t) > 2
    got = {(e, c): (v, p, m) for e, c, v, p, m in rows}
    for rec in t.to_dict("records"):
        for c in codes:
            v, p, m = got[(rec["id"], c)]
            assert _same(rec[f"v_{c}"], v) and _same(rec[f"p_{c}"], p), (rec["id"], c)
            assert m is bool(rec[f"m_{c}"])
    assert all(p is None for (_e, c), (_v, p, _m) in got.items() if c == "kinds")
    assert any(v is None and m for v, _p, m in got.values())  # avg over no 'x' row
    assert types == [("DOUBLE", "DOUBLE", "BOOLEAN")]


def test_entity_rows_equal_the_result(saved: tuple[WsBuilder, Any]) -> None:
    b, result = saved
    t = result.table.set_index("id")
    with b.workspace().store.connect(read_only=True) as con:
        rows = con.execute("SELECT entity_id, group_key, total, rank, grade FROM run_entities "
                           "WHERE run_id = ?", [result.run_id]).fetchall()
        (n,) = con.execute("SELECT entities FROM runs WHERE run_id = ?",
                           [result.run_id]).fetchone() or (None,)
    assert len(rows) == len(t) == n
    for e, group, total, rank, grade in rows:
        assert (group, total, rank, grade) == (
            t.loc[e, "g_unit"] or "", t.loc[e, "total"], t.loc[e, "rank"], t.loc[e, "grade"])
