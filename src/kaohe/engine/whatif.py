"""What-if: a draft scheme run over past periods and compared with the stored runs.

Each period is run with the draft through ``run_scheme(save=False)``, the same engine as a real
run (every point, rank, grade and yuan comes from it), reusing the kept aggregate values
(engine/aggregate_cache.py) so that a changed weight re-scores in a moment. Nothing is written
to the store: no run, no run history; the elimination streak of a later period counts the
draft's own earlier periods of the range, and the stored runs before the range.

The comparison is per entity and period (old and new total, rank, grade, payout and each
payout line), the movers (grade up or down, entered or left the elimination list, largest
payout changes), and per period and peer group the grade distribution and the payout sum
before and after. The baseline of a period is the run given for it (the web passes the
published one), else the latest completed run of the scheme.

The comparison is columnar: the baseline runs are read with one connection (per period a query
for the entities and one for their payout lines, as Arrow) and matched with the draft's result
by entity id (Arrow hash look-ups) — entities new to or gone from the population show too — and
every figure (movers, grade distributions, payout sums, histograms) is computed on the joined
frame (``WhatIf.frame``) and the per-group table (``WhatIf.group_table``) with numpy. Money is
integer fen there, each amount rounded half up to the fen as it is written (``to_fen``), so
sums of payouts are exact to the fen. ``Change`` objects (Decimal yuan) are built only for the
rows asked for; the full list ``WhatIf.changes`` only when someone walks every row.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property, lru_cache
from typing import Any, overload

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kaohe.engine.aggregate_cache import AggregateCache
from kaohe.engine.history import LATEST_RUNS
from kaohe.errors import InputError
from kaohe.periods import Period, is_range, parse_period, period_range
from kaohe.results import LINE_PREFIX, RunResult
from kaohe.scheme.loader import parse_scheme
from kaohe.scheme.model import Scheme
from kaohe.workspace.store import arrow_query
from kaohe.workspace.workspace import Workspace

FEN = Decimal("0.01")
NO_GRADE = "（无等级）"

def yuan(value: Any) -> Decimal | None:
    """A payout as yuan to the fen; None for none (NaN included)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return _fen(float(value))


@lru_cache(maxsize=1 << 16)
def _fen(value: float) -> Decimal:
    return Decimal(str(value)).quantize(FEN, rounding=ROUND_HALF_UP)


