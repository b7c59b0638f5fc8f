"""Payout lines (spec §4, §10): each line a column ``l_<i>`` in yuan to the fen, the payout their
sum.

A line is computed from the unrounded indicator values and the rounded total, clamped by its
min and max, then rounded half away from zero to the fen (``round2``); a line whose input is
missing pays 0 and its min and max do not apply. A pool line splits its pool in whole fen as
spec §4 says (floors, then one fen each to the largest remainders, ties to the lower id).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import pyarrow as pa
from sqlglot import exp

from kaohe.engine.compiled import value_col
from kaohe.engine.sqltree import T, add_all, case, col, lit, round2
from kaohe.errors import FormulaError, InputError
from kaohe.formula import compile_scalar, parse_formula
from kaohe.formula.check import NUM, STR, check_scalar_formula
from kaohe.results import LINE_PREFIX
from kaohe.scheme.consequences import RESERVED
from kaohe.scheme.model import PayoutLine, Scheme



@dataclass(frozen=True)
class CompiledLine:
    line: PayoutLine
    formula: exp.Expression | None  # base (coefficient lines) or amount, over result columns
    tree: exp.Expression | None  # the formula as parsed, for explain


def line_column(index: int) -> str:
    """The line's column inside the query (names may be any text; columns stay plain)."""
    return f"_l{index}"


def pool_column(index: int) -> str:
    """The pool line's ``within`` group key, a column of k_pop."""
    return f"_wl{index}"


def pool_withins(s: Scheme) -> dict[int, tuple[str, ...]]:
    """Line index → the attributes that split the pool, for every pool line."""
    if s.payout is None:
        return {}
    return {i: line.within for i, line in enumerate(s.payout.lines) if line.kind == "pool"}


def _refuse_prev(tree: exp.Expression, scheme: str, where: str) -> None:
    for node in tree.walk():
        name = node.name if type(node) is exp.Anonymous else (
            node.sql_name() if isinstance(node, exp.Func) else "")
        if str(name).lower() == "prev":
            raise FormulaError(scheme, where, "兑现公式不能用 prev a payout amount cannot use "
                               "prev(); compute it in a derived indicator", "prev(…)")


def compile_lines(s: Scheme, attributes: Collection[str], base: exp.Expression | None
                  ) -> tuple[tuple[CompiledLine, ...], list[str], list[InputError]]:
    """Check and compile every line's formula. ``base`` is the single-dict form's compiled
    base (spec §4 names only, compiled by compile_scheme). Returns the lines, the numeric
    attributes they read, and the problems found."""
    if s.payout is None:
        return (), [], []
    codes = [i.code for i in s.indicators]
    problems: list[InputError] = []
    attrs: set[str] = set()
    out: list[CompiledLine] = []
    single = s.payout.base is not None or s.payout.pool is not None
    for i, line in enumerate(s.payout.lines):
        text = line.base if line.kind == "coefficient" else line.amount
        if text is None or (single and line.kind == "coefficient"):
            out.append(CompiledLine(line, base, None))
            continue
        where = f"payout[{i}] ({line.name}).{'base' if line.kind == 'coefficient' else 'amount'}"
        try:
            tree, used = _check(s, text, where, codes, attributes, line.kind == "amount")
        except FormulaError as exc:
            problems.append(exc)
            continue
        attrs |= used

        def rename(n: str) -> str:
            return value_col(n) if n in codes else n if n in RESERVED else f"a_{n}"

        out.append(CompiledLine(line, compile_scalar(tree, rename), tree))
    return tuple(out), sorted(attrs), problems


