"""An experimental engine variant, applied by patching kaohe at run time (src/ is untouched),
to measure the fixes proposed in docs/performance.md:

1. ``narrow_windows``: every window function of a CTE (percentile ranks and counts, vs_mean
   averages, the final ranks) is computed in a narrow CTE of its own — entity_id and the few
   columns it reads — and joined back on entity_id. DuckDB's WINDOW operator materialises and
   sorts its whole input row; in kaohe's plan that row is 120–280 columns wide (population
   attributes, 55 parts, 60 values, points), once per distinct window specification.
2. ``split_distinct``: each count(distinct …) part is computed in its own GROUP BY (its filter
   moved into WHERE) and joined to the other parts. With distinct aggregates beside plain
   ones, DuckDB materialises the whole fact scan in a CTE and aggregates it several times.
3. ``fast_save``: save_run with the group key built column-wise (not a row-wise
   ``.agg("/".join, axis=1)``) and the run_indicators rows built as Arrow arrays (dictionary
   encoded), not 60 pandas frames concatenated. Same tables, same rows.

``apply(names)`` installs the chosen fixes; ``python -m bench.contender engine --experiment
narrow_windows,split_distinct,fast_save`` runs the engine with them.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlglot import exp

FIXES = ("narrow_windows", "split_distinct", "fast_save")


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
        if not windows:
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

        def swap(node: exp.Expression) -> exp.Expression:
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


def apply(names: list[str]) -> None:
    """Install the chosen fixes into the loaded kaohe modules."""
    import kaohe.engine.history as history
    from kaohe.engine.backends import duckdb_backend as db

    unknown = set(names) - set(FIXES)
    if unknown:
        raise SystemExit(f"unknown experiment(s) {sorted(unknown)}; known: {FIXES}")
    transforms: list[Callable[[exp.Select], exp.Select]] = []
    if "split_distinct" in names:
        transforms.append(split_distinct)
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
