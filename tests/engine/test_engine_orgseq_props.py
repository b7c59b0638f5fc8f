"""Hypothesis: sequence columns (spec §14) and peer statistics (spec §15) on random data agree
with the plain-Python reference (reference_orgseq.py). Ties of time, several imports, rows
without a key, periods before and after the rows, missing values in a peer group."""

from __future__ import annotations

import tempfile
from datetime import datetime
from fractions import Fraction as F
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import orgseq_cases as oc
from reference_orgseq import peer, with_sequences
from wsbuilder import col

INSTANTS = ["2026-09-30 23:30", "2026-10-01 00:10", "2026-10-01 00:10", "2026-10-02 08:00",
            "2026-10-03 08:59", "2026-10-31 23:59", "2026-11-01 00:00", "2026-11-03 12:00"]
SOURCE = {**oc.COMPLAINTS, "sequence": {
    "since_prev": {"since": "previous", "by": ["customer_id"], "unit": "hour"},
    "until_next": {"since": "next", "by": ["customer_id"], "unit": "day"},
    "gap_min": {"since": "previous", "by": ["customer_id", "category"], "unit": "minute"}}}
CODES = {
    "s_prev": "sum(since_prev)", "s_next": "sum(until_next)", "s_min": "sum(gap_min)",
    "firsts": "count(*) filter (where since_prev is null)",
    "lasts": "count(*) filter (where until_next is null)",
    "repeat": "count(*) filter (where since_prev >= 24)",
}

row = st.fixed_dictionaries({
    "person_id": st.sampled_from(["P1", "P2"]), "unit_id": st.just("H1"),
    "customer_id": st.sampled_from(["A", "B", None]), "category": st.sampled_from(["x", "y"]),
    "at": st.sampled_from(INSTANTS)})
imports = st.lists(st.lists(row, min_size=1, max_size=7), min_size=1, max_size=3)


def _reference(files: list[list[dict[str, Any]]], period: str) -> dict[str, dict[str, int]]:
    flat = [{**r, "at": datetime.fromisoformat(r["at"])} for f in files for r in f]
    rows = with_sequences(flat, "at", SOURCE["sequence"])
    month = datetime.fromisoformat(period + "-01")
    nxt = datetime(month.year + month.month // 12, month.month % 12 + 1, 1)
    out: dict[str, dict[str, int]] = {}
    for p in ("P1", "P2"):
        mine = [r for r in rows if r["person_id"] == p and month <= r["at"] < nxt]
        out[p] = {
            "s_prev": sum(r["since_prev"] or 0 for r in mine),
            "s_next": sum(r["until_next"] or 0 for r in mine),
            "s_min": sum(r["gap_min"] or 0 for r in mine),
            "firsts": sum(1 for r in mine if r["since_prev"] is None),
            "lasts": sum(1 for r in mine if r["until_next"] is None),
            "repeat": sum(1 for r in mine if (r["since_prev"] or 0) >= 24),
        }
    return out


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(files=imports, period=st.sampled_from(["2026-09", "2026-10", "2026-11"]))
def test_sequence_columns_match_the_reference(files: list[list[dict[str, Any]]],
                                              period: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        b = oc.org_builder(Path(d))
        b.source("cp", SOURCE)
        b.scheme("s", {"entity": "person", "period": "month", "indicators": [
            {"code": c, "source": "cp", "value": v, "role": "info"} for c, v in CODES.items()]})
        for f in files:
            b.facts("cp", f)
        t = b.run("s", period, save=False)
        ref = _reference(files, period)
        for p in ("P1", "P2"):
            assert {c: col(t, f"v_{c}")[p] for c in CODES} == ref[p], (p, files)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(values=st.fixed_dictionaries({p: st.one_of(st.none(), st.integers(0, 9))
                                     for p in ("P1", "P2", "P4", "P5", "P6")}))
def test_peer_statistics_match_the_reference(values: dict[str, int | None]) -> None:
    stats = ["peer_mean", "peer_min", "peer_max", "peer_count"]
    with tempfile.TemporaryDirectory() as d:
        b = oc.org_builder(Path(d))
        b.source("tx", oc.TX)
        inds: list[dict[str, Any]] = [{"code": "v", "source": "tx", "value": "avg(n)",
                                       "role": "info"}]
        inds += [{"code": s, "value": f"{s}(v)", "role": "info"} for s in stats]
        inds += [{"code": "gs", "value": "group_size", "role": "info"},
                 {"code": "dev", "value": "v - peer_mean(v)", "role": "info"}]
        b.scheme("s", {"entity": "person", "period": "month",
                       "population": {"position": "营业员"}, "peers": ["unit"],
                       "indicators": inds})
        rows = [{"person_id": p, "at": "2026-10-05 10:00", "n": v}
                for p, v in values.items() if v is not None]
        if rows:
            b.facts("tx", rows)
        t = b.run("s", "2026-10", save=False)
    # units on 10-31: P1, P2 at H1; P4 at H2; P5, P6 at H3
    groups = {"P1": ["P1", "P2"], "P2": ["P1", "P2"], "P4": ["P4"], "P5": ["P5", "P6"],
              "P6": ["P5", "P6"]}
    for p, mates in groups.items():
        def group_values(code: str, _m: list[str] = mates) -> list[F | None]:
            return [None if (x := values[m]) is None else F(x) for m in _m]

        for s in stats:
            expected = peer(s, "v")(group_values)
            assert col(t, f"v_{s}")[p] == (None if expected is None else float(expected)), (p, s)
        assert col(t, "v_gs")[p] == len(mates)
        mean = peer("peer_mean", "v")(group_values)
        own = values[p]
        dev = None if own is None or mean is None else float(own - mean)
        assert col(t, "v_dev")[p] == dev, p