def _check(s: Scheme, text: str, where: str, codes: Sequence[str], attributes: Collection[str],
           amount: bool) -> tuple[exp.Expression, set[str]]:
    tree = parse_formula(text, s.code, where)
    _refuse_prev(tree, s.code, where)
    names = [*codes, *attributes, *(RESERVED if amount else ())]
    what = ("指标代码、数值属性、total、rank、group_size、grade indicator codes, numeric "
            "attributes, total, rank, group_size, grade") if amount else \
        "指标代码或数值属性 indicator codes or numeric attributes"
    kinds = {n: STR if n == "grade" and amount else NUM for n in names}
    check_scalar_formula(tree, names, s.code, where, what, kinds=kinds)
    used = {c.name for c in tree.find_all(exp.Column)}
    for name in sorted(used & set(codes) & set(attributes)):
        raise FormulaError(s.code, where, f"名称 {name!r} 既是指标代码又是属性 is both an "
                           "indicator code and an attribute; rename the indicator", name)
    return tree, {n for n in used if n not in codes and n not in RESERVED}


# ---- SQL ---------------------------------------------------------------------------------

def _clamped(line: PayoutLine, raw: exp.Expression) -> exp.Expression:
    out = raw
    if line.max is not None:
        out = T("LEAST(:a, :m)", a=out, m=lit(float(line.max)))
    if line.min is not None:
        out = T("GREATEST(:a, :m)", a=out, m=lit(float(line.min)))
    return out


def tier_amount(line: PayoutLine, v: exp.Expression) -> exp.Expression:
    """marginal: Σ rate_i × the part of v between from_i and from_{i+1} (the last tier has no
    end); whole: v × the rate of the highest tier whose from <= v, 0 below the first."""
    tiers = [(float(a), float(r)) for a, r in line.tiers]
    missing = (T(":v IS NULL", v=v.copy()), exp.Null())  # LEAST/GREATEST would skip it
    if line.mode == "whole":
        return case([missing] + [(T(":v >= :a", v=v.copy(), a=lit(a)),
                                  T(":v * :r", v=v.copy(), r=lit(r))) for a, r in reversed(tiers)],
                    lit(0.0))
    terms: list[exp.Expression] = []
    for k, (a, r) in enumerate(tiers):
        top = T(":v", v=v.copy()) if k + 1 == len(tiers) else \
            T("LEAST(:v, :b)", v=v.copy(), b=lit(tiers[k + 1][0]))
        terms.append(T(":r * GREATEST(:top - :a, 0)", r=lit(r), top=top, a=lit(a)))
    return case([missing], add_all(terms))


def _line_expr(cl: CompiledLine) -> exp.Expression:
    """A non-pool line's amount in yuan, rounded; 0 when its input is missing."""
    line = cl.line
    if line.kind == "tiers":
        raw = tier_amount(line, col(value_col(line.on or "")))
    elif line.kind == "coefficient":
        coef = case([(T(":g = :l", g=col("grade"), l=lit(label)), lit(c))
                     for label, c in line.coefficient], lit(0)) if line.coefficient else lit(0)
        base = cl.formula.copy() if cl.formula is not None else lit(0)
        # no grade: the coefficient's input is missing
        raw = case([(T(":g IS NULL", g=col("grade")), exp.Null())],
                   T("(:b) * :c", b=base, c=coef))
    else:
        raw = T("CAST(:a AS DOUBLE)", a=cl.formula.copy() if cl.formula is not None else lit(0))
    # LEAST and GREATEST skip NULL on both engines: test the input before clamping
    return case([(T(":r IS NULL", r=raw.copy()), lit(0.0))],
                T("COALESCE(:r, 0.0)", r=round2(_clamped(line, raw))))


