"""Run a scheme for a period: inputs → plan → backend → RunResult → store."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from datetime import date, datetime, time

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kaohe.engine import adjustments as adjust
from kaohe.engine import history, items, revisions
from kaohe.engine.aggregate_cache import AggregateCache
from kaohe.engine.backends.base import FactInput, RunInputs
from kaohe.engine.compiled import CompiledScheme, compile_scheme
from kaohe.engine.consequences import consequence_fields
from kaohe.engine.payout_lines import rename_lines
from kaohe.engine.enrich import history_end, needs_history, org_needs
from kaohe.engine.inputs import (
    Population, history_table, person_unit_table, pop_table, population, tree_table,
)
from kaohe.engine.item_inputs import scheme_attributes, via_tables
from kaohe.engine.windows import source_range
from kaohe.engine.org_tables import attribute_kinds, org_inputs, org_names, with_attributes
from kaohe.errors import InputError
from kaohe.periods import Period, parse_period
from kaohe.results import RunResult, indicator_infos
from kaohe.scheme.sentences import scheme_sentences
from kaohe.scheme.model import Scheme
from kaohe.workspace.org import Org
from kaohe.workspace.sources import IMPORT_ORDER, RESULTS_PREFIX, Source
from kaohe.workspace.store import Store, arrow_query, quote
from kaohe.workspace.workspace import Workspace

Progress = Callable[[str], None]


@dataclass(frozen=True)
class RunOutput:
    result: RunResult
    sql_of: Callable[[], str]  # the whole computation as one query, rendered when asked for
    part_table: pa.Table  # id + aggregate part columns, for explain

    @cached_property
    def sql(self) -> str:
        return self.sql_of()

    @property
    def parts(self) -> pd.DataFrame:
        """The part columns as pandas, converted only when asked for (explain)."""
        return self.part_table.to_pandas()


def compile_for(ws: Workspace, scheme: Scheme, period: Period | None = None) -> CompiledScheme:
    """The scheme compiled against the workspace; with ``period``, period_start/period_end
    are that run's dates (without, a reference period: enough to check). Derived formulas of
    people and units may read org attributes (spec §15); an item's attributes are its
    source's columns, which only payout formulas read."""
    attrs = scheme_attributes(ws, scheme)
    kinds = attribute_kinds(ws.org, attrs) if scheme.item is None else {}
    return compile_scheme(scheme, ws.sources_for(scheme), attrs, period, ws.calendar,
                          org_names(ws.org), kinds)


def _facts(ws: Workspace, cs: CompiledScheme, period: Period, engine: str) -> dict[str, FactInput]:
    out: dict[str, FactInput] = {}
    stored = _stored_tables(ws.store, [src.table for name, src in cs.sources.items()
                                       if not name.startswith(RESULTS_PREFIX)])
    for name, src in cs.sources.items():
        span = source_range(cs, name, period)  # the union of the windows read (spec §7)
        if name.startswith(RESULTS_PREFIX):
            ref = ws.scheme(name[len(RESULTS_PREFIX):])
            out[name] = FactInput(src, rows=history.results_rows(ws.store, src, ref, period,
                                                                 span))
        elif engine == "spark" and name in ws.settings.spark.sources:
            out[name] = FactInput(src)
        else:
            if src.table not in stored:
                out[name] = FactInput(src, rows=_empty(src))
            elif engine == "duckdb":
                out[name] = FactInput(src, store_table=src.table)
            elif needs_history(cs, src):  # sequence columns (spec §14)
                out[name] = FactInput(src, rows=sequence_rows(ws.store, src,
                                                              history_end(cs, src, period)))
            else:
                out[name] = FactInput(src, rows=_period_rows(ws.store, src, span))
    return out


def _stored_tables(store: Store, tables: list[str]) -> set[str]:
    """Which of ``tables`` the store has, asked on one connection (one per source cost a
    DuckDB open each: about 10 ms)."""
    if not tables or not store.path.exists():
        return set()
    with store.connect(read_only=True) as con:
        return {t for t in tables if store.has_table(con, t)}


