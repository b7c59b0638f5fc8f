"""Small builders for kaohe's own SQL trees.

Templates here are kaohe's fixed text, parsed once; user formulas enter only as checked trees
through placeholders (``:name``), never as text.
"""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp


@lru_cache(maxsize=256)
def _template(text: str) -> exp.Expression:
    return sqlglot.parse_one(text)


def T(text: str, **parts: exp.Expression | str | float | int) -> exp.Expression:
    """Parse a kaohe-owned template and fill its ``:name`` placeholders with trees."""
    filled = {k: (v if isinstance(v, exp.Expression) else lit(v)) for k, v in parts.items()}
    # the template's copy is ours: filled in place (copy=False reaches transform)
    return exp.replace_placeholders(_template(text).copy(), copy=False, **filled)


def lit(v: str | float | int | bool | None) -> exp.Expression:
    if v is None:
        return exp.Null()
    if isinstance(v, bool):
        return exp.Boolean(this=v)
    if isinstance(v, (int, float)):
        if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
            v = int(v)
        text = repr(v) if isinstance(v, float) else str(v)
        node: exp.Expression = exp.Literal.number(text.lstrip("-"))
        return exp.Neg(this=node) if text.startswith("-") else node
    return exp.Literal.string(v)


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def dbl(e: exp.Expression) -> exp.Expression:
    return exp.Cast(this=e, to=exp.DataType.build("DOUBLE"))


def round2(e: exp.Expression) -> exp.Expression:
    """Half away from zero to 2 decimals on both engines: through DECIMAL, whose rounding is
    half-up on DuckDB and Spark alike, after a cast to 9 decimals that absorbs binary noise
    (2.675 is 2.67499999… as a double).

    Below 1e8 in magnitude the value fits DECIMAL(18, 9), which gives the same decimal, the
    same rounding and the same double as DECIMAL(38, 9) on both engines; DuckDB rounds it as
    a 64-bit integer, about ten times faster than its 128-bit ROUND (0.3 s for the 5M-fact
    run's 5.3M points). Larger values, NULL and NaN take the DECIMAL(38, 9) branch as before."""
    return T("CASE WHEN ABS(:e) < 100000000"
             " THEN CAST(ROUND(CAST(:e AS DECIMAL(18, 9)), 2) AS DOUBLE)"
             " ELSE CAST(ROUND(CAST(:e AS DECIMAL(38, 9)), 2) AS DOUBLE) END", e=e)


def clamp(e: exp.Expression, low: float, high: float) -> exp.Expression:
    return T("LEAST(GREATEST(:e, :lo), :hi)", e=e, lo=lit(low), hi=lit(high))


def case(whens: list[tuple[exp.Expression, exp.Expression]],
         default: exp.Expression | None = None) -> exp.Expression:
    node = exp.Case(ifs=[exp.If(this=c, true=v) for c, v in whens])
    if default is not None:
        node.set("default", default)
    return node


def add_all(terms: list[exp.Expression]) -> exp.Expression:
    if not terms:
        return lit(0)
    out = terms[0]
    for t in terms[1:]:
        out = exp.Add(this=out, expression=t)
    return out


def or_all(terms: list[exp.Expression]) -> exp.Expression:
    if not terms:
        return lit(False)
    out = terms[0]
    for t in terms[1:]:
        out = exp.Or(this=out, expression=t)
    return out
