"""The examples of docs/scheme-language.md's chapter "Version 2: rows without a unit, sequence
columns, more names in formulas" run as written: every ```yaml block there that starts with
``# sources/NAME.yaml`` or ``# schemes/NAME.yaml`` is written into a workspace unchanged, facts
are imported, and the results are the hand-computed values below."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wsbuilder import WsBuilder, col

DOC = Path(__file__).parents[2] / "docs" / "scheme-language.md"
CHAPTER = "## Version 2: rows without a unit, sequence columns, more names in formulas"

UNITS = [
    ("R", "市公司", "市公司", ""), ("C1", "东县分公司", "县公司", "R"),
    ("C2", "西县分公司", "县公司", "R"), ("H1", "城东营业厅", "自营厅", "C1"),
    ("H2", "城西营业厅", "合作厅", "C1"), ("S1", "东关供电所", "供电所", "C1"),
    ("S2", "西关供电所", "供电所", "C2"),
]
PEOPLE = [("P1", "张三"), ("P2", "李四"), ("P3", "王五"), ("P4", "钱七"), ("A1", "赵六"),
          ("A2", "孙八")]
ASSIGNMENTS = [
    ("P1", "H1", "营业员", "2026-01-01", ""), ("P2", "H1", "营业员", "2026-01-01", ""),
    ("P3", "H1", "营业员", "2026-01-01", ""), ("P4", "H2", "营业员", "2026-01-01", ""),
    ("A1", "S1", "台区经理", "2026-01-01", ""),
    ("A2", "H1", "营业员", "2026-01-01", "2026-10-14"),
    ("A2", "S1", "台区经理", "2026-10-15", ""),
]
TRANSACTIONS = """\
name: transactions
time: at
person: person_id
unit: unit_id
columns:
  person_id: {type: string}
  unit_id: {type: string}
  at: {type: datetime}
