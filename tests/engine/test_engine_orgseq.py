"""Spec §13 (rows without a unit or person), §14 (sequence columns), §15 (org names, peer
statistics, attributes, true/false) on DuckDB: hand-computed values (orgseq_cases.py, with the
arithmetic) and the plain-Python reference (reference.py, reference_orgseq.py) agree with the
engine. Spark computes the same rows: tests/spark/test_spark_v2_orgseq.py."""

from __future__ import annotations

from datetime import date, datetime
from fractions import Fraction as F
from pathlib import Path
from typing import Any

import duckdb
import pytest

import orgseq_cases as oc
from kaohe.errors import ConfigError, FormulaError, Problems
from kaohe.workspace.sources import load_source
from reference import RefOrg, SourceMeta, evaluate
from reference_orgseq import org_columns, peer, with_sequences
from wsbuilder import col, dump_yaml

OCT = (date(2026, 10, 1), date(2026, 11, 1))


def _ref_org() -> RefOrg:
    units = {u: {"name": n, "kind": k, "parent_id": p} for u, n, k, p in oc.UNITS}
    people = {p: {"name": n, "level": lv, "years": y} for p, n, lv, y in oc.PEOPLE}
    asg = [(p, u, pos, date.fromisoformat(s), date.fromisoformat(e) if e else None)
           for p, u, pos, s, e in oc.ASSIGNMENTS]
    return RefOrg(units, people, asg)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _in_october(t: date | datetime) -> bool:
    d = t.date() if isinstance(t, datetime) else t
    return OCT[0] <= d < OCT[1]


def _values(t: Any, codes: Any) -> dict[str, dict[str, Any]]:
    return {e: {c: col(t, f"v_{c}")[e] for c in codes} for e in t.index}


# ---- §13 ----------------------------------------------------------------------------------

def test_empty_unit_rows_count_for_the_persons_unit(tmp_path: Path) -> None:
    b = oc.empty_unit(tmp_path)
    assert col(b.run("units", "2026-10"), "v_n") == oc.EMPTY_UNIT_UNITS
    assert col(b.run("people", "2026-10"), "v_n") == oc.EMPTY_UNIT_PEOPLE


def test_empty_unit_rows_match_the_reference(tmp_path: Path) -> None:
    b = oc.empty_unit(tmp_path)
    ws = b.workspace()
    with ws.store.connect(read_only=True) as con:
        rows = [dict(zip(["person_id", "unit_id", "at", "n"], r, strict=True)) for r in
                con.execute("SELECT person_id, unit_id, \"at\", n FROM fact_tx").fetchall()]
    meta = {"tx": SourceMeta(time="at", person="person_id", unit="unit_id")}
    ind = {"code": "n", "source": "tx", "role": "info",
           "fn": lambda rs: sum((F(str(r["n"])) for r in rs), F(0))}
    ref = evaluate(_ref_org(), meta, {"tx": rows}, {"entity": "unit", "indicators": [ind]},
                   ("month", date(2026, 10, 1)))
    assert {u: v["v_n"] for u, v in ref.items()} == oc.EMPTY_UNIT_UNITS


# ---- §14 ----------------------------------------------------------------------------------

def test_sequence_columns_hand_computed(tmp_path: Path) -> None:
    t = oc.sequences(tmp_path).run("seq", "2026-10")
    got = _values(t, oc.SEQUENCE_EXPECTED["P1"])
    for person, expected in oc.SEQUENCE_EXPECTED.items():
        assert got[person] == expected, person


def test_sequence_columns_match_the_reference(tmp_path: Path) -> None:
    """The reference sorts the rows of each customer by time and file position; the engine
    computes windows over the store (which holds them clustered, not in import order)."""
    t = oc.sequences(tmp_path).run("seq", "2026-10")
    imported = [{**r, "at": _at(r["at"])} for r in oc.COMPLAINT_FILE_1 + oc.COMPLAINT_FILE_2]
    rows = with_sequences(imported, "at", oc.COMPLAINTS["sequence"])
    october = [r for r in rows if _in_october(r["at"])]
    for person in ("P1", "P2", "P4"):
        mine = [r for r in october if r["person_id"] == person]
        since = [r["since_prev"] for r in mine]
        ref = {
            "first": sum(1 for s in since if s is None),
            "gap": sum(s for s in since if s is not None),
            "nxt": sum(r["until_next"] for r in mine if r["until_next"] is not None),
            "repeat": sum(1 for s in since if s is None or s >= 24),
            "first_x": sum(1 for r in mine if r["since_prev"] is None
                           and r.get("category") == "x"),
            "customers": len({r["customer_id"] for r in mine if r["customer_id"] is not None
                              and (r["since_prev"] is None or r["since_prev"] >= 24)}),
        }
        assert _values(t, ref)[person] == ref, person


