"""Data completeness: is a period's data as complete as the periods before it?

A run on a month whose facts were barely imported still computes — every clerk gets the
lowest grade, whole peer groups tie and are flagged 末位 — and nothing in the numbers says the
data was missing. So before a run is trusted, each source the scheme reads is counted for the
run's period (rows, and the entities the rows cover: distinct person, else unit) and compared
with the median of the previous periods that have data:

    short  ⇔  rows < min_ratio × median(previous rows)  or  entities < min_ratio × median(...)

and a source with no row at all in the period is short whenever it had rows before. The
comparison is configurable in kaohe.yaml (``completeness: {min_ratio: 0.5, periods: 3}``;
``min_ratio: 0`` switches it off). ``kaohe run`` prints the shortfalls as a warning; the web
shows them on the run's page and asks for a reason before such a run is published.

``coverage`` gives the same counts for every period of every source (the web's data page):
they come from the store itself, so CLI imports and web uploads count alike.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from kaohe.errors import ConfigError
from kaohe.periods import Period, PeriodKind
from kaohe.workspace.sources import RESULTS_PREFIX, Source
from kaohe.workspace.store import quote


@dataclass(frozen=True)
class CompletenessSettings:
    min_ratio: float = 0.5  # a period below this share of the usual count is short
    periods: int = 3  # how many previous periods make "usual" (their median)

    @property
    def enabled(self) -> bool:
        return self.min_ratio > 0


DEFAULT_COMPLETENESS = CompletenessSettings()


def parse_completeness(data: Any, where: str) -> CompletenessSettings:
    """``completeness:`` of kaohe.yaml: ``min_ratio`` in [0, 1], ``periods`` a whole number 1–24."""
    if data is None:
        return DEFAULT_COMPLETENESS
    if not isinstance(data, dict) or set(data) - {"min_ratio", "periods"}:
        raise ConfigError(f"{where}: completeness 应为映射，键为 min_ratio、periods "
                          "must map min_ratio and/or periods to numbers")
    ratio = data.get("min_ratio", DEFAULT_COMPLETENESS.min_ratio)
    periods = data.get("periods", DEFAULT_COMPLETENESS.periods)
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 <= ratio <= 1:
        raise ConfigError(f"{where}: completeness.min_ratio 应为 0 到 1 之间的数（如 0.5）"
                          f" must be a number from 0 to 1, got {ratio!r}")
    if isinstance(periods, bool) or not isinstance(periods, int) or not 1 <= periods <= 24:
        raise ConfigError(f"{where}: completeness.periods 应为 1 到 24 之间的整数"
                          f" must be a whole number from 1 to 24, got {periods!r}")
    return CompletenessSettings(min_ratio=float(ratio), periods=periods)


@dataclass(frozen=True)
class Coverage:
    """One source's facts in one period."""

    source: str
    title: str
    period: str
    rows: int
    entities: int


@dataclass(frozen=True)
class Shortfall:
    """A source whose data for ``period`` is far below the previous periods'."""

    source: str
    title: str
    period: str
    rows: int
    entities: int
    usual_rows: float  # median over ``compared``
    usual_entities: float
    compared: tuple[str, ...]  # the previous periods with data, oldest first

    @property
    def ratio(self) -> float:
        """The period's rows as a share of the usual rows (0 when there are none)."""
        return self.rows / self.usual_rows if self.usual_rows else 0.0

    def sentence(self) -> str:
        """The warning in plain Chinese."""
        if self.rows == 0:
            return (f"数据源“{self.title}”（{self.source}）在 {self.period} 没有任何数据；"
                    f"此前 {len(self.compared)} 期通常有 {self.usual_rows:,.0f} 行。")
        return (f"数据源“{self.title}”（{self.source}）在 {self.period} 只有 {self.rows:,} 行、"
                f"覆盖 {self.entities:,} 个对象，约为此前 {len(self.compared)} 期中位数"
                f"（{self.usual_rows:,.0f} 行、{self.usual_entities:,.0f} 个对象）的 "
                f"{self.ratio:.0%}。")

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "title": self.title, "period": self.period,
                "rows": self.rows, "entities": self.entities, "usual_rows": self.usual_rows,
                "usual_entities": self.usual_entities, "compared": list(self.compared),
                "sentence": self.sentence()}


