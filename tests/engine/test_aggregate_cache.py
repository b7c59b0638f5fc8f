"""Instant re-scoring (engine/aggregate_cache.py): a run that reuses kept aggregate values gives
exactly the result of a run without the cache, and a re-import invalidates exactly the entries
whose days it touches."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from hypothesis import given, settings

from strategies import Case, cases
from test_engine_reference import COMMON, build
from wsbuilder import HALL_OF, WsBuilder, dump_yaml, person_scheme, scored

from kaohe.engine.aggregate_cache import AggregateCache
from kaohe.engine.run import run_scheme
from kaohe.periods import Period
from kaohe.workspace.importer import import_file


def _plain_run(ws: Any, code: str, period: str) -> pd.DataFrame:
    """A run without the cache: the plan aggregates in one query, as before the cache."""
    import kaohe.engine.run as krun

    original = krun.AggregateCache.beside
    krun.AggregateCache.beside = staticmethod(lambda *_a, **_k: None)  # type: ignore[method-assign]
    try:
        return run_scheme(ws, code, period, save=False).result.table
    finally:
        krun.AggregateCache.beside = original  # type: ignore[method-assign]


def _equal(a: pd.DataFrame, b: pd.DataFrame, where: str) -> None:
    assert list(a.columns) == list(b.columns), where
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True),
                                  check_exact=True, obj=where)


def _reweighted(case: Case) -> dict[str, Any]:
    """The case's scheme with only scoring changed: every weight doubled plus 1."""
    spec = copy.deepcopy(case.yaml_scheme())
    for ind in spec["indicators"]:
        if ind.get("weight") is not None:
            ind["weight"] = float(ind["weight"]) * 2 + 1
    return spec


@settings(max_examples=5, **COMMON)
@given(case=cases())
def test_cold_and_warm_runs_equal_a_run_without_cache(case: Case) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        b = build(Path(tmp), case)
        ws = b.workspace()
        period = case.periods[-1]
        plain = _plain_run(ws, "s", period)
        cache = AggregateCache(Path(tmp) / "cache")
        cold = run_scheme(ws, "s", period, save=False, aggregates=cache).result.table
        assert cache.stats.reused == [] and not cache.stats.values_reused
        warm = run_scheme(ws, "s", period, save=False, aggregates=cache).result.table
        assert cache.stats.computed == []  # every aggregation came from the cache
        # the values before scoring and every indicator's points were read back
        assert cache.stats.values_reused and cache.stats.points_computed == []
        _equal(plain, cold, "cold")
        _equal(plain, warm, "warm")
        # only scoring changed: nothing is aggregated again, and the result is a fresh run's
        spec = _reweighted(case)
        b.scheme("s", dump_yaml(spec))
        plain2 = _plain_run(ws, "s", period)
        warm2 = run_scheme(ws, "s", period, save=False, aggregates=cache).result.table
        assert cache.stats.computed == [] and cache.stats.values_reused
        # the points of exactly the indicators whose weight changed are computed again
        weighted = {i["code"] for i in spec["indicators"] if i.get("weight") is not None}
        assert set(cache.stats.points_computed) <= weighted
        _equal(plain2, warm2, "reweighted")


def _tx(person: str, at: str, n: float) -> dict[str, Any]:
    return {"person_id": person, "unit_id": HALL_OF[person], "at": at, "n": n, "c": "a"}


def _two_source_scheme(amt: str = "sum(n)", amt_weight: float = 60,
                       cnt: str = "count(*)") -> dict[str, Any]:
    """amt over tx, cnt over pz; the tests below change one formula or weight at a time."""
    return person_scheme([
        scored("amt", amt, amt_weight, {"rule": "linear", "floor": 0, "target": 100}),
        scored("cnt", cnt, 40, {"rule": "linear", "floor": 0, "target": 4}, source="pz"),
    ], grades=[[90, "优"], [0, "中"]])


def _two_sources(tmp: Path) -> WsBuilder:
    b = WsBuilder(tmp).standard_org().standard_sources()
    b.scheme("s", _two_source_scheme())
    b.facts("tx", [_tx("P1", "2026-09-10 10:00:00", 50), _tx("P1", "2026-10-10 10:00:00", 80),
                   _tx("P2", "2026-10-11 10:00:00", 20)])
    b.facts("pz", [{"person_id": "P1", "at": "2026-10-05 09:00:00", "n": 1, "c": "x"}])
    return b


