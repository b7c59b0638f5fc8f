"""The reference for spec §9 (grade quotas), §10 (payout lines), §12 (alerts) and §16 (caps,
demote, below), written from the spec's words, in exact arithmetic, independent of the engine.

The quota walk is the spec's sentence made literal: tie groups from the highest total, each
trying the grades in order from the previous tie group's grade, taking the first whose min all
meet and whose quota has room for all of them (not the engine's window formula).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction as F
from typing import Any

from reference import num, round2

Grade = tuple[Any, str]  # (min, label)


def quota_cap(q: Any, n: int) -> int:
    """floor(q × n / 100), exactly."""
    return int(F(Decimal(str(q).rstrip("%"))) * n // 100)


def quota_grades(totals: Mapping[str, F], vetoed: Mapping[str, bool],
                 groups: Mapping[str, Any], grades: Sequence[Grade],
                 quotas: Sequence[Any | None]) -> dict[str, str | None]:
    """Grade labels after quotas (spec §9); quotas[j] None = no quota for grade j."""
    out: dict[str, str | None] = {}
    by_group: dict[Any, list[str]] = {}
    for e, g in groups.items():
        by_group.setdefault(g, []).append(e)
    last = len(grades) - 1
    for members in by_group.values():
        n = len(members)
        caps = [None if q is None else quota_cap(q, n) for q in quotas]
        used = [0] * len(grades)
        live = [e for e in members if not vetoed[e]]
        for e in members:
            if vetoed[e]:
                out[e] = grades[last][1]
        floor = 0  # no better than the grade of the tie group before
        for t in sorted({totals[e] for e in live}, reverse=True):
            tie = [e for e in live if totals[e] == t]
            chosen = None
            for j in range(floor, len(grades)):
                fits = caps[j] is None or used[j] + len(tie) <= caps[j]
                if t >= num(grades[j][0]) and fits:
                    chosen = j
                    break
            if chosen is None:  # no grade: every lower total has none either
                floor = len(grades)
                for e in tie:
                    out[e] = None
                continue
            used[chosen] += len(tie)
            floor = chosen
            for e in tie:
                out[e] = grades[chosen][1]
    return out


def demoted(grade: str | None, labels: Sequence[str], values: Mapping[str, F | None],
            demote: Sequence[Mapping[str, Any]]) -> str | None:
    """Move down by the summed steps of entries whose value is > 0, never below the last."""
    if grade is None:
        return None
    steps = sum(int(d.get("steps", 1)) for d in demote
                if values.get(d["when"]) is not None and values[d["when"]] > 0)  # type: ignore
    return labels[min(labels.index(grade) + steps, len(labels) - 1)]


def capped_total(scored: F, bonus: F, penalty: F, caps: Mapping[str, Any] | None
                 ) -> tuple[F, list[str]]:
    """scored + min(B, bonus) − min(P, penalty), floored at 0; which caps bound."""
    caps = caps or {}
    bound = []
    if caps.get("bonus") is not None and bonus > num(caps["bonus"]):
        bonus, bound = num(caps["bonus"]), bound + ["bonus"]
    if caps.get("penalty") is not None and penalty > num(caps["penalty"]):
        penalty, bound = num(caps["penalty"]), bound + ["penalty"]
    return max(scored + bonus - penalty, F(0)), bound


def tiers(v: F, table: Sequence[tuple[Any, Any]], mode: str = "marginal") -> F:
    pairs = [(num(a), num(r)) for a, r in table]
    if mode == "whole":
        rate = next((r for a, r in reversed(pairs) if v >= a), None)
        return F(0) if rate is None else v * rate
    out = F(0)
    for k, (a, r) in enumerate(pairs):
        top = v if k + 1 == len(pairs) else min(v, pairs[k + 1][0])
        out += r * max(top - a, F(0))
    return out


def line_amount(raw: F | None, lo: Any = None, hi: Any = None) -> F:
    """Clamped by min and max, then to the fen; a missing input pays 0."""
    if raw is None:
        return F(0)
    if hi is not None:
        raw = min(raw, num(hi))
    if lo is not None:
        raw = max(raw, num(lo))
    return round2(raw)


def pool_split(pool: Any, totals: Mapping[str, F]) -> dict[str, F]:
    """Spec §4's split in whole fen (floors, largest remainders, ties to the lower id)."""
    fen = num(pool) * 100
    s = sum(totals.values(), F(0))
    exact = {i: (fen / len(totals) if s == 0 else fen * t / s) for i, t in totals.items()}
    floor = {i: F(int(x)) for i, x in exact.items()}
    left = int(fen - sum(floor.values(), F(0)))
    order = sorted(exact, key=lambda i: (-(exact[i] - floor[i]), i))
    return {i: (floor[i] + (1 if k < left else 0)) / 100 for k, i in enumerate(order)}