def _empty(src: Source) -> pa.Table:
    return pa.table({**{c.name: pa.array([], history._arrow_type(c.type)) for c in src.columns},
                     IMPORT_ORDER: pa.array([], pa.int64())})


def _period_rows(store: Store, src: Source, span: tuple[date, date]) -> pa.Table:
    """The rows in [start, end): Spark gets the rows the windows read, not the store."""
    cols = ", ".join(quote(c.name) for c in src.columns)
    t = quote(src.time)
    with store.connect(read_only=True) as con:
        return arrow_query(
            con, f"SELECT {cols} FROM {quote(src.table)} WHERE {t} >= ? AND {t} < ?",
            [datetime.combine(span[0], time()), datetime.combine(span[1], time())])


def _population_table(ws: Workspace, scheme: Scheme, cs: CompiledScheme, period: Period,
                      engine: str) -> tuple[pa.Table, Population | None]:
    """``k_pop``: people or units from the org (with the population they came from), items
    from their source in the store."""
    if scheme.item is None:
        entities = population(ws.org, scheme, period)
        return pop_table(ws.org, scheme, entities, cs.attributes), entities
    src = ws.source(scheme.item.source)
    return items.pop_table(ws.store, ws.org, scheme, src, period, cs.attributes,
                           spark_only=engine == "spark" and src.name in ws.settings.spark.sources
                           ), None


def _peer_group_of(scheme: Scheme, pop: pa.Table, only: str) -> pa.Table:
    """For explaining one item: only its peer group, which is all its rank, group size and
    relative rules depend on — a few hundred rows of two million. Not with a payout (a pool
    splits across its own groups), and people and units stay whole (they are few)."""
    if scheme.item is None or scheme.payout is not None:
        return pop
    mine = pop.filter(pc.equal(pop["entity_id"], only))
    if mine.num_rows == 0:
        return pop
    return pop.filter(pc.equal(pop["_g"], mine["_g"][0]))


def new_run_id(started: datetime) -> str:
    """A run's id in the store: its start time and a random suffix."""
    return started.strftime("%Y%m%d%H%M%S") + "-" + uuid.uuid4().hex[:8]


def sequence_rows(store: Store, src: Source, until: datetime | None) -> pa.Table:
    """Every stored row of a source with sequence columns (before ``until`` unless None),
    with its import order: the windows of enrich.py need the rows before (after) the
    period's, not only the period's (Spark; DuckDB reads the store directly)."""
    cols = ", ".join(quote(c.name) for c in [*src.columns]) + f", {IMPORT_ORDER}"
    sql, params = f"SELECT {cols} FROM {quote(src.table)}", []
    if until is not None:
        sql, params = sql + f" WHERE {quote(src.time)} < ?", [until]
    with store.connect(read_only=True) as con:
        return arrow_query(con, sql, params)


def orgseq_inputs(org: Org, cs: CompiledScheme, entities: Population | None,
                  pop: pa.Table) -> dict[str, pa.Table]:
    """The org relations source formulas join (k_oa, k_op, k_ou) — for every kind of scheme,
    items included — and, for people and units, k_pop with the attributes derived formulas
    read."""
    person, unit, as_of_row = org_needs(cs)
    out = org_inputs(org, person, unit, as_of_row)
    if cs.derived_attributes and entities is not None:
        out["k_pop"] = with_attributes(pop, org, entities, cs.derived_attributes)
    return out