def test_only_the_changed_source_is_aggregated_again(tmp_path: Path) -> None:
    b = _two_sources(tmp_path)
    ws = b.workspace()
    cache = AggregateCache(tmp_path / "cache")
    run_scheme(ws, "s", "2026-10", save=False, aggregates=cache)
    assert sorted(cache.stats.computed) == ["pz", "tx"]
    # the pz formula changes, tx's does not: only pz is aggregated again
    b.scheme("s", _two_source_scheme(cnt="sum(n)"))
    t = run_scheme(ws, "s", "2026-10", save=False, aggregates=cache).result.table
    assert cache.stats.reused == ["tx"] and cache.stats.computed == ["pz"]
    got = t.set_index("id")
    # P1: amt 80 → 60 × 80/100 = 48; cnt = sum(n) = 1 → 40 × 1/4 = 10; total 58
    assert got.loc["P1", "total"] == 58.0
    # P2: amt 20 → 60 × 0.2 = 12; no pz rows: missing, 0 points
    assert got.loc["P2", "total"] == 12.0


def test_reimport_invalidates_exactly_the_affected_periods(tmp_path: Path) -> None:
    b = _two_sources(tmp_path)
    ws = b.workspace()
    cache = AggregateCache(tmp_path / "cache")
    for p in ("2026-09", "2026-10"):
        run_scheme(ws, "s", p, save=False, aggregates=cache)
    kept = set(cache.entries())
    assert len(kept) == 4  # two sources × two months

    # facts of November only: September and October stay as they were
    b.facts("tx", [_tx("P1", "2026-11-03 10:00:00", 7)])
    for p in ("2026-09", "2026-10"):
        run_scheme(ws, "s", p, save=False, aggregates=cache)
        assert sorted(cache.stats.reused) == ["pz", "tx"], p

    # October's tx replaced: only October's tx entry is computed again (and the old one goes)
    path = tmp_path / "incoming" / "oct.csv"
    path.write_text("person_id,unit_id,at,n,c,end_at\nP2,H1,2026-10-20 10:00:00,90,a,\n",
                    encoding="utf-8")
    import_file(ws.store, ws.org, ws.source("tx"), path, replace=Period.parse("2026-10"))
    sep = run_scheme(ws, "s", "2026-09", save=False, aggregates=cache).result.table
    assert sorted(cache.stats.reused) == ["pz", "tx"]
    octo = run_scheme(ws, "s", "2026-10", save=False, aggregates=cache).result.table
    assert cache.stats.reused == ["pz"] and cache.stats.computed == ["tx"]
    now = set(cache.entries())
    # October's old tx entry was replaced by the new version; the other three are the same
    assert len(now) == 4 and len(kept - now) == 1 and len(now - kept) == 1
    got = octo.set_index("id")
    # after the replace, October has only P2's 90: P2 60 × 0.9 = 54; P1 only pz: 40 × 1/4 = 10
    assert got.loc["P2", "total"] == 54.0 and got.loc["P1", "total"] == 10.0
    # September unchanged: P1 50 → 60 × 0.5 = 30
    assert sep.set_index("id").loc["P1", "total"] == 30.0
    _equal(_plain_run(ws, "s", "2026-10"), octo, "after replace")


def test_a_row_appended_to_a_period_invalidates_it(tmp_path: Path) -> None:
    b = _two_sources(tmp_path)
    ws = b.workspace()
    cache = AggregateCache(tmp_path / "cache")
    run_scheme(ws, "s", "2026-10", save=False, aggregates=cache)
    b.facts("tx", [_tx("P2", "2026-10-25 10:00:00", 30)])
    t = run_scheme(ws, "s", "2026-10", save=False, aggregates=cache).result.table
    assert cache.stats.computed == ["tx"]
    # P2: 20 + 30 = 50 → 60 × 0.5 = 30
    assert t.set_index("id").loc["P2", "total"] == 30.0


