"""A scheme with every formula checked and compiled, ready to plan (or to report on in check)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from sqlglot import exp

from kaohe.engine import instances
from kaohe.errors import FormulaError, InputError, Problems, SchemeError
from kaohe.formula import (
    CompiledValue, check_aggregate_formula, check_scalar_formula, compile_aggregate,
    compile_scalar, parse_formula,
)
from kaohe.engine.check_entity import check_entity_sources
from kaohe.formula.derived_names import (
    attributes_used, check_derived, check_peer_nesting, compile_derived,
)
from kaohe.formula.org_refs import OrgNames, source_formula
from kaohe.formula.windows import (
    PrevRef, hidden_key, period_date_calls, period_dates, prev_refs, refuse_prev,
)
from kaohe.formula.workdays import expand_workdays
from kaohe.periods import Period
from kaohe.scheme.model import Indicator, Scheme
from kaohe.workspace.calendar import Calendar
from kaohe.workspace.sources import Source

if TYPE_CHECKING:
    from kaohe.engine.payout_lines import CompiledLine


@dataclass(frozen=True)
class CompiledScheme:
    scheme: Scheme
    sources: Mapping[str, Source]  # the sources this scheme reads, by name
    values: Mapping[str, CompiledValue]  # source indicators
    derived: Mapping[str, exp.Expression]  # derived indicators, over v_<code> columns
    levels: tuple[tuple[str, ...], ...]  # derived codes, each level only needs earlier ones
    part_source: Mapping[str, str]  # part column → source name
    payout_base: exp.Expression | None  # over v_<code> and a_<attribute> columns
    attributes: tuple[str, ...]  # numeric attributes the payout base reads
    part_via: Mapping[str, str] = field(default_factory=dict)  # part → via attribute (§18)
    payout_lines: tuple[CompiledLine, ...] = ()  # every payout line (spec §10)
    # part column → (window, offset) it aggregates over (spec §7); absent: (1, 0)
    part_window: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    # attributes derived formulas read (spec §15), (name, kind): k_pop's a_NAME / s_NAME
    derived_attributes: tuple[tuple[str, str], ...] = ()
    # adjustments (spec §19, engine/adjustments.attach): indicator codes whose values k_pop
    # corrects (_av_<code>), and whether k_pop carries points to add (_adj_points)
    corrected: frozenset[str] = frozenset()
    extra_points: bool = False


def value_col(code: str) -> str:
    return f"v_{code}"


def day_of(period: Period, shift: int) -> Callable[[int, bool], date]:
    """period_start(k) / period_end(k) of an instance ``shift`` periods back (spec §7)."""
    def day(k: int, end: bool) -> date:
        p = period.shift(k - shift)
        return p.end if end else p.start
    return day


def compile_scheme(scheme: Scheme, sources: Mapping[str, Source],
                   attributes: Collection[str] = (), period: Period | None = None,
                   calendar: Calendar | None = None, org: OrgNames | None = None,
                   attr_kinds: Mapping[str, str] | None = None) -> CompiledScheme:
    """Check and compile every formula; raise Problems listing every problem found.
    ``period`` fixes period_start/period_end (without one, as for ``kaohe check``, a
    reference period); ``calendar`` gives date_diff('workday', …) its working days; ``org``
    and ``attr_kinds`` name the org behind rows and the attributes derived formulas may read
    (spec §15)."""
    from kaohe.engine.payout_lines import compile_lines  # it imports value_col from here

    problems: list[InputError] = []
    values: dict[str, CompiledValue] = {}
    derived_trees: dict[str, exp.Expression] = {}
    used: dict[str, Source] = {}
    part_names: dict[str, str] = {}
    part_source: dict[str, str] = {}
    part_via: dict[str, str] = {}
    part_window: dict[str, tuple[int, int]] = {}
    codes = [i.code for i in scheme.indicators]
    at = period or Period.containing(scheme.period, date(2000, 1, 1))  # type: ignore[arg-type]
    cal = calendar or Calendar()
    marks: dict[str, PrevRef] = {}
    source_trees: dict[str, tuple[Indicator, Source, exp.Expression]] = {}

    def namer(src: str, window: tuple[int, int],
              via: str | None) -> Callable[[exp.Expression], str]:
        sidx = list(used).index(src)

        def name_part(part: exp.Expression) -> str:
            # equal aggregates over one source, one window and one roll-up path (via) are
            # computed once
            key = f"{src}\x00{window}\x00{via or ''}\x00{part.sql(dialect='duckdb')}"
            if key not in part_names:
                n = sum(1 for s in part_source.values() if s == src)
                part_names[key] = f"x{sidx}_{n}"
                part_source[part_names[key]] = src
                part_window[part_names[key]] = window
                if via is not None:
                    part_via[part_names[key]] = via
            return part_names[key]
        return name_part

    def source_value(ind: Indicator, src: Source, tree: exp.Expression,
                     shift: int) -> CompiledValue:
        offset = ind.offset + shift
        dated = period_dates(tree, day_of(at, offset), scheme.code, ind.code)
        return compile_aggregate(expand_workdays(dated, cal),
                                 namer(src.name, (ind.window, offset), ind.via))

    for ind in scheme.indicators:
        try:
            tree = parse_formula(ind.value, scheme.code, ind.code)
            period_date_calls(tree, scheme.code, ind.code)
            if ind.source is None:
                tree, refs = prev_refs(tree, codes, scheme.code, ind.code)
                marks.update(refs)
                check_derived(period_dates(tree, day_of(at, 0), scheme.code, ind.code),
                              [*codes, *refs], attr_kinds or {}, scheme.code, ind.code)
                derived_trees[ind.code] = tree
                continue
            refuse_prev(tree, scheme.code, ind.code)
            src = sources.get(ind.source)
            if src is None:
                raise SchemeError(scheme.code, f"indicator {ind.code}.source",
                                  f"未知数据源 unknown source {ind.source!r}; sources: "
                                  + ", ".join(sorted(sources)))
            used[src.name] = src
            tree, columns = source_formula(tree, src, org, scheme.code, ind.code)
            check_aggregate_formula(period_dates(tree, day_of(at, ind.offset), scheme.code,
                                                 ind.code),
                                    columns, scheme.code, ind.code)
            source_trees[ind.code] = (ind, src, tree)
            values[ind.code] = source_value(ind, src, tree, 0)
        except InputError as exc:
            problems.append(exc)
    problems += check_peer_nesting(scheme.code, derived_trees)
    levels: list[tuple[str, ...]] = []
    try:
        levels = _levels(scheme.code, derived_trees)
    except SchemeError as exc:
        problems.append(exc)
    shifted_trees: dict[str, exp.Expression] = {}
    if not problems:
        try:
            shifted_trees = _instances(scheme, at, cal, codes, derived_trees, marks,
                                       source_trees, source_value, values)
            levels = _levels(scheme.code, shifted_trees)
        except InputError as exc:
            problems.append(exc)
    base = None
    numeric_attrs: list[str] = []
    if scheme.payout is not None and scheme.payout.base is not None:
        try:
            tree = parse_formula(scheme.payout.base, scheme.code, "payout.base")
            tree = period_dates(tree, day_of(at, 0), scheme.code, "payout.base")  # §7
            names = [*codes, *attributes]
            check_scalar_formula(tree, names, scheme.code, "payout.base",
                                 "指标代码或数值属性 indicator codes or numeric attributes")
            numeric_attrs = sorted({c.name for c in tree.find_all(exp.Column)
                                    if c.name not in codes})
            base = compile_scalar(expand_workdays(tree, cal),
                                  lambda n: value_col(n) if n in codes else f"a_{n}")
        except FormulaError as exc:
            problems.append(exc)
    problems += check_entity_sources(scheme, sources)
    lines, line_attrs, line_problems = compile_lines(scheme, attributes, base)
    problems += line_problems
    numeric_attrs = sorted({*numeric_attrs, *line_attrs})
    if problems:
        raise Problems(problems)
    kinds = attr_kinds or {}
    # every name a derived instance may read as a value: the codes, and prev's hidden values
    value_names = {*codes, *values, *shifted_trees}
    derived = {c: compile_derived(t, value_names, kinds, value_col) for c, t in shifted_trees.items()}
    read = sorted({a for t in derived_trees.values() for a in attributes_used(t, codes, kinds)})
    return CompiledScheme(scheme=scheme, sources=used, values=values, derived=derived,
                          levels=tuple(levels), part_source=part_source, payout_base=base,
                          attributes=tuple(numeric_attrs), part_via=part_via,
                          payout_lines=lines, part_window=part_window,
                          derived_attributes=tuple((a, kinds[a]) for a in read))


def _instances(scheme: Scheme, at: Period, cal: Calendar, codes: list[str],
               derived_trees: Mapping[str, exp.Expression], marks: Mapping[str, PrevRef],
               source_trees: Mapping[str, tuple[Indicator, Source, exp.Expression]],
               source_value: Callable[[Indicator, Source, exp.Expression, int], CompiledValue],
               values: dict[str, CompiledValue]) -> dict[str, exp.Expression]:
    """Add the shifted source values prev needs to ``values``; return every derived
    instance's formula (key → tree over keys, dates and working days filled in)."""
    need = instances.needed(scheme.code, {c: t[0].offset for c, t in source_trees.items()},
                            derived_trees, marks)
    hidden = [hidden_key(c, k) for c, k in (*need.sources, *need.derived) if k]
    if any(k in codes for k in hidden):
        raise SchemeError(scheme.code, "indicators", "指标代码与 prev 的内部名称冲突 an "
                          "indicator code has the form CODE__oN that names prev values; rename "
                          "it: " + ", ".join(k for k in hidden if k in codes))
    for code, shift in sorted(need.sources):
        ind, src, tree = source_trees[code]
        values[hidden_key(code, shift)] = source_value(ind, src, tree, shift)
    out: dict[str, exp.Expression] = {}
    for code in derived_trees:  # visible codes first, in the scheme's order
        for c, shift in sorted(need.derived, key=lambda cs: cs[1]):
            if c == code:
                tree = instances.shifted(derived_trees[c], shift, codes, marks)
                dated = period_dates(tree, day_of(at, shift), scheme.code, c)
                out[hidden_key(c, shift)] = expand_workdays(dated, cal)
    return out



def _levels(scheme: str, trees: Mapping[str, exp.Expression]) -> list[tuple[str, ...]]:
    deps = {c: {col.name for col in t.find_all(exp.Column) if col.name in trees}
            for c, t in trees.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(c: str) -> None:
        if state.get(c) == 2:
            return
        if state.get(c) == 1:
            cycle = stack[stack.index(c):] + [c]
            raise SchemeError(scheme, f"indicator {c}.value",
                              "派生指标循环引用 derived indicators form a cycle: "
                              + " → ".join(cycle))
        state[c] = 1
        stack.append(c)
        for d in sorted(deps[c]):
            visit(d)
        stack.pop()
        state[c] = 2

    for c in trees:
        visit(c)
    depth: dict[str, int] = {}

    def level(c: str) -> int:
        if c not in depth:
            depth[c] = 1 + max((level(d) for d in deps[c]), default=-1)
        return depth[c]

    out: dict[int, list[str]] = {}
    for c in trees:
        out.setdefault(level(c), []).append(c)
    return [tuple(out[k]) for k in sorted(out)]