def alert(grade: str | None, alerts: Sequence[str]) -> bool:
    return grade in alerts


def eliminated(streak: Sequence[tuple[bool, F] | None], bottom: int | None,
               below: Any | None) -> bool:
    """``streak``: this period first, then the k − 1 before; each (in bottom n, total) or None
    for no run / absent. Every period must hold both conditions given."""
    for item in streak:
        if item is None:
            return False
        is_bottom, total = item
        if bottom is not None and not is_bottom:
            return False
        if below is not None and not total < num(below):
            return False
    return True



# ---- hooks of reference.evaluate -----------------------------------------------------------

def scheme_capped_total(scheme: Mapping[str, Any], inds: Sequence[Mapping[str, Any]],
                        points: Mapping[str, F | None]) -> tuple[F, list[str]]:
    """The total of spec §16 from the unrounded points (penalty points are negative)."""
    def role_sum(role: str) -> F:
        return sum((points[i["code"]] or F(0) for i in inds
                    if i.get("role", "scored") == role), F(0))

    return capped_total(role_sum("scored"), role_sum("bonus"), -role_sum("penalty"),
                        scheme.get("caps"))


def grades_v2(scheme: Mapping[str, Any], out: dict[str, dict[str, Any]],
              values: Mapping[str, Mapping[str, F | None]],
              group: Mapping[str, Any]) -> None:
    """Quotas, then demotion, then the alert flag, over ``out`` (spec §9, §16, §12)."""
    grades = scheme.get("grades") or []
    pairs = [(g[0], g[1]) for g in grades]
    labels = [g[1] for g in grades]
    if any(len(g) > 2 for g in grades):
        got = quota_grades({e: o["total"] for e, o in out.items()},
                           {e: o["vetoed"] for e, o in out.items()}, group, pairs,
                           [g[2] if len(g) > 2 else None for g in grades])
        for e, label in got.items():
            out[e]["grade"] = label
    for e, o in out.items():
        o["grade"] = demoted(o["grade"], labels, values[e], scheme.get("demote") or [])
        o["alert"] = alert(o["grade"], scheme.get("alerts") or [])


def lines_payout(org: Any, scheme: Mapping[str, Any], pop: Sequence[Any],
                 out: dict[str, dict[str, Any]],
                 values: Mapping[str, Mapping[str, F | None]]) -> None:
    """Every line of a list payout (spec §10); each line carries its Python meaning:
    ``amount_fn(ctx)`` or ``base_fn(values, attrs)``; ctx has values, attrs, total, rank,
    group_size, grade."""
    from reference import attribute

    for e in pop:
        out[e.id]["payout"] = F(0)
    for line in scheme["payout"]:
        name = line["name"]
        if "pool" in line:
            groups: dict[tuple[str, ...], list[Any]] = {}
            for e in pop:
                groups.setdefault(tuple(attribute(org, e, w) for w in line.get("within") or []),
                                  []).append(e)
            amounts: dict[str, F] = {}
            for members in groups.values():
                amounts.update(pool_split(line["pool"], {m.id: out[m.id]["total"]
                                                         for m in members}))
        else:
            amounts = {}
            for e in pop:
                o, vals = out[e.id], values[e.id]
                if "on" in line:
                    v = vals[line["on"]]
                    raw = None if v is None else tiers(v, line["tiers"],
                                                       line.get("mode", "marginal"))
                elif "base" in line:
                    base = line["base_fn"](vals, e.attrs)
                    c = {str(k): num(x) for k, x in line.get("coefficient", {}).items()}
                    raw = None if base is None or o["grade"] is None else \
                        base * c.get(o["grade"], F(0))
                else:
                    raw = line["amount_fn"]({"values": vals, "attrs": e.attrs, **{
                        k: o[k] for k in ("total", "rank", "group_size", "grade")}})
                amounts[e.id] = line_amount(raw, line.get("min"), line.get("max"))
        for e in pop:
            out[e.id][f"l_{name}"] = amounts[e.id]
            out[e.id]["payout"] += amounts[e.id]
