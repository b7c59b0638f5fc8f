"""``date_diff('workday', a, b)`` (spec §17) as plain arithmetic, the same tree on every engine.

The number of working days d with a < d <= b is W(b) − W(a), W(x) being the number of working
days from a fixed Monday (1900-01-01) up to and including x's date:
- the default week: with n days since that Monday, 5 × ((n + 1) div 7) + least((n + 1) mod 7, 5);
- plus the calendar's corrections up to x: +1 for each weekend day worked (调休), −1 for each
  weekday off; a step function of n written as a balanced CASE over the changed days, so a
  row costs log2(changes) comparisons.
No join and no subquery: it works inside any aggregate, on any date expression, over any range
of dates (from 1900 on), and both engines compute it with the same integer arithmetic.
"""

from __future__ import annotations

from datetime import date

from sqlglot import exp

from kaohe.workspace.calendar import Calendar

WORKDAY = "workday"
ORIGIN = date(1900, 1, 1)  # a Monday


def _lit(n: int) -> exp.Expression:
    node = exp.Literal.number(abs(n))
    return exp.Neg(this=node) if n < 0 else node


def _day_number(e: exp.Expression) -> exp.Expression:
    """Days from ORIGIN to e's date (the engines render date_diff('day', …) alike)."""
    as_date = exp.Cast(this=e, to=exp.DataType.build("DATE"))
    origin = exp.Cast(this=exp.Literal.string(ORIGIN.isoformat()),
                      to=exp.DataType.build("DATE"))
    return exp.DateDiff(this=as_date, expression=origin, unit=exp.Var(this="DAY"))


def _corrections(n: exp.Expression, calendar: Calendar) -> exp.Expression | None:
    steps: list[tuple[int, int]] = []  # (day number, correction from that day on)
    total = 0
    for day, delta in calendar.changes():
        total += delta
        steps.append(((day - ORIGIN).days, total))
    if not steps:
        return None
    values = [0] + [v for _d, v in steps]  # region i: before steps[i]'s day (region 0: none)

    def pick(lo: int, hi: int) -> exp.Expression:
        if lo == hi:
            return _lit(values[lo])
        mid = (lo + hi + 1) // 2  # n < steps[mid - 1] day: a region below mid
        return exp.Case(ifs=[exp.If(this=exp.LT(this=n.copy(), expression=_lit(steps[mid - 1][0])),
                                    true=pick(lo, mid - 1))], default=pick(mid, hi))

    return exp.paren(pick(0, len(values) - 1), copy=False)


def _working_days_to(e: exp.Expression, calendar: Calendar) -> exp.Expression:
    n1 = exp.paren(exp.Add(this=_day_number(e), expression=exp.Literal.number(1)), copy=False)
    weeks = exp.paren(exp.IntDiv(this=n1.copy(), expression=exp.Literal.number(7)), copy=False)
    rest = exp.Sub(this=n1.copy(), expression=exp.Mul(this=exp.Literal.number(7),
                                                      expression=weeks.copy()))
    default = exp.Add(this=exp.Mul(this=exp.Literal.number(5), expression=weeks),
                      expression=exp.Least(this=rest, expressions=[exp.Literal.number(5)]))
    corr = _corrections(_day_number(e.copy()), calendar)
    out: exp.Expression = default if corr is None else exp.Add(this=default, expression=corr)
    return exp.paren(out, copy=False)


def is_workday_diff(node: exp.Expr) -> bool:
    unit = node.args.get("unit")
    return type(node) is exp.DateDiff and unit is not None and str(unit.name).lower() == WORKDAY


def expand_workdays(tree: exp.Expression, calendar: Calendar) -> exp.Expression:
    """Every date_diff('workday', a, b) of a checked formula as W(b) − W(a)."""

    def swap(node: exp.Expression) -> exp.Expression:
        if not is_workday_diff(node):
            return node
        b = expand_workdays(node.this, calendar)
        a = expand_workdays(node.expression, calendar)
        return exp.paren(exp.Sub(this=_working_days_to(b, calendar),
                                 expression=_working_days_to(a, calendar)), copy=False)

    if not any(is_workday_diff(n) for n in tree.walk()):
        return tree
    return tree.transform(swap)