@lru_cache(maxsize=1 << 16)
def _fen_yuan(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


def fen_to_yuan(fen: Any) -> Decimal | None:
    """Integer fen as Decimal yuan with two places (19000 → 190.00); None for none."""
    if fen is None or fen is pd.NA or (isinstance(fen, float) and math.isnan(fen)):
        return None
    return _fen_yuan(int(fen))


@dataclass(frozen=True)
class Side:
    """One entity in one period, as stored (old) or as the draft gives it (new)."""

    total: float | None
    rank: int | None
    grade: str | None
    eliminate: bool
    payout: Decimal | None
    lines: Mapping[str, Decimal | None]
    group: str


@dataclass(frozen=True)
class Change:
    period: str
    entity_id: str
    name: str
    group: str
    old: Side | None  # None: not in the stored run (new in the population)
    new: Side | None  # None: no longer in the population

    def payout_delta(self) -> Decimal:
        o = (self.old.payout if self.old else None) or Decimal(0)
        n = (self.new.payout if self.new else None) or Decimal(0)
        return n - o

    def total_delta(self) -> float | None:
        if self.old is None or self.new is None or None in (self.old.total, self.new.total):
            return None
        return round((self.new.total or 0) - (self.old.total or 0), 2)


@dataclass
class GroupSummary:
    period: str
    group: str
    before: dict[str, int] = field(default_factory=dict)  # grade → entities
    after: dict[str, int] = field(default_factory=dict)
    payout_before: Decimal = Decimal(0)
    payout_after: Decimal = Decimal(0)


class LazyChanges(Sequence[Change]):
    """Every row of a what-if as ``Change`` objects, built on first use (its length is
    known without building them)."""

    def __init__(self, size: int, build: Callable[[], list[Change]]) -> None:
        self._size = size
        self._build = build
        self._items: list[Change] | None = None

    def _all(self) -> list[Change]:
        if self._items is None:
            self._items = self._build()
        return self._items

    def __len__(self) -> int:
        return self._size

    @overload
    def __getitem__(self, i: int) -> Change: ...
    @overload
    def __getitem__(self, i: slice) -> list[Change]: ...
    def __getitem__(self, i: int | slice) -> Change | list[Change]:
        return self._all()[i]

    def __iter__(self) -> Iterator[Change]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"LazyChanges({self._size} rows{', built' if self._items is not None else ''})"


def _py(s: pd.Series) -> list[Any]:
    """A column as Python values, None for missing."""
    return s.astype(object).where(s.notna(), None).tolist()


@dataclass
class WhatIf:
    """The comparison. ``frame``: one row per period and entity, ordered by period, group and
    entity id, with columns

    - ``period``, ``entity_id``, ``name``, ``group`` (the draft's group; the stored run's for
      an entity no longer in the population), ``o_group`` (the stored run's, as the draft
      names it);
    - ``o_in``, ``n_in`` (bool: in the stored run; in the draft's result);
    - ``o_total``, ``n_total`` (float, NaN for none), ``o_rank``, ``n_rank`` (Int64),
      ``o_grade``, ``n_grade`` (str or missing), ``o_elim``, ``n_elim`` (bool, false when
      absent), ``o_ord``, ``n_ord`` (the grade's place in ``grades``, see ``grade_order``);
    - ``o_fen``, ``n_fen`` (Int64: the payout in fen), ``o_l{i}``, ``n_l{i}`` (Int64: payout
      line ``line_names[i]`` in fen);
    - ``d_fen`` (int: new − old payout in fen, a missing side or payout counting 0),
      ``d_total`` (float: new − old total to 0.01; NaN unless both totals are there).

    ``group_table``: one row per period and group (same order): ``period``, ``group``,
    ``b:<label>`` and ``a:<label>`` (entities of each grade before and after, ``NO_GRADE``
    for none), ``fen_before``, ``fen_after`` (exact payout sums in fen).
    """

    scheme: str
    title: str
    periods: list[str]
    baseline: dict[str, str | None]  # period → the stored run compared with (None: none)
    grades: list[str]  # grade labels, best first (the draft's, then the stored runs' others)
    line_names: list[str]
    frame: pd.DataFrame
    group_table: pd.DataFrame
    has_payout: bool = False  # the draft or a stored run has a payout
    reused: int = 0  # aggregations taken from the cache
    computed: int = 0  # aggregations computed
    # period → (indexes into line_names the stored run has, those the draft has)
    line_sets: dict[str, tuple[list[int], list[int]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.changes: Sequence[Change] = LazyChanges(len(self.frame),
                                                     lambda: self.build(self.frame))

    @cached_property
    def groups(self) -> list[GroupSummary]:
        t = self.group_table
        labels = [c[2:] for c in t.columns if c.startswith("b:")]
        out = []
        cols = {c: t[c].tolist() for c in t.columns}
        for i in range(len(t)):
            out.append(GroupSummary(
                cols["period"][i], cols["group"][i],
                {x: int(cols["b:" + x][i]) for x in labels if cols["b:" + x][i]},
                {x: int(cols["a:" + x][i]) for x in labels if cols["a:" + x][i]},
                _fen_yuan(int(cols["fen_before"][i])), _fen_yuan(int(cols["fen_after"][i]))))
        return out

    def labels(self) -> list[str]:
        """The grade labels of the distributions: every grade, then 无等级 where some entity
        has none."""
        t = self.group_table
        none = [NO_GRADE] if any(
            c in t.columns and t[c].any() for c in ("b:" + NO_GRADE, "a:" + NO_GRADE)) else []
        return [*self.grades, *none]

    def grade_order(self, label: str | None) -> int:
        if label is None:
            return len(self.grades) + 1
        return self.grades.index(label) if label in self.grades else len(self.grades)

    # --- the movers, as frames (rows in the frame's order) and as Change objects ------------

    def mask(self, kind: str) -> pd.Series:
        """Rows of a kind of move: ``up``, ``down`` (grade better or worse, entities in both),
        ``entered``, ``left`` (the elimination list)."""
        f = self.frame
        if kind in ("up", "down"):
            both = f["o_in"] & f["n_in"] & (f["o_ord"] != f["n_ord"])
            return both & ((f["n_ord"] < f["o_ord"]) if kind == "up"
                           else (f["n_ord"] > f["o_ord"]))
        if kind == "entered":
            return f["n_in"] & f["n_elim"] & ~(f["o_in"] & f["o_elim"])
        if kind == "left":
            return f["o_in"] & f["o_elim"] & ~(f["n_in"] & f["n_elim"])
        raise ValueError(kind)

    def moved(self, kind: str) -> pd.DataFrame:
        return self.frame[self.mask(kind)]

    def count(self, kind: str) -> int:
        return int(self.mask(kind).sum())

    def payout_moved(self, n: int = 20) -> pd.DataFrame:
        """The ``n`` largest payout changes (by size; then period, entity id)."""
        f = self.frame
        size = np.abs(f["d_fen"].to_numpy("int64"))
        nonzero = np.flatnonzero(size)
        if len(nonzero) == 0 or n <= 0:
            return f.iloc[0:0]
        if len(nonzero) > n:  # the n-th largest size: rows at least as large are candidates
            cut = np.partition(size[nonzero], len(nonzero) - n)[len(nonzero) - n]
            nonzero = nonzero[size[nonzero] >= cut]
        sub = f.iloc[nonzero]
        order = np.lexsort((sub["entity_id"].to_numpy(object), sub["period"].to_numpy(object),
                            -size[nonzero]))
        return sub.iloc[order[:n]]

    def grade_moves(self, up: bool) -> list[Change]:
        return self.build(self.moved("up" if up else "down"))

    def entered_elimination(self) -> list[Change]:
        return self.build(self.moved("entered"))

    def left_elimination(self) -> list[Change]:
        return self.build(self.moved("left"))

    def payout_movers(self, n: int = 20) -> list[Change]:
        return self.build(self.payout_moved(n))

    def payout_sums(self) -> tuple[Decimal, Decimal]:
        t = self.group_table
        return (_fen_yuan(int(t["fen_before"].sum())), _fen_yuan(int(t["fen_after"].sum())))

    def total_deltas(self) -> list[float]:
        return self.frame["d_total"].dropna().tolist()

    def payout_deltas(self) -> list[float]:
        """New − old payout in yuan per entity and period (a missing side counting 0); none
        without a payout."""
        if not self.has_payout:
            return []
        return (self.frame["d_fen"].to_numpy("int64") / 100).tolist()

    def build(self, sub: pd.DataFrame) -> list[Change]:
        """``Change`` objects of some rows of ``frame``."""
        if len(sub) == 0:
            return []
        c = {name: _py(sub[name]) for name in (
            "period", "entity_id", "name", "group", "o_group", "o_in", "n_in", "o_total",
            "n_total", "o_rank", "n_rank", "o_grade", "n_grade", "o_elim", "n_elim", "o_fen",
            "n_fen")}
        lines = {f"{s}_l{i}": (_py(sub[f"{s}_l{i}"]) if f"{s}_l{i}" in sub.columns
                               else [None] * len(sub))
                 for i in range(len(self.line_names)) for s in ("o", "n")}
        out = []
        for k in range(len(sub)):
            p = c["period"][k]
            o_lines, n_lines = self.line_sets.get(p, ([], []))
            old = new = None
            if c["o_in"][k]:
                old = Side(c["o_total"][k], c["o_rank"][k], c["o_grade"][k],
                           bool(c["o_elim"][k]), fen_to_yuan(c["o_fen"][k]),
                           {self.line_names[i]: fen_to_yuan(lines[f"o_l{i}"][k])
                            for i in o_lines}, c["o_group"][k] or "")
            if c["n_in"][k]:
                new = Side(c["n_total"][k], c["n_rank"][k], c["n_grade"][k],
                           bool(c["n_elim"][k]), fen_to_yuan(c["n_fen"][k]),
                           {self.line_names[i]: fen_to_yuan(lines[f"n_l{i}"][k])
                            for i in n_lines}, c["group"][k])
            out.append(Change(p, c["entity_id"][k], c["name"][k], c["group"][k], old, new))
        return out


def load_draft(path_text: str, code: str) -> Scheme:
    """The draft file, read as scheme ``code`` (its own file name does not matter)."""
    from pathlib import Path

    path = Path(path_text)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: 无法读取草稿 cannot read the draft: {exc.strerror}") from exc
    return parse_scheme(text, code)


def _tables(con: Any) -> set[str]:
    """The run tables the store has (a store may predate runs, or payout lines)."""
    return {str(r[0]) for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE table_name IN "
        "('runs', 'run_lines', 'run_line_names')").fetchall()}


def _stored_bottoms(ws: Workspace, scheme: Scheme, periods: list[str]) -> dict[str, set[str]]:
    """For each of ``periods``, the entities for which the elimination condition held in its
    latest stored run (one query)."""
    el = scheme.elimination
    out: dict[str, set[str]] = {p: set() for p in periods}
    if el is None or not periods or not ws.store.path.exists():
        return out
    held = ["e.bottom"] if el.bottom is not None else []
    held += ["e.total < ?"] if el.below is not None else []
    with ws.store.connect(read_only=True) as con:
        if not _tables(con) & {"runs"}:
            return out
        rows = con.execute(
            f"SELECT r.period, e.entity_id FROM ({LATEST_RUNS}) r JOIN run_entities e ON "
            f"e.run_id = r.run_id WHERE r.period IN ({', '.join('?' for _ in periods)}) AND "
            f"{' AND '.join(held)}",
            [scheme.code, *periods, *([el.below] if el.below is not None else [])]).fetchall()
    for p, e in rows:
        out[str(p)].add(str(e))
    return out


def _draft_bottoms(scheme: Scheme, result: RunResult) -> set[str]:
    el = scheme.elimination
    assert el is not None
    t = result.table
    held = t["bottom"].fillna(False).astype(bool) if el.bottom is not None else None
    if el.below is not None:
        below = t["total"] < float(el.below)
        held = below if held is None else (held & below)
    if held is None:
        return set()
    return set(pa.array(t["id"][held.to_numpy(bool)], from_pandas=True)
               .cast(pa.string()).to_pylist())


def _previous(scheme: Scheme, period: Period, done: Mapping[str, set[str]]) -> dict[str, int]:
    """The elimination streak before ``period``: the draft's own periods of the range, the
    stored runs before it (``done`` holds both; as the engine counts them,
    engine/history.previous_bottoms)."""
    el = scheme.elimination
    if el is None or el.consecutive <= 1:
        return {}
    counts: dict[str, int] = {}
    for i in range(1, el.consecutive):
        for e in done.get(str(period.shift(-i)), ()):
            counts[e] = counts.get(e, 0) + 1
    return counts


_STORED_COLUMNS = {"entity_id": pa.string(), "name": pa.string(), "group_key": pa.string(),
                   "total": pa.float64(), "rank": pa.int64(), "grade": pa.string(),
                   "eliminate": pa.bool_(), "payout": pa.float64(), "entity_no": pa.int64()}


@dataclass
class _Stored:
    """The baseline run of a period: its entities, and its payout lines by name (float yuan
    per entity, in the entities' order; NaN for none)."""

    run_id: str | None
    entities: pa.Table
    lines: dict[str, np.ndarray]


def _empty() -> _Stored:
    return _Stored(None, pa.table({c: pa.array([], t) for c, t in _STORED_COLUMNS.items()}), {})


def _read_stored(ws: Workspace, code: str, periods: list[str],
                 baseline: Mapping[str, str]) -> dict[str, _Stored]:
    """The baseline run of each period (the one given, else the latest completed): one
    connection, a query for its entities and one for its payout lines."""
    out = {p: _empty() for p in periods}
    store = ws.store
    if not store.path.exists():
        return out
    with store.connect(read_only=True) as con:
        tables = _tables(con)
        if "runs" not in tables:
            return out
        latest = {str(p): str(r) for p, r in con.execute(
            f"SELECT period, run_id FROM ({LATEST_RUNS}) WHERE period IN "
            f"({', '.join('?' for _ in periods)})", [code, *periods]).fetchall()}
        for p in periods:
            run_id = baseline.get(p) or latest.get(p)
            if run_id is None:
                continue
            ents = arrow_query(con, (
                "SELECT entity_id, name, group_key, total, CAST(rank AS BIGINT) AS rank, grade, "
                "eliminate, payout, CAST(entity_no AS BIGINT) AS entity_no "
                "FROM run_entities WHERE run_id = ?"), [run_id])
            ents = ents.cast(pa.schema([(c, t) for c, t in _STORED_COLUMNS.items()]))
            lines: dict[str, np.ndarray] = {}
            if {"run_lines", "run_line_names"} <= tables:
                names = con.execute(
                    "SELECT n.line_no, n.name FROM run_line_names n JOIN runs r ON "
                    "r.run_no = n.run_no WHERE r.run_id = ? ORDER BY n.line_no",
                    [run_id]).fetchall()
                if names:
                    rows = arrow_query(con, (
                        "SELECT CAST(l.entity_no AS BIGINT) AS e, l.line_no, l.amount "
                        "FROM run_lines l JOIN runs r ON r.run_no = l.run_no "
                        "WHERE r.run_id = ?"), [run_id])
                    e = rows.column("e").to_numpy()
                    no = rows.column("line_no").to_numpy()
                    amount = rows.column("amount").to_numpy(zero_copy_only=False)
                    ent_no = ents.column("entity_no").to_numpy(zero_copy_only=False)
                    size = int(max(e.max(initial=-1), ent_no.max(initial=-1))) + 1
                    for line_no, name in names:
                        by_no = np.full(size, np.nan)
                        at = no == line_no
                        by_no[e[at]] = amount[at]
                        lines[str(name)] = by_no[ent_no] if len(ent_no) else np.empty(0)
            out[p] = _Stored(run_id, ents, lines)
    return out


def to_fen(yuan: Any) -> tuple[np.ndarray, np.ndarray]:
    """Amounts in yuan (floats, NaN for none) as (integer fen, missing): half up, away from
    zero, as the amount is written — the product is first rounded to 6 places, so 1.005 (the
    double 1.00499…) is 100.5 fen → 101 and −0.125 → −13, as Decimal would round them."""
    x = np.round(np.asarray(yuan, dtype="float64") * 100, 6)
    missing = np.isnan(x)
    fen = np.copysign(np.floor(np.abs(x) + 0.5), x)
    return np.where(missing, 0, fen).astype(np.int64), missing


def _col(t: pd.DataFrame, name: str, typ: pa.DataType) -> pa.Array:
    if name not in t.columns:
        return pa.nulls(len(t), typ)
    return pa.array(t[name], from_pandas=True).cast(typ)


def _take(arr: pa.Array | pa.ChunkedArray, at: np.ndarray) -> pa.Array:
    """``arr[at]``, null where ``at`` is −1."""
    return arr.take(pa.array(at, mask=at < 0))


def _floats(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype="float64")


def _compare(result: RunResult, draft_lines: list[str], old: _Stored,
             lines: list[str]) -> pa.Table:
    """The rows of one period of ``WhatIf.frame`` (unordered, no grade orders yet): the
    draft's entities in its order, then those only the stored run has."""
    t = result.table
    n_d, ents = len(t), old.entities
    ids = _col(t, "id", pa.string())
    s_ids = ents.column("entity_id")
    pos = pc.index_in(ids, value_set=s_ids).fill_null(-1).to_numpy().astype(np.int64)
    gone = np.flatnonzero(~pc.is_in(s_ids, value_set=ids).to_numpy(zero_copy_only=False))
    n_g = len(gone)
    at = np.concatenate([pos, gone])  # the stored row of every row, −1 for none
    o_in = at >= 0
    n_in = np.arange(n_d + n_g) < n_d
    none_d = np.full(n_g, -1)  # the draft's row of every row: −1 for the gone ones
    d_at = np.concatenate([np.arange(n_d), none_d])

    # the stored group key (peer values joined by '/', as history.save_run writes it), named
    # as the draft names it
    group_name = pc.fill_null(_col(t, "group_name", pa.string()), "")
    peers = [pc.fill_null(pa.array(t[f"g_{q}"], from_pandas=True).cast(pa.string()), "")
             for q in result.peers]
    key = (pa.repeat(pa.scalar("", pa.string()), n_d) if not peers else peers[0]
           if len(peers) == 1 else pc.binary_join_element_wise(*peers, "/"))
    keys = pc.dictionary_encode(key)
    _u, first = np.unique(keys.indices.to_numpy(zero_copy_only=False), return_index=True)
    s_key = pc.fill_null(ents.column("group_key"), "")
    known = pc.index_in(s_key, value_set=keys.dictionary)  # the group's first draft row
    o_group = pc.coalesce(group_name.take(pa.array(first).take(known)), s_key)
    o_group = _take(o_group, at)
    group = pc.if_else(pa.array(n_in), _take(group_name, d_at), o_group)
    d_name = _take(_col(t, "name", pa.string()), d_at)
    name = pc.if_else(pc.fill_null(pc.not_equal(d_name, ""), False), d_name,
                      pc.fill_null(_take(ents.column("name"), at), ""))

    def draft_floats(c: str) -> np.ndarray:
        v = t[c].to_numpy("float64", na_value=np.nan) if c in t.columns else np.full(n_d, np.nan)
        return np.concatenate([v, np.full(n_g, np.nan)])

    def stored_floats(v: np.ndarray) -> np.ndarray:
        return np.where(o_in, v[np.where(o_in, at, 0)] if len(v) else np.nan, np.nan)

    def fen(v: np.ndarray) -> pa.Array:
        f, missing = to_fen(v)
        return pa.array(f, mask=missing)

    o_total = stored_floats(_floats(ents.column("total")))
    n_total = draft_floats("total")
    o_pay, n_pay = stored_floats(_floats(ents.column("payout"))), draft_floats("payout")
    o_fen, o_miss = to_fen(o_pay)
    n_fen, n_miss = to_fen(n_pay)
    cols: dict[str, Any] = {
        "entity_id": pc.if_else(pa.array(n_in), _take(ids, d_at), _take(s_ids, at)),
        "name": name, "group": group, "o_group": pc.fill_null(o_group, ""),
        "o_in": pa.array(o_in), "n_in": pa.array(n_in),
        "o_total": pa.array(o_total, from_pandas=True),
        "n_total": pa.array(n_total, from_pandas=True),
        "o_rank": _take(ents.column("rank"), at),
        "n_rank": _take(_col(t, "rank", pa.int64()), d_at),
        "o_grade": _take(ents.column("grade"), at),
        "n_grade": _take(_col(t, "grade", pa.string()), d_at),
        "o_elim": pc.fill_null(_take(ents.column("eliminate"), at), False),
        "n_elim": pc.fill_null(_take(_col(t, "eliminate", pa.bool_()), d_at), False),
        "o_fen": pa.array(o_fen, mask=o_miss), "n_fen": pa.array(n_fen, mask=n_miss),
        "d_fen": pa.array(n_fen - o_fen),
        "d_total": pa.array(np.round(n_total - o_total, 2), from_pandas=True),
    }
    for name_, v in old.lines.items():
        cols[f"o_l{lines.index(name_)}"] = fen(stored_floats(v))
    for name_ in draft_lines:
        cols[f"n_l{lines.index(name_)}"] = fen(draft_floats(LINE_PREFIX + name_))
    return pa.table(cols)


def _frame(parts: dict[str, pa.Table], lines: list[str],
           grades: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``WhatIf.frame`` and ``WhatIf.group_table`` of the periods' rows."""
    order = sorted(parts)
    for p in order:  # a line a period lacks: missing there
        t = parts[p]
        for i in range(len(lines)):
            for s in ("o", "n"):
                if f"{s}_l{i}" not in t.column_names:
                    t = t.append_column(f"{s}_l{i}", pa.nulls(t.num_rows, pa.int64()))
        parts[p] = t.select(sorted(t.column_names))
    t = pa.concat_tables([parts[p] for p in order])
    sizes = [parts[p].num_rows for p in order]
    period = np.repeat(np.arange(len(order)), sizes)
    groups = pc.dictionary_encode(t.column("group")).combine_chunks()
    rank = np.empty(len(groups.dictionary), np.int64)  # each group's place, by name
    rank[pc.sort_indices(groups.dictionary).to_numpy()] = np.arange(len(groups.dictionary))
    g_rank = rank[groups.indices.to_numpy(zero_copy_only=False)]
    ordered = pc.sort_indices(
        pa.table({"p": period, "g": g_rank, "e": t.column("entity_id")}),
        sort_keys=[("p", "ascending"), ("g", "ascending"), ("e", "ascending")]).to_numpy()
    t = t.take(ordered)
    period, g_rank = period[ordered], g_rank[ordered]
    n = len(grades)
    ords = {}
    for s in ("o", "n"):
        code = pc.index_in(t.column(f"{s}_grade"), value_set=pa.array(grades, pa.string()))
        missing = t.column(f"{s}_grade").is_null().to_numpy(zero_copy_only=False)
        ords[s] = np.where(missing, n + 1, code.fill_null(n).to_numpy())
    frame = t.to_pandas(types_mapper=_int_types)
    front = ["entity_id", "name", "group", "o_group", "o_in", "n_in", "o_total",
             "n_total", "o_rank", "n_rank", "o_grade", "n_grade", "o_elim", "n_elim", "o_fen",
             "n_fen"]
    frame = frame[front + [c for c in frame.columns if c not in front]]
    frame.insert(0, "period", pd.Categorical.from_codes(period, categories=order))
    frame["o_ord"], frame["n_ord"] = ords["o"], ords["n"]

    # per period and group: counts of each grade (order n + 1: none) and payout sums in fen
    cell = period * len(rank) + g_rank
    cells, row = np.unique(cell, return_inverse=True)
    table = pd.DataFrame({
        "period": pd.Categorical.from_codes(cells // len(rank), categories=order),
        "group": pc.take(groups.dictionary,
                         pa.array(np.argsort(rank)[cells % len(rank)])).to_pandas()})
    labels = [*grades, NO_GRADE]
    for tag, s in (("b:", "o"), ("a:", "n")):
        present = frame[f"{s}_in"].to_numpy()
        place = np.minimum(ords[s], n)  # n: none (an unknown label cannot occur)
        counts = np.bincount(row[present] * (n + 1) + place[present],
                             minlength=len(cells) * (n + 1)).reshape(len(cells), n + 1)
        for j, label in enumerate(labels):
            table[tag + label] = counts[:, j]
        sums = np.zeros(len(cells), np.int64)
        fen_ = frame[f"{s}_fen"].to_numpy("int64", na_value=0)
        np.add.at(sums, row, np.where(present, fen_, 0))
        table["fen_before" if s == "o" else "fen_after"] = sums
    return frame.reset_index(drop=True), table


def _int_types(t: pa.DataType) -> Any:
    return pd.Int64Dtype() if pa.types.is_integer(t) else None


def what_if(ws: Workspace, code: str, draft: Scheme, periods_text: str, *,
            baseline: Mapping[str, str] | None = None,
            progress: Callable[[str], None] | None = None) -> WhatIf:
    """Run ``draft`` (as scheme ``code``) over every period of ``periods_text`` (one period or
    A..B) without storing anything, and compare with the stored runs."""
    from kaohe.engine.run import run_scheme

    if draft.code != code:
        raise InputError(f"草稿的方案代码 {draft.code} 与 {code} 不同 the draft is scheme "
                         f"{draft.code}, not {code}")
    kind = draft.period
    periods = (period_range(periods_text, kind) if is_range(periods_text)
               else [parse_period(periods_text, kind)])  # type: ignore[arg-type]
    names = [str(p) for p in periods]
    cache = AggregateCache.beside(ws.store.path, ws.settings.duckdb.cache_limit_bytes)
    say = progress or (lambda _m: None)
    el = draft.elimination
    before = sorted({str(p.shift(-i)) for p in periods
                     for i in range(1, el.consecutive if el is not None else 1)} - set(names))
    bottoms = _stored_bottoms(ws, draft, before)  # then the draft's own, period by period
    results: dict[str, RunResult] = {}
    reused = computed = 0
    for period in periods:
        p = str(period)
        say(f"{p}: 运行草稿 running the draft")
        out = run_scheme(ws, code, p, scheme=draft, save=False, aggregates=cache, lean=True,
                         previous=_previous(draft, period, bottoms))
        reused += len(cache.stats.reused)
        computed += len(cache.stats.computed)
        results[p] = out.result
        if el is not None and el.consecutive > 1 and p != names[-1]:  # a later period's streak
            bottoms[p] = _draft_bottoms(draft, out.result)
    say("对比已存运行 comparing with the stored runs")
    stored = _read_stored(ws, code, names, baseline or {})
    grades = [label for _m, label in draft.grades]
    draft_lines = [line.name for line in draft.payout.lines] if draft.payout else []
    lines = list(draft_lines)
    parts: dict[str, pa.Table] = {}
    line_sets: dict[str, tuple[list[int], list[int]]] = {}
    for p in names:
        old = stored[p]
        for name in old.lines:
            if name not in lines:
                lines.append(name)
        for label in old.entities.column("grade").drop_null().unique().to_pylist():
            if label not in grades:
                grades.append(label)
        present = [n for n in draft_lines if LINE_PREFIX + n in results[p].table.columns]
        line_sets[p] = ([lines.index(n) for n in old.lines], [lines.index(n) for n in present])
        parts[p] = _compare(results[p], present, old, lines)
    frame, table = _frame(parts, lines, grades)
    return WhatIf(scheme=code, title=draft.name, periods=names,
                  baseline={p: stored[p].run_id for p in names}, grades=grades,
                  line_names=lines, frame=frame, group_table=table,
                  has_payout=draft.payout is not None or bool(frame["o_fen"].notna().any()),
                  reused=reused, computed=computed, line_sets=line_sets)