def _pool(i: int, line: PayoutLine, ctes: list[tuple[str, exp.Select]], src: str) -> str:
    """Pool split in whole fen: floor each share, then one fen each to the largest remainders
    (ties: lower entity id). Integers throughout, so the shares add up to the pool exactly."""
    assert line.pool is not None
    fen = lit(int(line.pool * 100))
    w = col(pool_column(i))
    p = f"_p{i}"
    ctes.append((f"pl{i}a", exp.select(exp.Star()).from_(src).select(
        exp.alias_(T("CAST(ROUND(:t * 100) AS BIGINT)", t=col("total")), p + "t", quote=True),
        copy=False)))
    ctes.append((f"pl{i}b", exp.select(exp.Star()).from_(f"pl{i}a").select(
        exp.alias_(T("SUM(:t) OVER (PARTITION BY :w)", t=col(p + "t"), w=w), p + "s",
                   quote=True),
        exp.alias_(T("COUNT(*) OVER (PARTITION BY :w)", w=w), p + "n", quote=True),
        copy=False)))
    num = T("CASE WHEN :s = 0 THEN 1 ELSE :t END * :p", s=col(p + "s"), t=col(p + "t"), p=fen)
    den = T("CASE WHEN :s = 0 THEN :n ELSE :s END", s=col(p + "s"), n=col(p + "n"))
    ctes.append((f"pl{i}c", exp.select(exp.Star()).from_(f"pl{i}b").select(
        exp.alias_(exp.IntDiv(this=num.copy(), expression=den.copy()), p + "fl", quote=True),
        exp.alias_(exp.Mod(this=num, expression=den), p + "rem", quote=True), copy=False)))
    ctes.append((f"pl{i}d", exp.select(exp.Star()).from_(f"pl{i}c").select(
        exp.alias_(T(":p - SUM(:f) OVER (PARTITION BY :w)", p=fen, f=col(p + "fl"), w=w),
                   p + "left", quote=True),
        exp.alias_(T("ROW_NUMBER() OVER (PARTITION BY :w ORDER BY :r DESC, :e ASC)", w=w,
                     r=col(p + "rem"), e=col("entity_id")), p + "rn", quote=True), copy=False)))
    share = T("CAST(:f + CASE WHEN :rn <= :left THEN 1 ELSE 0 END AS DOUBLE) / 100",
              f=col(p + "fl"), rn=col(p + "rn"), left=col(p + "left"))
    ctes.append((f"pl{i}", exp.select(exp.Star()).from_(f"pl{i}d").select(
        exp.alias_(share, line_column(i), quote=True), copy=False)))
    return f"pl{i}"


def add_payout(s: Scheme, lines: Sequence[CompiledLine], ctes: list[tuple[str, exp.Select]],
               src: str) -> str:
    """Add the payout CTEs after ``src``; return the name of the last one: it has a column per
    line (``line_column``) and ``payout`` (NULL when the scheme has no payout)."""
    if s.payout is None:
        ctes.append(("pay", exp.select(exp.Star()).from_(src).select(
            exp.alias_(T("CAST(NULL AS DOUBLE)"), "payout", quote=True), copy=False)))
        return "pay"
    plain = [(i, cl) for i, cl in enumerate(lines) if cl.line.kind != "pool"]
    if plain:
        ctes.append(("pln", exp.select(exp.Star()).from_(src).select(
            *[exp.alias_(_line_expr(cl), line_column(i), quote=True) for i, cl in plain],
            copy=False)))
        src = "pln"
    for i, cl in enumerate(lines):
        if cl.line.kind == "pool":
            src = _pool(i, cl.line, ctes, src)
    total = round2(add_all([col(line_column(i)) for i in range(len(lines))]))
    ctes.append(("pay", exp.select(exp.Star()).from_(src).select(
        exp.alias_(total, "payout", quote=True), copy=False)))
    return "pay"


def output_columns(s: Scheme) -> list[exp.Expression]:
    """The line columns of the query's output, ``l_0``, ``l_1``, … (ASCII: Spark refuses other
    letters in its generated aliases); ``rename_lines`` names them after the lines."""
    if s.payout is None:
        return []
    return [exp.alias_(col(line_column(i)), f"l_{i}", quote=True)
            for i in range(len(s.payout.lines))]


def rename_lines(s: Scheme, table: pa.Table) -> pa.Table:
    """The query's result with ``l_<i>`` renamed ``l_<line name>`` (kaohe.results)."""
    if s.payout is None:
        return table
    names = {f"l_{i}": LINE_PREFIX + line.name for i, line in enumerate(s.payout.lines)}
    return table.rename_columns([names.get(c, c) for c in table.column_names])