def test_sequence_crosses_periods_both_ways(tmp_path: Path) -> None:
    """September's run sees October's row as r1's next; November's sees r4 as r11's previous:
    every stored row counts, not only the period's."""
    b = oc.sequences(tmp_path)
    sep = b.run("seq", "2026-09")
    # r1 (09-30 20:00): until r2 (10-01 10:00) is 14 h → 0 days; since: first of A → missing
    assert col(sep, "v_nxt")["P1"] == 0 and col(sep, "v_first")["P1"] == 1
    nov = b.run("seq", "2026-11")
    # r11 (11-02 16:00): since r4 (10-03 16:00) = 30 days = 720 h
    assert col(nov, "v_gap")["P1"] == 720 and col(nov, "v_nxt")["P1"] == 0


def test_import_order_breaks_ties_of_time(tmp_path: Path) -> None:
    """Rows with the same key and time: the earlier import first, then the file order; each
    row stores its place in that order in ``_kaohe_seq`` (kaohe.workspace.import_order)."""
    b = oc.sequences(tmp_path)
    with b.workspace().store.connect(read_only=True) as con:
        seq = dict(con.execute("SELECT category, _kaohe_seq FROM fact_cp WHERE customer_id = "
                               "'C' AND category IS NOT NULL").fetchall())
        b_rows = con.execute("SELECT _import_id, _kaohe_seq FROM fact_cp "
                             "WHERE customer_id = 'B' ORDER BY 2").fetchall()
        first_import = con.execute("SELECT import_id FROM imports ORDER BY imported_at "
                                   "LIMIT 1").fetchone()
    # r5 (x) is file row 6, r6 (y) file row 7, both in import 1: x before y
    assert seq["x"] < seq["y"]
    # B has one row in each import: the first import's row comes first
    assert len(b_rows) == 2 and b_rows[0][0] == first_import[0] != b_rows[1][0]


def test_old_store_gets_the_import_order_column(tmp_path: Path) -> None:
    """A store written before ``_kaohe_seq``: opening it adds the column, the old rows in stored
    (rowid) order and before any later import."""
    b = oc.org_builder(tmp_path)
    b.source("cp", oc.COMPLAINTS)
    ws = b.workspace()
    path = ws.store.path
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE fact_cp (person_id VARCHAR, unit_id VARCHAR, customer_id "
                    "VARCHAR, category VARCHAR, \"at\" TIMESTAMP, _import_id VARCHAR)")
        con.execute("INSERT INTO fact_cp VALUES ('P1', 'H1', 'A', NULL, '2026-10-01 10:00', "
                    "'old'), ('P1', 'H1', 'A', 'late', '2026-10-01 10:00', 'old')")
    b.facts("cp", [{"person_id": "P1", "unit_id": "H1", "customer_id": "A",
                    "category": "new", "at": "2026-10-01 10:00"}])
    b.scheme("s", {"entity": "person", "period": "month", "indicators": [
        {"code": "last", "source": "cp", "role": "info",
         "value": "count(*) filter (where since_prev = 0 and category = 'new')"},
        {"code": "firsts", "source": "cp", "role": "info",
         "value": "count(*) filter (where since_prev is null and category is null)"}]})
    t = b.run("s", "2026-10")
    # three rows at one time: old rowid 0 (first), old rowid 1, then the new import
    assert col(t, "v_last")["P1"] == 1 and col(t, "v_firsts")["P1"] == 1
    with ws.store.connect(read_only=True) as con:
        # old rows first, in stored order, then the new import
        assert [r[0] for r in con.execute(
            "SELECT category FROM fact_cp ORDER BY _kaohe_seq").fetchall()] == [
            None, "late", "new"]


