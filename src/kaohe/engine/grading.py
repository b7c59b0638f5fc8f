"""Grades with quotas (spec §9) and demotion (§16), as window functions over the totals.

Without quotas and demotions the plan keeps its one CASE (spec §4). Otherwise each entity gets
a grade index ``_gi`` (0 = the first grade written; NULL = no grade), demotions move it down,
and the label is looked up from the final index.

Quotas walk the tie groups of a peer group from the highest total. Grade j takes a maximal run
of consecutive tie groups starting right after the run of grade j − 1 ended: a tie group joins
while every member meets min_j and the run's count, itself included, stays within the quota.
Both conditions are monotone along the descending totals, so with ``_cum`` = the number of
non-vetoed entities of the group whose total is >= this one's (a tie group shares it), the run
of grade j ends at

    b_j = max(b_{j-1}, max{ _cum : total >= min_j, b_{j-1} < _cum <= b_{j-1} + cap_j })

(b_{-1} = 0), one window per grade, and an entity's grade is the first j with _cum <= b_j. A
tie group that does not fit grade j starts grade j + 1's run, so grade j is closed for every
lower total: "no better than the grade of the tie group before it". Vetoed entities take the
last grade and no quota; n (for the quota) counts everyone in the group.
"""

from __future__ import annotations

from decimal import Decimal

from sqlglot import exp

from kaohe.engine.compiled import value_col
from kaohe.engine.sqltree import T, add_all, case, col, lit
from kaohe.scheme.model import Scheme

NO_GRADE = "CAST(NULL AS VARCHAR)"


def uses_index(s: Scheme) -> bool:
    """Whether grades need the index path (quotas or demotions); else spec §4's CASE."""
    return bool(s.grades) and (any(q is not None for q in s.quotas) or bool(s.demote))


def quota_fraction(q: Decimal) -> tuple[int, int]:
    """q percent as an exact fraction num / den of 100 (12.5 → 125 / 1000)."""
    sign, digits, exponent = q.normalize().as_tuple()
    assert isinstance(exponent, int) and sign == 0
    num = int("".join(map(str, digits)) or "0")
    if exponent >= 0:
        return num * 10 ** exponent, 100
    return num, 100 * 10 ** (-exponent)


def add_grade_ctes(s: Scheme, ctes: list[tuple[str, exp.Select]], src: str) -> str:
    """Append the CTEs that give every row of ``src`` its final grade index ``_gd``; return
    the name of the last one (``src`` itself when grades need no index)."""
    if not uses_index(s):
        return src
    last = len(s.grades) - 1
    vetoed = col("vetoed")
    if any(q is not None for q in s.quotas):
        ctes.append(("gq0", exp.select(exp.Star()).from_(src).select(
            exp.alias_(T("SUM(CASE WHEN :v THEN 0 ELSE 1 END) OVER (PARTITION BY :g ORDER BY "
                         ":t DESC RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)",
                         v=vetoed, g=col("_g"), t=col("total")), "_cum", quote=True),
            exp.alias_(T("COUNT(*) OVER (PARTITION BY :g)", g=col("_g")), "_gn", quote=True),
            copy=False)))
        prev: exp.Expression = lit(0)
        for j, ((m, _label), q) in enumerate(zip(s.grades, s.quotas, strict=True)):
            cond = T("NOT :v AND :t >= :m AND :c > :b", v=vetoed, t=col("total"), m=lit(m),
                     c=col("_cum"), b=prev.copy())
            if q is not None:
                num, den = quota_fraction(q)
                cap = exp.IntDiv(this=T(":n * :q", n=col("_gn"), q=lit(num)),
                                 expression=lit(den))
                cond = exp.and_(cond, T(":c <= :b + :cap", c=col("_cum"), b=prev.copy(),
                                        cap=cap))
            b = T("GREATEST(:b, COALESCE(MAX(CASE WHEN :cond THEN :c END) OVER "
                  "(PARTITION BY :g), 0))", b=prev.copy(), cond=cond, c=col("_cum"),
                  g=col("_g"))
            ctes.append((f"gq{j + 1}", exp.select(exp.Star()).from_(f"gq{j}").select(
                exp.alias_(b, f"_b{j}", quote=True), copy=False)))
            prev = col(f"_b{j}")
        index = case([(vetoed, lit(last))]
                     + [(T(":c <= :b", c=col("_cum"), b=col(f"_b{j}")), lit(j))
                        for j in range(len(s.grades))], T("CAST(NULL AS INTEGER)"))
        src = f"gq{len(s.grades)}"
    else:
        index = case([(vetoed, lit(last))]
                     + [(T(":t >= :m", t=col("total"), m=lit(m)), lit(j))
                        for j, (m, _label) in enumerate(s.grades)], T("CAST(NULL AS INTEGER)"))
    steps = add_all([case([(T("COALESCE(:v > 0, FALSE)", v=col(value_col(d.when))),
                            lit(d.steps))], lit(0)) for d in s.demote])
    # LEAST skips NULL on both engines: an entity without a grade keeps none
    demoted = T("CASE WHEN :i IS NULL THEN NULL ELSE LEAST(:i + :s, :last) END", i=col("_gi"),
                s=steps, last=lit(last)) if s.demote else col("_gi")
    ctes.append(("gi", exp.select(exp.Star()).from_(src).select(
        exp.alias_(index, "_gi", quote=True), copy=False)))
    ctes.append(("gd", exp.select(exp.Star()).from_("gi").select(
        exp.alias_(demoted, "_gd", quote=True), copy=False)))
    return "gd"


def grade_label(s: Scheme) -> exp.Expression:
    """The label of the final index ``_gd`` (NULL: no grade)."""
    return case([(T(":i = :j", i=col("_gd"), j=lit(j)), lit(label))
                 for j, (_m, label) in enumerate(s.grades)], T(NO_GRADE))
