"""Formulas (spec §3): parse with SQLGlot, allow-list by exact node type, compile to SQL trees."""

from kaohe.formula.check import (
    check_aggregate_formula, check_scalar_formula, parse_formula,
)
from kaohe.formula.compile import (
    CompiledValue, compile_aggregate, compile_scalar, fold_filter, is_distinct, split_filter,
)

__all__ = [
    "CompiledValue", "check_aggregate_formula", "check_scalar_formula", "compile_aggregate",
    "compile_scalar", "fold_filter", "is_distinct", "parse_formula", "split_filter",
]
