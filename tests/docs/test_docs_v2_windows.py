"""The examples of docs/scheme-language.md, "Version 2: windows, earlier periods, weighted
ratings, working days", run as written: every block marked ``<!-- file: PATH -->`` becomes
that file of a workspace, facts are imported, and the numbers the chapter computes by hand
are checked."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))
from wsbuilder import WsBuilder, col  # noqa: E402

DOC = Path(__file__).parents[2] / "docs" / "scheme-language.md"
HEADING = "## Version 2: windows, earlier periods, weighted ratings, working days"
BLOCK = re.compile(r"<!-- file: (?P<path>[^ ]+) -->\n```[a-z]*\n(?P<body>.*?)```", re.S)


def chapter() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(HEADING)
    end = text.find("\n## ", start + len(HEADING))
    return text[start:] if end < 0 else text[start:end]


def doc_files() -> dict[str, str]:
    return {m["path"]: m["body"] for m in BLOCK.finditer(chapter())}


def test_the_chapter_has_every_example() -> None:
    assert set(doc_files()) == {
        "sources/usage.yaml", "schemes/zero_use.yaml", "sources/line_loss.yaml",
        "schemes/line_loss.yaml", "schemes/zero_use_halls.yaml", "sources/ratings.yaml",
        "schemes/channel_rating.yaml", "org/calendar.csv", "sources/expansion.yaml",
        "schemes/expansion.yaml"}


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> WsBuilder:
    b = WsBuilder(tmp_path_factory.mktemp("docs_v2w"))
    b.units([("R", "市公司", "市公司", ""), ("C1", "东县", "县公司", "R"),
             ("H1", "城东营业厅", "营业厅", "C1"), ("H2", "城西营业厅", "营业厅", "C1"),
             ("S1", "东关供电所", "供电所", "C1"), ("S2", "西关供电所", "供电所", "C1"),
             ("A1", "一号合作厅", "合作厅", "C1"), ("A2", "二号合作厅", "合作厅", "C1")])
    b.people([("M1", "张经理"), ("M2", "李经理"), ("M3", "王经理")])
    b.assignments([("M1", "H1", "客户经理", "2025-01-01", ""),
                   ("M2", "H1", "客户经理", "2025-01-01", ""),
                   ("M3", "H2", "客户经理", "2025-01-01", "")])
    for path, body in doc_files().items():
        (b.root / path).parent.mkdir(parents=True, exist_ok=True)
        (b.root / path).write_text(body, encoding="utf-8")
    usage = [("c1", "M1", m, 0) for m in ("08", "09", "10")]
    usage += [("c2", "M1", "08", 10), ("c2", "M1", "09", 0), ("c2", "M1", "10", 0),
              ("c3", "M1", "10", 5), ("c4", "M1", "07", 100), ("c5", "M2", "08", 20),
              ("c5", "M2", "09", 30), ("c5", "M2", "10", 40), ("c6", "M3", "10", 0)]
    b.facts("usage", [{"customer_id": c, "manager_id": m, "bill_month": f"2026-{mo}-01",
                       "minutes": n, "mb": 0} for c, m, mo, n in usage])
    loss = [("S1", "2026-09-30", 1000, 920), ("S1", "2026-10-31", 1000, 950),
            ("S1", "2025-10-31", 1000, 900), ("S2", "2026-09-30", 2000, 1900),
            ("S2", "2026-10-31", 2000, 1880)]
    b.facts("line_loss", [{"area_id": f"T-{s}", "station_id": s, "day": d, "supplied": a,
                           "sold": o} for s, d, a, o in loss])
    ratings = [("A1", "公司", 90), ("A1", "合作方", 80), ("A1", "用户", 70), ("A1", "用户", 90),
               ("A2", "公司", 70), ("A2", "用户", 90)]
    b.facts("ratings", [{"outlet_id": o, "rated_on": "2026-10-20", "rater_role": r,
                         "score": s} for o, r, s in ratings])
    apps = [("X1", "2026-09-28 09:00:00", "2026-10-16 10:00:00", "2026-10-23 10:00:00",
             "2026-10-30 10:00:00"),
            ("X2", "2026-10-08 09:00:00", "2026-10-29 10:00:00", "2026-10-30 09:00:00",
             "2026-10-30 15:00:00")]
    b.facts("expansion", [{"app_id": a, "manager_id": "M1", "accepted_at": acc,
                           "plan_at": p, "check_at": c, "connected_at": con}
                          for a, acc, p, c, con in apps])
    return b


def test_zero_use_customers_over_three_months(ws: WsBuilder) -> None:
    t = ws.run("zero_use", "2026-10", save=False)
    assert col(t, "v_customers")["M1"] == 3 and col(t, "v_zero_use")["M1"] == 1
    assert col(t, "p_zero_share")["M1"] == 33.33 and col(t, "total")["M1"] == 31.33
    # M2: one customer with use every month: share 0 → 100; M3: c6 all zero → 0 − 2 → 0
    assert col(t, "total")["M2"] == 100 and col(t, "total")["M3"] == 0


def test_line_loss_with_month_on_month_and_year_on_year(ws: WsBuilder) -> None:
    t = ws.run("line_loss", "2026-10", save=False)
    assert col(t, "v_loss_rate") == {"S1": pytest.approx(0.05), "S2": pytest.approx(0.06)}
    assert col(t, "v_improvement")["S1"] == pytest.approx(0.03)
    assert col(t, "v_improvement")["S2"] == pytest.approx(-0.01)
    assert col(t, "total") == {"S1": 76.0, "S2": 36.0}
    assert col(t, "v_yoy")["S1"] == pytest.approx(-0.05) and col(t, "v_yoy")["S2"] is None


def test_results_window_counts_distinct_managers(ws: WsBuilder) -> None:
    for month in ("2026-08", "2026-09", "2026-10"):
        ws.run("zero_use", month)
    t = ws.run("zero_use_halls", "2026-10", save=False)
    # H1: M1 below 60 in all three months (31.33), M2 never (100); H2: M3 (0) three times
    assert col(t, "v_managers_flagged") == {"H1": 1, "H2": 1}
    assert col(t, "v_months_flagged") == {"H1": 3, "H2": 3}


def test_channel_rating_with_a_missing_rater(ws: WsBuilder) -> None:
    t = ws.run("channel_rating", "2026-10", save=False)
    assert col(t, "v_rating")["A1"] == pytest.approx(85)
    assert col(t, "v_rating")["A2"] == pytest.approx(5300 / 70)
    assert col(t, "p_rating") == {"A1": 62.5, "A2": 39.29}


def test_expansion_milestones_in_working_days(ws: WsBuilder) -> None:
    t: Any = ws.run("expansion", "2026-10", save=False)
    assert col(t, "v_on_time")["M1"] == 0.5 and col(t, "p_on_time")["M1"] == 50
    assert col(t, "v_plan_days")["M1"] == 13
    assert col(t, "v_accepted_last_month")["M1"] == 1
