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

FORMAT = "1"  # bump when the meaning of a kept table changes
KEEP = 4000  # entries kept at most; the least recently used go first
SUFFIX = ".arrow"


@dataclass
class CacheStats:
    """What the last run did: aggregations reused, and those computed (source names)."""

    reused: list[str] = field(default_factory=list)
    computed: list[str] = field(default_factory=list)


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


class AggregateCache:
    def __init__(self, folder: Path, keep: int = KEEP) -> None:
        self.folder = folder
        self.keep = keep
        self.stats = CacheStats()

    @classmethod
    def beside(cls, store_path: Path) -> AggregateCache:
        """The cache of a store: the folder ``<store file>.aggregates`` next to it."""
        return cls(store_path.with_name(store_path.name + ".aggregates"))

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
        cols = {str(r[0]) for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
            [table]).fetchall()}
        if "_import_id" not in cols or SEQ not in cols:
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
        q = '"' + table.replace('"', '""') + '"'
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
            exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE "
                                 "table_name = ?", [name]).fetchall()[0]
            if not exists or not exists[0]:
                continue  # a name inside the query (a subquery's alias)
            v = self._version(con, cs, period, agg, name)
            if v is None:
                return None
            versions.append(f"{name}={v}")
        return _sha(FORMAT, sql, str(period)), _sha(*versions)

    # -- use ------------------------------------------------------------------------------

    def tables(self, con: duckdb.DuckDBPyConnection, cs: CompiledScheme, period: Period,
               aggregates: list[AggregateQuery], render: object,
               inputs: Mapping[str, pa.Table]) -> dict[str, pa.Table]:
        """Each aggregation's result (alias → ``_k`` and its parts): kept from an earlier run
        with the same key, else computed now on ``con`` (the run's hardened connection) and
        kept. ``render`` turns a tree into the SQL the connection runs."""
        self.stats = CacheStats()
        out: dict[str, pa.Table] = {}
        fingerprints: dict[str, str] = {}
        for agg in aggregates:
            key = self._key(con, cs, period, agg, render, inputs, fingerprints)
            path = None if key is None else self.folder / f"{key[0]}-{key[1]}{SUFFIX}"
            table = self._read(path) if path is not None else None
            if table is not None:
                self.stats.reused.append(agg.source)
                table = table.rename_columns(["_k", *agg.parts])
            else:
                self.stats.computed.append(agg.source)
                table = con.sql(render(agg.query)).to_arrow_table()  # type: ignore[operator]
                if key is not None and path is not None:
                    self._write(path, key[0], table.rename_columns(
                        ["_k", *(f"__part{j}" for j in range(len(agg.parts)))]))
            out[agg.alias] = table
        self._prune()
        return out

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

    def _write(self, path: Path, query_key: str, table: pa.Table) -> None:
        """Keep ``table``, replacing the entries of the same query over older facts."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for old in self.folder.glob(f"{query_key}-*{SUFFIX}"):
                old.unlink(missing_ok=True)
            tmp = path.with_name(f".{uuid.uuid4().hex}.tmp")
            with ipc.new_file(str(tmp), table.schema) as w:
                w.write_table(table)
            os.replace(tmp, path)
        except OSError:
            return  # a cache that cannot be written only costs time

    def _prune(self) -> None:
        if not self.folder.is_dir():
            return
        files = list(self.folder.glob(f"*{SUFFIX}"))
        if len(files) <= self.keep:
            return
        files.sort(key=lambda p: p.stat().st_mtime)
        for p in files[:len(files) - self.keep]:
            p.unlink(missing_ok=True)

    def entries(self) -> list[Path]:
        return sorted(self.folder.glob(f"*{SUFFIX}")) if self.folder.is_dir() else []
