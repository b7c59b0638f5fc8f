"""Windows in the plan (spec §7): one scan per source over the union of its parts' windows.

Each part aggregates over its own window, [first day of the window's first period, first day
after its last period). A source is scanned once, with the union's bounds as constants in the
WHERE (DuckDB skips the row groups of other months by their min/max), and where the windows
leave gaps, the windows themselves in an OR. A part whose window is not the whole scan gets
its window folded into its FILTER, so the aggregate sees only its own rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta

from sqlglot import exp

from kaohe.engine.compiled import CompiledScheme
from kaohe.engine.sqltree import T
from kaohe.periods import Period
from kaohe.workspace.sources import Source

Span = tuple[date, date]  # [start, end)


def window_span(period: Period, window: int, offset: int) -> Span:
    """The N periods of the scheme's length ending ``offset`` periods before ``period``."""
    last = period.shift(-offset)
    return last.shift(1 - window).start, last.end


def part_span(cs: CompiledScheme, part: str, period: Period) -> Span:
    window, offset = cs.part_window.get(part, (1, 0))
    return window_span(period, window, offset)


def _merged(spans: Sequence[Span]) -> list[Span]:
    out: list[Span] = []
    for a, b in sorted(set(spans)):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def source_spans(cs: CompiledScheme, source: str, period: Period) -> list[Span]:
    """The disjoint stretches of time a source's parts read (the period when it has none)."""
    spans = [part_span(cs, p, period) for p, s in cs.part_source.items() if s == source]
    return _merged(spans or [(period.start, period.end)])


def source_range(cs: CompiledScheme, source: str, period: Period) -> Span:
    """From the first to the last day a source's parts read: the rows to load."""
    spans = source_spans(cs, source, period)
    return spans[0][0], spans[-1][1]


Bound = Callable[[Source, datetime], exp.Expression]


def _between(t: exp.Expression, span: Span, source: Source, bound: Bound) -> exp.Expression:
    a, b = (datetime.combine(d, time()) for d in span)
    return T(":t >= :a AND :t < :b", t=t, a=bound(source, a), b=bound(source, b))


def scan_where(cs: CompiledScheme, source: Source, period: Period, t: exp.Expression,
               bound: Bound) -> exp.Expr:
    """The scan's condition: the union's constant bounds, and the windows when they have gaps
    (an offset-12 part beside an offset-0 one need not aggregate the 11 months between)."""
    spans = source_spans(cs, source.name, period)
    where = _between(t, (spans[0][0], spans[-1][1]), source, bound)
    if len(spans) == 1:
        return where
    ors: exp.Expression = exp.paren(_between(t.copy(), spans[0], source, bound))
    for span in spans[1:]:
        ors = exp.Or(this=ors, expression=exp.paren(_between(t.copy(), span, source, bound)))
    return exp.and_(where, exp.paren(ors))


def windowed_parts(cs: CompiledScheme, source: Source, period: Period,
                   parts: Sequence[tuple[str, exp.Expression]], t: exp.Expression,
                   bound: Bound) -> list[tuple[str, exp.Expression]]:
    """Parts with their own window folded into their FILTER where it is not the whole scan."""
    spans = source_spans(cs, source.name, period)
    whole = (spans[0][0], spans[-1][1])
    out: list[tuple[str, exp.Expression]] = []
    for name, part in parts:
        span = part_span(cs, name, period)
        if span == whole:
            out.append((name, part))
            continue
        cond: exp.Expr = _between(t.copy(), span, source, bound)
        if type(part) is exp.Filter:
            cond = exp.and_(exp.paren(part.expression.this.copy()), cond)
            agg = part.this.copy()
        else:
            agg = part.copy()
        out.append((name, exp.Filter(this=agg, expression=exp.Where(this=cond))))
    return out


def window_note(cs: CompiledScheme, part: str, period_text: str) -> str:
    """How explain shows a part's window: '' for the run's period, else its dates."""
    if cs.part_window.get(part, (1, 0)) == (1, 0):
        return ""
    window, offset = cs.part_window[part]
    start, end = window_span(Period.parse(period_text), window, offset)
    return f"  [{start} … {end - timedelta(days=1)}] (window {window}, offset {offset})"
