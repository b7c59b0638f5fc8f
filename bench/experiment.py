"""An experimental engine variant, applied by patching kaohe at run time (src/ is untouched),
to measure the fixes proposed in docs/performance.md:

1. ``narrow_windows``: every window function of a CTE (percentile ranks and counts, vs_mean
   averages, the final ranks) is computed in a narrow CTE of its own — entity_id and the few
   columns it reads — and joined back on entity_id. DuckDB's WINDOW operator materialises and
   sorts its whole input row; in kaohe's plan that row was 120–280 columns wide (population
   attributes, 55 parts, 60 values, points), once per distinct window specification.
   kaohe adopted this in commit d25c78b; on a plan already narrow this fix does nothing.
2. ``split_distinct``: each count(distinct …) part is computed in its own GROUP BY (its filter
   moved into WHERE) and joined to the other parts. With distinct aggregates beside plain
   ones, DuckDB materialises the whole fact scan in a CTE and aggregates it several times.
3. ``fast_save``: save_run with the group key built column-wise (not a row-wise
   ``.agg("/".join, axis=1)``) and the run_indicators rows built as Arrow arrays (dictionary
   encoded), not 60 pandas frames concatenated. Same tables, same rows.
4. ``fast_population``: the population and its k_pop table built a column at a time from
   ``positions_on`` (person schemes), not an Entity object and attribute() calls per person.
5. ``case_filters``: ``agg(x) FILTER (WHERE c)`` compiled as ``agg(CASE WHEN c THEN x END)``
   (same values; DuckDB's FILTER costs a selection vector per aggregate and chunk).
6. ``fast_org``: load_org with pandas, a column at a time (the same Org; on any problem in
   the files kaohe's own load_org runs, to report it).

``python -m bench.experiment savecost --ws DIR`` times storing a run's indicator rows in other
layouts (integer keys, one row per entity with lists).

``apply(names)`` installs the chosen fixes; ``python -m bench.contender engine --experiment
narrow_windows,split_distinct,fast_save`` runs the engine with them.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlglot import exp

FIXES = ("narrow_windows", "split_distinct", "case_filters", "fast_save", "fast_population",
         "fast_org")


def _ctes(query: exp.Select) -> list[exp.CTE]:
    w = query.args.get("with_") or query.args.get("with")
    return list(w.expressions) if w is not None else []


def _set_ctes(query: exp.Select, ctes: list[exp.CTE]) -> None:
    w = query.args.get("with_") or query.args.get("with")
    assert w is not None
    w.set("expressions", ctes)


def _single_source(sel: exp.Select) -> str | None:
    """The name of the one CTE a select reads, when it reads exactly one and joins nothing."""
    src = sel.args.get("from_") or sel.args.get("from")
    if src is None or sel.args.get("joins") or not isinstance(src.this, exp.Table):
        return None
    return src.this.name


def narrow_windows(query: exp.Select) -> exp.Select:
    q = query.copy()
    out: list[exp.CTE] = []
    for cte in _ctes(q):
        sel = cte.this
        source = _single_source(sel) if isinstance(sel, exp.Select) else None
        windows = [w for e in sel.expressions for w in e.find_all(exp.Window)] if source else []
        wide_input = any(isinstance(e, exp.Star) or (isinstance(e, exp.Column)
                                                     and isinstance(e.this, exp.Star))
                         for e in sel.expressions)
        if not windows or not wide_input:  # nothing to do, or already narrow (kaohe d25c78b)
            out.append(cte)
            continue
        name = cte.alias
        cols: dict[str, str] = {}  # window sql → column
        for w in windows:
            cols.setdefault(w.sql(dialect="duckdb"), f"_{name}_w{len(cols)}")
        # read through an explicit projection of the columns the windows use: a scan of a
        # materialised CTE hands on every column, and WINDOW carries its whole input
        used = sorted({c.name for w in windows for c in w.find_all(exp.Column)} - {"entity_id"})
        inner = exp.select(*[exp.column(c, quoted=True) for c in ["entity_id", *used]])
        narrow = exp.select(exp.column("entity_id", quoted=True)).from_(
            exp.alias_(exp.Subquery(this=inner.from_(source)), "s", table=True))
        seen: set[str] = set()
        for w in windows:
            text = w.sql(dialect="duckdb")
            if text not in seen:
                seen.add(text)
                narrow = narrow.select(exp.alias_(w.copy(), cols[text], quote=True), copy=False)

        def swap(node: exp.Expression, cols: dict[str, str] = cols) -> exp.Expression:
            if isinstance(node, exp.Window):
                return exp.column(cols[node.sql(dialect="duckdb")], quoted=True)
            return node

        wide = sel.transform(swap)
        wide = wide.join(exp.to_table(f"{name}_win"), using=["entity_id"])
        out.append(exp.CTE(this=narrow, alias=exp.TableAlias(this=exp.to_identifier(
            f"{name}_win"))))
        out.append(exp.CTE(this=wide, alias=cte.args["alias"]))
        # the source is read twice now: materialise it so that the facts are aggregated once
        for prev in out:
            if prev.alias == source:
                prev.set("materialized", True)
    _set_ctes(q, out)
    return q


def split_distinct(query: exp.Select) -> exp.Select:
    q = query.copy()
    out: list[exp.CTE] = []
    for cte in _ctes(q):
        sel = cte.this
        group = sel.args.get("group") if isinstance(sel, exp.Select) else None
        distinct = [e for e in sel.expressions if e.find(exp.Distinct)] if group else []
        plain = [e for e in sel.expressions if not e.find(exp.Distinct)] if group else []
        if not distinct or len(plain) <= 1:  # only the key besides: nothing to split
            out.append(cte)
            continue
        name = cte.alias
        key = sel.expressions[0]  # "_k"
        main = sel.copy()
        main.set("expressions", [e.copy() for e in plain])
        out.append(exp.CTE(this=main, alias=exp.TableAlias(this=exp.to_identifier(
            f"{name}_m"))))
        joined = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier("m"))).from_(
            exp.alias_(exp.to_table(f"{name}_m"), "m", table=True))
        for i, part in enumerate(distinct):
            agg = part.this
            d = sel.copy()
            where = d.args.get("where")
            if isinstance(agg, exp.Filter):  # count(distinct x) filter (where c): c → WHERE
                cond = agg.expression.this
                d.set("where", exp.Where(this=exp.and_(where.this.copy(), cond.copy())
                                         if where else cond.copy()))
                agg = agg.this
            d.set("expressions", [key.copy(), exp.alias_(agg.copy(), part.alias, quote=True)])
            alias = f"{name}_d{i}"
            out.append(exp.CTE(this=d, alias=exp.TableAlias(this=exp.to_identifier(alias))))
            zero = exp.Coalesce(this=exp.column(part.alias, table=alias, quoted=True),
                                expressions=[exp.Literal.number(0)])  # count over no rows
            joined = joined.select(exp.alias_(zero, part.alias, quote=True), copy=False)
            joined = joined.join(exp.to_table(alias), join_type="LEFT", on=exp.EQ(
                this=exp.column("_k", table=alias, quoted=True),
                expression=exp.column("_k", table="m", quoted=True)))
        out.append(exp.CTE(this=joined, alias=cte.args["alias"]))
    _set_ctes(q, out)
    return q


def case_filters(query: exp.Select) -> exp.Select:
    """Every ``agg(x) FILTER (WHERE c)`` of the aggregate CTEs as ``agg(CASE WHEN c THEN x
    END)`` (``count(*)``: ``CAST(sum(CASE WHEN c THEN 1 ELSE 0 END) AS BIGINT)``): the same
    values, no FILTER (DuckDB builds a selection vector per filtered aggregate)."""
    q = query.copy()

    def rewrite(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Filter):
            return node
        agg, cond = node.this, node.expression.this

        def when(value: exp.Expression, default: exp.Expression | None = None) -> exp.Case:
            case = exp.Case(ifs=[exp.If(this=cond.copy(), true=value)])
            if default is not None:
                case.set("default", default)
            return case

        if isinstance(agg, exp.Count) and isinstance(agg.this, exp.Star):
            total = exp.Sum(this=when(exp.Literal.number(1), exp.Literal.number(0)))
            return exp.Cast(this=total, to=exp.DataType.build("BIGINT"))
        if isinstance(agg, exp.Count) and isinstance(agg.this, exp.Distinct):
            (x,) = agg.this.expressions
            return exp.Count(this=exp.Distinct(expressions=[when(x.copy())]))
        return type(agg)(this=when(agg.this.copy()))

    for cte in _ctes(q):
        if isinstance(cte.this, exp.Select) and cte.this.args.get("group"):
            cte.set("this", cte.this.transform(rewrite))
    return q


def fast_load_org(original: Callable[..., Any]) -> Callable[..., Any]:
    """kaohe.workspace.org.load_org, a column at a time. Any problem in the files: the
    original runs instead, so that every error is reported as kaohe reports it."""
    from kaohe.workspace.org import Org, _find
    from kaohe.workspace.tables import read_table

    def frame(path: Path) -> pd.DataFrame:
        import pyarrow.compute as pc

        raw = read_table(path)
        cols = {}
        for i, h in enumerate(raw.headers):
            c = pc.utf8_trim_whitespace(raw.table.column(i).cast(pa.string()))
            cols[h.strip()] = pc.if_else(pc.equal(c, ""), None, c)
        return pa.table(cols).to_pandas(types_mapper=lambda t: None).astype(object).where(
            lambda d: d.notna(), None)

    def records(df: pd.DataFrame) -> dict[str, dict[str, str | None]]:
        rest = [c for c in df.columns if c != "id"]
        cols = [df[c].tolist() for c in rest]
        return {i: dict(zip(rest, vals, strict=True))
                for i, *vals in zip(df["id"].tolist(), *cols, strict=True)}

    def day(s: pd.Series) -> tuple[pd.Series, pd.Series]:
        parsed = pd.to_datetime(s.str.replace("/", "-").str[:10], format="%Y-%m-%d",
                                errors="coerce")
        dates = parsed.dt.date.astype(object)
        dates[parsed.isna()] = None
        return dates, parsed

    def load_org(root: Path) -> Any:
        folder = root / "org"
        paths = {s: _find(folder, s) for s in ("units", "people", "assignments")}
        if any(p is None for p in paths.values()):
            return original(root)
        try:
            units, people, asg = (frame(paths[s]) for s in ("units", "people", "assignments"))
        except Exception:  # noqa: BLE001 - let kaohe report it
            return original(root)
        need = {"units": (units, ["id", "name", "kind", "parent_id"]),
                "people": (people, ["id", "name"]),
                "assignments": (asg, ["person_id", "unit_id", "position", "start", "end"])}
        if any(c not in df.columns for df, cols in need.values() for c in cols):
            return original(root)
        bad = (units["id"].isna().any() or units["id"].duplicated().any()
               or people["id"].isna().any() or people["id"].duplicated().any()
               or not units["parent_id"].dropna().isin(units["id"]).all()
               or not asg["person_id"].isin(people["id"]).all()
               or not asg["unit_id"].isin(units["id"]).all())
        (start, t0), (end, t1) = day(asg["start"]), day(asg["end"])
        bad = bad or t0.isna().any() or (asg["end"].notna() & t1.isna()).any()
        bad = bad or bool((t1 < t0).any())
        if bad:
            return original(root)
        parent = dict(zip(units["id"], units["parent_id"], strict=True))
        for uid in parent:  # a cycle: let kaohe report it
            seen: set[str] = set()
            cur: str | None = uid
            while cur is not None and cur in parent:
                if cur in seen:
                    return original(root)
                seen.add(cur)
                cur = parent[cur]
        assignments = pd.DataFrame({"person_id": asg["person_id"], "unit_id": asg["unit_id"],
                                    "position": asg["position"], "start": start, "end": end})
        return Org(units=records(units), people=records(people), assignments=assignments)

    return load_org


def fast_save(store: Any, result: Any, scheme: Any, period: Any, started: datetime) -> None:
    """kaohe.engine.history.save_run, column-wise: the same rows in the same tables."""
    t = result.table
    n = len(t)
    if result.peers:
        parts = [t[f"g_{p}"].astype("string").fillna("") for p in result.peers]
        group_key: Any = functools.reduce(lambda a, b: a + "/" + b, parts)
    else:
        group_key = ""
    ent = pd.DataFrame({
        "run_id": result.run_id, "entity_id": t["id"], "name": t["name"],
        "group_key": group_key, "total": t["total"], "rank": t["rank"],
        "group_size": t["group_size"], "grade": t["grade"], "vetoed": t["vetoed"],
        "bottom": t["bottom"], "eliminate": t["eliminate"], "payout": t["payout"],
    })
    codes = [i.code for i in scheme.indicators]
    k = len(codes)
    ids = pa.array(t["id"].astype(object).to_numpy(), pa.string())

    def stacked(prefix: str, dtype: str) -> pa.Array:
        if dtype == "bool":
            return pa.array(np.concatenate([t[f"{prefix}{c}"].to_numpy(bool) for c in codes]))
        return pa.array(np.concatenate([t[f"{prefix}{c}"].to_numpy("float64", na_value=np.nan)
                                        for c in codes]), from_pandas=True)

    inds = pa.table({
        "run_id": pa.DictionaryArray.from_arrays(pa.array(np.zeros(n * k, np.int32)),
                                                 pa.array([result.run_id])),
        "entity_id": pa.DictionaryArray.from_arrays(
            pa.array(np.tile(np.arange(n, dtype=np.int32), k)), ids),
        "code": pa.DictionaryArray.from_arrays(
            pa.array(np.repeat(np.arange(k, dtype=np.int32), n)), pa.array(codes)),
        "value": stacked("v_", "float64"),
        "points": stacked("p_", "float64"),
        "missing": stacked("m_", "bool"),
    })
    with store.connect() as con:
        con.execute("BEGIN TRANSACTION")
        try:
            con.register("ent", ent)
            con.register("inds", inds)
            con.execute("INSERT INTO run_entities SELECT run_id, entity_id, name, group_key, "
                        "total, rank, group_size, grade, vetoed, bottom, eliminate, payout "
                        "FROM ent")
            if inds.num_rows:
                con.execute("INSERT INTO run_indicators SELECT run_id, entity_id, code, value, "
                            "points, missing FROM inds")
            con.execute("INSERT INTO runs VALUES (?, ?, ?, ?, 'done', ?, ?, ?, ?, ?)",
                        [result.run_id, scheme.code, str(period), period.start, result.engine,
                         started, datetime.now(), scheme.text, n])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise


class _Population(list[Any]):
    """The population as a frame (fast_population); ``len()`` is its size."""

    def __init__(self, frame: pd.DataFrame) -> None:
        super().__init__()
        self.frame = frame

    def __len__(self) -> int:
        return len(self.frame)


def _attribute_columns(org: Any, frame: pd.DataFrame, names: set[str]) -> dict[str, pd.Series]:
    """kaohe.engine.inputs.attribute, a column at a time, for people (entity_id, _unit,
    position): ``ancestor:KIND``, the person's own attribute, else their unit's."""
    person_keys: set[str] = set()
    for attrs in org.people.values():
        person_keys.update(attrs)
        break  # every person has the columns of people.csv
    known = frame["entity_id"].isin(org.people)
    out: dict[str, pd.Series] = {}
    for name in names:
        if name.startswith("ancestor:"):
            kind = name.split(":", 1)[1]
            units = frame["_unit"].dropna().unique()
            anc = {u: org.ancestor_of_kind(u, kind) for u in units}
            out[name] = frame["_unit"].map(anc)
        elif name in ("position", "unit"):
            out[name] = frame["position" if name == "position" else "_unit"]
        else:
            unit_attr = frame["_unit"].map({u: a.get(name) for u, a in org.units.items()})
            if name in person_keys:
                own = frame["entity_id"].map({p: a.get(name) for p, a in org.people.items()})
                out[name] = own.where(known, unit_attr)
            else:
                out[name] = unit_attr
    return out


def fast_population(original: Callable[..., Any]) -> Callable[..., Any]:
    """kaohe.engine.inputs.population, vectorised for person schemes."""

    def population(org: Any, scheme: Any, period: Any) -> Any:
        if scheme.entity != "person":
            return original(org, scheme, period)
        on = org.positions_on(period.last_day)
        frame = pd.DataFrame({"entity_id": on["person_id"].astype(object),
                              "_unit": on["unit_id"].astype(object),
                              "position": on["position"].astype(object)})
        cols = _attribute_columns(org, frame, {a for a, _v in scheme.population})
        keep = np.ones(len(frame), dtype=bool)
        for a, values in scheme.population:
            keep &= cols[a].fillna("").isin(values).to_numpy()
        return _Population(frame[keep].reset_index(drop=True))

    return population


def fast_pop_table(original: Callable[..., Any]) -> Callable[..., Any]:
    """kaohe.engine.inputs.pop_table for a _Population, column-wise."""
    from kaohe.engine.inputs import GROUP_SEP

    def pop_table(org: Any, scheme: Any, entities: Any, numeric_attrs: tuple[str, ...]) -> Any:
        if not isinstance(entities, _Population):
            return original(org, scheme, entities, numeric_attrs)
        f = entities.frame
        within = scheme.payout.within if scheme.payout else ()
        cols = _attribute_columns(org, f, {*scheme.peers, *within, *numeric_attrs})

        def joined(names: tuple[str, ...]) -> pd.Series:
            if not names:
                return pd.Series("", index=f.index, dtype=object)
            parts = [cols[n].fillna("").astype(str) for n in names]
            return functools.reduce(lambda a, b: a + GROUP_SEP + b, parts)

        unit_names = {u: a.get("name") for u, a in org.units.items()}

        def label(name: str) -> pd.Series:  # inputs._label: unit ids become unit names
            v = cols[name]
            if name in ("unit", "parent") or name.startswith("ancestor:"):
                v = v.map(unit_names).where(v.map(unit_names).notna(), v)
            return v.fillna("").astype(str)

        data: dict[str, Any] = {
            "group_name": functools.reduce(lambda a, b: a + " / " + b,
                                           [label(p) for p in scheme.peers])
            if scheme.peers else pd.Series("", index=f.index, dtype=object),
            "entity_id": f["entity_id"],
            "name": f["entity_id"].map({p: a.get("name") for p, a in org.people.items()}),
            "unit_name": f["_unit"].map({u: a.get("name") for u, a in org.units.items()}),
            "_unit": f["_unit"], "_g": joined(tuple(scheme.peers)), "_w": joined(within),
        }
        for p in scheme.peers:
            data[f"g_{p}"] = cols[p]
        for a in numeric_attrs:
            data[f"a_{a}"] = pd.to_numeric(cols[a], errors="coerce")
        # the columns kaohe's own pop_table makes (an empty population tells them)
        order = original(org, scheme, [], numeric_attrs).column_names
        unknown = [c for c in order if c not in data]
        if unknown:
            raise RuntimeError(f"k_pop has new columns {unknown}: update bench/experiment.py")
        return pa.table({k: pa.array(data[k].astype(object).where(data[k].notna(), None)
                                     .tolist(), pa.float64() if k.startswith("a_")
                                     else pa.string()) for k in order})

    return pop_table


def apply(names: list[str]) -> None:
    """Install the chosen fixes into the loaded kaohe modules."""
    from kaohe.engine import history
    from kaohe.engine.backends import duckdb_backend as db

    unknown = set(names) - set(FIXES)
    if unknown:
        raise SystemExit(f"unknown experiment(s) {sorted(unknown)}; known: {FIXES}")
    transforms: list[Callable[[exp.Select], exp.Select]] = []
    if "split_distinct" in names:
        transforms.append(split_distinct)
    if "case_filters" in names:
        transforms.append(case_filters)
    if "narrow_windows" in names:
        transforms.append(narrow_windows)
    if transforms:
        original = db.build_plan

        @functools.wraps(original)
        def build_plan(*args: Any, **kwargs: Any) -> Any:
            plan = original(*args, **kwargs)
            query = plan.query
            for f in transforms:
                query = f(query)
            return dataclasses.replace(plan, query=query)

        db.build_plan = build_plan
    if "fast_save" in names:
        history.save_run = fast_save
    if "fast_population" in names:
        import kaohe.engine.run as krun

        krun.population = fast_population(krun.population)
        krun.pop_table = fast_pop_table(krun.pop_table)
    if "fast_org" in names:
        import kaohe.workspace.workspace as kws

        kws.load_org = fast_load_org(kws.load_org)


# --- what storing a run's indicator rows costs, by layout -------------------------------------

def savecost(ws_dir: Path, scratch: Path) -> list[tuple[str, float, int]]:
    """Insert the latest stored run's indicator rows (one per entity × indicator) into an empty
    scratch DuckDB file, in four layouts; time INSERT + COMMIT + close, and the file size."""
    import time

    import duckdb

    con = duckdb.connect(str(ws_dir / "store.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT run_id FROM runs WHERE status = 'done' "
                           "ORDER BY finished_at DESC LIMIT 1").fetchall()
        row = rows[0] if rows else None
        if row is None:
            raise SystemExit(f"{ws_dir}: no run stored yet; run the benchmark first")
        run_id = str(row[0]).replace("'", "''")
        long = con.sql(f"SELECT * FROM run_indicators WHERE run_id = '{run_id}' "
                       "ORDER BY code, entity_id").to_arrow_table()
    finally:
        con.close()
    codes = sorted(set(long["code"].to_pylist()))
    k = len(codes)
    n = long.num_rows // k
    ids = long["entity_id"].slice(0, n)
    frame = long.to_pandas()  # what save_run builds today: pandas string columns
    layouts: dict[str, tuple[str, Any]] = {
        "long rows from one pandas frame (run_id, entity_id, code strings)": (
            ("run_id VARCHAR, entity_id VARCHAR, code VARCHAR, value DOUBLE, points DOUBLE, "
             "missing BOOLEAN"), frame),
        "long rows from Arrow, dictionary-encoded strings": (
            ("run_id VARCHAR, entity_id VARCHAR, code VARCHAR, value DOUBLE, points DOUBLE, "
             "missing BOOLEAN"), long.cast(pa.schema([
                ("run_id", pa.dictionary(pa.int32(), pa.string())),
                ("entity_id", pa.dictionary(pa.int32(), pa.string())),
                ("code", pa.dictionary(pa.int32(), pa.string())),
                ("value", pa.float64()), ("points", pa.float64()), ("missing", pa.bool_())]))),
        "long rows, integer keys (run_no, entity_no, code_no)": (
            ("run_no INTEGER, entity_no INTEGER, code_no SMALLINT, value DOUBLE, "
             "points DOUBLE, missing BOOLEAN"), pa.table({
                "run_no": pa.array(np.zeros(n * k, np.int32)),
                "entity_no": pa.array(np.tile(np.arange(n, dtype=np.int32), k)),
                "code_no": pa.array(np.repeat(np.arange(k, dtype=np.int16), n)),
                "value": long["value"], "points": long["points"],
                "missing": long["missing"]})),
        "one row per entity, lists in indicator order": (
            ("run_id VARCHAR, entity_id VARCHAR, value DOUBLE[], points DOUBLE[], "
             "missing BOOLEAN[]"), pa.table({
                "run_id": pa.array([str(row[0])] * n),
                "entity_id": ids,
                **{c: _per_entity(long[c], n, k) for c in ("value", "points", "missing")}})),
    }
    out: list[tuple[str, float, int]] = []
    # kaohe at 39c7d39: the wide result (a pandas frame) registered, one INSERT … SELECT per
    # indicator
    wide = {"id": ids.to_pandas()}
    for j, c in enumerate(codes):
        part = long.slice(j * n, n)
        wide[f"v_{c}"] = part["value"].to_pandas()
        wide[f"p_{c}"] = part["points"].to_pandas()
        wide[f"m_{c}"] = part["missing"].to_pandas()
    res = pd.DataFrame(wide)
    scratch.unlink(missing_ok=True)
    con = duckdb.connect(str(scratch))
    con.execute(f"CREATE TABLE t ({layouts[next(iter(layouts))][0]})")
    con.execute("CHECKPOINT")
    base = scratch.stat().st_size
    t = time.perf_counter()
    con.register("res", res)
    con.execute("BEGIN TRANSACTION")
    for c in codes:
        con.execute(f"INSERT INTO t SELECT 'run', id, '{c}', v_{c}, p_{c}, m_{c} FROM res")
    con.execute("COMMIT")
    con.close()
    out.append(("kaohe now: one INSERT … SELECT per indicator from the wide result",
                time.perf_counter() - t, scratch.stat().st_size - base))
    for label, (columns, data) in layouts.items():
        scratch.unlink(missing_ok=True)
        con = duckdb.connect(str(scratch))
        con.execute(f"CREATE TABLE t ({columns})")
        con.execute("CHECKPOINT")
        base = scratch.stat().st_size
        t = time.perf_counter()
        con.register("data", data)
        con.execute("BEGIN TRANSACTION")
        con.execute("INSERT INTO t SELECT * FROM data")
        con.execute("COMMIT")
        con.close()
        out.append((label, time.perf_counter() - t, scratch.stat().st_size - base))
    scratch.unlink(missing_ok=True)
    return out


def _per_entity(column: pa.ChunkedArray, n: int, k: int) -> pa.Array:
    """Rows ordered by (code, entity) → one list of k values per entity."""
    flat = column.combine_chunks().to_numpy(zero_copy_only=False).reshape(k, n).T.reshape(-1)
    return pa.ListArray.from_arrays(pa.array(np.arange(0, n * k + 1, k, dtype=np.int32)),
                                    pa.array(flat, from_pandas=True))


def main(argv: list[str] | None = None) -> int:
    import argparse

    from bench.common import OUT

    ap = argparse.ArgumentParser(prog="python -m bench.experiment")
    ap.add_argument("what", choices=["savecost"])
    ap.add_argument("--ws", type=Path, required=True)
    args = ap.parse_args(argv)
    rows = savecost(args.ws, OUT / "savecost.duckdb")
    print("| layout of a run's indicator rows | insert + commit (s) | file growth (MiB) |")
    print("| --- | ---: | ---: |")
    for label, secs, size in rows:
        print(f"| {label} | {secs:.2f} | {size / 2 ** 20:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
