"""Instant re-scoring: every run keeps the aggregate values of its source-based indicators,
and a later run reuses them when only its scoring changed.

A run's plan aggregates each source (each source and ``via`` path) in one query
(plan.AggregateQuery): ``_k`` and one column per aggregate part. Here each such query is run on
its own, its result kept in a file beside the store, and the plan reads the kept result in its
place. The file's name is a key made of

- the query itself, as DuckDB SQL with its part columns renamed by position: the source, the
  compiled formulas, their windows (constant dates: the period is in them), the roll-up path;
- what the query reads besides the facts: the small inputs it names (the org tree, who works
  where as of the period's last day, roll-up tables), byte for byte;
- the facts' version: for each fact table it reads, the count, the import ids and the
  import-order numbers (``_kaohe_seq``) of the rows in the days its windows read (every row up
  to the end it needs when a sequence column looks outside the period, spec §14).

A change of weights, rules, grades, quotas, payout, or peers over the same population leaves
every key as it was: nothing is aggregated again. A changed formula or window changes only its
own source's key. A re-import or a ``--replace`` of a period changes the version of exactly
the keys whose days include it; an entry of the same query with an older version is deleted
when the new one is written (the others stay and are used).

Two more layers make a change of scoring cheaper still (``Rescoring``):

- **values**: every entity's row before scoring (the population's columns, the aggregate parts,
  each indicator's value), keyed by the query that computes it from the kept aggregates, the
  aggregates' keys and the small inputs it reads (the population, adjustments included);
- **points**: each indicator's points before re-weighting (``r_<code>``), keyed by the values'
  key and the points' own SQL (rule, weight, cap, what a missing value gets, its peer windows).

A changed weight then computes one indicator's points and the totals, ranks, grades and payout
from there; the other indicators' points and every value are read back.

The folder is bounded: at most ``KEEP`` entries and ``max_bytes`` bytes (kaohe.yaml
``duckdb.cache_limit``), the least recently used going first.

The store itself is never written: a what-if (cli/whatif.py) fills and reads this folder
only. Results are the same as a run without it (tests/engine/test_aggregate_cache.py).
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path

import duckdb
import pyarrow as pa
from pyarrow import ipc
from sqlglot import exp

from kaohe.engine.compiled import CompiledScheme
from kaohe.engine.enrich import history_end, needs_history
from kaohe.engine.plan import AggregateQuery
from kaohe.engine.windows import source_range
from kaohe.periods import Period
from kaohe.workspace.import_order import SEQ

FORMAT = "3"  # bump when the meaning of a kept table changes (3: parts in agg.parts order)
KEEP = 4000  # entries kept at most; the least recently used go first
MAX_BYTES = 2 * 1024 ** 3  # and bytes at most (kaohe.yaml duckdb.cache_limit)
SUFFIX = ".arrow"
VALUES, POINTS = "v", "p"  # file name prefixes of the two scoring layers


@dataclass
class CacheStats:
    """What the last run did: aggregations reused, and those computed (source names)."""

    reused: list[str] = field(default_factory=list)
    computed: list[str] = field(default_factory=list)
    values_reused: bool = False  # the values before scoring were read back
    points_reused: list[str] = field(default_factory=list)  # indicators whose points were
    points_computed: list[str] = field(default_factory=list)


def _sha(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode() if isinstance(p, str) else p)
        h.update(b"\x00")
    return h.hexdigest()[:40]


def _table_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return sink.getvalue().to_pybytes()


Key = tuple[str, str]  # (query key, version key)


class AggregateCache:
    def __init__(self, folder: Path, keep: int = KEEP, max_bytes: int = MAX_BYTES) -> None:
        self.folder = folder
        self.keep = keep
        self.max_bytes = max_bytes
        self.stats = CacheStats()

    @classmethod
    def beside(cls, store_path: Path, max_bytes: int = MAX_BYTES) -> AggregateCache:
        """The cache of a store: the folder ``<store file>.aggregates`` next to it."""
        return cls(store_path.with_name(store_path.name + ".aggregates"), max_bytes=max_bytes)

    # -- the key --------------------------------------------------------------------------

    def _query_text(self, agg: AggregateQuery, render: object) -> str:
        sql = render(agg.query)  # type: ignore[operator]
        for j, name in enumerate(agg.parts):  # part names depend on the scheme's other parts
            sql = re.sub(rf'"{re.escape(name)}"', f'"__part{j}"', sql)
        return sql

    def _version(self, con: duckdb.DuckDBPyConnection, cs: CompiledScheme, period: Period,
                 agg: AggregateQuery, table: str) -> str | None:
        """The facts' version of ``table`` over the days the aggregation reads; None when the
        table has no import ids (then the aggregation is not kept)."""
        q = '"' + table.replace('"', '""') + '"'
        try:  # bound, not looked up in information_schema (a catalog listing costs ~8 ms)
            con.execute(f"SELECT _import_id, {SEQ} FROM {q} LIMIT 0")
        except duckdb.Error:
            return None
        src = cs.sources[agg.source]
        t = '"' + src.time.replace('"', '""') + '"'
        where, params = "", []
        if needs_history(cs, src):
            until = history_end(cs, src, period)
            if until is not None:
                where, params = f" WHERE {t} < ?", [until]
        else:
            a, b = source_range(cs, agg.source, period)
            where = f" WHERE {t} >= ? AND {t} < ?"
            params = [datetime.combine(a, time()), datetime.combine(b, time())]
        row = con.execute(
            f"SELECT count(*), min({SEQ}), max({SEQ}), sum({SEQ}), "
            f"string_agg(DISTINCT _import_id, ',' ORDER BY _import_id) FROM {q}{where}",
            params).fetchall()[0]
        return repr(row)

    def _key(self, con: duckdb.DuckDBPyConnection, cs: CompiledScheme, period: Period,
             agg: AggregateQuery, render: object, inputs: Mapping[str, pa.Table],
             fingerprints: dict[str, str]) -> tuple[str, str] | None:
        """(query key, version key); None when the aggregation cannot be kept."""
        sql = self._query_text(agg, render)
        names = sorted({t.name for t in agg.query.find_all(exp.Table)})
        versions: list[str] = []
        for name in names:
            if name in inputs:
                if name not in fingerprints:
                    fingerprints[name] = _sha(_table_bytes(inputs[name]))
                versions.append(f"{name}={fingerprints[name]}")
                continue
            try:
                con.execute(f'SELECT 1 FROM "{name.replace(chr(34), chr(34) * 2)}" LIMIT 0')
            except duckdb.Error:
                continue  # a name inside the query (a subquery's alias), not a table
            v = self._version(con, cs, period, agg, name)
            if v is None:
                return None
            versions.append(f"{name}={v}")
        return _sha(FORMAT, sql, str(period)), _sha(*versions)

    # -- use ------------------------------------------------------------------------------

    def keys(self, con: duckdb.DuckDBPyConnection, cs: CompiledScheme, period: Period,
             aggregates: list[AggregateQuery], render: object,
             inputs: Mapping[str, pa.Table]) -> dict[str, Key | None]:
        """Each aggregation's key (alias → key; None when it cannot be kept)."""
        fingerprints: dict[str, str] = {}
        return {agg.alias: self._key(con, cs, period, agg, render, inputs, fingerprints)
                for agg in aggregates}

    def tables(self, con: duckdb.DuckDBPyConnection, cs: CompiledScheme, period: Period,
               aggregates: list[AggregateQuery], render: object,
               inputs: Mapping[str, pa.Table],
               keys: Mapping[str, Key | None] | None = None) -> dict[str, pa.Table]:
        """Each aggregation's result (alias → ``_k`` and its parts): kept from an earlier run
        with the same key, else computed now on ``con`` (the run's hardened connection) and
        kept. ``render`` turns a tree into the SQL the connection runs."""
        self.stats.reused, self.stats.computed = [], []
        if keys is None:
            keys = self.keys(con, cs, period, aggregates, render, inputs)
        out: dict[str, pa.Table] = {}
        for agg in aggregates:
            key = keys[agg.alias]
            path = None if key is None else self.folder / f"{key[0]}-{key[1]}{SUFFIX}"
            table = self._read(path) if path is not None else None
            if table is not None:
                self.stats.reused.append(agg.source)
                table = table.rename_columns(["_k", *agg.parts])
            else:
                self.stats.computed.append(agg.source)
                # kept in the order of agg.parts, which is how a kept table is named back: the
                # query gives a count(distinct) part after the others (plan._aggregate_cte)
                table = con.sql(render(agg.query)).to_arrow_table(  # type: ignore[operator]
                    ).select(["_k", *agg.parts])
                if key is not None and path is not None:
                    self._write(path, table.rename_columns(
                        ["_k", *(f"__part{j}" for j in range(len(agg.parts)))]),
                        stale=(f"{key[0]}-",))
            out[agg.alias] = table
        self.prune()
        return out

    # -- the scoring layers ---------------------------------------------------------------

    def values_key(self, sql: str, period: Period, aggregates: Mapping[str, Key | None],
                   inputs: Mapping[str, pa.Table], names: list[str]) -> Key | None:
        """The key of the values before scoring: ``sql`` computes them from the aggregations
        (read from relations named after their aliases) and the small ``inputs`` it names
        (``names``). None when an aggregation cannot be kept."""
        if any(k is None for k in aggregates.values()):
            return None
        versions = [f"{alias}={k[0]}:{k[1]}" for alias, k in sorted(aggregates.items())
                    if k is not None]
        versions += [f"{n}={_sha(_table_bytes(inputs[n]))}" for n in sorted(names)
                     if n in inputs]
        return _sha(FORMAT, "values", sql, str(period)), _sha(*versions)

    def read_values(self, key: Key) -> pa.Table | None:
        return self._read(self.folder / f"{VALUES}{key[0]}-{key[1]}{SUFFIX}")

    def write_values(self, key: Key, table: pa.Table) -> None:
        """Keep the values; those of the same query over older data go, with their points."""
        self._write(self.folder / f"{VALUES}{key[0]}-{key[1]}{SUFFIX}", table,
                    stale=(f"{VALUES}{key[0]}-", f"{POINTS}{key[0]}-"),
                    keep=(f"{POINTS}{key[0]}-{key[1]}-",))

    @staticmethod
    def points_key(sql: str) -> str:
        return _sha(FORMAT, "points", sql)

    def _points_path(self, values: Key, points: str) -> Path:
        return self.folder / f"{POINTS}{values[0]}-{values[1]}-{points}{SUFFIX}"

    def read_points(self, values: Key, points: Mapping[str, str]) -> dict[str, pa.Array]:
        """Indicator code → its kept points, row for row as the kept values."""
        out: dict[str, pa.Array] = {}
        for code, key in points.items():
            table = self._read(self._points_path(values, key))
            if table is not None and table.num_columns == 1:
                out[code] = table.column(0)
        return out

    def write_points(self, values: Key, points: Mapping[str, str],
                     columns: Mapping[str, pa.Array]) -> None:
        for code, column in columns.items():
            self._write(self._points_path(values, points[code]), pa.table({"r": column}))
        self.prune()

    # -- files ----------------------------------------------------------------------------

    def _read(self, path: Path) -> pa.Table | None:
        try:
            with pa.memory_map(str(path)) as f:
                table = ipc.open_file(f).read_all()
        except (OSError, pa.ArrowInvalid):
            return None
        try:
            os.utime(path)  # recently used
        except OSError:
            pass
        return table

    def _write(self, path: Path, table: pa.Table, stale: tuple[str, ...] = (),
               keep: tuple[str, ...] = ()) -> None:
        """Keep ``table`` at ``path``; first the entries whose names start with a ``stale``
        prefix (the same query over older data) go, except those starting with a ``keep``
        prefix."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for prefix in stale:
                for old in self.folder.glob(f"{prefix}*{SUFFIX}"):
                    if old.name != path.name and not old.name.startswith(keep or ("\0",)):
                        old.unlink(missing_ok=True)
            tmp = path.with_name(f".{uuid.uuid4().hex}.tmp")
            with ipc.new_file(str(tmp), table.schema) as w:
                w.write_table(table)
            os.replace(tmp, path)
        except OSError:
            return  # a cache that cannot be written only costs time

    def prune(self) -> None:
        """At most ``keep`` entries and ``max_bytes`` bytes: the least recently used go."""
        if not self.folder.is_dir():
            return
        files = []
        for p in self.folder.glob(f"*{SUFFIX}"):
            try:
                st = p.stat()
            except OSError:
                continue
            files.append((st.st_mtime, st.st_size, p))
        total = sum(size for _t, size, _p in files)
        if len(files) <= self.keep and total <= self.max_bytes:
            return
        files.sort(key=lambda f: f[0])
        count = len(files)
        for _t, size, p in files:
            if count <= self.keep and total <= self.max_bytes:
                break
            p.unlink(missing_ok=True)
            count, total = count - 1, total - size

    def entries(self, kind: str = "aggregates") -> list[Path]:
        """The kept files of one layer: ``aggregates``, ``values`` or ``points``."""
        if not self.folder.is_dir():
            return []
        files = sorted(self.folder.glob(f"*{SUFFIX}"))
        if kind == "values":
            return [p for p in files if p.name.startswith(VALUES)]
        if kind == "points":
            return [p for p in files if p.name.startswith(POINTS)]
        return [p for p in files if not p.name.startswith((VALUES, POINTS))]
