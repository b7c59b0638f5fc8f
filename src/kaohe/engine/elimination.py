"""Elimination (spec §4, §16): in the bottom n and/or strictly below T, this period and in each
of the k − 1 periods before it.

``k_hist.prev_bottoms`` counts, per entity, the previous periods (latest completed run of each)
in which the same condition held (``history.previous_bottoms``); a missing run or an absence
counts nothing, so it breaks the streak.
"""

from __future__ import annotations

from sqlglot import exp

from kaohe.engine.sqltree import T, col, lit
from kaohe.scheme.model import Scheme

HIST = "k_hist"


def add_fin(s: Scheme, ctes: list[tuple[str, exp.Select]], src: str) -> None:
    """Append ``fin``: ``src`` with ``bottom`` (in the bottom n this period; false without a
    ``bottom`` rule) and ``eliminate``."""
    el = s.elimination
    bottom: exp.Expression = lit(False)
    if el is not None and el.bottom is not None:
        bottom = T("(:r - 1) < :n", r=col("_rank_up"), n=lit(el.bottom))
    fin = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier(src))).from_(src)
    fin = fin.select(exp.alias_(bottom, "bottom", quote=True), copy=False)
    elim: exp.Expression = lit(False)
    if el is not None:
        now = [bottom.copy()] if el.bottom is not None else []
        if el.below is not None:
            now.append(T(":t < :b", t=col("total"), b=lit(el.below)))
        fin = fin.join(exp.alias_(exp.to_table(HIST), "h", table=True),
                       on=T(":a = :b", a=col("entity_id", "h"), b=col("entity_id", src)),
                       join_type="LEFT")
        elim = T("(:b) AND COALESCE(:h, 0) >= :k", b=exp.and_(*now),
                 h=col("prev_bottoms", "h"), k=lit(el.consecutive - 1))
    fin = fin.select(exp.alias_(elim, "eliminate", quote=True), copy=False)
    ctes.append(("fin", fin))
