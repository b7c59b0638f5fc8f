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
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

import pandas as pd

from kaohe.engine.aggregate_cache import AggregateCache
from kaohe.engine.history import LATEST_RUNS, _has_runs
from kaohe.engine.stored_lines import has_lines
from kaohe.errors import InputError
from kaohe.periods import Period, is_range, parse_period, period_range
from kaohe.results import LINE_PREFIX, RunResult
from kaohe.scheme.loader import parse_scheme
from kaohe.scheme.model import Scheme
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
    # payouts repeat (a base times a few coefficients): each distinct amount converted once
    return Decimal(str(value)).quantize(FEN, rounding=ROUND_HALF_UP)


def _num(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


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


@dataclass
class WhatIf:
    scheme: str
    title: str
    periods: list[str]
    baseline: dict[str, str | None]  # period → the stored run compared with (None: none)
    grades: list[str]  # grade labels, best first (the draft's, then the stored runs' others)
    line_names: list[str]
    changes: list[Change]
    groups: list[GroupSummary]
    reused: int = 0  # aggregations taken from the cache
    computed: int = 0  # aggregations computed

    def grade_order(self, label: str | None) -> int:
        if label is None:
            return len(self.grades) + 1
        return self.grades.index(label) if label in self.grades else len(self.grades)

    def grade_moves(self, up: bool) -> list[Change]:
        out = []
        for c in self.changes:
            if c.old is None or c.new is None or c.old.grade == c.new.grade:
                continue
            better = self.grade_order(c.new.grade) < self.grade_order(c.old.grade)
            if better == up:
                out.append(c)
        return out

    def entered_elimination(self) -> list[Change]:
        return [c for c in self.changes if c.new is not None and c.new.eliminate
                and not (c.old is not None and c.old.eliminate)]

    def left_elimination(self) -> list[Change]:
        return [c for c in self.changes if c.old is not None and c.old.eliminate
                and not (c.new is not None and c.new.eliminate)]

    def payout_movers(self, n: int = 20) -> list[Change]:
        moved = [c for c in self.changes if c.payout_delta() != 0]
        moved.sort(key=lambda c: (-abs(c.payout_delta()), c.period, c.entity_id))
        return moved[:n]

    def payout_sums(self) -> tuple[Decimal, Decimal]:
        return (sum((g.payout_before for g in self.groups), Decimal(0)),
                sum((g.payout_after for g in self.groups), Decimal(0)))

    def total_deltas(self) -> list[float]:
        return [d for c in self.changes if (d := c.total_delta()) is not None]


def load_draft(path_text: str, code: str) -> Scheme:
    """The draft file, read as scheme ``code`` (its own file name does not matter)."""
    from pathlib import Path

    path = Path(path_text)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: 无法读取草稿 cannot read the draft: {exc.strerror}") from exc
    return parse_scheme(text, code)


def _stored(ws: Workspace, code: str, period: str, run_id: str | None,
            named: Mapping[str, str]) -> tuple[str | None, dict[str, tuple[str, Side]]]:
    """(run id, {entity: (name, side)}) of the baseline run of ``period``."""
    store = ws.store
    if not store.path.exists():
        return None, {}
    with store.connect(read_only=True) as con:
        if not _has_runs(con):
            return None, {}
        if run_id is None:
            rows = con.execute(f"SELECT run_id FROM ({LATEST_RUNS}) WHERE period = ?",
                               [code, period]).fetchall()
            if not rows:
                return None, {}
            run_id = str(rows[0][0])
        ents = con.execute(
            "SELECT entity_id, name, group_key, total, rank, grade, eliminate, payout "
            "FROM run_entities WHERE run_id = ?", [run_id]).fetchall()
        lines: dict[str, dict[str, Decimal | None]] = {}
        if has_lines(con):
            for e, line, amount in con.execute(
                    "SELECT entity_id, line, amount FROM run_payout_lines WHERE run_id = ? "
                    "ORDER BY entity_id, line_no", [run_id]).fetchall():
                lines.setdefault(str(e), {})[str(line)] = yuan(amount)
    out: dict[str, tuple[str, Side]] = {}
    for e, name, group, total, rank, grade, elim, payout in ents:
        out[str(e)] = (name or "", Side(_num(total), None if rank is None else int(rank),
                                        grade, bool(elim), yuan(payout),
                                        lines.get(str(e), {}),
                                        named.get(group or "", group or "")))
    return run_id, out


def _stored_bottoms(ws: Workspace, scheme: Scheme, period: str) -> set[str]:
    """Entities for which the elimination condition held in the latest stored run."""
    el = scheme.elimination
    if el is None or not ws.store.path.exists():
        return set()
    held = ["e.bottom"] if el.bottom is not None else []
    held += ["e.total < ?"] if el.below is not None else []
    with ws.store.connect(read_only=True) as con:
        if not _has_runs(con):
            return set()
        rows = con.execute(
            f"SELECT e.entity_id FROM ({LATEST_RUNS}) r JOIN run_entities e ON "
            f"e.run_id = r.run_id WHERE r.period = ? AND {' AND '.join(held)}",
            [scheme.code, period, *([el.below] if el.below is not None else [])]).fetchall()
    return {str(r[0]) for r in rows}


def _draft_bottoms(scheme: Scheme, result: RunResult) -> set[str]:
    el = scheme.elimination
    assert el is not None
    t = result.table
    held = t["bottom"].fillna(False).astype(bool) if el.bottom is not None else None
    if el.below is not None:
        below = t["total"] < float(el.below)
        held = below if held is None else (held & below)
    return set() if held is None else set(t.loc[held, "id"].astype(str))


def _previous(ws: Workspace, scheme: Scheme, period: Period,
              done: Mapping[str, set[str]]) -> dict[str, int]:
    """The elimination streak before ``period``: the draft's own periods of the range, the
    stored runs before it (as the engine counts them, engine/history.previous_bottoms)."""
    el = scheme.elimination
    if el is None or el.consecutive <= 1:
        return {}
    counts: dict[str, int] = {}
    for i in range(1, el.consecutive):
        p = str(period.shift(-i))
        for e in done[p] if p in done else _stored_bottoms(ws, scheme, p):
            counts[e] = counts.get(e, 0) + 1
    return counts


def _group_names(result: RunResult) -> dict[str, str]:
    """The stored group key (peer values joined by '/', as history.save_run writes it) →
    the group's name in the draft's result."""
    t = result.table
    if not result.peers:
        return {"": str(t["group_name"].iloc[0]) if len(t) else ""}
    cols = [t[f"g_{p}"].astype(object).where(t[f"g_{p}"].notna(), "").astype(str)
            for p in result.peers]
    pairs = pd.DataFrame({"k": cols[0].str.cat(cols[1:], sep="/") if len(cols) > 1
                          else cols[0], "n": t["group_name"].astype(str)}).drop_duplicates()
    return dict(zip(pairs["k"], pairs["n"], strict=True))


def _new_side(row: Mapping[str, Any], lines: list[str]) -> Side:
    rank = row.get("rank")
    return Side(_num(row.get("total")), None if rank is None else int(rank),
                row.get("grade") if isinstance(row.get("grade"), str) else None,
                bool(row.get("eliminate")), yuan(row.get("payout")),
                {n: yuan(row.get(LINE_PREFIX + n)) for n in lines},
                str(row.get("group_name") or ""))


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
    cache = AggregateCache.beside(ws.store.path)
    say = progress or (lambda _m: None)
    grades = [label for _m, label in draft.grades]
    lines: list[str] = [line.name for line in draft.payout.lines] if draft.payout else []
    changes: list[Change] = []
    groups: dict[tuple[str, str], GroupSummary] = {}
    base: dict[str, str | None] = {}
    bottoms: dict[str, set[str]] = {}
    reused = computed = 0
    for period in periods:
        p = str(period)
        say(f"{p}: 运行草稿 running the draft")
        out = run_scheme(ws, code, p, scheme=draft, save=False, aggregates=cache, lean=True,
                         previous=_previous(ws, draft, period, bottoms))
        reused += len(cache.stats.reused)
        computed += len(cache.stats.computed)
        result = out.result
        if draft.elimination is not None:
            bottoms[p] = _draft_bottoms(draft, result)
        run_id, old = _stored(ws, code, p, (baseline or {}).get(p), _group_names(result))
        base[p] = run_id
        seen: set[str] = set()
        t = result.table
        wanted = ["id", "name", "total", "rank", "grade", "eliminate", "payout", "group_name",
                  *(LINE_PREFIX + n for n in lines)]
        for row in t[[c for c in wanted if c in t.columns]].to_dict("records"):
            e = str(row["id"])
            seen.add(e)
            new = _new_side(row, lines)
            name_old = old.get(e)
            changes.append(Change(p, e, str(row.get("name") or (name_old[0] if name_old
                                                                  else "")),
                                  new.group, name_old[1] if name_old else None, new))
        for e, (name, side) in old.items():
            if e not in seen:
                changes.append(Change(p, e, name, side.group, side, None))
        for c in changes:
            if c.period != p:
                continue
            g = groups.setdefault((p, c.group), GroupSummary(p, c.group))
            if c.old is not None:
                label = c.old.grade or NO_GRADE
                g.before[label] = g.before.get(label, 0) + 1
                g.payout_before += c.old.payout or Decimal(0)
                for name in c.old.lines:
                    if name not in lines:
                        lines.append(name)
                if c.old.grade is not None and c.old.grade not in grades:
                    grades.append(c.old.grade)
            if c.new is not None:
                label = c.new.grade or NO_GRADE
                g.after[label] = g.after.get(label, 0) + 1
                g.payout_after += c.new.payout or Decimal(0)
    changes.sort(key=lambda c: (c.period, c.group, c.entity_id))
    return WhatIf(scheme=code, title=draft.name, periods=[str(p) for p in periods],
                  baseline=base, grades=grades, line_names=lines, changes=changes,
                  groups=sorted(groups.values(), key=lambda g: (g.period, g.group)),
                  reused=reused, computed=computed)
