"""The example scheme of spec §4, verbatim, on a small hand-computed month.

Standard org: H1 = P1 P2 P3, H2 = P4 P5, H3 = P6 (clerks), M1 manager. October facts:

    clerk  txns  tickets (on time)  hall deductions  praises  complaints
    P1     250   50 (49) → 0.98     H1: 1.5 + 0.5    3        —
    P2     300   20 (19) → 0.95     H1               1        一般
    P3     150   10 (9)  → 0.90     H1               —        重大
    P4     0     none (full)        H2: none         10       —
    P5     330   10 (8)  → 0.80     H2               —        —
    P6     60    none (full)        H3: 40           —        —

August and September have no facts: every clerk scores 0 + 30 (on_time full) + 30 = 60, so
all are tied and all are in the bottom 1 of their hall.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from wsbuilder import ENGINES, WsBuilder, col

Table = pd.DataFrame
SPEC = Path("/work/shared/spec/SCHEMES.md")

SCHEME = """\
name: 营业员星级考核
entity: person                  # person | unit
period: month                   # day | month | quarter | year
population: {position: 营业员}   # attribute filters (kind, position, any attribute); optional
peers: [unit]                   # peer group for ranks and relative rules; optional (= everyone)
indicators:
  - code: volume
    name: 业务办理量
    source: transactions
    value: count(*)
    weight: 40
    score: {rule: linear, floor: 0, target: 300}
  - code: on_time
    name: 工单及时率
    source: tickets
    value: count(*) filter (where closed_at <= due_at) / count(*)
    weight: 30
    missing: full
    score: {rule: steps, steps: [[0.98, 1.0], [0.95, 0.8], [0.90, 0.6]]}
  - code: inspection
    name: 明查暗访扣分
    source: inspections
    value: sum(deduction)
    weight: 30
    score: {rule: deduct, per: 1}
  - code: praise
    name: 表扬加分
    source: praises
    value: count(*)
    role: bonus
    score: {per: 2, cap: 5}
  - code: major_complaint
    name: 重大投诉
    source: complaints
    value: count(*) filter (where severity = '重大')
    role: veto
grades: [[95, 五星], [85, 四星], [75, 三星], [60, 二星], [0, 一星]]
elimination: {bottom: 1, consecutive: 3}
payout: {base: 1000, coefficient: {五星: 1.5, 四星: 1.2, 三星: 1.0, 二星: 0.6, 一星: 0}}
"""

TRANSACTIONS = """\
name: transactions
title: 业务办理明细
time: at                     # the column that places a fact in a period (date or datetime)
person: person_id            # optional: column naming a person
unit: unit_id                # optional: column naming a unit (at least one of person/unit)
key: [txn_id]                # optional: unique key; a duplicate is an import error
columns:
  txn_id:    {type: string}
  person_id: {type: string, aliases: [营业员工号]}
  unit_id:   {type: string, aliases: [营业厅编码]}
  at:        {type: datetime, aliases: [办理时间]}
  biz_type:  {type: string, aliases: [业务类型]}
  amount:    {type: decimal, aliases: [金额]}
