"""The what-if's columnar comparison (engine/whatif.py): the joined frame, movers, per-group
table, payout sums to the fen and the two histograms, against hand-computed values.

Standard org, peers unit; one indicator vol = sum(n) of tx, linear 0..100, weight 100, so the
total is vol. Stored: grades [[50, 优], [0, 差]]; payout lines 星级奖 (10 × {优: 1}) and 量奖
(vol yuan). After the stored run of 2026-10 the org changes: P5 left on 2026-09-30 (gone from
the population) and 店长 M1 became a 营业员 of H1 (new). The draft lowers 优 to 30.

    person hall  vol     stored            draft
    P1     H1    40.10   差  40.10         优  50.10   grade up
    P2     H1    60.20   优  70.20         优  70.20
    P3     H1     0.30   差   0.30         差   0.30
    P4     H2    20.00   差  20.00         差  20.00
    P5     H2    55.55   优  65.55         —            gone (移出)
    P6     H3     0.10   差   0.10         差   0.10
    M1     H1    33.33   —                 优  43.33   new (新增)

Payout sums: 196.25 → 184.03 yuan (as floats, 40.10 + 70.20 + … is not exact); per group
城东厅 110.60 → 163.93, 城西厅 85.55 → 20.00, 西县厅 0.10 → 0.10.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from wsbuilder import STANDARD_ASSIGNMENTS, WsBuilder, dump_yaml, person_scheme, scored

from kaohe.engine.whatif import WhatIf, to_fen, what_if
from kaohe.report.whatif import entity_rows, group_rows, histogram, payout_histogram
from kaohe.scheme.loader import parse_scheme

VOL = {"P1": "40.10", "P2": "60.20", "P3": "0.30", "P4": "20.00", "P5": "55.55",
       "P6": "0.10", "M1": "33.33"}
HALL = {"P1": "H1", "P2": "H1", "P3": "H1", "P4": "H2", "P5": "H2", "P6": "H3", "M1": "H1"}


def scheme(best: float) -> dict:
    return person_scheme(
        [scored("vol", "sum(n)", 100, {"rule": "linear", "floor": 0, "target": 100})],
        peers=["unit"], grades=[[best, "优"], [0, "差"]],
        payout=[{"name": "星级奖", "base": 10, "coefficient": {"优": 1}},
                {"name": "量奖", "amount": "vol"}])


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory) -> WhatIf:
    b = WsBuilder(tmp_path_factory.mktemp("whatif_frame")).standard_org().standard_sources()
    b.scheme("m", scheme(50))
    b.facts("tx", [{"person_id": p, "unit_id": HALL[p], "at": "2026-10-10 10:00:00", "n": n}
                   for p, n in VOL.items()])
    b.run("m", "2026-10")
    moved = [a for a in STANDARD_ASSIGNMENTS if a[0] not in ("P5", "M1")]
    b.assignments([*moved, ("P5", "H2", "营业员", "2026-01-01", "2026-09-30"),
                   ("M1", "H1", "营业员", "2026-01-01", "")])
    draft = parse_scheme(dump_yaml({"name": "m", **scheme(30)}), "m")
    return what_if(b.workspace(), "m", draft, "2026-10")


def test_rows_of_the_frame_keep_entities_new_and_gone(w: WhatIf) -> None:
    f = w.frame
    # ordered by period, group, entity id; 城东厅 < 城西厅 < 西县厅 by code point
    assert list(zip(f["group"], f["entity_id"], strict=True)) == [
        ("城东厅", "M1"), ("城东厅", "P1"), ("城东厅", "P2"), ("城东厅", "P3"),
        ("城西厅", "P4"), ("城西厅", "P5"), ("西县厅", "P6")]
    by = f.set_index("entity_id")
    assert (bool(by.loc["P5", "o_in"]), bool(by.loc["P5", "n_in"])) == (True, False)
    assert (bool(by.loc["M1", "o_in"]), bool(by.loc["M1", "n_in"])) == (False, True)
    assert by.loc["P5", "name"] == "孙八" and by.loc["M1", "name"] == "赵经理"
    assert int(by.loc["P5", "d_fen"]) == -6555 and int(by.loc["M1", "d_fen"]) == 4333
    assert int(by.loc["P1", "o_fen"]) == 4010 and int(by.loc["P1", "n_fen"]) == 5010
    assert len(w.changes) == 7  # known without building the objects


def test_movers_and_changes(w: WhatIf) -> None:
    assert [c.entity_id for c in w.grade_moves(up=True)] == ["P1"]
    assert w.grade_moves(up=False) == []  # P5 and M1 are not in both runs
    assert [(c.entity_id, c.payout_delta()) for c in w.payout_movers()] == [
        ("P5", Decimal("-65.55")), ("M1", Decimal("43.33")), ("P1", Decimal("10.00"))]
    by = {c.entity_id: c for c in w.changes}
    p5, m1, p1 = by["P5"], by["M1"], by["P1"]
    assert p5.new is None and p5.old is not None
    assert (p5.group, p5.old.group, p5.old.grade) == ("城西厅", "城西厅", "优")
    assert p5.old.lines == {"星级奖": Decimal("10.00"), "量奖": Decimal("55.55")}
    assert m1.old is None and m1.new is not None and m1.new.payout == Decimal("43.33")
    assert p1.old is not None and p1.new is not None
    assert (p1.old.grade, p1.new.grade, p1.total_delta()) == ("差", "优", 0.0)
    # 城东厅 by total: P2 60.20, P1 40.10, then the newcomer M1 33.33
    assert (p1.old.rank, p1.new.rank, m1.new.rank) == (2, 2, 3)


def test_group_distributions_and_payout_sums_exact_to_the_fen(w: WhatIf) -> None:
    assert w.payout_sums() == (Decimal("196.25"), Decimal("184.03"))
    sums = {g.group: (g.before, g.after, g.payout_before, g.payout_after) for g in w.groups}
    assert sums == {
        "城东厅": ({"优": 1, "差": 2}, {"优": 3, "差": 1}, Decimal("110.60"), Decimal("163.93")),
        "城西厅": ({"优": 1, "差": 1}, {"差": 1}, Decimal("85.55"), Decimal("20.00")),
        "西县厅": ({"差": 1}, {"差": 1}, Decimal("0.10"), Decimal("0.10")),
    }
    head, rows = group_rows(w)
    assert head == ["期间", "对标组", "优·原", "优·新", "差·原", "差·新", "原兑现合计",
                    "新兑现合计", "兑现变化"]
    assert rows[1] == ["2026-10", "城西厅", 1, 0, 1, 1, 85.55, 20.0, -65.55]


def test_entity_rows_say_new_and_gone(w: WhatIf) -> None:
    head, rows = entity_rows(w)
    by = {r[1]: dict(zip(head, r, strict=True)) for r in rows}
    assert by["P5"]["说明"] == "移出" and by["P5"]["新兑现"] is None
    assert by["P5"]["原·量奖"] == 55.55 and by["P5"]["兑现变化"] == -65.55
    assert by["M1"]["说明"] == "新增" and by["M1"]["原等级"] is None
    assert by["M1"]["新·星级奖"] == 10.0 and by["P1"]["说明"] == ""


def test_histograms_of_totals_and_of_payouts(w: WhatIf) -> None:
    # the draft moves no totals: the five clerks in both runs change by 0 — one bar
    assert histogram(w) == {"labels": ["+0.00"], "counts": [5]}
    # payout changes −65.55, +43.33, +10 and four 0: 20 bins of (43.33 + 65.55) / 20 yuan
    h = payout_histogram(w)
    counts = [0] * 20
    counts[0], counts[12], counts[13], counts[19] = 1, 4, 1, 1
    assert h["counts"] == counts
    assert h["labels"][0] == "-65.55…-60.11" and h["labels"][19] == "+37.89…+43.33"


def test_to_fen_rounds_half_up_as_written() -> None:
    fen, missing = to_fen(np.array([0.125, 1.005, -0.125, 0.285, np.nan, 19.99, 0.1 + 0.2]))
    assert fen[~missing].tolist() == [13, 101, -13, 29, 1999, 30]
    assert missing.tolist() == [False] * 4 + [True] + [False] * 2


def test_no_stored_run_every_entity_is_new(tmp_path: Path) -> None:
    b = WsBuilder(tmp_path).standard_org().standard_sources()
    b.scheme("m", scheme(50))
    b.facts("tx", [{"person_id": "P1", "unit_id": "H1", "at": "2026-10-10 10:00:00",
                    "n": "12.34"}])
    draft = parse_scheme(dump_yaml({"name": "m", **scheme(30)}), "m")
    w = what_if(b.workspace(), "m", draft, "2026-10")
    assert w.baseline == {"2026-10": None}
    assert len(w.frame) == 6 and not w.frame["o_in"].any()
    assert w.payout_sums() == (Decimal("0.00"), Decimal("12.34"))
    assert histogram(w) == {"labels": [], "counts": []}


def test_elimination_streak_counts_stored_runs_before_the_range_and_the_drafts_own(
        tmp_path: Path) -> None:
    """Bottom 1 twice in a row eliminates. P3 is last in every month (P1 50, P2 40, P3 5,
    P4 30, P5 20, P6 10). Stored: 2026-08 only. The draft (another weight) over 2026-09..10:
    in 09 the streak counts the stored 08 (P3 eliminated), in 10 the draft's own 09 (again);
    there are no stored runs of 09 and 10, so both are entries into the list."""
    def spec(weight: float) -> dict:
        return person_scheme(
            [scored("vol", "sum(n)", weight, {"rule": "linear", "floor": 0, "target": 100},
                    source="pz")],
            grades=[[0, "合格"]], elimination={"bottom": 1, "consecutive": 2})

    b = WsBuilder(tmp_path).standard_org().standard_sources()
    b.scheme("m", spec(100))
    n = {"P1": 50, "P2": 40, "P3": 5, "P4": 30, "P5": 20, "P6": 10}
    b.facts("pz", [{"person_id": p, "at": f"2026-{m}-10 10:00:00", "n": v}
                   for m in ("08", "09", "10") for p, v in n.items()])
    b.run("m", "2026-08")
    draft = parse_scheme(dump_yaml({"name": "m", **spec(90)}), "m")
    w = what_if(b.workspace(), "m", draft, "2026-09..2026-10")
    assert w.baseline == {"2026-09": None, "2026-10": None}
    assert [(c.period, c.entity_id) for c in w.entered_elimination()] == [
        ("2026-09", "P3"), ("2026-10", "P3")]
    assert w.left_elimination() == []
