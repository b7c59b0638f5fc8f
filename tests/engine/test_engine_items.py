"""Items (spec §8) and roll-up via an attribute (§18), computed by hand from items_cases.py.

Runs on DuckDB here; tests/spark/test_spark_v2_items.py checks that Spark computes the same.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from items_cases import customers_workspace, via_workspace, yangka_workspace
from wsbuilder import WsBuilder, col, row

Table = pd.DataFrame


@pytest.fixture(scope="module")
def yangka(tmp_path_factory: pytest.TempPathFactory) -> WsBuilder:
    return yangka_workspace(tmp_path_factory.mktemp("yangka"))


@pytest.fixture(scope="module")
def customers(tmp_path_factory: pytest.TempPathFactory) -> WsBuilder:
    return customers_workspace(tmp_path_factory.mktemp("customers"))


@pytest.fixture(scope="module")
def via(tmp_path_factory: pytest.TempPathFactory) -> WsBuilder:
    return via_workspace(tmp_path_factory.mktemp("via"))


# --- 养卡, offset 3 ---------------------------------------------------------------------------

def test_cohort_is_the_cards_of_three_months_before(yangka: WsBuilder) -> None:
    t = yangka.run("yangka", "2026-10")
    # July 2026: N1 (07-05), N2 (07-31 23:59), N5 (07-10), N6 (07-15); N3 is August, N4 June
    assert sorted(t.index) == ["N1", "N2", "N5", "N6"]
    # calls in October, linear 0..10 W 100: N1 12 → 100; N2 2 → 20; N5 5 → 50; N6 none → 0
    assert col(t, "v_calls") == {"N1": 12, "N2": 2, "N5": 5, "N6": 0}
    assert col(t, "total") == {"N1": 100, "N2": 20, "N5": 50, "N6": 0}
    # minutes: N1 12 × 2 = 24 (September's 30 calls are not October's)
    assert col(t, "v_mins") == {"N1": 24, "N2": 2, "N5": 5, "N6": 0}
    assert col(t, "grade") == {"N1": "正常", "N2": "疑似养卡", "N5": "疑似养卡", "N6": "疑似养卡"}


def test_person_and_unit_from_the_latest_row_before_the_period_end(yangka: WsBuilder) -> None:
    t = yangka.run("yangka", "2026-10")
    # N5: 09-01 row (P5) is later than 07-10 (P4); N6: the 11-02 row is after October
    assert col(t, "person") == {"N1": "P1", "N2": "P1", "N5": "P5", "N6": "P2"}
    assert col(t, "unit") == {"N1": "H1", "N2": "H1", "N5": "H2", "N6": "H3"}


def test_peers_by_person(yangka: WsBuilder) -> None:
    t = yangka.run("yangka", "2026-10")
    # P1: N1 100, N2 20; P5: N5; P2: N6
    assert col(t, "rank") == {"N1": 1, "N2": 2, "N5": 1, "N6": 1}
    assert col(t, "group_size") == {"N1": 2, "N2": 2, "N5": 1, "N6": 1}
    assert col(t, "g_person") == {"N1": "P1", "N2": "P1", "N5": "P5", "N6": "P2"}
    assert col(t, "group_name") == {"N1": "张三", "N2": "张三", "N5": "孙八", "N6": "李四"}


def test_peers_by_ancestor_kind(yangka: WsBuilder) -> None:
    t = yangka.run("yangka_c", "2026-10")
    # county of the item's unit: H1, H2 → C1 (N1 100, N5 50, N2 20); H3 → C2 (N6)
    assert col(t, "g_ancestor:county") == {"N1": "C1", "N2": "C1", "N5": "C1", "N6": "C2"}
    assert col(t, "rank") == {"N1": 1, "N5": 2, "N2": 3, "N6": 1}
    assert col(t, "group_name") == {"N1": "东县", "N2": "东县", "N5": "东县", "N6": "西县"}


def test_rollup_to_persons_and_units(yangka: WsBuilder) -> None:
    yangka.run("yangka", "2026-10")
    p = yangka.run("clerk_fake", "2026-10")
    # stored persons: N1 P1 (正常), N2 P1, N5 P5, N6 P2 (疑似养卡)
    assert col(p, "v_fake") == {"P1": 1, "P2": 1, "P3": 0, "P4": 0, "P5": 1, "P6": 0}
    assert col(p, "v_cards") == {"P1": 2, "P2": 1, "P3": 0, "P4": 0, "P5": 1, "P6": 0}
    u = yangka.run("hall_fake", "2026-10")
    # 疑似养卡: N2 (H1), N5 (H2), N6 (H3); counties and the city add their halls
    assert col(u, "v_fake") == {"R": 3, "C1": 2, "C2": 1, "H1": 1, "H2": 1, "H3": 1}


def test_json_has_key_person_and_unit(yangka: WsBuilder) -> None:
    out = yangka.run_output("yangka", "2026-10", save=False).result.to_json_dict()
    n5 = next(e for e in out["entities"] if e["id"] == "N5")
    assert (n5["person"], n5["unit"], n5["name"]) == ("P5", "H2", None)


# --- customers: window 3, attributes of the latest row, ties by import order -----------------

def test_population_filters_the_latest_attributes(customers: WsBuilder) -> None:
    t = customers.run("zero_use", "2026-10")
    # K4 has no row in Aug–Oct; K7's level is 普通
    assert sorted(t.index) == ["K1", "K2", "K3", "K5"]
    assert col(t, "g_level") == {"K1": "金卡", "K2": "VIP", "K3": "金卡", "K5": "金卡"}


def test_ties_on_time_go_to_the_row_imported_last(customers: WsBuilder) -> None:
    t = customers.run("zero_use", "2026-10")
    # K2: two rows at 09-01 00:00 in one file, the later one P3/H1; K3: two rows at 10-20
    # 10:00, the later import P6 with no unit
    assert col(t, "person") == {"K1": "P1", "K2": "P3", "K3": "P6", "K5": "P5"}
    assert col(t, "unit") == {"K1": "H1", "K2": "H1", "K3": None, "K5": "H2"}
    # K3's unit for display and groups: P6's as of 10-31, H2 (城西厅), not H3
    assert col(t, "unit_name") == {"K1": "城东厅", "K2": "城东厅", "K3": "城西厅", "K5": "城西厅"}


def test_values_and_ranks_of_customers(customers: WsBuilder) -> None:
    t = customers.run("zero_use", "2026-10")
    # October rows: K1 one row of 0; K3 30 + 10; K2 and K5 none (sum over no rows: 0)
    assert col(t, "v_use") == {"K1": 0, "K2": 0, "K3": 40, "K5": 0}
    assert col(t, "v_rows") == {"K1": 1, "K2": 0, "K3": 2, "K5": 0}
    assert col(t, "total") == {"K1": 0, "K2": 0, "K3": 40, "K5": 0}
    # 金卡: K3 40, K1 0, K5 0; VIP: K2 alone
    assert col(t, "rank") == {"K1": 2, "K2": 1, "K3": 1, "K5": 2}
    assert col(t, "grade") == {"K1": "红色", "K2": "红色", "K3": "正常", "K5": "红色"}


def test_rollup_through_the_persons_unit_on_the_last_day(customers: WsBuilder) -> None:
    customers.run("zero_use", "2026-10")
    m = customers.run("mgr", "2026-10")
    # K1 P1 红色, K2 P3 红色, K3 P6 正常, K5 P5 红色
    assert col(m, "v_red") == {"P1": 1, "P2": 0, "P3": 1, "M1": 0, "P4": 0, "P5": 1, "P6": 0}
    assert col(m, "v_custs") == {"P1": 1, "P2": 0, "P3": 1, "M1": 0, "P4": 0, "P5": 1,
                                 "P6": 1}
    u = customers.run("hall_red", "2026-10")
    # H1: K1, K2; H2: K5 and K3 (no unit; P6 is in H2 on 10-31); H3: none
    assert col(u, "v_custs") == {"R": 4, "C1": 4, "C2": 0, "H1": 2, "H2": 2, "H3": 0}
    assert col(u, "v_red") == {"R": 3, "C1": 3, "C2": 0, "H1": 2, "H2": 1, "H3": 0}


def test_items_without_a_person_belong_to_no_person(tmp_path: Path) -> None:
    b = WsBuilder(tmp_path).standard_org().standard_sources()
    b.source("meters", {"time": "at", "unit": "station", "columns": {
        "meter": {"type": "string"}, "station": {"type": "string"},
        "at": {"type": "datetime"}, "kwh": {"type": "decimal"}}})
    b.scheme("loss", {"entity": {"source": "meters", "key": "meter"}, "period": "month",
                      "indicators": [{"code": "kwh", "source": "meters", "value": "sum(kwh)",
                                      "role": "info"}]})
    b.scheme("per_clerk", {"entity": "person", "period": "month", "indicators": [
        {"code": "n", "source": "results:loss", "value": "count(*)", "role": "info"}]})
    b.facts("meters", [{"meter": "E1", "station": "H2", "at": "2026-10-01 00:00", "kwh": 7}])
    t = b.run("loss", "2026-10")
    e1 = row(t, "E1")
    assert (e1["person"], e1["unit"], e1["v_kwh"]) == (None, "H2", 7)
    assert set(col(b.run("per_clerk", "2026-10"), "v_n").values()) == {0}


# --- via (§18) --------------------------------------------------------------------------------

def test_via_reads_the_rows_of_units_whose_attribute_names_the_person(via: WsBuilder) -> None:
    via.run("partner_star", "2026-10")
    t = via.run("cm", "2026-10")
    # M1 looks after H1 (25) and H2 (50), and C2 (not a partner: no results row)
    assert t.loc["M1", "v_partners"] == 37.5 and t.loc["M1", "v_n_partners"] == 2
    assert t.loc["P6", "v_partners"] == 12.5 and t.loc["P6", "v_n_partners"] == 1
    assert t.loc["P1", "m_partners"] and t.loc["P1", "v_n_partners"] == 0
    # hall rows: M1 H1 10 + H2 20; C2's own rows only (none), not H3's 5 below it
    assert col(t, "v_vol_via") == {"M1": 30, "P6": 5, "P1": 0, "P2": 0, "P3": 0, "P4": 0,
                                   "P5": 0}
    # the same source without via: the person's unit (M1 and P1..P3 in H1)
    assert col(t, "v_vol_own") == {"M1": 10, "P6": 5, "P1": 10, "P2": 10, "P3": 10, "P4": 20,
                                   "P5": 20}


def test_via_an_item_attribute(customers: WsBuilder) -> None:
    customers.run("zero_use", "2026-10")
    t = customers.run("referrals", "2026-10")
    # latest rows' referrer: K1 empty, K3 P2 (正常), K5 P4 (红色); K7 has no result
    assert col(t, "v_refs") == {"P1": 0, "P2": 1, "P3": 0, "M1": 0, "P4": 1, "P5": 0, "P6": 0}
    assert col(t, "v_red_refs") == {"P1": 0, "P2": 0, "P3": 0, "M1": 0, "P4": 1, "P5": 0,
                                    "P6": 0}


def test_explain_one_item(yangka: WsBuilder) -> None:
    import io

    from rich.console import Console

    from kaohe.cli.explaining import explain_entity

    buf = io.StringIO()
    explain_entity(yangka.workspace(), "yangka", "2026-10", "N2", 5, None,
                   Console(file=buf, width=200))
    text = buf.getvalue()
    # N2: 2 calls → 20 points, second of P1's two cards; its own person and unit; its rows
    # in calls are found through match: msisdn
    assert "总分 total 20" in text and "排名 rank 2/2" in text
    assert "负责人员 person P1" in text and "对象单位 unit H1" in text
    assert "calls (calls): 2 行 rows" in text


def test_explain_rows_of_a_via_indicator(via: WsBuilder) -> None:
    import io

    from rich.console import Console

    from kaohe.cli.explaining import explain_entity

    via.scheme("cm_via", {"entity": "person", "period": "month", "indicators": [
        {"code": "vol_via", "source": "hall", "via": "channel_manager", "value": "sum(n)",
         "role": "info"}]})
    buf = io.StringIO()
    explain_entity(via.workspace(), "cm_via", "2026-10", "M1", 10, None,
                   Console(file=buf, width=200))
    # M1 looks after H1 (10) and H2 (20), and C2 (no rows of its own)
    assert "hall (hall): 2 行 rows" in buf.getvalue()


def test_org_names_in_an_item_schemes_source_formula(yangka: WsBuilder) -> None:
    """unit.ancestor('county') in an item scheme's source formula (spec §8 with §15): the org
    tables the formula joins are built for item schemes too (they were missing: 'k_ou does not
    exist'). The indicator reads July (offset 3), the cohort's month: N1 and N2 at H1 (county
    C1), N5 at H2 (C1), N6 at H3 (C2)."""
    yangka.scheme("yangka_org", {
        "entity": {"source": "activations", "key": "number", "offset": 3}, "period": "month",
        "indicators": [{"code": "east", "source": "activations", "role": "info", "offset": 3,
                        "value": "count(*) filter (where unit.ancestor('county') = 'C1')"}]})
    t = yangka.run("yangka_org", "2026-10")
    assert col(t, "v_east") == {"N1": 1, "N2": 1, "N5": 1, "N6": 0}


def test_alerts_of_an_item_scheme_name_each_items_person_and_unit(yangka: WsBuilder) -> None:
    """kaohe alerts on a stored item run (spec §12 with §8): the person and unit stored with
    each item, not the org's (an item is no person). 疑似养卡: N2 (P1, H1 城东厅), N5 (P5, H2
    城西厅), N6 (P2, H3 西县厅); rank within the person group, then id."""
    from items_cases import _yangka

    from kaohe.alerts import from_store

    yangka.scheme("yangka_alert", {**_yangka(["person"]), "alerts": ["疑似养卡"]})
    yangka.run("yangka_alert", "2026-10")
    got = from_store(yangka.workspace(), "yangka_alert", "2026-10")
    assert {(r.id, r.person, r.unit) for r in got.rows} == {
        ("N2", "P1", "城东厅"), ("N5", "P5", "城西厅"), ("N6", "P2", "西县厅")}
