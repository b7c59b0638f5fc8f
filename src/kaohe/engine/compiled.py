"""A scheme with every formula checked and compiled, ready to plan (or to report on in check)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlglot import exp

from kaohe.errors import FormulaError, InputError, Problems, SchemeError
from kaohe.formula import (
    CompiledValue, check_aggregate_formula, check_scalar_formula, compile_aggregate,
    compile_scalar, parse_formula,
)
from kaohe.formula.derived_names import (
    attributes_used, check_derived, check_peer_nesting, compile_derived,
)
from kaohe.formula.org_refs import OrgNames, source_formula
from kaohe.scheme.model import Scheme
from kaohe.workspace.sources import Source


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
    # attributes derived formulas read (spec §15), (name, kind): k_pop's a_NAME / s_NAME
    derived_attributes: tuple[tuple[str, str], ...] = ()


def value_col(code: str) -> str:
    return f"v_{code}"


def compile_scheme(scheme: Scheme, sources: Mapping[str, Source],
                   attributes: Collection[str] = (), org: OrgNames | None = None,
                   attr_kinds: Mapping[str, str] | None = None) -> CompiledScheme:
    """Check and compile every formula; raise Problems listing every problem found."""
    problems: list[InputError] = []
    values: dict[str, CompiledValue] = {}
    derived_trees: dict[str, exp.Expression] = {}
    used: dict[str, Source] = {}
    part_names: dict[str, str] = {}
    part_source: dict[str, str] = {}
    codes = [i.code for i in scheme.indicators]
    for ind in scheme.indicators:
        try:
            tree = parse_formula(ind.value, scheme.code, ind.code)
            if ind.source is None:
                check_derived(tree, codes, attr_kinds or {}, scheme.code, ind.code)
                derived_trees[ind.code] = tree
                continue
            src = sources.get(ind.source)
            if src is None:
                raise SchemeError(scheme.code, f"indicator {ind.code}.source",
                                  f"未知数据源 unknown source {ind.source!r}; sources: "
                                  + ", ".join(sorted(sources)))
            used[src.name] = src
            tree, columns = source_formula(tree, src, org, scheme.code, ind.code)
            check_aggregate_formula(tree, columns, scheme.code, ind.code)
            sidx = list(used).index(src.name)

            def name_part(part: exp.Expression, _s: str = src.name, _i: int = sidx) -> str:
                # equal aggregates over one source are computed once
                key = _s + "\x00" + part.sql(dialect="duckdb")
                if key not in part_names:
                    n = sum(1 for s in part_source.values() if s == _s)
                    part_names[key] = f"x{_i}_{n}"
                    part_source[part_names[key]] = _s
                return part_names[key]

            values[ind.code] = compile_aggregate(tree, name_part)
        except InputError as exc:
            problems.append(exc)
    problems += check_peer_nesting(scheme.code, derived_trees)
    levels: list[tuple[str, ...]] = []
    try:
        levels = _levels(scheme.code, derived_trees)
    except SchemeError as exc:
        problems.append(exc)
    base = None
    numeric_attrs: list[str] = []
    if scheme.payout is not None and scheme.payout.base is not None:
        try:
            tree = parse_formula(scheme.payout.base, scheme.code, "payout.base")
            names = [*codes, *attributes]
            check_scalar_formula(tree, names, scheme.code, "payout.base",
                                 "指标代码或数值属性 indicator codes or numeric attributes")
            numeric_attrs = sorted({c.name for c in tree.find_all(exp.Column)
                                    if c.name not in codes})
            base = compile_scalar(tree, lambda n: value_col(n) if n in codes else f"a_{n}")
        except FormulaError as exc:
            problems.append(exc)
    if problems:
        raise Problems(problems)
    kinds = attr_kinds or {}
    derived = {c: compile_derived(t, codes, kinds, value_col) for c, t in derived_trees.items()}
    read = sorted({a for t in derived_trees.values() for a in attributes_used(t, codes, kinds)})
    return CompiledScheme(scheme=scheme, sources=used, values=values, derived=derived,
                          levels=tuple(levels), part_source=part_source, payout_base=base,
                          attributes=tuple(numeric_attrs),
                          derived_attributes=tuple((a, kinds[a]) for a in read))


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
