"""Scheme-level caps on bonus and penalty points (spec §16).

Each indicator keeps the points it shows (its own cap applied); the total counts at most
``caps.bonus`` of the bonus indicators' points together and at most ``caps.penalty`` of the
penalty indicators' points. Without caps the total is spec §4's sum, unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlglot import exp

from kaohe.engine.sqltree import T, add_all, lit
from kaohe.scheme.model import Scheme

CAPPED = {"bonus": "capped_bonus", "penalty": "capped_penalty"}  # result columns


def _sum(s: Scheme, p_raw: Mapping[str, exp.Expression], role: str) -> exp.Expression:
    """The role's points added up, as a positive amount (penalty points are negative)."""
    terms = [T("COALESCE(:p, 0)", p=p.copy()) for code, p in p_raw.items()
             if s.indicator(code).role == role]
    total = add_all(terms)
    return exp.Neg(this=exp.paren(total)) if role == "penalty" else total


def _bound(s: Scheme, role: str) -> float | None:
    if s.caps is None:
        return None
    cap = s.caps.bonus if role == "bonus" else s.caps.penalty
    return None if cap is None else float(cap)


def total_raw(s: Scheme, p_raw: Mapping[str, exp.Expression],
              extra: exp.Expression | None = None) -> exp.Expression:
    """The unrounded total before vetoes: scored + min(B, bonus) − min(P, penalty), >= 0;
    ``extra`` (adjustment points, spec §19) is added after the caps, inside the floor."""
    more = [] if extra is None else [T("COALESCE(:x, 0)", x=extra)]
    if s.caps is None:
        return T("GREATEST(:t, 0)", t=add_all([T("COALESCE(:p, 0)", p=p)
                                               for p in p_raw.values()] + more))
    terms = [T("COALESCE(:p, 0)", p=p) for code, p in p_raw.items()
             if s.indicator(code).role == "scored"]
    for role in ("bonus", "penalty"):
        amount = _sum(s, p_raw, role)
        cap = _bound(s, role)
        if cap is not None:
            amount = T("LEAST(:c, :a)", c=lit(cap), a=amount)
        terms.append(amount if role == "bonus" else exp.Neg(this=exp.paren(amount)))
    return T("GREATEST(:t, 0)", t=add_all(terms + more))


def capped_columns(s: Scheme, p_raw: Mapping[str, exp.Expression]) -> list[exp.Expression]:
    """``capped_bonus`` / ``capped_penalty``: the cap strictly reduced the sum (judged to 9
    decimals, so binary noise in 0.1 + 0.2 never reads as over a cap of 0.3)."""
    if s.caps is None:
        return []
    out: list[exp.Expression] = []
    for role, name in CAPPED.items():
        cap = _bound(s, role)
        flag: exp.Expression = lit(False)
        if cap is not None:
            flag = T("CAST(:a AS DECIMAL(38, 9)) > CAST(:c AS DECIMAL(38, 9))",
                     a=_sum(s, p_raw, role), c=lit(cap))
        out.append(exp.alias_(flag, name, quote=True))
    return out
