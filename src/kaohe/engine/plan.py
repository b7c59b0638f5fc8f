"""The run as one SQL tree: facts → per-entity values → points → totals → ranks → consequences.

From the totals on, each consequence is a step of its own module: caps.py (the total),
grading.py (quotas, demotion), elimination.py, payout_lines.py, consequences.py (alert and
the v2 output columns).

Everything after the facts is window functions over the population, so DuckDB and Spark compute
the same thing from the same tree; the few engine differences live in ``backends/``.

Input relations, provided by the backend under these names:
- ``k_pop``: the population — entity_id, name, unit_name, _unit (a person's unit, a unit
  itself), _g (peer group key), _w (pool group key), g_<peer>, a_<numeric attribute>
- ``k_tree``: (ancestor_id, unit_id) for every unit at or above every unit
- ``k_pu``: (person_id, unit_id) for everyone as of the period's last day
- ``k_hist``: (entity_id, prev_bottoms) — periods among the k − 1 previous ones in which the
  elimination condition held (bottom n and/or below T; engine/elimination.py)
- one relation per fact source, passed in ``facts``
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from kaohe.engine import caps, elimination, grading, payout_lines
from kaohe.engine import windows as spans
from kaohe.engine.adjustments import corrected_value, points_term
from kaohe.engine.compiled import CompiledScheme, value_col
from kaohe.engine.plan_items import (
    aggregate_groups, item_base, item_output_columns, rollup_unit_join,
)
from kaohe.engine.consequences import consequence_columns
from kaohe.engine.enrich import enrich
from kaohe.engine.sqltree import T, add_all, case, clamp, col, dbl, lit, or_all, round2
from kaohe.formula import fold_filter, is_distinct, split_filter
from kaohe.periods import Period
from kaohe.scheme.model import (
    Deduct, Indicator, Linear, Percentile, PerItem, Steps, VsMean,
)
from kaohe.workspace.sources import Source

POP, TREE, PU, HIST = "k_pop", "k_tree", "k_pu", "k_hist"


SORT_KEY = "_sort_g"  # the peer group key, in the output only to sort it (sorted_result)


@dataclass(frozen=True)
class Plan:
    query: exp.Select
    part_columns: tuple[str, ...]  # aggregate parts, kept in the output for explain


def sorted_result(table: pa.Table) -> pa.Table:
    """The query's result by peer group, rank and entity id, without the sort key. Sorted here
    on the three keys: an ORDER BY in the query sorts rows of 100 to 300 columns."""
    order = pc.sort_indices(table, [(SORT_KEY, "ascending"), ("rank", "ascending"),
                                    ("id", "ascending")])
    return table.take(order).drop_columns([SORT_KEY])


def with_ctes(query: exp.Select, ctes: list[tuple[str, exp.Select]]) -> exp.Select:
    """``WITH name AS (q), … query``, the CTE trees taken as they are: sqlglot's ``with_``
    copies each one, and a 60-indicator plan's CTEs are most of its tree."""
    if ctes:
        query.set("with_", exp.With(expressions=[
            exp.CTE(this=q, alias=exp.TableAlias(this=exp.to_identifier(name)))
            for name, q in ctes]))
    return query


def _star(table: str) -> exp.Column:
    return exp.Column(this=exp.Star(), table=exp.to_identifier(table))


def _bound(source: Source, day: datetime) -> exp.Expression:
    tcol = source.column(source.time)
    if tcol is not None and tcol.type == "date":
        return T("CAST(:v AS DATE)", v=day.date().isoformat())
    return T("CAST(:v AS TIMESTAMP)", v=day.isoformat(sep=" "))