def _entity_sql(src: Source) -> str:
    cols = [quote(c) for c in (src.person, src.unit) if c]
    if not cols:
        return "NULL"
    return "coalesce(" + ", ".join(f"CAST({c} AS VARCHAR)" for c in cols) + ")"


def _counts(ws: Any, src: Source, kind: PeriodKind, since: date | None,
            until: date | None) -> dict[str, tuple[int, int]]:
    """{period text: (rows, entities)} of ``src`` in [since, until) (None: unbounded)."""
    store = ws.store
    if not store.path.exists():
        return {}
    t = quote(src.time)
    where, params = [], []
    if since is not None:
        where.append(f"{t} >= ?")
        params.append(datetime.combine(since, time()))
    if until is not None:
        where.append(f"{t} < ?")
        params.append(datetime.combine(until, time()))
    sql = (f"SELECT CAST(date_trunc('{kind}', {t}) AS DATE) AS d, count(*), "
           f"count(DISTINCT {_entity_sql(src)}) FROM {quote(src.table)}"
           + (" WHERE " + " AND ".join(where) if where else "") + " GROUP BY d")
    with store.connect(read_only=True) as con:
        if not store.has_table(con, src.table):
            return {}
        raw = con.execute(sql, params).fetchall()
    return {str(Period.containing(kind, d)): (int(n), int(e)) for d, n, e in raw if d}


def stored_sources(ws: Any, names: Any = None) -> list[Source]:
    """The fact sources kept in the store (not ``results:`` sources, not Spark-only ones)."""
    picked = []
    for name in (names if names is not None else sorted(ws.sources)):
        if name.startswith(RESULTS_PREFIX) or name not in ws.sources:
            continue
        if name in ws.settings.spark.sources:  # read by Spark from elsewhere
            continue
        picked.append(ws.sources[name])
    return picked


def coverage(ws: Any, kind: PeriodKind = "month") -> list[Coverage]:
    """Rows and covered entities of every stored source in every period of ``kind`` with
    data, by source then period (newest first)."""
    out: list[Coverage] = []
    for src in stored_sources(ws):
        counts = _counts(ws, src, kind, None, None)
        for period in sorted(counts, reverse=True):
            rows, entities = counts[period]
            out.append(Coverage(src.name, src.title, period, rows, entities))
    return out


def shortfalls(ws: Any, scheme: Any, period: Period,
               settings: CompletenessSettings | None = None) -> list[Shortfall]:
    """The sources ``scheme`` reads whose data for ``period`` is far below the usual (module
    docstring); empty when the check is switched off."""
    settings = settings or ws.settings.completeness
    if not settings.enabled:
        return []
    first = period.shift(-settings.periods)
    out: list[Shortfall] = []
    for src in stored_sources(ws, scheme.sources):
        counts = _counts(ws, src, period.kind, first.start, period.end)
        before = [str(first.shift(i)) for i in range(settings.periods)]
        compared = tuple(p for p in before if counts.get(p, (0, 0))[0] > 0)
        rows, entities = counts.get(str(period), (0, 0))
        if not compared:
            continue  # nothing to compare with: a new source, or the first period
        usual_rows = float(statistics.median(counts[p][0] for p in compared))
        usual_entities = float(statistics.median(counts[p][1] for p in compared))
        short = (rows == 0 or rows < settings.min_ratio * usual_rows
                 or entities < settings.min_ratio * usual_entities)
        if short:
            out.append(Shortfall(src.name, src.title, str(period), rows, entities,
                                 usual_rows, usual_entities, compared))
    return out


@dataclass(frozen=True)
class StoredImport:
    """One import recorded in the store, whoever made it (``kaohe import`` or the web)."""

    source: str
    file: str  # the file's name, without its folder
    rows: int
    replaced_period: str
    deleted: int
    imported_at: datetime


def stored_imports(ws: Any, limit: int = 20) -> list[StoredImport]:
    """The latest imports the store recorded, newest first."""
    store = ws.store
    if not store.path.exists():
        return []
    with store.connect(read_only=True) as con:
        if not store.has_table(con, "imports"):
            return []
        raw = con.execute("SELECT source, file, rows, replaced_period, deleted, imported_at "
                          "FROM imports ORDER BY imported_at DESC LIMIT ?", [limit]).fetchall()
    return [StoredImport(str(s), str(f or "").replace("\\", "/").rsplit("/", 1)[-1],
                         int(n or 0), str(r or ""), int(d or 0), at)
            for s, f, n, r, d, at in raw]
