"""DuckDB: a read-only connection to the store, hardened before any formula runs.

The whole database instance is opened read-only with external access off from the start, the
small inputs are registered from Arrow, then the configuration is locked: no SQL on this
connection can read another file, load an extension, write (even to a database it attaches)
or undo the lock — a second wall behind the formula allow-list.

A run's memory is bounded (``duckdb`` in kaohe.yaml, docs/operations.md): DuckDB keeps at most
``memory_limit`` of buffers and hash tables and spills the rest to a fresh folder of the run,
removed afterwards. That folder is the only path the connection may write, and only DuckDB's
own spill files go there.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from kaohe.engine.backends.base import RunInputs
from kaohe.engine.aggregate_cache import AggregateCache, CacheStats, Key
from kaohe.engine.plan import (
    KEPT_PREFIX, AggregateQuery, Plan, aggregate_queries, build_plan, raw_points, scoring_plan,
    sorted_result, values_query,
)
from kaohe.engine.compiled import CompiledScheme
from kaohe.errors import EngineError
from kaohe.periods import Period
from kaohe.workspace.config import DuckDBSettings

DIALECT = "duckdb"


def _date_diff(node: exp.Expression) -> exp.Expression:
    # date_diff(unit, a, b) is whole units elapsed from a to b (truncated), on every engine:
    # DuckDB's date_sub; its date_diff would count unit boundaries crossed instead.
    if type(node) is exp.DateDiff:
        unit = str(node.args["unit"].name).lower()
        return exp.Anonymous(this="DATE_SUB", expressions=[
            exp.Literal.string(unit), node.expression, node.this])
    return node


def render(plan: Plan) -> str:
    """A plan as DuckDB SQL. The plan's tree is the caller's to give away: it is rendered
    without a copy (a copy of a 60-indicator plan costs more than its rendering)."""
    return _dated(plan.query).sql(dialect=DIALECT, copy=False)


def render_expression(tree: exp.Expression) -> str:
    """Any kaohe tree as DuckDB SQL (explain lists enriched fact rows with it); the tree is
    left as it was."""
    return _dated(tree).sql(dialect=DIALECT)


def _dated(tree: exp.Expression) -> exp.Expression:
    """``tree`` with date_diff as kaohe means it (a copy, only when it has one)."""
    if next(tree.find_all(exp.DateDiff), None) is None:
        return tree
    return tree.transform(_date_diff)


def fact_relation(table: str) -> exp.Table:
    return exp.Table(this=exp.to_identifier(table, quoted=True))


def hardened_connection(store: Path | None, spill: Path | None = None,
                        settings: DuckDBSettings | None = None) -> duckdb.DuckDBPyConnection:
    """The connection formulas run on: read-only, no external access (lock it once the
    inputs are registered, with ``lock``). Without ``spill`` nothing may spill to disk (an
    empty temp_directory also takes the spill folder off the allowed paths); with it, the run
    spills there beyond ``settings.memory_limit``."""
    config: dict[str, str | bool | int] = {"enable_external_access": False,
                                           "temp_directory": str(spill or "")}
    if settings is not None:
        config["memory_limit"] = settings.memory_limit
        if settings.threads:
            config["threads"] = settings.threads
    if store is not None:
        return duckdb.connect(str(store), read_only=True, config=config)
    return duckdb.connect(":memory:", config=config)


@contextmanager
def spill_folder(settings: DuckDBSettings) -> Iterator[Path]:
    """A fresh folder for one run's spill files, under ``settings.temp_directory`` (or the
    system's temporary folder), removed afterwards."""
    base = settings.temp_directory or None
    if base:
        Path(base).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="kaohe-spill-", dir=base))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def lock(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("SET lock_configuration = true")


def execute(cs: CompiledScheme, period: Period, inputs: RunInputs,
            threads: int | None = None,
            aggregates: AggregateCache | None = None,
            settings: DuckDBSettings | None = None,
            rescore: bool = True, lean: bool = False) -> tuple[pa.Table, Callable[[], str]]:
    """The run's result and its SQL (a function: rendered only when asked for, by explain and
    tests). With ``aggregates``, each aggregation is run on its own (or taken from that cache)
    and the plan reads its result (engine/aggregate_cache.py); with ``rescore`` as well, the
    values before scoring and each indicator's points are kept and reused too. The SQL given
    is still the whole computation in one query. ``settings``: the run's memory limit, spill
    folder and threads (kaohe.yaml ``duckdb:``). ``lean``: the consequences only, without the
    indicators' columns (plan.scoring_plan; a what-if)."""
    settings = settings or DuckDBSettings()
    with spill_folder(settings) as spill:
        return _execute(cs, period, inputs, threads, aggregates, settings, spill, rescore, lean)


def _execute(cs: CompiledScheme, period: Period, inputs: RunInputs, threads: int | None,
             aggregates: AggregateCache | None, settings: DuckDBSettings,
             spill: Path, rescore: bool, lean: bool) -> tuple[pa.Table, Callable[[], str]]:
    facts: dict[str, exp.Expression] = {}
    memory: dict[str, pa.Table] = {}
    for name, fi in inputs.facts.items():
        if fi.store_table is not None:
            facts[name] = fact_relation(fi.store_table)
        else:
            assert fi.rows is not None
            facts[name] = fact_relation("mem_" + fi.source.table)
            memory["mem_" + fi.source.table] = fi.rows
    aggs = aggregate_queries(cs, period, facts)

    def whole() -> str:  # the whole computation in one query, as returned
        return render(build_plan(cs, period, facts, aggs))

    in_store = any(fi.store_table for fi in inputs.facts.values())
    con = hardened_connection(inputs.store_path if in_store else None, spill, settings)
    small = {**inputs.small, **memory}
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        for name, table in small.items():
            con.register(name, table)
        lock(con)
        try:
            if aggregates is None:
                result = con.sql(render(build_plan(cs, period, facts, aggs, lean=lean))
                                 ).to_arrow_table()
            else:
                aggregates.stats = CacheStats()
                keys = aggregates.keys(con, cs, period, aggs, render_expression, small)
                result = None
                if rescore:
                    result = _rescored(con, cs, period, facts, aggs, aggregates, keys, small,
                                       lean)
                if result is None:
                    kept = _register_aggregates(con, cs, period, aggs, aggregates, keys, small)
                    result = con.sql(render(build_plan(cs, period, facts, aggs, kept, lean))
                                     ).to_arrow_table()
        except duckdb.Error as exc:
            raise EngineError(f"计算失败 the DuckDB run failed: {exc}") from exc
    finally:
        con.close()
    return sorted_result(result), whole


def _register_aggregates(con: duckdb.DuckDBPyConnection, cs: CompiledScheme, period: Period,
                         aggs: list[AggregateQuery], cache: AggregateCache,
                         keys: dict[str, Key | None], small: dict[str, pa.Table]
                         ) -> dict[str, str]:
    """Each aggregation's result, kept or computed now, registered as ``k_agg_<alias>``."""
    kept = cache.tables(con, cs, period, aggs, render_expression, small, keys)
    for alias, table in kept.items():
        con.register(f"k_agg_{alias}", table)
    return {alias: f"k_agg_{alias}" for alias in kept}


VALUES = "k_vals"


def _rescored(con: duckdb.DuckDBPyConnection, cs: CompiledScheme, period: Period,
              facts: dict[str, exp.Expression], aggs: list[AggregateQuery],
              cache: AggregateCache, keys: dict[str, Key | None],
              small: dict[str, pa.Table], lean: bool) -> pa.Table | None:
    """The run from the kept values and points (engine/aggregate_cache.py): the values
    before scoring are read back or computed (from the kept aggregations) and kept; each
    indicator's points likewise. None when the values cannot be kept."""
    names = {alias: f"k_agg_{alias}" for alias in keys}
    vq = values_query(cs, period, facts, aggs, names)
    vsql = render_expression(vq)
    read = sorted({t.name for t in vq.find_all(exp.Table)} & set(small))
    vkey = cache.values_key(vsql, period, keys, small, read)
    if vkey is None:
        return None
    values = cache.read_values(vkey)
    if values is None:
        _register_aggregates(con, cs, period, aggs, cache, keys, small)
        values = con.sql(vsql).to_arrow_table()
        cache.write_values(vkey, values)
    else:
        cache.stats.values_reused = True
        cache.stats.reused = [a.source for a in aggs]
    points = {code: cache.points_key(render_expression(r) + "\x00" + "\x00".join(
                  f"{n}={render_expression(w)}" for n, w in sorted(wins.items())))
              for code, (r, wins) in raw_points(cs).items()}
    kept = {c: a for c, a in cache.read_points(vkey, points).items() if len(a) == len(values)}
    cache.stats.points_reused = sorted(kept)
    emit = frozenset(points) - frozenset(kept)
    cache.stats.points_computed = sorted(emit)
    table = values
    for code, column in kept.items():
        table = table.append_column(KEPT_PREFIX + code, column)
    con.register(VALUES, table)
    plan = scoring_plan(cs, [], VALUES, kept=frozenset(kept), emit=emit, lean=lean)
    result = con.sql(render(plan)).to_arrow_table()
    order = pc.index_in(values["entity_id"], value_set=result["id"])
    if emit and order.null_count == 0:
        # each new points column, row for row as the kept values
        cache.write_points(vkey, points, {
            code: result[KEPT_PREFIX + code].take(order) for code in emit})
    return result.drop_columns([KEPT_PREFIX + c for c in sorted(emit)])
