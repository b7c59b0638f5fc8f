"""Adjustments (decided appeals, spec §19): read, check, feed into the plan, store.

An adjustments file (.csv or .xlsx) has the columns ``entity, code, kind, amount, reason``:

- ``kind: value`` replaces the value of indicator ``code`` for ``entity`` before scoring. The
  population table ``k_pop`` gets a column ``_av_<code>`` (NULL where not corrected) and the
  plan reads ``CASE WHEN _av_<code> IS NOT NULL THEN _av_<code> ELSE <value> END``
  (``corrected_value``), so relative rules, peers, quotas and pools see the corrected value;
- ``kind: points`` adds ``amount`` to the total after caps and before the floor at 0 and the
  rounding: ``k_pop`` gets ``_adj_points`` and the plan adds it inside the floor
  (``points_term``); ``code`` names the indicator concerned, for the record (it may be empty).

The run is then computed in full and stored as a new revision of its period (engine/
revisions.py). Every problem of the file is reported at once, with its row (``AdjustmentError``,
exit status 2); a run with a bad adjustment stores nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from kaohe.engine.sqltree import T, case, col
from kaohe.errors import InputError

if TYPE_CHECKING:
    from kaohe.engine.compiled import CompiledScheme
    from kaohe.scheme.model import Scheme

COLUMNS = ("entity", "code", "kind", "amount", "reason")
KINDS = ("value", "points")
POINTS_COL = "_adj_points"


def value_adj_col(code: str) -> str:
    """k_pop's column with the corrected values of indicator ``code``."""
    return f"_av_{code}"


@dataclass(frozen=True)
class Adjustment:
    entity: str
    code: str  # empty only for a points adjustment not tied to an indicator
    kind: str  # value | points
    amount: Decimal
    reason: str
    row: int = 0  # the row of the file it came from (spreadsheet numbering), 0: not a file

    def as_dict(self) -> dict[str, Any]:
        """As the JSON result lists it (spec §19)."""
        return {"code": self.code or None, "kind": self.kind, "amount": float(self.amount),
                "reason": self.reason}


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        where = f"第 {self.row} 行 row {self.row}" if self.row else "—"
        return f"{where} [{self.column}] {self.value!r}: {self.reason}"


class AdjustmentError(InputError):
    """The adjustments cannot be applied; nothing was computed or stored."""

    def __init__(self, origin: str, problems: list[Problem]) -> None:
        self.origin = origin
        self.problems = problems
        head = (f"调整有 {len(problems)} 个问题，未计算也未保存任何运行 / adjustments {origin}: "
                f"{len(problems)} problem(s), no run computed or stored")
        super().__init__("\n".join([head, *(f"  {origin}: {p}" for p in problems)]))