def _aggregate_cte(cs: CompiledScheme, source: Source, period: Period,
                   facts: exp.Expression, via: str | None = None) -> tuple[exp.Select, bool]:
    """One source's parts per entity. Returns the query and whether it is keyed by unit
    (a person scheme reading a unit-only source: joined on the person's unit).

    Filters are folded into the aggregates (``fold_filter``). Beside other parts, each
    ``count(distinct x) [FILTER (WHERE c)]`` is counted in a GROUP BY of its own, c in its
    WHERE, and LEFT JOINed on the key: given distinct and plain aggregates in one GROUP BY,
    DuckDB materialises the whole fact scan and aggregates it once per distinct aggregate."""
    f = "f"
    # the union of the parts' windows, constant bounds (spec §7; engine/windows.py)
    where = spans.scan_where(cs, source, period, col(source.time, f), _bound)
    rel = exp.alias_(facts.copy(), f, table=True)
    by_unit = False
    if cs.scheme.item is not None or via is not None or rollup_unit_join(cs, source):
        key, base = item_base(cs, source, rel, f, via)
    elif cs.scheme.entity == "person":
        if source.person:
            key: exp.Expression = col(source.person, f)
        else:
            key, by_unit = col(source.unit or "", f), True
        base = exp.select(exp.alias_(key, "_k", quote=True)).from_(rel)
    else:
        key = col("ancestor_id", "t")
        base = exp.select(exp.alias_(key, "_k", quote=True)).from_(rel)
        if source.unit:
            base = _join_row_unit(base, source, f, facts)
        else:
            base = base.join(exp.alias_(exp.to_table(PU), "pu", table=True),
                             on=T(":a = :b", a=col("person_id", "pu"),
                                  b=col(source.person or "", f)))
            base = base.join(exp.alias_(exp.to_table(TREE), "t", table=True),
                             on=T(":a = :b", a=col("unit_id", "t"), b=col("unit_id", "pu")))
    parts = spans.windowed_parts(cs, source, period, _parts_of(cs, source.name, via),
                                   col(source.time, f), _bound)
    distinct = [(n, p) for n, p in parts if is_distinct(p)]
    if not distinct or len(parts) == 1:
        q = base.select(*[exp.alias_(fold_filter(p), n, quote=True) for n, p in parts])
        return q.where(where).group_by(key.copy()), by_unit

    def grouped(cond: exp.Expression | None, *aggs: exp.Expr) -> exp.Subquery:
        q = base.select(*aggs).where(where if cond is None else exp.and_(where, cond.copy()))
        return q.group_by(key.copy()).subquery()

    plain = [exp.alias_(fold_filter(p), n, quote=True) for n, p in parts if not is_distinct(p)]
    q = exp.select(_star("m")).from_(exp.alias_(grouped(None, *plain), "m", table=True))
    for i, (name, part) in enumerate(distinct):
        agg, cond = split_filter(part)
        alias = f"d{i}"
        q = q.join(exp.alias_(grouped(cond, exp.alias_(agg.copy(), name, quote=True)), alias,
                              table=True),
                   on=T(":a = :b", a=col("_k", alias), b=col("_k", "m")), join_type="LEFT")
        # the entity has facts, none of them counted: 0, as count gives over no rows
        q = q.select(exp.alias_(T("COALESCE(:c, 0)", c=col(name, alias)), name, quote=True),
                     copy=False)
    return q, by_unit


ROW_UNIT = "_kaohe_unit"


def _join_row_unit(base: exp.Select, source: Source, f: str,
                   facts: exp.Expression) -> exp.Select:
    """Join the tree on the unit a row counts for in a unit scheme: its own unit; in a source
    with a person column as well, an empty unit is the person's unit as of the period's last
    day (spec §13). For such a source the facts become a UNION ALL of the rows with a unit and
    the rows without one joined to k_pu: DuckDB pushes the period filter into both branches
    and aggregates the common rows as fast as a plain join (a LEFT JOIN to k_pu probed for
    every row made the unit scheme's aggregation about 5 times slower)."""
    unit: exp.Expression = col(source.unit or "", f)
    if source.person:
        s = "s"
        star = exp.Column(this=exp.Star(), table=exp.to_identifier(s))
        own = exp.select(star, exp.alias_(col(source.unit or "", s), ROW_UNIT, quote=True)).from_(
            exp.alias_(facts.copy(), s, table=True)).where(
            T(":u IS NOT NULL", u=col(source.unit or "", s)))
        theirs = exp.select(star.copy(), exp.alias_(col("unit_id", "pu"), ROW_UNIT, quote=True)
                            ).from_(exp.alias_(facts.copy(), s, table=True)).join(
            exp.alias_(exp.to_table(PU), "pu", table=True),
            on=T(":a = :b", a=col("person_id", "pu"), b=col(source.person, s))).where(
            T(":u IS NULL", u=col(source.unit or "", s)))
        base = base.from_(exp.alias_(exp.union(own, theirs, distinct=False).subquery(), f,
                                     table=True))
        unit = col(ROW_UNIT, f)
    return base.join(exp.alias_(exp.to_table(TREE), "t", table=True),
                     on=T(":a = :b", a=col("unit_id", "t"), b=unit))