@pytest.mark.parametrize(("spec", "fragment"), [
    ({"x": {"since": "previous", "by": ["nope"], "unit": "hour"}}, "'nope'"),
    ({"x": {"since": "before", "by": ["customer_id"]}}, "since"),
    ({"x": {"since": "next", "by": ["customer_id"], "unit": "week"}}, "unit"),
    ({"category": {"since": "next", "by": ["customer_id"]}}, "sequence.category"),
    ({"x": {"since": "next"}}, "by"),
    ({"x": {"since": "next", "by": ["customer_id"], "per": 1}}, "unknown keys"),
    (["x"], "sequence"),
])
def test_bad_sequence_declarations(tmp_path: Path, spec: Any, fragment: str) -> None:
    path = tmp_path / "cp.yaml"
    path.write_text(dump_yaml({"name": "cp", **{**oc.COMPLAINTS, "sequence": spec}}),
                    encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_source(path)
    assert fragment in str(info.value) and "cp.yaml" in str(info.value)


# ---- §15 source formulas ------------------------------------------------------------------

def test_org_behind_a_row_hand_computed(tmp_path: Path) -> None:
    t = oc.org_refs(tmp_path).run("org", "2026-10")
    got = _values(t, oc.ORG_EXPECTED["P3"])
    for person, expected in oc.ORG_EXPECTED.items():
        assert got[person] == expected, person


def test_org_behind_a_row_matches_the_reference(tmp_path: Path) -> None:
    b = oc.org_refs(tmp_path)
    t = b.run("org", "2026-10")
    with b.workspace().store.connect(read_only=True) as con:
        rows = [dict(zip(["person_id", "unit_id", "day"], r, strict=True)) for r in
                con.execute("SELECT person_id, unit_id, day FROM fact_duty").fetchall()]
    names = ["person.position", "person.unit", "person.level", "unit.kind",
             "unit.ancestor:county"]
    rows = org_columns(_ref_org(), rows, "day", "person_id", "unit_id", names)
    for person in oc.ORG_EXPECTED:
        mine = [r for r in rows if r["person_id"] == person]
        ref = {
            "area_days": len({r["day"] for r in mine if r["person.position"] == "台区经理"}),
            "at_h1": sum(1 for r in mine if r["person.unit"] == "H1"),
            "east": sum(1 for r in mine if r["unit.ancestor:county"] == "C1"),
            "own_hall": sum(1 for r in mine if r["unit.kind"] == "自营厅"),
            "no_unit": sum(1 for r in mine if r["unit.kind"] is None),
            "level_a": sum(1 for r in mine if r["person.level"] == "A"),
        }
        assert _values(t, ref)[person] == ref, person


@pytest.mark.parametrize(("value", "fragment"), [
    ("count(*) filter (where person.salary > 1)", "person.salary"),
    ("count(*) filter (where unit.ancestor('省公司') = 'x')", "省公司"),
    ("count(*) filter (where unit.ancestor(person_id) = 'x')", "unit.ancestor"),
    ("count(*) filter (where person.ancestor('county') = 'x')", "person.ancestor"),
    ("count(*) filter (where tx.person_id = 'x')", "tx.person_id"),
    ("count(*) filter (where unit.parent.kind = 'x')", "unit.parent.kind"),
    ("count(*) filter (where \"person.position\" = 'x')", "person.position"),
    ("count(*) filter (where unit.ancestor('county', 'x') = 'x')", "unit.ancestor"),
    ("sum(person.level)", "expected a number"),
])
def test_org_names_refused_before_running(tmp_path: Path, value: str, fragment: str) -> None:
    b = oc.org_builder(tmp_path)
    b.source("tx", oc.TX)
    b.scheme("bad", {"entity": "person", "period": "month", "indicators": [
        {"code": "x", "source": "tx", "value": value, "role": "info"}]})
    with pytest.raises(Problems) as info:
        b.run("bad", "2026-10")
    (err,) = info.value.problems
    assert isinstance(err, FormulaError) and err.scheme == "bad" and err.indicator == "x"
    assert fragment in str(err), str(err)


def test_unit_names_need_a_unit_column(tmp_path: Path) -> None:
    b = oc.org_builder(tmp_path)
    b.source("pz", {"time": "at", "person": "person_id", "columns": {
        "person_id": {"type": "string"}, "at": {"type": "datetime"}}})
    b.scheme("bad", {"entity": "person", "period": "month", "indicators": [
        {"code": "x", "source": "pz", "role": "info",
         "value": "count(*) filter (where unit.kind = '自营厅')"}]})
    with pytest.raises(Problems) as info:
        b.run("bad", "2026-10")
    assert "person.unit" in str(info.value.problems[0])


# ---- §15 derived formulas -----------------------------------------------------------------

def test_peer_statistics_and_attributes_hand_computed(tmp_path: Path) -> None:
    t = oc.peers(tmp_path).run("peer", "2026-10")
    for person, expected in oc.PEER_EXPECTED.items():
        got = {c: col(t, c if c == "total" else f"v_{c}")[person] for c in expected}
        assert got == expected, person


def test_peer_statistics_match_the_reference(tmp_path: Path) -> None:
    b = oc.peers(tmp_path)
    t = b.run("peer", "2026-10")
    with b.workspace().store.connect(read_only=True) as con:
        rows = [dict(zip(["person_id", "unit_id", "at", "n"], r, strict=True)) for r in
                con.execute("SELECT person_id, unit_id, \"at\", n FROM fact_tx").fetchall()]

    def avg_n(rs: list[dict[str, Any]]) -> F | None:
        ns = [F(str(r["n"])) for r in rs if r["n"] is not None]
        return sum(ns, F(0)) / len(ns) if ns else None

    def derived(code: str, fn: Any, attrs: tuple[str, ...] = ()) -> dict[str, Any]:
        return {"code": code, "role": "info", "peer_fn": fn, "attrs": attrs}

    inds = [
        {"code": "volume", "source": "tx", "weight": 100,
         "score": {"rule": "linear", "floor": 0, "target": 4}, "fn": lambda rs: F(len(rs))},
        {"code": "avgn", "source": "tx", "role": "info", "fn": avg_n},
        derived("base", lambda v, g, a: F(15) if a["kind"] == "自营厅" else F(8), ("kind",)),
        derived("dist", lambda v, g, a: v["volume"] - peer("peer_mean", "volume")(g)),
        derived("pc", lambda v, g, a: peer("peer_count", "avgn")(g)),
        derived("pmin", lambda v, g, a: peer("peer_min", "volume")(g)),
        derived("pmax", lambda v, g, a: peer("peer_max", "volume")(g)),
        derived("gs", lambda v, g, a: F(len(g("volume")))),
        derived("yrs", lambda v, g, a: F(a["years"]) * 2, ("years",)),
        derived("pm_avgn", lambda v, g, a: peer("peer_mean", "avgn")(g)),
        {**derived("above", lambda v, g, a: F(int(v["dist"] > 0))), "role": "bonus",
         "score": {"per": 5}},
    ]
    scheme = {"entity": "person", "population": {"position": "营业员"}, "peers": ["unit"],
              "indicators": inds}
    meta = {"tx": SourceMeta(time="at", person="person_id", unit="unit_id")}
    ref = evaluate(_ref_org(), meta, {"tx": rows}, scheme, ("month", date(2026, 10, 1)))
    assert sorted(ref) == sorted(t.index)
    for person, r in ref.items():
        for c in oc.PEER_EXPECTED[person]:
            key = c if c == "total" else f"v_{c}"
            assert col(t, key)[person] == r[key], (person, c)


@pytest.mark.parametrize(("value", "fragment"), [
    ("peer_mean(nope)", "peer_mean(nope)"),
    ("peer_mean(1)", "peer_mean(1)"),
    ("peer_mean(volume + 1)", "peer_mean(volume + 1)"),
    ("peer_max(peer_mean(volume))", "peer_max(peer_mean(volume))"),
    ("peer_count(volume, volume)", "peer_count"),
    ("peer_min(kind)", "peer_min(kind)"),
    ("peer_mean(dist)", "uses peer statistics"),
    ("kind + 1", "expected a number"),
    ("peer_median(volume)", "peer_median"),
    ("nosuch * 2", "nosuch"),
])
def test_derived_names_refused_before_running(tmp_path: Path, value: str,
                                              fragment: str) -> None:
    b = oc.org_builder(tmp_path)
    b.source("tx", oc.TX)
    b.scheme("bad", {"entity": "person", "period": "month", "indicators": [
        {"code": "volume", "source": "tx", "value": "count(*)", "role": "info"},
        {"code": "dist", "value": "volume - peer_mean(volume)", "role": "info"},
        {"code": "x", "value": value, "role": "info"}]})
    with pytest.raises(Problems) as info:
        b.run("bad", "2026-10")
    (err,) = info.value.problems
    assert isinstance(err, FormulaError) and err.scheme == "bad" and err.indicator == "x"
    assert fragment.lower() in str(err).lower(), str(err)


def test_true_false_literals(tmp_path: Path) -> None:
    b = oc.org_builder(tmp_path)
    b.source("tx", oc.TX)
    b.scheme("tf", {"entity": "person", "period": "month", "indicators": [
        {"code": "t", "source": "tx", "role": "info",
         "value": "count(*) filter (where true) + count(*) filter (where false)"},
        {"code": "d", "value": "case when true and not false then t * 2 end", "role": "info"}]})
    b.facts("tx", [{"person_id": "P1", "unit_id": "H1", "at": "2026-10-02 08:00", "n": 1},
                   {"person_id": "P1", "unit_id": "H1", "at": "2026-10-03 08:00", "n": 1}])
    t = b.run("tf", "2026-10")
    # t = 2 rows + 0 rows = 2; d = 2 × 2 = 4
    assert col(t, "v_t")["P1"] == 2 and col(t, "v_d")["P1"] == 4


def test_v1_scheme_sql_is_unchanged_by_enrichment(tmp_path: Path) -> None:
    """A scheme that names no v2 column reads the facts table directly (the period filter
    stays on the scan), with no window and no org join."""
    b = oc.empty_unit(tmp_path)
    sql = b.run_output("people", "2026-10").sql
    assert "LAG(" not in sql and "k_oa" not in sql and "k_ou" not in sql
    seq = oc.sequences(tmp_path / "s").run_output("seq", "2026-10").sql
    assert "LAG(" in seq and "LEAD(" in seq



def test_explain_rows_of_a_unit_include_rows_without_a_unit(tmp_path: Path) -> None:
    from rich.console import Console

    from kaohe.cli.explaining import explain_entity

    b = oc.empty_unit(tmp_path)
    out = Console(record=True, width=200)
    explain_entity(b.workspace(), "units", "2026-10", "H3", 10, "duckdb", out)
    text = out.export_text()
    # H3's only row is P5's without a unit (P5 is at H3 on the period's last day)
    assert "1 行 rows" in text and "P5" in text and "11" in text


def test_explain_rows_show_sequence_and_org_columns(tmp_path: Path) -> None:
    from rich.console import Console

    from kaohe.cli.explaining import explain_entity

    b = oc.sequences(tmp_path)
    out = Console(record=True, width=250)
    explain_entity(b.workspace(), "seq", "2026-10", "P1", 10, "duckdb", out)
    text = out.export_text()
    # P1's October rows r2, r3, r4 with since_prev 14, 5, 48 and until_next 0, 2, 30
    assert "since_prev" in text and "until_next" in text and "3 行 rows" in text
    lines = [ln for ln in text.splitlines() if "2026-10-0" in ln and "│ A" in ln]
    assert len(lines) == 3
    assert [ln.split("│")[-3].strip() for ln in lines] == ["14", "5", "48"]
    assert [ln.split("│")[-2].strip() for ln in lines] == ["0", "2", "30"]


def test_explain_rows_show_the_org_at_the_rows_date(tmp_path: Path) -> None:
    from rich.console import Console

    from kaohe.cli.explaining import explain_entity

    b = oc.org_refs(tmp_path)
    out = Console(record=True, width=250)
    explain_entity(b.workspace(), "org", "2026-10", "P3", 10, "duckdb", out)
    lines = [ln for ln in out.export_text().splitlines() if ln.startswith("│ P3")]
    # before the transfer (10-10, 10-14): 营业员 at H1; from 10-15: 台区经理 at H2
    assert [("营业员" in ln, "台区经理" in ln) for ln in lines] == [
        (True, False), (True, False), (False, True), (False, True), (False, True)]
