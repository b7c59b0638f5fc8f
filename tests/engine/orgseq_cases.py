"""Workspaces for spec §13–15 with hand-computed expectations, shared by the DuckDB tests
(test_engine_orgseq.py) and the Spark comparison (tests/spark/test_spark_v2_orgseq.py).

The org (as of 2026-10-31 unless said):
    R 市公司 (city) ─ C1 东县 (county) ─ H1 城东厅 (自营厅), H2 城西厅 (合作厅)
                    └ C2 西县 (county) ─ H3 西县厅 (自营厅)
    P1, P2 营业员 at H1; P4 营业员 at H2; P6 营业员 at H3; M1 店长 at H1;
    P3 营业员 at H1 until 10-14, then 台区经理 at H2 from 10-15 (a transfer);
    P5 营业员 at H2 until 10-19, then 营业员 at H3 from 10-20;
    M1 also 店长 at H2 from 10-10 with no end: overlapping, the latest start wins from 10-10.
people.csv has ``level`` (text) and ``years`` (a number).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wsbuilder import WsBuilder

UNITS = [
    ("R", "市公司", "city", ""),
    ("C1", "东县", "county", "R"),
    ("C2", "西县", "county", "R"),
    ("H1", "城东厅", "自营厅", "C1"),
    ("H2", "城西厅", "合作厅", "C1"),
    ("H3", "西县厅", "自营厅", "C2"),
]
PEOPLE = [
    ("P1", "张三", "A", "3"), ("P2", "李四", "B", "5"), ("P3", "王五", "A", "1"),
    ("P4", "钱七", "B", "2"), ("P5", "孙八", "A", "4"), ("P6", "周九", "B", "6"),
    ("M1", "赵经理", "A", "10"),
]
ASSIGNMENTS = [
    ("P1", "H1", "营业员", "2026-01-01", ""),
    ("P2", "H1", "营业员", "2026-01-01", ""),
    ("P3", "H1", "营业员", "2026-01-01", "2026-10-14"),
    ("P3", "H2", "台区经理", "2026-10-15", ""),
    ("P4", "H2", "营业员", "2026-01-01", ""),
    ("P5", "H2", "营业员", "2026-01-01", "2026-10-19"),
    ("P5", "H3", "营业员", "2026-10-20", ""),
    ("P6", "H3", "营业员", "2026-01-01", ""),
    ("M1", "H1", "店长", "2026-01-01", ""),
    ("M1", "H2", "店长", "2026-10-10", ""),
]

TX = {"time": "at", "person": "person_id", "unit": "unit_id", "columns": {
    "person_id": {"type": "string"}, "unit_id": {"type": "string"},
    "at": {"type": "datetime"}, "n": {"type": "decimal"}, "c": {"type": "string"}}}

COMPLAINTS = {"time": "at", "person": "person_id", "unit": "unit_id", "columns": {
    "person_id": {"type": "string"}, "unit_id": {"type": "string"},
    "customer_id": {"type": "string"}, "category": {"type": "string"},
    "at": {"type": "datetime"}},
    "sequence": {
        "since_prev": {"since": "previous", "by": ["customer_id"], "unit": "hour"},
        "until_next": {"since": "next", "by": ["customer_id"], "unit": "day"}}}

DUTY = {"time": "day", "person": "person_id", "unit": "unit_id", "columns": {
    "person_id": {"type": "string"}, "unit_id": {"type": "string"}, "day": {"type": "date"}}}


def org_builder(root: Path) -> WsBuilder:
    b = WsBuilder(root)
    b.units(UNITS)
    b.people(PEOPLE, extra=["level", "years"])
    b.assignments(ASSIGNMENTS)
    return b


# ---- §13: rows without a unit, rows without a person ----------------------------------------

def empty_unit(root: Path) -> WsBuilder:
    b = org_builder(root)
    b.source("tx", TX)
    ind = [{"code": "n", "source": "tx", "value": "sum(n)", "role": "info"}]
    b.scheme("units", {"entity": "unit", "period": "month", "indicators": ind})
    b.scheme("people", {"entity": "person", "period": "month", "indicators": ind})
    b.facts("tx", [
        {"person_id": "P1", "unit_id": None, "at": "2026-10-05 09:00", "n": 5},
        {"person_id": "P4", "unit_id": "H1", "at": "2026-10-06 09:00", "n": 2},
        {"person_id": None, "unit_id": "H2", "at": "2026-10-07 09:00", "n": 7},
        # P5 was at H2 on the day, at H3 on the period's last day: the row counts for H3
        {"person_id": "P5", "unit_id": None, "at": "2026-10-08 09:00", "n": 11},
        {"person_id": "P1", "unit_id": "H1", "at": "2026-10-09 09:00", "n": 100},
    ])
    return b


# unit scheme, sum(n):
#   H1 = 5 (P1, no unit → H1) + 2 (P4's row names H1) + 100 = 107
#   H2 = 7 (no person, unit H2)
#   H3 = 11 (P5, no unit → P5's unit on 10-31, H3)
#   C1 = 107 + 7 = 114; C2 = 11; R = 125
EMPTY_UNIT_UNITS = {"H1": 107, "H2": 7, "H3": 11, "C1": 114, "C2": 11, "R": 125}
# person scheme, sum(n): the row without a person belongs to nobody
#   P1 = 5 + 100 = 105; P4 = 2; P5 = 11; the others have no rows: 0
EMPTY_UNIT_PEOPLE = {"P1": 105, "P2": 0, "P3": 0, "P4": 2, "P5": 11, "P6": 0, "M1": 0}


# ---- §14: sequence columns ------------------------------------------------------------------

# import 1, in file order (r5 before r6: the same time; r6's unit H1 makes the store cluster it
# before r5, so only the import order puts r5 first)
COMPLAINT_FILE_1 = [
    {"person_id": "P1", "unit_id": "H1", "customer_id": "A", "at": "2026-09-30 20:00"},  # r1
    {"person_id": "P1", "unit_id": "H1", "customer_id": "A", "at": "2026-10-01 10:00"},  # r2
    {"person_id": "P1", "unit_id": "H1", "customer_id": "A", "at": "2026-10-01 15:30"},  # r3
    {"person_id": "P1", "unit_id": "H1", "customer_id": "A", "at": "2026-10-03 16:00"},  # r4
    {"person_id": "P2", "unit_id": "H2", "customer_id": "C", "category": "x",
     "at": "2026-10-07 08:00"},  # r5
    {"person_id": "P2", "unit_id": "H1", "customer_id": "C", "category": "y",
     "at": "2026-10-07 08:00"},  # r6
    {"person_id": "P2", "unit_id": "H1", "customer_id": "C", "at": "2026-10-09 08:00"},  # r7
    {"person_id": "P2", "unit_id": "H1", "customer_id": "B", "at": "2026-10-05 09:00"},  # r8
    {"person_id": "P2", "unit_id": "H1", "customer_id": None, "at": "2026-10-06 09:00"},  # r9
]
COMPLAINT_FILE_2 = [
    {"person_id": "P2", "unit_id": "H1", "customer_id": "B", "at": "2026-10-05 09:00"},  # r10
    {"person_id": "P1", "unit_id": "H1", "customer_id": "A", "at": "2026-11-02 16:00"},  # r11
]
SEQUENCE_INDICATORS = [
    {"code": "first", "source": "cp", "value": "count(*) filter (where since_prev is null)",
     "role": "info"},
    {"code": "gap", "source": "cp", "value": "sum(since_prev)", "role": "info"},
    {"code": "nxt", "source": "cp", "value": "sum(until_next)", "role": "info"},
    {"code": "repeat", "source": "cp",
     "value": "count(*) filter (where since_prev is null or since_prev >= 24)", "role": "info"},
    {"code": "first_x", "source": "cp",
     "value": "count(*) filter (where since_prev is null and category = 'x')", "role": "info"},
    {"code": "customers", "source": "cp",
     "value": "count(distinct customer_id) filter (where since_prev is null or since_prev >= 24)",
     "role": "info"},
]


def sequences(root: Path) -> WsBuilder:
    b = org_builder(root)
    b.source("cp", COMPLAINTS)
    b.scheme("seq", {"entity": "person", "period": "month", "indicators": SEQUENCE_INDICATORS})
    b.facts("cp", COMPLAINT_FILE_1)
    b.facts("cp", COMPLAINT_FILE_2)
    return b


# October rows (since_prev in hours, until_next in days, both truncated):
#   P1: r2 A 10-01 10:00: since r1 (09-30 20:00) 14 h;    until r3 (5.5 h later)        0 d
#       r3 A 10-01 15:30: since r2 5.5 h → 5;            until r4 (2 d 0.5 h)          2 d
#       r4 A 10-03 16:00: since r3 48.5 h → 48;          until r11 (11-02 16:00)      30 d
#   P2: r5 C 10-07 08:00 x: first of C → missing;       until r6 (same time)           0 d
#       r6 C 10-07 08:00 y: since r5 0;                 until r7 (2 d)                 2 d
#       r7 C 10-09 08:00:   since r6 48;                last of C → missing
#       r8 B 10-05 09:00:   first of B → missing;       until r10 (same time, import 2) 0 d
#       r9 (no customer):   missing;                    missing
#       r10 B 10-05 09:00:  since r8 0;                 last of B → missing
# first = rows with since_prev missing: P1 0; P2 r5, r8, r9 = 3
# gap = sum(since_prev): P1 14 + 5 + 48 = 67; P2 0 + 48 + 0 = 48
# nxt = sum(until_next): P1 0 + 2 + 30 = 32; P2 0 + 2 + 0 = 2
# repeat (since_prev missing or >= 24): P1 r4 = 1; P2 r5, r7, r8, r9 = 4
# first_x: P2 r5 = 1 (by import order r5 is C's first row; by stored order it would be r6)
# customers (distinct customer_id of repeat rows): P1 {A} = 1; P2 {C, B} = 2 (r9 has none)
SEQUENCE_EXPECTED = {
    "P1": {"first": 0, "gap": 67, "nxt": 32, "repeat": 1, "first_x": 0, "customers": 1},
    "P2": {"first": 3, "gap": 48, "nxt": 2, "repeat": 4, "first_x": 1, "customers": 2},
    "P4": {"first": 0, "gap": None, "nxt": None, "repeat": 0, "first_x": 0, "customers": 0},
}
# sum over no rows is 0 (spec §3): P4 has no complaint rows
SEQUENCE_EXPECTED["P4"].update({"gap": 0, "nxt": 0})


# ---- §15 source formulas: the org behind a row ------------------------------------------------

ORG_INDICATORS = [
    {"code": "area_days", "source": "duty",
     "value": "count(distinct day) filter (where person.position = '台区经理')", "role": "info"},
    {"code": "at_h1", "source": "duty", "value": "count(*) filter (where person.unit = 'H1')",
     "role": "info"},
    {"code": "east", "source": "duty",
     "value": "count(*) filter (where unit.ancestor('county') = 'C1')", "role": "info"},
    {"code": "own_hall", "source": "duty",
     "value": "count(*) filter (where unit.kind = '自营厅')", "role": "info"},
    {"code": "no_unit", "source": "duty", "value": "count(*) filter (where unit.kind is null)",
     "role": "info"},
    {"code": "level_a", "source": "duty",
     "value": "count(*) filter (where person.level = 'A' and true)", "role": "info"},
]


def org_refs(root: Path) -> WsBuilder:
    b = org_builder(root)
    b.source("duty", DUTY)
    b.scheme("org", {"entity": "person", "period": "month", "indicators": ORG_INDICATORS})
    b.facts("duty", [
        {"person_id": "P3", "unit_id": "H1", "day": "2026-10-10"},
        {"person_id": "P3", "unit_id": "H1", "day": "2026-10-14"},
        {"person_id": "P3", "unit_id": "H2", "day": "2026-10-15"},
        {"person_id": "P3", "unit_id": "H2", "day": "2026-10-20"},
        {"person_id": "P3", "unit_id": None, "day": "2026-10-20"},
        {"person_id": "M1", "unit_id": "H1", "day": "2026-10-09"},
        {"person_id": "M1", "unit_id": "H3", "day": "2026-10-10"},
        {"person_id": "P5", "unit_id": "H2", "day": "2026-10-19"},
    ])
    return b


# P3: area_days = distinct days as 台区经理 (from 10-15): 10-15, 10-20 = 2
#     at_h1 = rows on days P3 was at H1 (to 10-14): 10-10, 10-14 = 2
#     east = rows whose unit is under C1 (H1, H2): 4 (the row without a unit: missing)
#     own_hall = unit kind 自营厅 (H1): 2; no_unit = 1; level_a = P3 is A: 5
# M1: at_h1: 10-09 at H1 = 1; 10-10 the latest start (H2) wins = 0 → 1
#     east: H1 yes, H3 (C2) no = 1; own_hall: H1, H3 = 2; no_unit 0; level_a 2
# P5: 10-19 still at H2: at_h1 0; east 1 (H2); own_hall 0 (合作厅); level_a 1
ORG_EXPECTED = {
    "P3": {"area_days": 2, "at_h1": 2, "east": 4, "own_hall": 2, "no_unit": 1, "level_a": 5},
    "M1": {"area_days": 0, "at_h1": 1, "east": 1, "own_hall": 2, "no_unit": 0, "level_a": 2},
    "P5": {"area_days": 0, "at_h1": 0, "east": 1, "own_hall": 0, "no_unit": 0, "level_a": 1},
    "P1": {"area_days": 0, "at_h1": 0, "east": 0, "own_hall": 0, "no_unit": 0, "level_a": 0},
}


# ---- §15 derived formulas: attributes, peer statistics, group_size ---------------------------

PEER_INDICATORS: list[dict[str, Any]] = [
    {"code": "volume", "source": "tx", "value": "count(*)", "weight": 100,
     "score": {"rule": "linear", "floor": 0, "target": 4}},
    {"code": "avgn", "source": "tx", "value": "avg(n)", "role": "info"},
    {"code": "base", "value": "case when kind = '自营厅' then 15 else 8 end", "role": "info"},
    {"code": "dist", "value": "volume - peer_mean(volume)", "role": "info"},
    {"code": "pc", "value": "peer_count(avgn)", "role": "info"},
    {"code": "pmin", "value": "peer_min(volume)", "role": "info"},
    {"code": "pmax", "value": "peer_max(volume)", "role": "info"},
    {"code": "gs", "value": "group_size", "role": "info"},
    {"code": "yrs", "value": "years * 2 + case when false then 1 else 0 end", "role": "info"},
    {"code": "pm_avgn", "value": "peer_mean(avgn)", "role": "info"},
    {"code": "above", "value": "dist > 0", "role": "bonus", "score": {"per": 5}},
]


def peers(root: Path) -> WsBuilder:
    b = org_builder(root)
    b.source("tx", TX)
    b.scheme("peer", {"entity": "person", "period": "month", "population": {"position": "营业员"},
                      "peers": ["unit"], "indicators": PEER_INDICATORS})
    rows = [("P1", 1), ("P1", 2), ("P1", 3), ("P2", None), ("P4", 4), ("P4", 6),
            ("P6", 10), ("P6", 10), ("P6", 10), ("P6", 10)]
    b.facts("tx", [{"person_id": p, "unit_id": None, "at": "2026-10-10 10:00", "n": n}
                   for p, n in rows])
    return b


# population 营业员 on 10-31: P1, P2 (H1), P4 (H2), P5, P6 (H3); groups by unit
# volume: P1 3, P2 1, P4 2, P5 0, P6 4; avgn: P1 2, P2 missing, P4 5, P5 missing, P6 10
# base: H1 自营厅 15, H2 合作厅 8, H3 自营厅 15 (kind: the person's unit's)
# dist: H1 mean 2 → P1 1, P2 −1; H2 mean 2 → P4 0; H3 mean (0 + 4) / 2 = 2 → P5 −2, P6 2
# pc = peer_count(avgn): H1 1 (P2 missing), H2 1, H3 1 (P5 missing)
# pmin/pmax: H1 1/3, H2 2/2, H3 0/4; gs: H1 2, H2 1, H3 2; yrs = years × 2
# pm_avgn: H1 2, H2 5, H3 10 (missing values left out)
# above (dist > 0, bonus 5 per): P1 5, P6 5, the others 0
# total = volume points (100 × volume / 4, capped at 100) + bonus:
#   P1 75 + 5 = 80, P2 25, P4 50, P5 0, P6 100 + 5 → 105
PEER_EXPECTED = {
    "P1": {"base": 15, "dist": 1, "pc": 1, "pmin": 1, "pmax": 3, "gs": 2, "yrs": 6,
           "pm_avgn": 2, "total": 80},
    "P2": {"base": 15, "dist": -1, "pc": 1, "pmin": 1, "pmax": 3, "gs": 2, "yrs": 10,
           "pm_avgn": 2, "total": 25},
    "P4": {"base": 8, "dist": 0, "pc": 1, "pmin": 2, "pmax": 2, "gs": 1, "yrs": 4,
           "pm_avgn": 5, "total": 50},
    "P5": {"base": 15, "dist": -2, "pc": 1, "pmin": 0, "pmax": 4, "gs": 2, "yrs": 8,
           "pm_avgn": 10, "total": 0},
    "P6": {"base": 15, "dist": 2, "pc": 1, "pmin": 0, "pmax": 4, "gs": 2, "yrs": 12,
           "pm_avgn": 10, "total": 105},
}