def _parts_of(cs: CompiledScheme, source: str, via: str | None = None
              ) -> list[tuple[str, exp.Expression]]:
    seen: dict[str, exp.Expression] = {}
    for value in cs.values.values():
        for name, part in value.parts:
            if cs.part_source[name] == source and cs.part_via.get(name) == via:
                seen.setdefault(name, part)
    return list(seen.items())


def _raw_points(ind: Indicator, windows: dict[str, exp.Expression]) -> exp.Expression | None:
    """Points before exclusion re-weighting; None for info and veto. Peer statistics are
    added to ``windows`` (column → window expression) and read back as columns: the windows
    then run over a narrow relation instead of the whole wide row."""
    v = col(value_col(ind.code))
    rule = ind.score
    if ind.role in ("bonus", "penalty"):
        assert isinstance(rule, PerItem)
        amount: exp.Expression = T(":p * :v", p=lit(rule.per), v=v)
        if rule.cap is not None:
            amount = T("LEAST(:c, :a)", c=lit(rule.cap), a=amount)
        if ind.role == "penalty":
            amount = exp.Neg(this=exp.paren(amount))
        return case([(T(":v IS NULL", v=v), lit(0))], amount)
    if ind.role != "scored":
        return None
    w = float(ind.weight or 0)
    g = col("_g")
    points: exp.Expression
    if isinstance(rule, Linear):
        frac = T("(:v - :f) / :d", v=v, f=lit(rule.floor), d=lit(float(rule.target - rule.floor)))
        points = T(":w * :x", w=lit(w), x=clamp(frac, 0, rule.cap))
    elif isinstance(rule, Steps):
        op = "GTE" if rule.direction == "higher" else "LTE"
        cmp = exp.GTE if op == "GTE" else exp.LTE
        points = case([(cmp(this=v, expression=lit(t)), lit(w * fr)) for t, fr in rule.steps],
                      lit(0))
    elif isinstance(rule, Deduct):
        mx = w if rule.max is None else rule.max
        points = T("GREATEST(:w - LEAST(:m, :p * :v), 0)", w=lit(w), m=lit(mx), p=lit(rule.per),
                   v=v)
    elif isinstance(rule, Percentile):
        order = "ASC" if rule.direction == "higher" else "DESC"  # rank counted from the worst
        windows[f"_n_{ind.code}"] = T("COUNT(:v) OVER (PARTITION BY :g)", v=v, g=g)
        # missing values sort after all others, so a present value's rank counts present
        # values only; a missing value's rank is never read (its points are on_missing). One
        # partition key for every peer window: DuckDB sorts 87k rows less often.
        windows[f"_r_{ind.code}"] = T(
            f"RANK() OVER (PARTITION BY :g ORDER BY :v {order} NULLS LAST)", v=v, g=g)
        n, r = col(f"_n_{ind.code}"), col(f"_r_{ind.code}")
        points = case([(T(":n = 1", n=n), lit(w))],
                      T(":w * CAST(:r - 1 AS DOUBLE) / CAST(:n - 1 AS DOUBLE)", w=lit(w), r=r, n=n))
    elif isinstance(rule, VsMean):
        windows[f"_m_{ind.code}"] = T("AVG(:v) OVER (PARTITION BY :g)", v=v, g=g)
        m = col(f"_m_{ind.code}")
        # "m = 0" is judged to 9 decimals: 0.1 + 0.2 − 0.3 averages to 1.85e-17 in binary;
        # the points themselves use the unrounded mean (8/3 must stay 8/3)
        m_zero = T("CAST(CAST(:m AS DECIMAL(38, 9)) AS DOUBLE) = 0", m=m)
        if rule.direction == "higher":
            points = case([(m_zero, lit(w))],
                          T(":w * :x", w=lit(w), x=clamp(T(":v / :m", v=v, m=m), 0, rule.cap)))
        else:
            points = case([(T(":v = 0", v=v), lit(w * rule.cap)), (m_zero, lit(w))],
                          T(":w * :x", w=lit(w), x=clamp(T(":m / :v", v=v, m=m), 0, rule.cap)))
    else:
        raise AssertionError(f"no score rule for {ind.code}")
    on_missing = {"zero": lit(0), "full": lit(w), "exclude": exp.Null()}[ind.missing]
    return dbl(case([(T(":v IS NULL", v=v), on_missing)], points))


