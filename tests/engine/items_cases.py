"""Workspaces for item schemes (spec §8) and roll-up via an attribute (§18), shared by the
DuckDB tests (test_engine_items.py) and the Spark comparison (tests/spark).

Every expected value in the tests is computed by hand from the rows written here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wsbuilder import STANDARD_ASSIGNMENTS, STANDARD_PEOPLE, STANDARD_UNITS, WsBuilder

LIN10 = {"rule": "linear", "floor": 0, "target": 10}
LIN100 = {"rule": "linear", "floor": 0, "target": 100}
LIN40 = {"rule": "linear", "floor": 0, "target": 40}

# --- 养卡: cards activated three months before the run (offset 3), used in the run month ----

ACTIVATIONS = {"time": "at", "person": "clerk", "unit": "hall", "columns": {
    "number": {"type": "string"}, "clerk": {"type": "string"}, "hall": {"type": "string"},
    "at": {"type": "datetime"}, "plan": {"type": "string"}}}
# usage names the card in another column: the scheme says match: msisdn
CALLS = {"time": "at", "unit": "hall", "columns": {
    "msisdn": {"type": "string"}, "hall": {"type": "string"}, "at": {"type": "datetime"},
    "minutes": {"type": "decimal"}}}


def _yangka(peers: list[str]) -> dict[str, Any]:
    return {"entity": {"source": "activations", "key": "number", "offset": 3},
            "period": "month", "peers": peers,
            "indicators": [
                {"code": "calls", "source": "calls", "match": "msisdn", "value": "count(*)",
                 "weight": 100, "score": LIN10},
                {"code": "mins", "source": "calls", "match": "msisdn",
                 "value": "sum(minutes)", "role": "info"}],
            "grades": [[60, "正常"], [0, "疑似养卡"]]}


def _calls(number: str, n: int, month: str = "10", minutes: float = 1) -> list[dict[str, Any]]:
    return [{"msisdn": number, "hall": "H1", "at": f"2026-{month}-{i % 28 + 1:02d} 09:00",
             "minutes": minutes} for i in range(n)]


def yangka_workspace(root: Path) -> WsBuilder:
    """Cohort of 2026-10 with offset 3: cards with a row in July 2026.

    N1 07-05 P1/H1; N2 07-31 23:59 P1/H1; N3 08-01 00:00 (August: out); N4 06-30 (out);
    N5 07-10 P4/H2, then 09-01 P5/H2 (latest before Nov: P5); N6 07-15 P2/H3, then 11-02 P6
    (after the period: ignored). October calls: N1 12, N2 2, N5 5, N6 none, N3 20; N1 also
    30 calls in September (not the run's month).
    """
    b = WsBuilder(root).standard_org().standard_sources()
    b.source("activations", ACTIVATIONS).source("calls", CALLS)
    b.scheme("yangka", _yangka(["person"]))
    b.scheme("yangka_c", _yangka(["ancestor:county"]))
    b.scheme("clerk_fake", {"entity": "person", "period": "month",
                            "population": {"position": "营业员"}, "indicators": [
        {"code": "fake", "source": "results:yangka", "role": "info",
         "value": "count(*) filter (where grade = '疑似养卡')"},
        {"code": "cards", "source": "results:yangka", "role": "info", "value": "count(*)"}]})
    b.scheme("hall_fake", {"entity": "unit", "period": "month", "indicators": [
        {"code": "fake", "source": "results:yangka", "role": "info",
         "value": "count(*) filter (where grade = '疑似养卡')"}]})
    b.facts("activations", [
        {"number": "N1", "clerk": "P1", "hall": "H1", "at": "2026-07-05 10:00", "plan": "A"},
        {"number": "N2", "clerk": "P1", "hall": "H1", "at": "2026-07-31 23:59", "plan": "A"},
        {"number": "N3", "clerk": "P2", "hall": "H1", "at": "2026-08-01 00:00", "plan": "A"},
        {"number": "N4", "clerk": "P4", "hall": "H2", "at": "2026-06-30 12:00", "plan": "A"},
        {"number": "N5", "clerk": "P4", "hall": "H2", "at": "2026-07-10 10:00", "plan": "A"},
        {"number": "N5", "clerk": "P5", "hall": "H2", "at": "2026-09-01 10:00", "plan": "B"},
        {"number": "N6", "clerk": "P2", "hall": "H3", "at": "2026-07-15 10:00", "plan": "A"},
        {"number": "N6", "clerk": "P6", "hall": "H3", "at": "2026-11-02 10:00", "plan": "C"},
    ])
    b.facts("calls", _calls("N1", 12, minutes=2) + _calls("N2", 2) + _calls("N5", 5)
            + _calls("N3", 20) + _calls("N1", 30, month="09"))
    return b


# --- customers with no use over three months, attributes from the latest row ---------------

CUST = {"time": "day", "person": "manager", "unit": "hall", "columns": {
    "customer": {"type": "string"}, "manager": {"type": "string"}, "hall": {"type": "string"},
    "day": {"type": "datetime"}, "level": {"type": "string"}, "amount": {"type": "decimal"},
    "referrer": {"type": "string"}}}
# P6 moves from H3 to H2 on 2026-10-16: as of the run's last day (10-31) P6 is in H2
CUST_ASSIGNMENTS = [a for a in STANDARD_ASSIGNMENTS if a[0] != "P6"] + [
    ("P6", "H3", "营业员", "2026-01-01", "2026-10-15"),
    ("P6", "H2", "营业员", "2026-10-16", "")]


def customers_workspace(root: Path) -> WsBuilder:
    """Window 3 (Aug–Oct 2026), population level in {VIP, 金卡}, peers [level].

    K1 08-10 P2/H1 VIP 50; 10-05 P1/H1 金卡 0 → latest: P1, H1, 金卡
    K2 09-01 00:00 twice in one file: P4/H2 金卡 then P3/H1 VIP → the later row: P3, H1, VIP
       (stored clustered, the H2 row lies after the H1 row: only the import order says so)
    K3 10-20 P1/- VIP 30 (first file), 10-20 P6/- 金卡 10 (a later import) → P6, no unit, 金卡
    K4 07-01 only (before the window) → not assessed
    K5 08-15 P5/H2 金卡 0
    K7 09-10 P4/H2 普通 → not in the population (level)
    referrer (for via): K1 P4 on 08-10 but empty on its latest row; K3 P2 (latest); K5 P4;
    K7 P4 (not assessed: no result row)
    """
    b = WsBuilder(root).standard_org().assignments(CUST_ASSIGNMENTS).standard_sources()
    b.source("cust", CUST)
    b.scheme("zero_use", {
        "entity": {"source": "cust", "key": "customer", "window": 3}, "period": "month",
        "population": {"level": ["VIP", "金卡"]}, "peers": ["level"],
        "indicators": [
            {"code": "use", "source": "cust", "value": "sum(amount)", "weight": 100,
             "score": LIN100},
            {"code": "rows", "source": "cust", "value": "count(*)", "role": "info"}],
        "grades": [[1, "正常"], [0, "红色"]]})
    b.scheme("mgr", {"entity": "person", "period": "month", "indicators": [
        {"code": "red", "source": "results:zero_use", "role": "info",
         "value": "count(*) filter (where grade = '红色')"},
        {"code": "custs", "source": "results:zero_use", "role": "info", "value": "count(*)"}]})
    b.scheme("hall_red", {"entity": "unit", "period": "month", "indicators": [
        {"code": "red", "source": "results:zero_use", "role": "info",
         "value": "count(*) filter (where grade = '红色')"},
        {"code": "custs", "source": "results:zero_use", "role": "info", "value": "count(*)"}]})

    b.scheme("referrals", {"entity": "person", "period": "month", "indicators": [
        {"code": "refs", "source": "results:zero_use", "via": "referrer", "role": "info",
         "value": "count(*)"},
        {"code": "red_refs", "source": "results:zero_use", "via": "referrer", "role": "info",
         "value": "count(*) filter (where grade = '红色')"}]})

    def r(c: str, m: str, h: str, day: str, level: str, amount: float,
          ref: str = "") -> dict[str, Any]:
        return {"customer": c, "manager": m, "hall": h, "day": day, "level": level,
                "amount": amount, "referrer": ref}

    b.facts("cust", [
        r("K1", "P2", "H1", "2026-08-10 10:00", "VIP", 50, "P4"),
        r("K1", "P1", "H1", "2026-10-05 10:00", "金卡", 0),
        r("K2", "P4", "H2", "2026-09-01 00:00", "金卡", 0),
        r("K2", "P3", "H1", "2026-09-01 00:00", "VIP", 0),
        r("K3", "P1", "", "2026-10-20 10:00", "VIP", 30),
        r("K4", "P1", "H1", "2026-07-01 10:00", "VIP", 5),
        r("K5", "P5", "H2", "2026-08-15 10:00", "金卡", 0, "P4"),
        r("K7", "P4", "H2", "2026-09-10 10:00", "普通", 0, "P4"),
    ])
    b.facts("cust", [r("K3", "P6", "", "2026-10-20 10:00", "金卡", 10, "P2")])
    return b


# --- a channel manager's partners, via a unit attribute (§18) -------------------------------

# H1, H2 → M1; H3 → P6; C2 → M1 (a county: its own rows only, not H3's); C1 has none
VIA_UNITS = [(*u, {"H1": "M1", "H2": "M1", "H3": "P6", "C2": "M1"}.get(u[0], ""))
             for u in STANDARD_UNITS]


def via_workspace(root: Path) -> WsBuilder:
    """Halls' October volume (hall source, unit-only): H1 10, H2 20, H3 5, C1 100 (C1's own).
    partner_star (units of kind hall): linear 0..40, W 100 → H1 25, H2 50, H3 12.5."""
    b = WsBuilder(root).units(VIA_UNITS, extra=["channel_manager"])
    b.people(STANDARD_PEOPLE, extra=["level"]).assignments(STANDARD_ASSIGNMENTS)
    b.standard_sources()
    b.scheme("partner_star", {"entity": "unit", "period": "month",
                              "population": {"kind": "hall"}, "indicators": [
        {"code": "vol", "source": "hall", "value": "sum(n)", "weight": 100, "score": LIN40}]})
    b.scheme("cm", {"entity": "person", "period": "month", "indicators": [
        {"code": "partners", "source": "results:partner_star", "via": "channel_manager",
         "value": "avg(total)", "role": "info"},
        {"code": "n_partners", "source": "results:partner_star", "via": "channel_manager",
         "value": "count(*)", "role": "info"},
        {"code": "vol_via", "source": "hall", "via": "channel_manager", "value": "sum(n)",
         "role": "info"},
        {"code": "vol_own", "source": "hall", "value": "sum(n)", "role": "info"}]})
    b.facts("hall", [{"unit_id": u, "day": "2026-10-10", "n": n}
                     for u, n in (("H1", 10), ("H2", 20), ("H3", 5), ("C1", 100))])
    return b
