"""Items against the reference (reference_items.py) on seeded random rows: the population,
each item's latest row (with ties on time across files and within a file), the values of
its rows, its rank among peers, and roll-up to persons and units."""

from __future__ import annotations

import random
from datetime import date, datetime
from fractions import Fraction as F
from pathlib import Path
from typing import Any

import pytest

from items_cases import CUST, CUST_ASSIGNMENTS
from reference import RefOrg, round2
from reference_items import entity_window, latest_rows, rollup_person, rollup_unit, rows_of_item
from wsbuilder import STANDARD_PEOPLE, STANDARD_UNITS, WsBuilder, col

PERSONS = [p for p, *_ in STANDARD_PEOPLE]
HALLS = ["H1", "H2", "H3"]
TIMES = [datetime(2026, m, d, h) for m in (7, 8, 9, 10, 11) for d in (1, 15) for h in (0, 9)]
SCHEME = {"entity": {"source": "cust", "key": "customer", "window": 2, "offset": 1},
          "period": "month", "population": {"level": ["a", "b"]}, "peers": ["level"],
          "indicators": [
              {"code": "n", "source": "cust", "value": "count(*)", "weight": 100,
               "score": {"rule": "linear", "floor": 0, "target": 4}},
              {"code": "s", "source": "cust", "value": "sum(amount)", "role": "info"}]}


def _org() -> RefOrg:
    units = {u: {"name": n, "kind": k, "parent_id": p} for u, n, k, p in STANDARD_UNITS}
    people = {p: {"name": n} for p, n, _ in STANDARD_PEOPLE}
    asg = [(p, u, pos, date.fromisoformat(s), date.fromisoformat(e) if e else None)
           for p, u, pos, s, e in CUST_ASSIGNMENTS]
    return RefOrg(units, people, asg)


def _files(seed: int) -> list[list[dict[str, Any]]]:
    rnd = random.Random(seed)
    files = []
    for _ in range(3):
        rows = []
        for _ in range(rnd.randint(20, 60)):
            person = rnd.choice([*PERSONS, None])
            hall = rnd.choice(HALLS) if person is None else rnd.choice([*HALLS, None])
            rows.append({"customer": f"K{rnd.randint(0, 14)}", "manager": person, "hall": hall,
                         "day": rnd.choice(TIMES), "level": rnd.choice("abc"),
                         "amount": rnd.randint(0, 5)})
        files.append(rows)
    return files


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_items_match_the_reference(tmp_path: Path, seed: int) -> None:
    files = _files(seed)
    b = WsBuilder(tmp_path).standard_org().assignments(CUST_ASSIGNMENTS).standard_sources()
    b.source("cust", CUST).scheme("it", SCHEME)
    b.scheme("per", {"entity": "person", "period": "month", "indicators": [
        {"code": "k", "source": "results:it", "value": "count(*)", "role": "info"},
        {"code": "t", "source": "results:it", "value": "sum(total)", "role": "info"}]})
    b.scheme("hall", {"entity": "unit", "period": "month", "indicators": [
        {"code": "k", "source": "results:it", "value": "count(*)", "role": "info"}]})
    for rows in files:
        b.facts("cust", [{**r, "day": r["day"].isoformat(sep=" ")} for r in rows])
    got = b.run("it", "2026-10")

    rows = [r for f in files for r in f]  # the order imported
    start, end = entity_window("month", date(2026, 10, 1), 2, 1)
    assert (start, end) == (date(2026, 8, 1), date(2026, 10, 1))
    latest = {k: r for k, r in latest_rows(rows, "customer", "day", start, end,
                                           date(2026, 11, 1)).items() if r["level"] in "ab"}
    assert sorted(got.index) == sorted(latest)
    assert col(got, "person") == {k: r["manager"] for k, r in latest.items()}
    assert col(got, "unit") == {k: r["hall"] for k, r in latest.items()}
    assert col(got, "g_level") == {k: r["level"] for k, r in latest.items()}
    mine = {k: rows_of_item(rows, "customer", k, "day", date(2026, 10, 1), date(2026, 11, 1))
            for k in latest}
    assert col(got, "v_n") == {k: len(v) for k, v in mine.items()}
    assert col(got, "v_s") == {k: sum(r["amount"] for r in v) for k, v in mine.items()}
    total = {k: round2(100 * min(F(len(v), 4), F(1))) for k, v in mine.items()}
    rank = {k: 1 + sum(1 for o in latest if latest[o]["level"] == latest[k]["level"]
                       and total[o] > total[k]) for k in latest}
    assert col(got, "total") == {k: float(v) for k, v in total.items()}
    assert col(got, "rank") == rank

    owners = {k: (r["manager"], r["hall"]) for k, r in latest.items()}
    per = b.run("per", "2026-10")
    org = _org()
    for p in per.index:
        mine_p = rollup_person(owners, p)
        assert per.loc[p, "v_k"] == len(mine_p), p
        assert per.loc[p, "v_t"] == pytest.approx(float(sum(total[i] for i in mine_p))), p
    hall = b.run("hall", "2026-10")
    assert col(hall, "v_k") == {u: len(rollup_unit(org, owners, u, date(2026, 10, 31)))
                                for u in hall.index}