"""
OTHER_SOURCES: dict[str, dict[str, Any]] = {
    "tickets": {"time": "created_at", "person": "person_id", "columns": {
        "person_id": "string", "created_at": "datetime", "closed_at": "datetime",
        "due_at": "datetime"}},
    "inspections": {"time": "day", "unit": "unit_id", "columns": {
        "unit_id": "string", "day": "date", "deduction": "decimal"}},
    "praises": {"time": "at", "person": "person_id", "columns": {
        "person_id": "string", "at": "datetime"}},
    "complaints": {"time": "at", "person": "person_id", "columns": {
        "person_id": "string", "at": "datetime", "severity": "string"}},
}
HALL = {"P1": "H1", "P2": "H1", "P3": "H1", "P4": "H2", "P5": "H2", "P6": "H3"}
AT = "2026-10-12 10:00:00"


def _tickets(person: str, n: int, on_time: int) -> list[dict[str, Any]]:
    return [{"person_id": person, "created_at": AT, "due_at": "2026-10-13 10:00:00",
             "closed_at": "2026-10-13 09:00:00" if i < on_time else "2026-10-13 11:00:00"}
            for i in range(n)]


def _build(b: WsBuilder) -> None:
    b.standard_org()
    (b.root / "sources/transactions.yaml").write_text(TRANSACTIONS, encoding="utf-8")
    for name, spec in OTHER_SOURCES.items():
        b.source(name, spec)
    b.scheme("clerk_star", SCHEME)
    txns = [{"txn_id": f"{p}-{i}", "person_id": p, "unit_id": HALL[p], "at": AT,
             "biz_type": "开户", "amount": "10.5"}
            for p, n in {"P1": 250, "P2": 300, "P3": 150, "P5": 330, "P6": 60}.items()
            for i in range(n)]
    b.facts("transactions", txns)
    b.facts("tickets", _tickets("P1", 50, 49) + _tickets("P2", 20, 19) + _tickets("P3", 10, 9)
            + _tickets("P5", 10, 8))
    b.facts("inspections", [{"unit_id": "H1", "day": "2026-10-03", "deduction": 1.5},
                            {"unit_id": "H1", "day": "2026-10-20", "deduction": 0.5},
                            {"unit_id": "H3", "day": "2026-10-20", "deduction": 40}])
    b.facts("praises", [{"person_id": p, "at": AT} for p, n in {"P1": 3, "P2": 1, "P4": 10}.items()
                        for _ in range(n)])
    b.facts("complaints", [{"person_id": "P2", "at": AT, "severity": "一般"},
                           {"person_id": "P3", "at": AT, "severity": "重大"}])


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> WsBuilder:
    b = WsBuilder(tmp_path_factory.mktemp("spec"))
    _build(b)
    for month in ("2026-08", "2026-09"):
        t = b.run("clerk_star", month)
        assert set(col(t, "total").values()) == {60.0}
    return b


@pytest.fixture(scope="module", params=ENGINES)
def october(request: pytest.FixtureRequest, history: WsBuilder) -> Table:
    return history.run("clerk_star", "2026-10", request.param, save=False)


def test_scheme_text_is_the_spec_example() -> None:
    if not SPEC.exists():
        pytest.skip("spec not available")
    assert SCHEME.replace("\n", "") in SPEC.read_text(encoding="utf-8").replace("\n", "")


def test_points(october: Table) -> None:
    # volume 40 × v/300: 250 → 33.33, 300 → 40, 150 → 20, 0 → 0, 330 → 40 (clamped), 60 → 8
    assert col(october, "p_volume") == {
        "P1": 33.33, "P2": 40.0, "P3": 20.0, "P4": 0.0, "P5": 40.0, "P6": 8.0}
    # on_time steps: .98 → 30, .95 → 24, .90 → 18, no tickets (full) → 30, .8 → 0
    assert col(october, "p_on_time") == {
        "P1": 30.0, "P2": 24.0, "P3": 18.0, "P4": 30.0, "P5": 0.0, "P6": 30.0}
    # inspection: the hall's deductions for every clerk: H1 30 − 2, H2 30 − 0, H3 30 − min(30, 40)
    assert col(october, "p_inspection") == {
        "P1": 28.0, "P2": 28.0, "P3": 28.0, "P4": 30.0, "P5": 30.0, "P6": 0.0}
    # praise: min(5, 2 × v)
    assert col(october, "p_praise") == {
        "P1": 5.0, "P2": 2.0, "P3": 0.0, "P4": 5.0, "P5": 0.0, "P6": 0.0}


def test_totals_grades_payouts(october: Table) -> None:
    # P1 33.333… + 30 + 28 + 5 = 96.33; P2 40 + 24 + 28 + 2 = 94; P3 vetoed (66 → 0);
    # P4 0 + 30 + 30 + 5 = 65; P5 40 + 0 + 30 = 70; P6 8 + 30 + 0 = 38
    assert col(october, "total") == {
        "P1": 96.33, "P2": 94.0, "P3": 0.0, "P4": 65.0, "P5": 70.0, "P6": 38.0}
    assert col(october, "grade") == {
        "P1": "五星", "P2": "四星", "P3": "一星", "P4": "二星", "P5": "二星", "P6": "一星"}
    assert col(october, "payout") == {
        "P1": 1500.0, "P2": 1200.0, "P3": 0.0, "P4": 600.0, "P5": 600.0, "P6": 0.0}
    assert col(october, "vetoed") == {
        "P1": False, "P2": False, "P3": True, "P4": False, "P5": False, "P6": False}


def test_ranks_and_elimination(october: Table) -> None:
    assert col(october, "rank") == {"P1": 1, "P2": 2, "P3": 3, "P5": 1, "P4": 2, "P6": 1}
    # bottom of its hall in Aug, Sep (all tied) and Oct: P3, P4, P6
    assert col(october, "eliminate") == {
        "P1": False, "P2": False, "P3": True, "P4": True, "P5": False, "P6": True}