def _value(e: exp.Expression) -> exp.Expression:
    """An indicator's value, to 12 decimals: (0.3 + 0.6) / 2 is 0.44999999999999996 in binary
    and must still meet a 0.45 threshold, as it does by hand; 12 (not 9) keeps 1/3 close
    enough that points computed from it still round as by hand."""
    return T("CAST(CAST(:e AS DECIMAL(38, 12)) AS DOUBLE)", e=dbl(e.copy()))


@dataclass(frozen=True)
class AggregateQuery:
    """One aggregation of the plan (a source, or a source through ``via``): its query gives
    ``_k`` and the part columns ``parts`` per key (engine/aggregate_cache.py keeps them)."""

    alias: str  # the CTE's name in the plan
    source: str
    via: str | None
    query: exp.Select
    by_unit: bool
    parts: tuple[str, ...]


def aggregate_queries(cs: CompiledScheme, period: Period,
                      facts: Mapping[str, exp.Expression]) -> list[AggregateQuery]:
    out: list[AggregateQuery] = []
    for i, (name, source, via) in enumerate(aggregate_groups(cs)):
        q, by_unit = _aggregate_cte(cs, source, period,
                                    enrich(cs, source, period, facts[name]), via)
        out.append(AggregateQuery(f"a{i}", name, via, q, by_unit,
                                  tuple(n for n, _ in _parts_of(cs, name, via))))
    return out


def build_plan(cs: CompiledScheme, period: Period, facts: Mapping[str, exp.Expression],
               aggregates: list[AggregateQuery] | None = None,
               precomputed: Mapping[str, str] | None = None, lean: bool = False) -> Plan:
    """The run's query. ``precomputed``: aggregate alias → an input relation holding that
    aggregation's result already (``_k`` and its parts; engine/aggregate_cache.py).
    ``lean``: the consequences only (scoring_plan)."""
    ctes, prev = value_ctes(cs, period, facts, aggregates, precomputed)
    return scoring_plan(cs, ctes, prev, lean=lean)


def values_query(cs: CompiledScheme, period: Period, facts: Mapping[str, exp.Expression],
                 aggregates: list[AggregateQuery] | None = None,
                 precomputed: Mapping[str, str] | None = None) -> exp.Select:
    """Every entity's row before scoring (the population's columns, the aggregate parts and
    each indicator's value): what ``scoring_plan`` starts from."""
    ctes, prev = value_ctes(cs, period, facts, aggregates, precomputed)
    return with_ctes(exp.select(exp.Star()).from_(prev), ctes)


def value_ctes(cs: CompiledScheme, period: Period, facts: Mapping[str, exp.Expression],
               aggregates: list[AggregateQuery] | None = None,
               precomputed: Mapping[str, str] | None = None
               ) -> tuple[list[tuple[str, exp.Select]], str]:
    """The plan's first part: facts → per-entity values (``vals``, then one CTE per level of
    derived indicators). Returns the CTEs and the name of the last."""
    ctes: list[tuple[str, exp.Select]] = []
    vals = exp.select(_star("p")).from_(exp.alias_(exp.to_table(POP), "p", table=True))
    aggs = aggregates if aggregates is not None else aggregate_queries(cs, period, facts)
    for agg in aggs:
        alias = agg.alias
        done = (precomputed or {}).get(alias)
        ctes.append((alias, agg.query if done is None
                     else exp.select(exp.Star()).from_(exp.to_table(done))))
        on = T(":a = :b", a=col("_k", alias),
               b=col("_unit" if agg.by_unit else "entity_id", "p"))
        vals = vals.join(exp.to_table(alias), on=on, join_type="LEFT")
        vals = vals.select(*[col(n, alias) for n in agg.parts], copy=False)
    vals = vals.select(*[exp.alias_(_value(corrected_value(cs, code, value.outer)),
                                    value_col(code), quote=True)
                         for code, value in cs.values.items()], copy=False)
    ctes.append(("vals", vals))
    prev = "vals"
    for li, level in enumerate(cs.levels):
        q = exp.select(exp.Star()).from_(prev)
        q = q.select(*[exp.alias_(_value(corrected_value(cs, code, cs.derived[code])),
                                  value_col(code), quote=True) for code in level], copy=False)
        prev = f"d{li}"
        ctes.append((prev, q))
    return ctes, prev


