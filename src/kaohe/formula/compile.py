"""Checked formulas → engine-neutral SQL trees (small pure tree → tree transforms).

A source indicator's formula splits into *parts* — its aggregates, computed per entity over the
source's rows — and an *outer* expression over the parts' columns. count and sum parts are
wrapped in COALESCE(…, 0) outside, so that over no rows they are 0 (spec §3) while avg, min and
max stay missing. Division becomes CAST(a AS DOUBLE) / NULLIF(CAST(b AS DOUBLE), 0) on every
engine: x / 0 is missing, never infinity and never an error.

A part keeps its ``FILTER (WHERE c)`` (explain shows it as written); the plan aggregates it in
the form ``split_filter`` and ``fold_filter`` give.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp

from kaohe.formula.check import AGGREGATES

FACT_ALIAS = "f"


@dataclass(frozen=True)
class CompiledValue:
    """``outer`` refers to part columns by name; each part is an aggregate over fact rows."""

    outer: exp.Expression
    parts: tuple[tuple[str, exp.Expression], ...]  # (column name, aggregate expression)


def double(e: exp.Expression) -> exp.Expression:
    return exp.Cast(this=e, to=exp.DataType.build("DOUBLE"))


def safe_division(node: exp.Expression) -> exp.Expression:
    if type(node) in (exp.Div, exp.Mod):
        # the operands first: transform does not descend into a node it has replaced, so
        # (a / b) / c would keep a / b unguarded (IEEE: a / 0 is inf or NaN on DuckDB)
        this = node.this.transform(safe_division)
        other = node.expression.transform(safe_division)
        return type(node)(this=double(exp.paren(this, copy=False)),
                          expression=exp.Nullif(this=double(other),
                                                expression=exp.Literal.number(0)))
    return node


def _avg_in_double(node: exp.Expression) -> exp.Expression:
    # Spark averages DECIMAL(18,4) into DECIMAL(22,8), cutting 1/3 to 0.33333333; DuckDB
    # averages in DOUBLE. Averaging in DOUBLE on both gives the same value everywhere.
    if type(node) is exp.Avg:
        return exp.Avg(this=double(node.this))
    return node


def _qualify(node: exp.Expression) -> exp.Expression:
    if type(node) is exp.Column and not node.table:
        return exp.column(node.name, table=FACT_ALIAS, quoted=True)
    return node


def _is_part(node: exp.Expression) -> bool:
    if type(node) is exp.Filter:
        return True
    return type(node) in AGGREGATES and type(node.parent) is not exp.Filter


def compile_aggregate(tree: exp.Expression, name_part: Callable[[exp.Expression], str]
                      ) -> CompiledValue:
    """Split a checked aggregate formula. ``name_part`` names a part (dedupes equal parts)."""
    parts: dict[str, exp.Expression] = {}

    def lift(node: exp.Expression) -> exp.Expression:
        if not _is_part(node):
            return node
        part = node.copy().transform(_qualify).transform(safe_division).transform(_avg_in_double)
        name = name_part(part)
        parts.setdefault(name, part)
        ref = exp.column(name, quoted=True)
        inner = node.this if type(node) is exp.Filter else node
        if type(inner) in (exp.Count, exp.Sum):
            return exp.Coalesce(this=ref, expressions=[exp.Literal.number(0)])
        return ref

    outer = tree.copy().transform(lift).transform(safe_division)
    return CompiledValue(outer=outer, parts=tuple(parts.items()))


def compile_scalar(tree: exp.Expression, rename: Callable[[str], str]) -> exp.Expression:
    """A derived formula or payout base: names → columns (``rename``), safe division."""

    def ref(node: exp.Expression) -> exp.Expression:
        if type(node) is exp.Column:
            return exp.column(rename(node.name), quoted=True)
        return node

    return tree.copy().transform(ref).transform(safe_division)


def split_filter(part: exp.Expression) -> tuple[exp.Expression, exp.Expression | None]:
    """A part as (aggregate, condition of its FILTER or None)."""
    if type(part) is exp.Filter:
        return part.this, part.expression.this
    return part, None


def is_distinct(part: exp.Expression) -> bool:
    """``count(distinct x)``, with or without a filter."""
    agg, _cond = split_filter(part)
    return type(agg) is exp.Count and type(agg.this) is exp.Distinct


def fold_filter(part: exp.Expression) -> exp.Expression:
    """A part without FILTER, computing the same value over any group of rows:
    ``agg(x) FILTER (WHERE c)`` → ``agg(CASE WHEN c THEN x END)`` (rows where c is false or
    NULL give NULL, which every aggregate skips; no row left: NULL, as with FILTER), and
    ``count(*) FILTER (WHERE c)`` → ``CAST(sum(CASE WHEN c THEN 1 ELSE 0 END) AS BIGINT)`` (0
    when no row matches; a group always has a row). DuckDB and Spark both aggregate this form,
    and DuckDB faster: FILTER costs it a selection vector per aggregate and chunk.
    ``count(distinct x)`` keeps its filter (the plan moves it into a WHERE of its own)."""
    agg, cond = split_filter(part)
    if cond is None or is_distinct(part):
        return part.copy()

    def when(value: exp.Expression, default: exp.Expression | None = None) -> exp.Case:
        return exp.Case(ifs=[exp.If(this=cond.copy(), true=value)], default=default)

    if type(agg) is exp.Count and type(agg.this) is exp.Star:
        total = exp.Sum(this=when(exp.Literal.number(1), exp.Literal.number(0)))
        return exp.Cast(this=total, to=exp.DataType.build("BIGINT"))
    return type(agg)(this=when(agg.this.copy()))