def run_scheme(ws: Workspace, code: str, period_text: str, *, engine: str | None = None,
               save: bool = True, progress: Progress | None = None,
               scheme: Scheme | None = None, only: str | None = None,
               run_id: str | None = None,
               aggregates: AggregateCache | None = None,
               previous: Mapping[str, int] | None = None,
               adjustments: adjust.Adjustments | None = None,
               lean: bool = False) -> RunOutput:
    """Compute scheme ``code`` for a period; ``scheme`` overrides the workspace's file (the web
    recomputes a past period with the version it was first run with). ``only``: keep one
    entity's row (explain): ranks still see everyone, but of millions of items only that row
    is converted; such a run is never stored. ``run_id`` names the stored run (the web records
    it before the run, to find the run again after a crash). ``aggregates``: the cache of
    aggregate values to use on DuckDB (default: the store's, engine/aggregate_cache.py).
    ``previous``: the elimination streak to count instead of the stored runs' (a what-if's
    own earlier periods, engine/whatif.py). ``adjustments`` (spec §19): None keeps those of
    the period's latest revision, ``adjustments.NONE`` runs without any. ``lean``: the result
    without the indicators' values and points (DuckDB; a what-if compares the consequences
    only); such a run is never stored."""
    say = progress or (lambda _m: None)
    engine = engine or ws.settings.engine
    if engine not in ("duckdb", "spark"):
        raise InputError(f"engine {engine!r} 无效 must be duckdb or spark")
    started = datetime.now()
    scheme = scheme if scheme is not None else ws.scheme(code)
    period = parse_period(period_text, scheme.period)  # type: ignore[arg-type]
    say("编译方案 compiling scheme")
    cs = compile_for(ws, scheme, period)
    say("准备组织与人员 preparing the org")
    pop, entities = _population_table(ws, scheme, cs, period, engine)
    small = {
        "k_pop": pop,
        "k_tree": tree_table(ws.org),
        "k_pu": person_unit_table(ws.org, period),
        "k_hist": history_table(previous if previous is not None
                                else history.previous_bottoms(ws.store, scheme, period)),
        **via_tables(ws, scheme, period),
    }
    small.update(orgseq_inputs(ws.org, cs, entities, small["k_pop"]))  # spec §15
    adj, cs, small["k_pop"] = adjust.prepare(ws.store, scheme, str(period), adjustments, cs,
                                             small["k_pop"])  # spec §19
    if only is not None:
        small["k_pop"] = _peer_group_of(scheme, small["k_pop"], only)
    facts = _facts(ws, cs, period, engine)
    inputs = RunInputs(small=small, facts=facts, store_path=ws.store.path)
    say(f"计算 computing on {engine}")
    if engine == "duckdb":
        from kaohe.engine.backends import duckdb_backend
        with ws.store.reading():  # its read-only connection waits out another process's write
            table, sql = duckdb_backend.execute(
                cs, period, inputs, settings=ws.settings.duckdb,
                aggregates=aggregates or AggregateCache.beside(
                    ws.store.path, ws.settings.duckdb.cache_limit_bytes),
                rescore=only is None, lean=lean)
    else:
        from kaohe.engine.backends import spark_backend
        spark_table, spark_sql = spark_backend.execute(cs, period, inputs, ws.settings.spark)
        table, sql = spark_table, (lambda: spark_sql)
    table = rename_lines(scheme, table)  # l_<i> → l_<line name> (spec §10)
    if only is not None:
        table, save = table.filter(pc.equal(table["id"], only)), False
    if lean:
        save = False
    present = [c for c in cs.part_source if c in table.column_names]
    parts = table.select(["id", *present])
    df = table.drop_columns(present).to_pandas()
    run_id = run_id or new_run_id(started)
    result = RunResult(
        scheme=scheme.code, title=scheme.name, period=str(period), run_id=run_id,
        entity=scheme.entity, peers=scheme.peers,
        indicators=indicator_infos(scheme), scheme_rules=tuple(scheme_sentences(scheme)),
        grades=scheme.grades, table=df, engine=engine, has_payout=scheme.payout is not None,
        **consequence_fields(scheme), adjustments=adj.by_entity(),
        revision=revisions.next_revision(ws.store, scheme.code, str(period)) if save else None,
    )
    if save:
        say("保存结果 saving the run")
        history.save_run(ws.store, result, scheme, period, started, adj)
    return RunOutput(result=result, sql_of=sql, part_table=parts)
