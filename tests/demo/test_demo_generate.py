"""The demo workspace generator: complete, consistent, realistic and deterministic (spec §1–§4)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
import yaml

from kaohe.demo.generate import SCHEMES, SOURCES, generate_workspace
from kaohe.errors import InputError

SCALE = 0.05
OUTLET_KINDS = {"自营厅", "合作厅", "特约厅", "代理店"}
TYPES = {"string", "integer", "decimal", "boolean", "date", "datetime"}
SCHEME_KEYS = {"name", "entity", "period", "population", "peers", "indicators", "grades",
               "elimination", "payout"}
# description (口径) and format: what people read (issue 13); every demo indicator has a 口径
INDICATOR_KEYS = {"code", "name", "source", "value", "weight", "score", "missing", "role",
                  "description", "format"}
RULES = {"linear", "steps", "deduct", "percentile", "vs_mean"}
# Words a formula may use besides column names (spec §3).
FORMULA_WORDS = {
    "count", "sum", "avg", "min", "max", "filter", "where", "and", "or", "not", "in", "between",
    "is", "null", "case", "when", "then", "else", "end", "coalesce", "nullif", "abs", "round",
    "least", "greatest", "date_diff", "distinct",
}
RESULT_COLUMNS = {"period_start", "total", "rank", "grade"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("demo")
    return root, generate_workspace(root, scale=SCALE)


def _yaml(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict), path
    return loaded


def _org(root: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(root / "org" / f"{name}.csv", dtype=str, keep_default_na=False)


def _facts(root: Path, manifest: dict[str, Any], source: str) -> pd.DataFrame:
    """All files of a source, Chinese headers mapped back to column names, ids as strings."""
    spec = _yaml(root / "sources" / f"{source}.yaml")
    names = {alias: col for col, c in spec["columns"].items() for alias in c["aliases"]}
    frames = []
    for file in manifest["sources"][source]:
        path = Path(file)
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif path.suffix == ".xlsx":
            header = manifest["header_rows"][file] - 1
            frame = pd.read_excel(path, header=header, dtype={"营业厅编码": str})
        else:
            frame = pd.read_csv(path, dtype=str)
        frames.append(frame.rename(columns=names))
    frame = pd.concat(frames, ignore_index=True)
    assert set(frame.columns) == set(spec["columns"]), source
    return frame


def test_manifest_lists_every_file_and_the_run_plan(built: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = built
    # the core demo first; regime packs (kaohe.demo.packs) add theirs after it (their own
    # tests check theirs)
    assert list(manifest["sources"])[: len(SOURCES)] == list(SOURCES)
    assert manifest["schemes"][:3] == ["clerk_star", "hall_service", "clerk_quarter"]
    months = ["2026-07", "2026-08", "2026-09"]
    assert manifest["months"] == months
    assert {k: manifest["periods"][k] for k in SCHEMES} == {
        "clerk_star": months, "hall_service": months, "clerk_quarter": ["2026-Q3"],
    }
    assert set(manifest["periods"]) == set(manifest["schemes"])
    for files in manifest["sources"].values():
        assert files
        for file in files:
            assert Path(file).is_absolute() and Path(file).is_file()
            assert Path(file).resolve().is_relative_to((root / "data").resolve())
    suffixes = {Path(f).suffix for fs in manifest["sources"].values() for f in fs}
    assert suffixes == {".parquet", ".xlsx", ".csv"}
    xlsx = {f for fs in manifest["sources"].values() for f in fs if f.endswith(".xlsx")}
    assert set(manifest["header_rows"]) == xlsx
    assert set(manifest["header_rows"].values()) == {2}
    for name in ("units", "people", "assignments"):
        assert (root / "org" / f"{name}.csv").is_file()
    assert {p.stem for p in (root / "sources").glob("*.yaml")} == set(manifest["sources"])
    assert {p.stem for p in (root / "schemes").glob("*.yaml")} == set(manifest["schemes"])


def test_settings_and_sources_follow_the_spec(built: tuple[Path, dict[str, Any]]) -> None:
    root, _ = built
    assert _yaml(root / "kaohe.yaml") == {
        "engine": "duckdb", "store": "store.duckdb",
        "notice": {"company": "江南移动通信公司", "department": "市场部"}}  # the 通报's 红头
    for name in SOURCES:
        spec = _yaml(root / "sources" / f"{name}.yaml")
        assert spec["name"] == name and spec["title"]
        columns = spec["columns"]
        assert spec["time"] in columns and set(spec["key"]) <= set(columns)
        assert spec.get("person") or spec.get("unit")
        for role in ("person", "unit"):
            assert spec.get(role) is None or spec[role] in columns
        for col in columns.values():
            assert col["type"] in TYPES
            assert col["aliases"] and all(re.search(r"[\u4e00-\u9fff]", a) for a in col["aliases"])


def _identifiers(formula: str) -> set[str]:
    without_strings = re.sub(r"'[^']*'", "''", formula)
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", without_strings))
    return {w for w in words if w.lower() not in FORMULA_WORDS}


def test_schemes_use_spec_keys_and_known_columns(built: tuple[Path, dict[str, Any]]) -> None:
    root, _ = built
    columns = {n: set(_yaml(root / "sources" / f"{n}.yaml")["columns"]) for n in SOURCES}
    for name in SCHEMES:
        text = (root / "schemes" / f"{name}.yaml").read_text(encoding="utf-8")
        assert "$" not in text, "template placeholder left over"
        scheme = _yaml(root / "schemes" / f"{name}.yaml")
        assert set(scheme) <= SCHEME_KEYS and scheme["name"]
        assert scheme["entity"] in {"person", "unit"}
        assert scheme["period"] in {"day", "month", "quarter", "year"}
        codes = {i["code"] for i in scheme["indicators"]}
        weights = 0.0
        for ind in scheme["indicators"]:
            assert set(ind) <= INDICATOR_KEYS, ind["code"]
            assert ind.get("description"), (name, ind["code"])
            role = ind.get("role", "scored")
            if role == "scored":
                assert ind["score"]["rule"] in RULES
                weights += ind["weight"]
            source = ind.get("source")
            if source is None:
                allowed = codes - {ind["code"]}
            elif source.startswith("results:"):
                assert source.removeprefix("results:") in SCHEMES
                allowed = RESULT_COLUMNS | {f"p_{c}" for c in ("volume", "quiz", "upsell")}
            else:
                allowed = columns[source]
            assert _identifiers(str(ind["value"])) <= allowed, (name, ind["code"])
        assert weights == 100, name
        labels = [g[1] for g in scheme["grades"]]
        assert [g[0] for g in scheme["grades"]] == sorted((g[0] for g in scheme["grades"]),
                                                           reverse=True)
        if "coefficient" in scheme.get("payout", {}):
            assert set(scheme["payout"]["coefficient"]) == set(labels)
    star = _yaml(root / "schemes" / "clerk_star.yaml")
    roles = {i.get("role", "scored") for i in star["indicators"]}
    assert roles == {"scored", "bonus", "penalty", "veto", "info"}
    rules = {i["score"]["rule"] for i in star["indicators"] if "rule" in i.get("score", {})}
    assert rules == RULES
    assert {i.get("missing", "zero") for i in star["indicators"]} == {"zero", "full", "exclude"}
    assert star["elimination"] == {"bottom": 1, "consecutive": 3}


def test_org_is_a_tree_of_realistic_units(built: tuple[Path, dict[str, Any]]) -> None:
    root, _ = built
    units = _org(root, "units")
    assert list(units.columns[:4]) == ["id", "name", "kind", "parent_id"]
    assert units["id"].is_unique
    parent = dict(zip(units["id"], units["parent_id"], strict=True))
    roots = [u for u, p in parent.items() if p == ""]
    assert len(roots) == 1
    for unit in parent:
        seen = {unit}
        while parent[unit]:
            unit = parent[unit]
            assert unit in parent and unit not in seen
            seen.add(unit)
    kind = dict(zip(units["id"], units["kind"], strict=True))
    counts = units["kind"].value_counts()
    assert counts["分公司"] == 3 and counts["县公司"] >= 10
    assert OUTLET_KINDS <= set(counts.index)
    outlets = units[units["kind"].isin(OUTLET_KINDS)]
    assert 60 <= len(outlets) <= 100
    assert set(outlets["area"]) == {"城区", "农村"} and set(outlets["size"]) == {"大", "中", "小"}
    assert {kind[parent[u]] for u in outlets["id"]} == {"县公司"}


def test_ids_keep_their_leading_zeros(built: tuple[Path, dict[str, Any]]) -> None:
    root, _ = built
    raw = (root / "org" / "units.csv").read_text(encoding="utf-8").splitlines()
    assert all(line.startswith("0") for line in raw[1:])
    people = _org(root, "people")
    assert people["id"].str.fullmatch(r"00\d{5}").all() and people["id"].is_unique
    units = _org(root, "units")
    assert units["id"].str.startswith("0").all()
    # Read as numbers they would collide with nothing but lose their zeros: the demo relies on it.
    assert (pd.read_csv(root / "org" / "people.csv")["id"].astype(str) != people["id"]).all()


def test_assignments_reference_the_org_and_tell_a_history(
    built: tuple[Path, dict[str, Any]],
) -> None:
    root, _ = built
    people, units = _org(root, "people"), _org(root, "units")
    a = _org(root, "assignments")
    assert list(a.columns) == ["person_id", "unit_id", "position", "start", "end"]
    assert set(a["person_id"]) == set(people["id"])
    assert set(a["unit_id"]) <= set(units["id"])
    assert set(a["position"]) >= {"营业员", "值班经理", "营业厅主任", "客户经理"}
    assert (a["position"] == "营业员").mean() > 0.6
    closed = a[a["end"] != ""]
    assert (closed["start"] <= closed["end"]).all()
    window = ("2026-07-01", "2026-09-30")
    in_window = a["end"].between(*window)
    nxt = a.groupby("person_id")["start"].shift(-1)
    day_after = (pd.to_datetime(a["end"], errors="coerce") + pd.Timedelta(days=1)).dt.strftime(
        "%Y-%m-%d")
    moved = in_window & (nxt == day_after)
    left = in_window & nxt.isna()
    joined = a["start"].between(*window) & ~a["person_id"].isin(a.loc[moved, "person_id"])
    assert moved.sum() >= 10 and left.sum() >= 3 and joined.sum() >= 5
    hired = dict(zip(people["id"], people["hired"], strict=True))
    first = a.groupby("person_id")["start"].min()
    assert (first.index.map(hired) <= first).all()


def test_facts_reference_known_ids_with_unique_keys_inside_the_months(
    built: tuple[Path, dict[str, Any]],
) -> None:
    root, manifest = built
    people = set(_org(root, "people")["id"])
    units = set(_org(root, "units")["id"])
    lo, hi = pd.Timestamp("2026-07-01"), pd.Timestamp("2026-10-01")
    for source in SOURCES:
        spec = _yaml(root / "sources" / f"{source}.yaml")
        frame = _facts(root, manifest, source)
        assert len(frame) > 0, source
        assert not frame.duplicated(spec["key"]).any(), source
        times = pd.to_datetime(frame[spec["time"]])
        assert times.notna().all() and times.between(lo, hi, inclusive="left").all(), source
        if spec.get("person"):
            assert set(frame[spec["person"]].dropna()) <= people, source
        if spec.get("unit"):
            assert set(frame[spec["unit"]].dropna()) <= units, source
    complaints = _facts(root, manifest, "complaints")
    assert complaints["unit_id"].isna().any() and complaints["person_id"].isna().any()
    assert (complaints["person_id"].notna() | complaints["unit_id"].notna()).all()
    assert set(complaints["severity"]) == {"一般", "重大"}
    quiz = _facts(root, manifest, "quiz")
    assert quiz["score"].between(0, 100).all()
    tickets = _facts(root, manifest, "tickets")
    assert tickets["closed_at"].isna().any() and (tickets["due_at"] > tickets["created_at"]).all()


def test_transactions_happen_where_the_person_was_assigned_that_day(
    built: tuple[Path, dict[str, Any]],
) -> None:
    root, manifest = built
    a = _org(root, "assignments")
    a["end"] = a["end"].replace("", "2026-09-30")
    a = a[(a["end"] >= "2026-07-01") & (a["start"] <= "2026-09-30")]
    days = [
        pd.DataFrame({"person_id": r.person_id, "unit_id": r.unit_id, "start": r.start,
                      "day": pd.date_range(max(r.start, "2026-07-01"), r.end)})
        for r in a.itertuples()
    ]
    # As of a day the assignment with the latest start wins (spec §1).
    as_of = (pd.concat(days).sort_values("start").groupby(["person_id", "day"]).tail(1)
             .set_index(["person_id", "day"])["unit_id"])
    txn = _facts(root, manifest, "transactions")
    txn["day"] = txn["at"].dt.normalize()
    pairs = txn[["person_id", "day", "unit_id"]].drop_duplicates()
    expected = as_of.reindex(pd.MultiIndex.from_frame(pairs[["person_id", "day"]]))
    assert (expected.to_numpy() == pairs["unit_id"].to_numpy()).all()
    assert txn["amount"].map(lambda d: d.as_tuple().exponent == -2).all()


def test_inspections_come_as_excel_with_a_title_row(built: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = built
    spec = _yaml(root / "sources" / "inspections.yaml")
    aliases = [c["aliases"][0] for c in spec["columns"].values()]
    for file, header_row in manifest["header_rows"].items():
        ws = openpyxl.load_workbook(file).active
        assert ws is not None
        title = ws.cell(1, 1).value
        assert isinstance(title, str) and "明查暗访" in title
        assert all(ws.cell(1, c).value is None for c in range(2, len(aliases) + 1))
        assert [ws.cell(header_row, c).value for c in range(1, len(aliases) + 1)] == aliases
        assert isinstance(ws.cell(header_row + 1, 2).value, str)  # the hall code stays text
    visits = _facts(root, manifest, "inspections")
    clean = visits[visits["item"] == "无问题"]
    assert len(clean) > 0 and (clean["deduction"] == 0).all()
    assert not clean["visit_id"].isin(visits.loc[visits["item"] != "无问题", "visit_id"]).any()
    assert set(visits["method"]) == {"明查", "暗访"}
    norms = {"起立迎接", "微笑服务", "双手递接", "不闲聊", "柜台不玩手机", "首问负责制",
             "起立相迎站立相送", "唱收唱付"}
    assert norms <= set(visits["item"])


def test_csv_exports_use_chinese_headers(built: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = built
    for source in ("complaints", "praises"):
        spec = _yaml(root / "sources" / f"{source}.yaml")
        (file,) = manifest["sources"][source]
        header = Path(file).read_text(encoding="utf-8").splitlines()[0].split(",")
        assert header == [c["aliases"][0] for c in spec["columns"].values()]


def test_anomalies_are_in_the_data(built: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = built
    anomalies = manifest["anomalies"]
    txn = _facts(root, manifest, "transactions")
    month = txn["at"].dt.strftime("%Y-%m")
    closed = (txn["unit_id"] == anomalies["renovated_unit"])
    assert not (closed & (month == anomalies["renovation_month"])).any()
    assert closed.any()
    volume = txn.groupby("person_id").size()
    assert volume.idxmax() == anomalies["high_volume_person"]


def test_same_seed_same_files(
    built: tuple[Path, dict[str, Any]], tmp_path: Path,
) -> None:
    root, manifest = built
    again = generate_workspace(tmp_path / "again", scale=SCALE)
    assert again["anomalies"] == manifest["anomalies"]
    texts = [p.relative_to(root) for p in root.rglob("*") if p.suffix in {".csv", ".yaml"}]
    assert len(texts) >= 15
    for rel in texts:
        assert (tmp_path / "again" / rel).read_bytes() == (root / rel).read_bytes(), rel
    for rel in [p.relative_to(root) for p in root.rglob("*.parquet")]:
        assert pd.read_parquet(tmp_path / "again" / rel).equals(pd.read_parquet(root / rel)), rel
    other = generate_workspace(tmp_path / "other", seed=7, scale=SCALE)
    assert other["periods"] == manifest["periods"]
    people = (root / "org" / "people.csv").read_bytes()
    assert (tmp_path / "other" / "org" / "people.csv").read_bytes() != people


def test_window_follows_end_month(tmp_path: Path) -> None:
    manifest = generate_workspace(tmp_path, scale=0.01, end_month="2026-10", months=2)
    assert manifest["periods"]["clerk_star"] == ["2026-09", "2026-10"]
    assert manifest["periods"]["clerk_quarter"] == ["2026-Q4"]
    assert len(manifest["sources"]["transactions"]) == 2


@pytest.mark.parametrize("kwargs", [{"scale": 0}, {"months": 0}, {"end_month": "2026-13"}])
def test_bad_arguments_are_refused(tmp_path: Path, kwargs: dict[str, Any]) -> None:
    with pytest.raises((ValueError, InputError)):
        generate_workspace(tmp_path, **kwargs)