@dataclass(frozen=True)
class Adjustments:
    """Adjustments and where they came from (a file, a stored revision, the web's appeals)."""

    rows: tuple[Adjustment, ...]
    origin: str
    problems: tuple[Problem, ...] = ()  # found while reading; reported with the others

    def by_entity(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for a in self.rows:
            out.setdefault(a.entity, []).append(a.as_dict())
        return out


NONE = Adjustments((), "—")


def _amount(text: str) -> Decimal | None:
    try:
        d = Decimal(text.strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def from_records(records: Iterable[Mapping[str, Any]], origin: str,
                 first_row: int = 2) -> Adjustments:
    """Adjustments from rows of text (a file's data rows, numbered from ``first_row``, or the
    web's accepted appeals); problems of form (a bad kind or amount) are kept for ``check``."""
    rows: list[Adjustment] = []
    problems: list[Problem] = []
    for i, rec in enumerate(records):
        n = first_row + i
        cell = {c: ("" if rec.get(c) is None else str(rec.get(c)).strip()) for c in COLUMNS}
        if not any(cell.values()):
            continue  # a blank line
        bad = False
        if not cell["entity"]:
            problems.append(Problem(n, "entity", "", "缺少考核对象编号 the entity id is empty"))
            bad = True
        kind = cell["kind"].lower()
        if kind not in KINDS:
            problems.append(Problem(n, "kind", cell["kind"], "应为 value（更正指标值）或 points"
                                    "（加减分） expected value or points"))
            bad = True
        amount = _amount(cell["amount"])
        if amount is None:
            problems.append(Problem(n, "amount", cell["amount"],
                                    "应为数字 expected a number, e.g. 0.92 or -1.5"))
            bad = True
        if kind == "value" and not cell["code"]:
            problems.append(Problem(n, "code", "", "更正指标值须写明指标代码 a value adjustment "
                                    "names the indicator whose value it replaces"))
            bad = True
        if not bad:
            assert amount is not None
            rows.append(Adjustment(cell["entity"], cell["code"], kind, amount, cell["reason"],
                                   n))
    return Adjustments(tuple(rows), origin, tuple(problems))


def read_file(path: Path) -> Adjustments:
    """Read an adjustments file (.csv or .xlsx) with a header row naming the five columns."""
    from kaohe.workspace.tables import read_table

    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise InputError(f"--adjustments {path}: 不支持的文件类型 unsupported file type; "
                         "expected .csv or .xlsx with columns entity,code,kind,amount,reason")
    raw = read_table(path)
    headers = [h.strip().lower() for h in raw.headers]
    missing = [c for c in COLUMNS if c not in headers]
    if missing:
        raise AdjustmentError(str(path), [Problem(raw.row_offset - 1, c, "", "缺少该列 column "
                                                  "missing; the header row must name entity, "
                                                  "code, kind, amount, reason") for c in missing])
    at = {c: headers.index(c) for c in COLUMNS}
    data = {c: raw.table.column(at[c]).cast(pa.string()).to_pylist() for c in COLUMNS}
    records = [{c: data[c][i] for c in COLUMNS} for i in range(raw.table.num_rows)]
    return from_records(records, str(path), raw.row_offset)


def check(adj: Adjustments, scheme: Scheme, entities: pa.Array | pa.ChunkedArray) -> None:
    """Every problem at once: those found while reading, an unknown entity or indicator, two
    corrected values for one entity and indicator. Raises ``AdjustmentError``."""
    problems = list(adj.problems)
    codes = {i.code for i in scheme.indicators}
    ids = entities.combine_chunks() if isinstance(entities, pa.ChunkedArray) else entities
    wanted = pa.array(sorted({a.entity for a in adj.rows}), pa.string())
    known = set(wanted.filter(pc.is_in(wanted, value_set=ids.cast(pa.string()))).to_pylist())
    seen: dict[tuple[str, str], int] = {}
    for a in adj.rows:
        if a.entity not in known:
            problems.append(Problem(a.row, "entity", a.entity,
                                    f"方案 {scheme.code} 本期的考核对象中没有该编号 not among "
                                    "this period's entities; check the id"))
        if a.code and a.code not in codes:
            problems.append(Problem(a.row, "code", a.code,
                                    f"方案 {scheme.code} 没有该指标 no such indicator; expected "
                                    f"one of {', '.join(sorted(codes))}"))
        if a.kind == "value":
            key = (a.entity, a.code)
            if key in seen:
                problems.append(Problem(a.row, "code", a.code,
                                        f"与第 {seen[key]} 行重复更正同一指标值 the value is "
                                        f"already corrected in row {seen[key]}; keep one row"))
            seen.setdefault(key, a.row)
    if problems:
        raise AdjustmentError(adj.origin, sorted(problems, key=lambda p: p.row))


def attach(cs: CompiledScheme, pop: pa.Table,
           adj: Adjustments) -> tuple[CompiledScheme, pa.Table]:
    """The plan's hook: ``k_pop`` with the adjustment columns, and the compiled scheme told
    which of them exist (``corrected``, ``extra_points``). No adjustments: both unchanged."""
    if not adj.rows:
        return cs, pop
    ids = pop["entity_id"].cast(pa.string()).to_pylist()
    where = {e: i for i, e in enumerate(ids)}
    n = len(ids)
    values: dict[str, list[float | None]] = {}
    points: list[float] = [0.0] * n
    has_points = False
    for a in adj.rows:
        i = where.get(a.entity)
        if i is None:
            continue  # outside the peer group kept for explain (run.py's ``only``)
        if a.kind == "value":
            values.setdefault(a.code, [None] * n)[i] = float(a.amount)
        else:
            points[i] += float(a.amount)
            has_points = True
    for code, column in values.items():
        pop = pop.append_column(value_adj_col(code), pa.array(column, pa.float64()))
    if has_points:
        pop = pop.append_column(POINTS_COL, pa.array(points, pa.float64()))
    return dataclasses.replace(cs, corrected=frozenset(values), extra_points=has_points), pop


def corrected_value(cs: CompiledScheme, code: str, value: exp.Expression) -> exp.Expression:
    """Plan hook: indicator ``code``'s value, replaced where a value adjustment says so."""
    if code not in cs.corrected:
        return value
    c = col(value_adj_col(code))
    return case([(T(":c IS NOT NULL", c=c), c.copy())], value)


def points_term(cs: CompiledScheme) -> exp.Expression | None:
    """Plan hook: the points adjustments, added to the total inside the floor at 0."""
    return col(POINTS_COL) if cs.extra_points else None


def prepare(store: Any, scheme: Scheme, period: str, given: Adjustments | None,
            cs: CompiledScheme, pop: pa.Table) -> tuple[Adjustments, CompiledScheme, pa.Table]:
    """run.py's one hook: the run's adjustments (``given``; None keeps those of the period's
    latest revision, spec §19), checked against the scheme and this period's population, and
    attached to the plan."""
    from kaohe.engine.revisions import latest_adjustments

    adj = latest_adjustments(store, scheme.code, period) if given is None else given
    if adj.rows or adj.problems:
        check(adj, scheme, pop["entity_id"])
    cs, pop = attach(cs, pop, adj)
    return adj, cs, pop
