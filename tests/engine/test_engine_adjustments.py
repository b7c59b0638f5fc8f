"""Adjustments and run revisions (spec §19): a decided appeal changes a result only through the
engine, so ranks, grades, quotas, elimination and payouts follow. Each case below is one where
re-ranking and re-grading the stored totals alone (the web's old ``runs/ranking.py``) gave a
wrong answer; every expected value is worked out by hand in the comments.

Population: the six clerks P1..P6 of the standard org, one peer group; ``t`` is scored
``linear 0..100`` with weight 100, so an entity's total is its value of t (plus bonus points
where a scheme has them)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from wsbuilder import (
    ENGINES, WsBuilder, avg_of, by_id, col, person_scheme, role, scored, value_rows,
)

from kaohe.engine import adjustments as adjust
from kaohe.engine.revisions import latest_adjustments, read_revision, revisions
from kaohe.engine.run import run_scheme

LIN = {"rule": "linear", "floor": 0, "target": 100}
T = [scored("t", avg_of("t"), 100, LIN)]


def adj(*rows: tuple[str, str, str, Any, str]) -> adjust.Adjustments:
    return adjust.from_records(
        [dict(zip(adjust.COLUMNS, r, strict=True)) for r in rows], "test")


def run(b: WsBuilder, code: str, period: str = "2026-10", engine: str = "duckdb",
        given: adjust.Adjustments | None = None) -> pd.DataFrame:
    out = run_scheme(b.workspace(), code, period, engine=engine, adjustments=given)
    return by_id(out.result.table)


def ts(values: dict[str, float], at: str = "2026-10-10 10:00:00") -> list[dict[str, Any]]:
    return value_rows({p: {"t": v} for p, v in values.items()}, at)


# --- a pool: the split follows the corrected value, to the fen -------------------------------

POOL = person_scheme(T, payout={"pool": 1000})


@pytest.mark.parametrize("engine", ENGINES)
def test_pool_splits_exactly_after_a_corrected_value(tmp_path: Any, engine: str) -> None:
    b = WsBuilder(tmp_path).standard_org().standard_sources().scheme("pool", POOL)
    b.facts("tx", ts({"P1": 40, "P2": 30, "P3": 20, "P4": 10, "P5": 0, "P6": 0}))
    first = run(b, "pool", engine=engine)
    # totals 40 30 20 10 0 0 = 100: shares of 1000 yuan are 400 300 200 100 0 0
    assert col(first, "payout") == {"P1": 400.0, "P2": 300.0, "P3": 200.0, "P4": 100.0,
                                    "P5": 0.0, "P6": 0.0}
    # P5's t was 7, not 0 (a missed transaction). Totals 40 30 20 10 7 0 = 107; in fen,
    # 100000 × t / 107: P1 37383.18, P2 28037.38, P3 18691.59, P4 9345.79, P5 6542.06;
    # floors add up to 99998, the 2 fen left go to the largest remainders, P4 (.79) and
    # P3 (.59). Re-ranking alone kept the old split: P5 unpaid, 1000 yuan over 4 people.
    second = run(b, "pool", engine=engine, given=adj(("P5", "t", "value", "7", "漏记业务")))
    assert col(second, "payout") == {"P1": 373.83, "P2": 280.37, "P3": 186.92, "P4": 93.46,
                                     "P5": 65.42, "P6": 0.0}
    assert round(sum(col(second, "payout").values()), 2) == 1000.0
    assert col(second, "v_t")["P5"] == 7.0 and col(second, "rank")["P5"] == 5
    if engine == "duckdb":
        revs = revisions(b.workspace().store, "pool", "2026-10")
        assert [(r.revision, r.adjustments, r.latest) for r in revs] == [
            (1, 0, False), (2, 1, True)]


# --- a quota (强制分布): another clerk loses the grade ----------------------------------------

QUOTA = person_scheme(T, grades=[[80, "A", "34%"], [60, "B"], [0, "C"]])


def test_quota_shifts_to_the_next_clerk(tmp_path: Any) -> None:
    b = WsBuilder(tmp_path).standard_org().standard_sources().scheme("q", QUOTA)
    b.facts("tx", ts({"P1": 95, "P2": 90, "P3": 85, "P4": 70, "P5": 60, "P6": 50}))
    first = run(b, "q")
    # A holds floor(34% × 6) = 2: P1 95 and P2 90; P3 85 meets A's min but goes to B
    assert col(first, "grade") == {"P1": "A", "P2": "A", "P3": "B", "P4": "B", "P5": "B",
                                   "P6": "C"}
    # +10 points for P3: 95 ties P1; the tie group {P1, P3} fills A, P2 (90) drops to B.
    # Re-grading by min alone gave three A (P1, P2, P3), over the quota.
    second = run(b, "q", given=adj(("P3", "t", "points", "10", "复核加分")))
    assert col(second, "grade") == {"P1": "A", "P2": "B", "P3": "A", "P4": "B", "P5": "B",
                                    "P6": "C"}
    assert col(second, "rank") == {"P1": 1, "P2": 3, "P3": 1, "P4": 4, "P5": 5, "P6": 6}
    assert col(second, "total")["P3"] == 95.0


# --- elimination: the next period's streak reads the latest revision -------------------------

ELIM = person_scheme(T, elimination={"bottom": 1, "consecutive": 2})


def test_elimination_streak_reads_the_latest_revision(tmp_path: Any) -> None:
    b = WsBuilder(tmp_path).standard_org().standard_sources().scheme("e", ELIM)
    b.facts("tx", ts({"P1": 90, "P2": 80, "P3": 70, "P4": 60, "P5": 50, "P6": 40},
                     "2026-09-10 10:00:00"))
    b.facts("tx", ts({"P1": 90, "P2": 80, "P3": 70, "P4": 60, "P5": 50, "P6": 40}))
    sept = run(b, "e", "2026-09")
    assert col(sept, "bottom")["P6"] is True
    # the September appeal: P6 +15 → 55, so P5 (50) is September's bottom, not P6
    sept2 = run(b, "e", "2026-09", given=adj(("P6", "", "points", "15", "申诉")))
    assert {e for e, v in col(sept2, "bottom").items() if v} == {"P5"}
    # October: P6 (40) is bottom again. Its September bottom was undone by the appeal, so no
    # streak: nobody is eliminated. The web's re-ranker changed only its own copy of
    # September, and the engine still eliminated P6.
    octo = run(b, "e", "2026-10")
    assert col(octo, "bottom")["P6"] is True
    assert not any(col(octo, "eliminate").values())
    # without the appeal (a revision without adjustments), P6 is eliminated again
    run(b, "e", "2026-09", given=adjust.NONE)
    assert col(run(b, "e", "2026-10"), "eliminate")["P6"] is True


# --- the case: raised to 三星 by an appeal, paid as every 三星 ----------------------

STARS = person_scheme(T, grades=[[90, "五星"], [80, "四星"], [70, "三星"], [60, "二星"],
                                 [0, "一星"]],
                      payout={"base": 1000, "coefficient": {"五星": 1.2, "四星": 1, "三星": 0.8,
                                                            "二星": 0.48}})


def test_raised_to_three_stars_is_paid_as_three_stars(tmp_path: Any) -> None:
    b = WsBuilder(tmp_path).standard_org().standard_sources().scheme("star", STARS)
    b.facts("tx", ts({"P1": 92, "P2": 72, "P3": 65, "P4": 85, "P5": 75, "P6": 50}))
    first = run(b, "star")
    assert (col(first, "grade")["P3"], col(first, "payout")["P3"]) == ("二星", 480.0)  # 1000×0.48
    # the appeal corrects P3's t from 65 to 74: total 74 → 三星 → 1000 × 0.8 = 800, as P2 (72)
    # and P5 (75). The web's re-grade said 三星 and still paid 480.
    second = run(b, "star", given=adj(("P3", "t", "value", "74", "漏计 9 笔")))
    assert col(second, "grade") == {"P1": "五星", "P2": "三星", "P3": "三星", "P4": "四星",
                                    "P5": "三星", "P6": "一星"}
    assert col(second, "payout") == {"P1": 1200.0, "P2": 800.0, "P3": 800.0, "P4": 1000.0,
                                     "P5": 800.0, "P6": 0.0}


# --- points: after caps, before the floor at 0 ------------------------------------------------

CAPPED = person_scheme([*T, role("x", avg_of("x"), "bonus", score={"per": 1})],
                       caps={"bonus": 5})


def test_points_after_caps_and_before_the_floor(tmp_path: Any) -> None:
    b = WsBuilder(tmp_path).standard_org().standard_sources().scheme("cap", CAPPED)
    b.facts("tx", value_rows({"P1": {"t": 50, "x": 8}, "P2": {"t": 3}, "P3": {"t": 20.004}}))
    got = run(b, "cap", given=adj(("P1", "x", "points", "2", "a"), ("P2", "", "points", "-5", "b"),
                                   ("P3", "", "points", "0.001", "c"), ("P1", "", "points", "1", "d")))
    # P1: 50 + min(5, 8) = 55, then +2 +1 → 58 (not min(5, 8 + 2) + 1 = 56)
    # P2: 3 − 5 = −2 → floored to 0; P3: 20.004 + 0.001 = 20.005 → rounded once to 20.01
    assert col(got, "total") == {"P1": 58.0, "P2": 0.0, "P3": 20.01, "P4": 0.0, "P5": 0.0,
                                 "P6": 0.0}


# --- revisions: numbering, JSON, keeping, dropping, reading back ------------------------------

def test_revisions_keep_and_read_back(tmp_path: Any) -> None:
    b = WsBuilder(tmp_path).standard_org().standard_sources().scheme("star", STARS)
    b.facts("tx", ts({"P1": 92, "P2": 72, "P3": 65, "P4": 85, "P5": 75, "P6": 50}))
    ws = b.workspace()
    r1 = run_scheme(ws, "star", "2026-10").result
    r2 = run_scheme(ws, "star", "2026-10",
                    adjustments=adj(("P3", "t", "value", "74", "漏计"))).result
    r3 = run_scheme(ws, "star", "2026-10").result  # keeps revision 2's adjustment
    r4 = run_scheme(ws, "star", "2026-10", adjustments=adjust.NONE).result
    assert [r.revision for r in (r1, r2, r3, r4)] == [1, 2, 3, 4]
    j2 = r2.to_json_dict()
    assert j2["revision"] == 2
    p3 = next(e for e in j2["entities"] if e["id"] == "P3")
    assert p3["adjustments"] == [{"code": "t", "kind": "value", "amount": 74.0,
                                  "reason": "漏计"}]
    assert all("adjustments" not in e for e in j2["entities"] if e["id"] != "P3")
    assert col(by_id(r3.table), "payout")["P3"] == 800.0  # kept
    assert col(by_id(r4.table), "payout")["P3"] == 480.0  # dropped
    assert latest_adjustments(ws.store, "star", "2026-10").rows == ()
    # every revision stays readable; revision 2 as it was computed
    back = read_revision(ws.store, "star", "2026-10", 2)
    assert (back["revision"], back["run_id"], back["latest"]) == (2, r2.run_id, False)
    b3 = {e["id"]: e for e in back["entities"]}["P3"]
    assert (b3["grade"], b3["payout"], b3["adjustments"][0]["amount"]) == ("三星", 800.0, 74.0)
    b1 = {e["id"]: e for e in read_revision(ws.store, "star", "2026-10", 1)["entities"]}
    assert (b1["P3"]["grade"], b1["P3"]["payout"], "adjustments" in b1["P3"]) == (
        "二星", 480.0, False)
    assert read_revision(ws.store, "star", "2026-10")["revision"] == 4


def test_unknown_entity_or_code_stores_nothing(tmp_path: Any) -> None:
    b = WsBuilder(tmp_path).standard_org().standard_sources().scheme("star", STARS)
    b.facts("tx", ts({"P1": 92, "P2": 72}))
    ws = b.workspace()
    bad = adj(("P1", "t", "value", "80", "ok"), ("PX", "t", "points", "1", "who"),
              ("P2", "nope", "value", "1", "what"), ("P2", "t", "bump", "1", ""),
              ("P2", "t", "points", "abc", ""), ("M1", "", "points", "1", "not a clerk"),
              ("P1", "t", "value", "81", "twice"))
    with pytest.raises(adjust.AdjustmentError) as err:
        run_scheme(ws, "star", "2026-10", adjustments=bad)
    text = str(err.value)
    # rows are numbered as in a file whose header is row 1: the 2nd data row is row 3
    for piece in ("第 3 行", "'PX'", "第 4 行", "'nope'", "第 5 行", "'bump'", "第 6 行", "'abc'",
                  "第 7 行", "'M1'", "第 8 行", "row 2"):
        assert piece in text, piece
    assert len(err.value.problems) == 6
    assert revisions(ws.store, "star", "2026-10") == []