def raw_points(cs: CompiledScheme) -> dict[str, tuple[exp.Expression, dict[str, exp.Expression]]]:
    """Each indicator's points before exclusion re-weighting, over the values relation, with
    the peer windows it reads (info and veto indicators have none)."""
    out: dict[str, tuple[exp.Expression, dict[str, exp.Expression]]] = {}
    for ind in cs.scheme.indicators:
        windows: dict[str, exp.Expression] = {}
        r = _raw_points(ind, windows)
        if r is not None:
            out[ind.code] = (r, windows)
    return out


KEPT_PREFIX = "_kr_"  # a kept raw-points column in the values relation; also an output column


def scoring_plan(cs: CompiledScheme, ctes: list[tuple[str, exp.Select]], prev: str,
                 kept: frozenset[str] = frozenset(), emit: frozenset[str] = frozenset(),
                 lean: bool = False) -> Plan:
    """The plan's second part, from the values relation ``prev`` (a CTE of ``ctes``, or an
    input relation when ``ctes`` is empty) to the result. ``kept``: indicators whose raw points
    ``prev`` already has, in column ``_kr_<code>`` (engine/aggregate_cache.py); ``emit``:
    indicators whose raw points the result gives in ``_kr_<code>`` columns, to be kept.
    ``lean``: the result without the indicators' values and points, the attributes and the
    aggregate parts — the consequences only (a what-if compares nothing else)."""
    s = cs.scheme
    ctes = list(ctes)
    windows: dict[str, exp.Expression] = {}
    raw: dict[str, exp.Expression] = {}
    for code, (r, wins) in raw_points(cs).items():
        if code in kept:
            raw[code] = col(KEPT_PREFIX + code)
        else:
            raw[code] = r
            windows.update(wins)
    pts = exp.select(_star("w0")).from_(exp.alias_(exp.to_table(prev), "w0", table=True))
    if windows:
        ctes.append(("win", exp.select(col("entity_id"), *[
            exp.alias_(w, name, quote=True) for name, w in windows.items()]).from_(prev)))
        pts = pts.join(exp.alias_(exp.to_table("win"), "w1", table=True),
                       on=T(":a = :b", a=col("entity_id", "w1"), b=col("entity_id", "w0")))
        pts = pts.select(*[col(name, "w1") for name in windows], copy=False)
    flags: list[exp.Expr] = []
    for ind in s.indicators:
        flags.append(exp.alias_(T(":v IS NULL", v=col(value_col(ind.code))), f"m_{ind.code}",
                                quote=True))
        if ind.code in raw:
            flags.append(exp.alias_(raw[ind.code], f"r_{ind.code}", quote=True))
    pts = pts.select(*flags, copy=False)
    ctes.append(("pts", pts))

    wsum = sum(float(i.weight or 0) for i in s.scored)
    excl = [i for i in s.scored if i.missing == "exclude"]
    factor: exp.Expression = lit(1)
    if excl:
        dropped = add_all([case([(col(f"m_{i.code}"), lit(float(i.weight or 0)))], lit(0))
                           for i in excl])
        # computed once, in a column of its own: written into every scored indicator's points
        # and the total it would be 120 copies of one expression for DuckDB's optimizer to
        # find common again (0.07 s at 60 indicators)
        ctes.append(("pf", exp.select(exp.Star()).from_("pts").select(exp.alias_(
            T("COALESCE(:w / NULLIF(:w - (:d), 0), 0)", w=lit(wsum), d=dropped), "_f",
            quote=True), copy=False)))
        factor = col("_f")
    p_raw: dict[str, exp.Expression] = {}
    for ind in s.indicators:
        if ind.role == "scored":
            p_raw[ind.code] = T(":r * :f", r=col(f"r_{ind.code}"), f=factor)
        elif ind.code in raw:
            p_raw[ind.code] = col(f"r_{ind.code}")
    total_raw = caps.total_raw(s, p_raw, points_term(cs))  # spec §19
    vetoed = or_all([T("COALESCE(:v > 0, FALSE)", v=col(value_col(i.code)))
                     for i in s.indicators if i.role == "veto"])
    sc = exp.select(exp.Star()).from_(ctes[-1][0])
    sc = sc.select(*[exp.alias_(round2(p), f"p_{code}", quote=True)
                     for code, p in p_raw.items()], copy=False)
    sc = sc.select(exp.alias_(vetoed, "vetoed", quote=True),
                   exp.alias_(total_raw, "_total_raw", quote=True),
                   *caps.capped_columns(s, p_raw), copy=False)
    ctes.append(("sc", sc))

    tot = exp.select(exp.Star()).from_("sc").select(exp.alias_(
        case([(col("vetoed"), lit(0.0))], round2(col("_total_raw"))), "total", quote=True),
        copy=False)
    ctes.append(("tot", tot))

    graded = grading.add_grade_ctes(s, ctes, "tot")  # quotas, demotions (spec §9, §16)
    grade: exp.Expression = T("CAST(NULL AS VARCHAR)")
    if grading.uses_index(s):
        grade = grading.grade_label(s)
    elif s.grades:
        grade = case([(col("vetoed"), lit(s.grades[-1][1]))]
                     + [(T(":t >= :m", t=col("total"), m=lit(m)), lit(label))
                        for m, label in s.grades], T("CAST(NULL AS VARCHAR)"))
    ctes.append(("rkw", exp.select(
        col("entity_id"),
        exp.alias_(T("RANK() OVER (PARTITION BY :g ORDER BY :t DESC)", g=col("_g"),
                     t=col("total")), "rank", quote=True),
        exp.alias_(T("COUNT(*) OVER (PARTITION BY :g)", g=col("_g")), "group_size", quote=True),
        exp.alias_(T("RANK() OVER (PARTITION BY :g ORDER BY :t ASC)", g=col("_g"),
                     t=col("total")), "_rank_up", quote=True)).from_(graded)))
    rk = exp.select(_star("t0"), col("rank", "t1"), col("group_size", "t1"),
                    col("_rank_up", "t1"), exp.alias_(grade, "grade", quote=True)).from_(
        exp.alias_(exp.to_table(graded), "t0", table=True)).join(
        exp.alias_(exp.to_table("rkw"), "t1", table=True),
        on=T(":a = :b", a=col("entity_id", "t1"), b=col("entity_id", "t0")))
    ctes.append(("rk", rk))

    elimination.add_fin(s, ctes, "rk")
    last = payout_lines.add_payout(s, cs.payout_lines, ctes, "fin")

    parts = tuple(cs.part_source)
    out_cols: list[exp.Expr] = [
        exp.alias_(col("entity_id"), "id", quote=True), col("name"), col("unit_name"),
        *[col(f"g_{p}") for p in s.peers], col("group_name"),
        col("total"), col("rank"), col("group_size"), col("grade"), col("vetoed"),
        col("bottom"), col("eliminate"), col("payout"),
        *consequence_columns(s),
    ]
    if not lean:
        out_cols += [col(f"a_{a}") for a in cs.attributes]  # read by payout formulas (explain)
        for ind in s.indicators:
            out_cols.append(col(value_col(ind.code)))
            out_cols.append(col(f"p_{ind.code}") if ind.code in p_raw else
                            exp.alias_(T("CAST(NULL AS DOUBLE)"), f"p_{ind.code}", quote=True))
            out_cols.append(col(f"m_{ind.code}"))
    out_cols += item_output_columns(s)
    if not lean:
        out_cols += [col(p) for p in parts]
    out_cols += [exp.alias_(col(f"r_{code}"), KEPT_PREFIX + code, quote=True)
                 for code in sorted(emit)]
    out_cols.append(exp.alias_(col("_g"), SORT_KEY, quote=True))
    query = with_ctes(exp.select(*out_cols).from_(last), ctes)
    return Plan(query=query, part_columns=parts)
