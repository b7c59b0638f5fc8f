"""How each payout line of one entity was computed (spec §10), for ``kaohe explain`` and the web.

``explain_lines(scheme, row)`` takes a scheme and one result row (``v_<code>``, ``a_<attr>``,
``total``, ``rank``, ``group_size``, ``grade`` and ``l_<line>``) and returns, per line, the
steps a person can check by hand: the tiers crossed with their amounts, the formula with its
numbers substituted, the min or max applied. The amount shown is always the engine's; the steps
are recomputed here in exact decimals (a small evaluator over the formula allow-list).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlglot import exp

from kaohe.formula import parse_formula
from kaohe.results import LINE_PREFIX, _clean
from kaohe.scheme.consequences import RESERVED
from kaohe.scheme.model import PayoutLine, Scheme

Num = Decimal | str | bool | None


@dataclass(frozen=True)
class LineExplanation:
    name: str
    kind: str  # coefficient | amount | tiers | pool
    steps: tuple[str, ...]
    amount: float | None  # the engine's amount


def _fmt(d: Any) -> str:
    if d is None:
        return "缺失 missing"
    if isinstance(d, Decimal):
        text = f"{d:.4f}".rstrip("0").rstrip(".")
        return text if text not in ("-0", "") else "0"
    return str(d)


def _dec(v: Any) -> Decimal | None:
    v = _clean(v)
    if v is None or isinstance(v, str):
        return None
    try:
        return Decimal(str(v))
    except InvalidOperation:
        return None


def _names(s: Scheme, row: Mapping[str, Any]) -> dict[str, Num]:
    codes = {i.code for i in s.indicators}
    out: dict[str, Num] = {}
    for key, value in row.items():
        if key.startswith("v_") and key[2:] in codes:
            out[key[2:]] = _dec(value)
        elif key.startswith("a_") and key[2:] not in codes:
            out[key[2:]] = _dec(value)
    for name in RESERVED:
        value = _clean(row.get(name))
        out[name] = value if name == "grade" or value is None else _dec(value)
    return out


def substituted(text: str, names: Mapping[str, Num], scheme: str) -> str:
    """The formula with each name replaced by its value (missing: NULL)."""
    tree = parse_formula(text, scheme, "explain")

    def put(node: exp.Expression) -> exp.Expression:
        if type(node) is exp.Column:
            v = names.get(node.name)
            if v is None:
                return exp.Null()
            if isinstance(v, str):
                return exp.Literal.string(v)
            return exp.Literal.number(_fmt(v))
        return node

    return tree.transform(put).sql(dialect="duckdb")


UNKNOWN = "?"  # evaluate(): a part this small evaluator does not know (e.g. wavg)


def evaluate(text: str, names: Mapping[str, Num], scheme: str) -> Num:
    """The formula's value in exact decimals; None when missing; UNKNOWN when it uses
    something this small evaluator does not know (the engine's amount is then the only
    number shown)."""
    try:
        return _eval(parse_formula(text, scheme, "explain"), names)
    except (_Unknown, InvalidOperation, ArithmeticError):
        return UNKNOWN


class _Unknown(Exception):
    pass


def _eval(node: exp.Expression, names: Mapping[str, Num]) -> Num:  # noqa: C901 - a dispatch
    t = type(node)
    if t is exp.Paren:
        return _eval(node.this, names)
    if t is exp.Literal:
        return str(node.this) if node.is_string else Decimal(str(node.this))
    if t is exp.Column:
        return names.get(node.name)
    if t is exp.Null:
        return None
    if t is exp.Boolean:
        return bool(node.this)
    if t is exp.Neg:
        v = _eval(node.this, names)
        return None if v is None else -_num(v)
    if t in (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod):
        a, b = _eval(node.this, names), _eval(node.expression, names)
        if a is None or b is None:
            return None
        x, y = _num(a), _num(b)
        if t in (exp.Div, exp.Mod) and y == 0:
            return None
        return {exp.Add: lambda: x + y, exp.Sub: lambda: x - y, exp.Mul: lambda: x * y,
                exp.Div: lambda: x / y, exp.Mod: lambda: x % y}[t]()
    if t in (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE):
        a, b = _eval(node.this, names), _eval(node.expression, names)
        if a is None or b is None:
            return None
        ops = {exp.EQ: a == b, exp.NEQ: a != b}
        if t in ops:
            return ops[t]
        x, y = _num(a), _num(b)
        return {exp.GT: x > y, exp.GTE: x >= y, exp.LT: x < y, exp.LTE: x <= y}[t]
    if t in (exp.And, exp.Or):
        a, b = _eval(node.this, names), _eval(node.expression, names)
        if t is exp.And:
            return False if a is False or b is False else (None if None in (a, b) else True)
        return True if a is True or b is True else (None if None in (a, b) else False)
    if t is exp.Not:
        v = _eval(node.this, names)
        return None if v is None else not v
    if t is exp.Case:
        for branch in node.args.get("ifs") or []:
            if _eval(branch.this, names) is True:
                return _eval(branch.args["true"], names)
        default = node.args.get("default")
        return None if default is None else _eval(default, names)
    if t in (exp.Coalesce, exp.Least, exp.Greatest):
        vals = [_eval(e, names) for e in [node.this, *node.expressions]]
        if t is exp.Coalesce:
            return next((v for v in vals if v is not None), None)
        nums = [_num(v) for v in vals if v is not None]
        return None if not nums else (min(nums) if t is exp.Least else max(nums))
    if t is exp.Abs:
        v = _eval(node.this, names)
        return None if v is None else abs(_num(v))
    if t is exp.Nullif:
        a, b = _eval(node.this, names), _eval(node.expression, names)
        return None if a is None or a == b else a
    if t is exp.Round:
        v = _eval(node.this, names)
        d = node.args.get("decimals")
        places = int(d.this) if d is not None else 0
        return None if v is None else _num(v).quantize(Decimal(1).scaleb(-places),
                                                       rounding=ROUND_HALF_UP)
    raise _Unknown(t.__name__)


def _num(v: Num) -> Decimal:
    if isinstance(v, bool):
        return Decimal(int(v))
    if isinstance(v, Decimal):
        return v
    raise _Unknown("text in arithmetic")


def _fen(d: Decimal) -> Decimal:
    return d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)  # half away from zero


def _bounds(line: PayoutLine, raw: Decimal) -> list[str]:
    steps = []
    if line.max is not None and raw > line.max:
        steps.append(f"超过上限 above max {_fmt(line.max)} → {_fmt(line.max)}")
        raw = line.max
    if line.min is not None and raw < line.min:
        steps.append(f"低于下限 below min {_fmt(line.min)} → {_fmt(line.min)}")
        raw = line.min
    return steps + [f"取整到分 to the fen: {_fen(raw):.2f}"]


def _tiers(line: PayoutLine, v: Decimal) -> tuple[list[str], Decimal]:
    tiers = list(line.tiers)
    if line.mode == "whole":
        hit = next(((a, r) for a, r in reversed(tiers) if v >= a), None)
        if hit is None:
            return [f"{_fmt(v)} 低于第一档 below the first tier {_fmt(tiers[0][0])} → 0"], \
                Decimal(0)
        return [f"整档 whole: {_fmt(v)} ≥ {_fmt(hit[0])} → {_fmt(v)} × {_fmt(hit[1])} = "
                f"{_fmt(v * hit[1])}"], v * hit[1]
    steps, total = [], Decimal(0)
    for k, (a, r) in enumerate(tiers):
        end = tiers[k + 1][0] if k + 1 < len(tiers) else None
        part = (min(v, end) if end is not None else v) - a
        if part <= 0:
            continue
        upto = f"{_fmt(end)})" if end is not None else "…)"
        steps.append(f"[{_fmt(a)}, {upto}: {_fmt(part)} × {_fmt(r)} = {_fmt(part * r)}")
        total += part * r
    return steps + [f"合计 sum = {_fmt(total)}"], total


def _explain(s: Scheme, line: PayoutLine, names: Mapping[str, Num]) -> list[str]:
    if line.kind == "pool":
        within = "、".join(line.within) or "全体 everyone"
        return [f"奖池 {_fmt(line.pool)} 按总分比例分配 split in proportion to totals within "
                f"{within} (total {_fmt(names.get('total'))}); 精确到分，余数按最大余额 to the "
                "fen, the fen left over to the largest remainders"]
    if line.kind == "tiers":
        v = names.get(line.on or "")
        if not isinstance(v, Decimal):
            return [f"{line.on} 缺失 missing → 0"]
        steps, raw = _tiers(line, v)
        return [f"{line.on} = {_fmt(v)}"] + steps + _bounds(line, raw)
    text = (line.base if line.kind == "coefficient" else line.amount) or "0"
    value = evaluate(text, names, s.code)
    shown = f"{text} = {substituted(text, names, s.code)}"
    if value == UNKNOWN:
        return [shown, "金额见右 the amount is the engine's (this explanation cannot evaluate "
                       "every part of the formula)"]
    if line.kind == "coefficient":
        grade = names.get("grade")
        coef = dict(line.coefficient).get(str(grade), 0.0) if grade is not None else None
        steps = [f"基数 base: {shown} = {_fmt(value)}"]
        if grade is None or value is None:
            return steps + ["缺失 missing → 0"]
        raw = _num(value) * Decimal(str(coef))
        steps.append(f"等级 grade {grade} → 系数 coefficient {coef:g}: {_fmt(_num(value))} × "
                     f"{coef:g} = {_fmt(raw)}")
        return steps + _bounds(line, raw)
    if value is None or isinstance(value, str):
        return [shown, "结果缺失 the amount is missing → 0 (min/max 不适用 do not apply)"]
    return [f"{shown} = {_fmt(_num(value))}"] + _bounds(line, _num(value))


def explain_lines(s: Scheme, row: Mapping[str, Any]) -> list[LineExplanation]:
    if s.payout is None:
        return []
    names = _names(s, row)
    return [LineExplanation(line.name, line.kind, tuple(_explain(s, line, names)),
                            _clean(row.get(LINE_PREFIX + line.name)))
            for line in s.payout.lines]