"""


def _chapter_files() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    chapter = text[text.index(CHAPTER):]
    chapter = chapter[:chapter.index("\n## ", len(CHAPTER))]
    files: dict[str, str] = {}
    for block in re.findall(r"```yaml\n(.*?)```", chapter, flags=re.S):
        first = block.splitlines()[0]
        m = re.match(r"# ((?:sources|schemes)/\w+\.yaml)$", first)
        if m:
            files[m.group(1)] = block
    return files


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> WsBuilder:
    return docs_workspace(tmp_path_factory.mktemp("docs"))


def docs_workspace(root: Path) -> WsBuilder:
    """The chapter's sources and schemes as written, the org above and hand-made facts (also
    run on Spark by tests/spark/test_spark_v2_orgseq.py)."""
    b = WsBuilder(root)
    b.units(UNITS).people(PEOPLE).assignments(ASSIGNMENTS)
    files = _chapter_files()
    assert sorted(files) == ["schemes/area_manager_duty.yaml", "schemes/clerk_vs_hall.yaml",
                             "schemes/repeat_complaints.yaml", "sources/complaints.yaml",
                             "sources/duty.yaml"]
    for name, text in files.items():
        (b.root / name).write_text(text, encoding="utf-8")
    (b.root / "sources/transactions.yaml").write_text(TRANSACTIONS, encoding="utf-8")

    def cp(i: int, person: str, unit: str | None, customer: str, cat: str, at: str) -> dict:
        return {"complaint_id": f"T{i}", "person_id": person, "unit_id": unit,
                "customer_id": customer, "category": cat, "at": at}

    b.facts("complaints", [
        cp(1, "P1", "H1", "K1", "等候", "2026-10-02 09:00"),
        cp(2, "P1", "H1", "K1", "等候", "2026-10-02 15:00"),
        cp(3, "P1", None, "K1", "等候", "2026-10-05 10:00"),  # no hall: P1's, H1 (§13)
        cp(4, "P2", "H1", "K2", "收费", "2026-10-03 11:00"),
        cp(5, "P4", "H2", "K3", "收费", "2026-10-04 11:00"),
        cp(6, "P4", "H2", "K3", "收费", "2026-10-20 11:00"),
    ])
    b.facts("duty", [
        {"person_id": "A1", "unit_id": "S1", "day": "2026-10-01"},
        {"person_id": "A1", "unit_id": "S1", "day": "2026-10-02"},
        {"person_id": "A1", "unit_id": "S1", "day": "2026-10-02"},
        {"person_id": "A1", "unit_id": "S2", "day": "2026-10-03"},
        {"person_id": "A2", "unit_id": "S1", "day": "2026-10-10"},
        {"person_id": "A2", "unit_id": "S1", "day": "2026-10-15"},
        {"person_id": "A2", "unit_id": "S1", "day": "2026-10-16"},
    ])
    counts = {"P1": 30, "P2": 20, "P3": 10, "P4": 5}
    b.facts("transactions", [{"person_id": p, "unit_id": "H1" if p != "P4" else "H2",
                              "at": f"2026-10-{1 + i % 28:02d} 10:00"}
                             for p, n in counts.items() for i in range(n)])
    return b


def test_repeat_complaints_with_duplicates_dropped(ws: WsBuilder) -> None:
    t = ws.run("repeat_complaints", "2026-10")
    # H1, by (customer, category): K1 10-02 09:00 first; 10-02 15:00 6 h later (dropped);
    #   10-05 10:00 (no hall, counts for P1's H1) 67 h later; K2 first → complaints 3
    #   repeat_customers: K1 (67 ≥ 24) = 1 → 100 − 10 × 1 = 90 points
    #   settled (until_next by customer, days): 0, 2, last, last → 2 of 4 = 0.5
    # H2: K3 first, K3 16 days later → complaints 2, repeat 1 (90 points), settled 1 of 2
    assert col(t, "v_complaints") == {"H1": 3, "H2": 2}
    assert col(t, "v_repeat_customers") == {"H1": 1, "H2": 1}
    assert col(t, "total") == {"H1": 90, "H2": 90}
    assert col(t, "v_settled") == {"H1": 0.5, "H2": 0.5}


def test_days_on_duty_of_area_managers(ws: WsBuilder) -> None:
    t = ws.run("area_manager_duty", "2026-10")
    # A1 (台区经理 all month): 10-01, 10-02, 10-03 → 3 days; 10-03 at S2 (away, county C2)
    # A2 (营业员 at H1 until 10-14): 10-15, 10-16 → 2; 10-10 at S1 while assigned to H1: away
    # points: 100 × 3 / 22 = 13.636… → 13.64; 100 × 2 / 22 = 9.0909… → 9.09
    assert col(t, "v_duty_days") == {"A1": 3, "A2": 2}
    assert col(t, "v_away_days") == {"A1": 1, "A2": 1}
    assert col(t, "v_in_county") == {"A1": 2, "A2": 3}
    assert col(t, "total") == {"A1": 13.64, "A2": 9.09}


def test_distance_from_the_peer_mean(ws: WsBuilder) -> None:
    t = ws.run("clerk_vs_hall", "2026-10")
    # H1: 30, 20, 10 (mean 20); H2: P4 alone with 5
    # above_mean: 10, 0, −10, 0 → 100 × (x + 20) / 40 = 75, 50, 25, 50
    # hall_share: 30 / 60, 20 / 60, 10 / 60, 5 / 5; base: 自营厅 15, 合作厅 8
    assert col(t, "v_above_mean") == {"P1": 10, "P2": 0, "P3": -10, "P4": 0}
    assert col(t, "v_hall_share") == pytest.approx(
        {"P1": 0.5, "P2": 1 / 3, "P3": 1 / 6, "P4": 1.0}, abs=1e-12)
    assert col(t, "v_base_points") == {"P1": 15, "P2": 15, "P3": 15, "P4": 8}
    assert col(t, "total") == {"P1": 90, "P2": 65, "P3": 40, "P4": 58}