def test_one_changed_weight_recomputes_one_indicator(tmp_path: Path) -> None:
    """The scoring layers: a changed weight computes that indicator's points only; a changed
    formula computes the values again (and so every indicator's points); the result is always
    a plain run's."""
    b = _two_sources(tmp_path)
    ws = b.workspace()
    cache = AggregateCache(tmp_path / "cache")
    run_scheme(ws, "s", "2026-10", save=False, aggregates=cache)
    assert sorted(cache.stats.points_computed) == ["amt", "cnt"]
    assert len(cache.entries("values")) == 1 and len(cache.entries("points")) == 2
    b.scheme("s", _two_source_scheme(amt_weight=70))
    t = run_scheme(ws, "s", "2026-10", save=False, aggregates=cache).result.table
    assert cache.stats.values_reused
    assert cache.stats.points_reused == ["cnt"] and cache.stats.points_computed == ["amt"]
    got = t.set_index("id")
    # P1: amt 80 → 70 × 0.8 = 56; cnt 1 → 40 × 1/4 = 10; total 66
    assert got.loc["P1", "total"] == 66.0
    # P2: amt 20 → 70 × 0.2 = 14; no pz rows: 0
    assert got.loc["P2", "total"] == 14.0
    _equal(_plain_run(ws, "s", "2026-10"), t, "one weight")
    # a changed formula: new values, every indicator scored again
    b.scheme("s", _two_source_scheme(amt="max(n)", amt_weight=70))
    t = run_scheme(ws, "s", "2026-10", save=False, aggregates=cache).result.table
    assert not cache.stats.values_reused
    assert sorted(cache.stats.points_computed) == ["amt", "cnt"]
    _equal(_plain_run(ws, "s", "2026-10"), t, "new formula")


def test_new_facts_replace_the_values_and_their_points(tmp_path: Path) -> None:
    b = _two_sources(tmp_path)
    ws = b.workspace()
    cache = AggregateCache(tmp_path / "cache")
    run_scheme(ws, "s", "2026-10", save=False, aggregates=cache)
    before = set(cache.entries("values")) | set(cache.entries("points"))
    b.facts("tx", [_tx("P2", "2026-10-25 10:00:00", 30)])
    t = run_scheme(ws, "s", "2026-10", save=False, aggregates=cache).result.table
    assert not cache.stats.values_reused
    after = set(cache.entries("values")) | set(cache.entries("points"))
    # the October values over the old facts and their points are gone, not kept beside
    assert len(after) == 3 and not (before & after)
    # P2: 20 + 30 = 50 → 60 × 0.5 = 30
    assert t.set_index("id").loc["P2", "total"] == 30.0


def test_the_folder_stays_within_its_byte_limit(tmp_path: Path) -> None:
    b = _two_sources(tmp_path)
    ws = b.workspace()
    big = AggregateCache(tmp_path / "cache")
    run_scheme(ws, "s", "2026-10", save=False, aggregates=big)
    files = sorted(big.folder.glob("*.arrow"), key=lambda p: p.stat().st_size)
    sizes = [p.stat().st_size for p in files]
    limit = sum(sizes) - 1  # one byte short of everything: at least one entry must go
    small = AggregateCache(tmp_path / "cache", max_bytes=limit)
    small.prune()
    left = list(small.folder.glob("*.arrow"))
    assert 0 < len(left) < len(files)
    assert sum(p.stat().st_size for p in left) <= limit


def test_a_distinct_count_before_plain_parts_is_read_back_by_name(tmp_path: Path) -> None:
    """A source's count(distinct …) is computed in a GROUP BY of its own and comes after the
    plain parts in the aggregation's result; the kept table must still give each part its own
    values (it was read back by position: a warm run then scored the wrong columns)."""
    b = WsBuilder(tmp_path).standard_org().standard_sources()
    b.scheme("s", person_scheme([
        scored("uniq", "count(distinct c)", 50, {"rule": "linear", "floor": 0, "target": 2}),
        scored("amt", "sum(n)", 50, {"rule": "linear", "floor": 0, "target": 100}),
    ]))
    b.facts("tx", [_tx("P1", "2026-10-10 10:00:00", 80),
                   {**_tx("P1", "2026-10-12 10:00:00", 10), "c": "b"},
                   _tx("P2", "2026-10-11 10:00:00", 20)])
    ws = b.workspace()
    cache = AggregateCache(tmp_path / "cache")
    cold = run_scheme(ws, "s", "2026-10", save=False, aggregates=cache).result.table
    # a formula change elsewhere would recompute values from the kept aggregation: force it
    for p in cache.entries("values") + cache.entries("points"):
        p.unlink()
    warm = run_scheme(ws, "s", "2026-10", save=False, aggregates=cache).result.table
    assert cache.stats.reused == ["tx"] and not cache.stats.values_reused
    for t in (cold, warm):
        got = t.set_index("id")
        # P1: 2 kinds → 50; 80 + 10 = 90 → 45; P2: 1 kind → 25; 20 → 10
        assert (got.loc["P1", "total"], got.loc["P2", "total"]) == (95.0, 35.0)
    _equal(_plain_run(ws, "s", "2026-10"), warm, "warm")
