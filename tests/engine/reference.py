"""A small reference evaluator of spec §1–§4, independent of the engine (no SQL, no kaohe).

Exact arithmetic with ``Fraction``. A scheme is a dict shaped like its YAML, except that every
indicator carries ``fn``: for a source indicator ``fn(rows) -> Fraction | None`` (the rows of
the entity in the period), for a derived one ``fn(values) -> Fraction | None`` (values by code);
a coefficient payout carries ``base_fn(values, attrs) -> Fraction | None``.

``evaluate`` returns {entity id: {column: value}} with the columns of the engine's result table:
total, rank, group_size, grade, vetoed, bottom, eliminate, payout, v_C, p_C, m_C.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction as F
from typing import Any

Row = Mapping[str, Any]
Value = F | None


# --- periods --------------------------------------------------------------------------------

def period_bounds(kind: str, start: date) -> tuple[date, date]:
    """[start, next start)."""
    if kind == "day":
        return start, start + timedelta(days=1)
    months = {"month": 1, "quarter": 3, "year": 12}[kind]
    index = start.year * 12 + start.month - 1 + months
    return start, date(index // 12, index % 12 + 1, 1)


def previous_start(kind: str, start: date, n: int) -> date:
    if kind == "day":
        return start - timedelta(days=n)
    months = {"month": 1, "quarter": 3, "year": 12}[kind] * n
    index = start.year * 12 + start.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


# --- org ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RefOrg:
    units: dict[str, dict[str, str]]  # id -> {name, kind, parent_id, ...}; '' = empty
    people: dict[str, dict[str, str]]  # id -> {name, ...}
    assignments: list[tuple[str, str, str, date, date | None]]  # person, unit, position, ...

    def on(self, person: str, day: date) -> tuple[str, str] | None:
        """(unit, position) of the matching assignment with the latest start."""
        best: tuple[date, str, str] | None = None
        for p, u, pos, start, end in self.assignments:
            if p == person and start <= day and (end is None or end >= day):
                if best is None or start >= best[0]:
                    best = (start, u, pos)
        return None if best is None else (best[1], best[2])

    def chain(self, unit: str) -> list[str]:
        out = []
        cur = unit
        while cur:
            out.append(cur)
            cur = self.units[cur]["parent_id"]
        return out


@dataclass(frozen=True)
class Entity:
    id: str
    unit: str  # a person's unit, a unit itself
    attrs: dict[str, str]


def entities(org: RefOrg, entity: str, day: date) -> list[Entity]:
    if entity == "unit":
        return [Entity(u, u, {**a, "parent": a["parent_id"]}) for u, a in org.units.items()]
    out = []
    for pid, attrs in org.people.items():
        on = org.on(pid, day)
        if on is not None:
            out.append(Entity(pid, on[0], {**attrs, "unit": on[0], "position": on[1]}))
    return out


def attribute(org: RefOrg, e: Entity, name: str) -> str:
    if name.startswith("ancestor:"):
        kind = name.split(":", 1)[1]
        return next((u for u in org.chain(e.unit) if org.units[u]["kind"] == kind), "")
    if name in e.attrs or e.unit == e.id:
        return e.attrs.get(name) or ""
    return org.units.get(e.unit, {}).get(name) or ""  # a person's own, then their unit's


# --- sources and rows -----------------------------------------------------------------------

@dataclass(frozen=True)
class SourceMeta:
    time: str
    person: str | None = None
    unit: str | None = None


def rows_of(org: RefOrg, scheme: Mapping[str, Any], src: SourceMeta, rows: Sequence[Row],
            e: Entity, start: date, end: date, last_day: date) -> list[Row]:
    """The rows of one source that belong to ``e`` and fall in [start, end) (spec §3)."""
    def in_period(r: Row) -> bool:
        t = r[src.time]
        if isinstance(t, datetime):
            return datetime.combine(start, datetime.min.time()) <= t < datetime.combine(
                end, datetime.min.time())
        return bool(start <= t < end)

    def belongs(r: Row) -> bool:
        if scheme["entity"] == "person":
            if src.person:
                return bool(r[src.person] == e.id)
            return bool(r[src.unit or ""] == e.unit)
        if src.unit and (r[src.unit] or not src.person):
            unit = r[src.unit]
        elif src.person and not r[src.person]:
            unit = None
        else:  # no unit column, or an empty unit: the person's unit (spec §13)
            on = org.on(r[src.person or ""], last_day)
            unit = on[0] if on else None
        return unit is not None and e.id in org.chain(unit)

    return [r for r in rows if in_period(r) and belongs(r)]


# --- scoring --------------------------------------------------------------------------------

def round2(x: F) -> F:
    """Half away from zero to 2 decimals."""
    sign = -1 if x < 0 else 1
    return sign * F(int(abs(x) * 100 + F(1, 2)), 100)


def num(x: Any) -> F:
    return F(str(x))


def clamp(x: F, lo: F, hi: F) -> F:
    return max(lo, min(x, hi))


def rule_points(rule: Mapping[str, Any], w: F, v: F, peer_values: list[F]) -> F:
    name = rule["rule"]
    if name == "linear":
        f, t = num(rule.get("floor", 0)), num(rule["target"])
        return w * clamp((v - f) / (t - f), F(0), num(rule.get("cap", 1)))
    if name == "steps":
        lower = rule.get("direction", "higher") == "lower"
        for threshold, fraction in rule["steps"]:
            if (v <= num(threshold)) if lower else (v >= num(threshold)):
                return w * num(fraction)
        return F(0)
    if name == "deduct":
        m = w if rule.get("max") is None else num(rule["max"])
        return max(w - min(m, num(rule.get("per", 1)) * v), F(0))
    lower = rule.get("direction", "higher") == "lower"
    if name == "percentile":
        n = len(peer_values)
        if n == 1:
            return w
        worse = sum(1 for x in peer_values if (x > v if lower else x < v))
        return w * F(worse, n - 1)  # r − 1 = number strictly worse
    if name == "vs_mean":
        cap = num(rule.get("cap", 1))
        m = sum(peer_values, F(0)) / len(peer_values)
        if lower:
            if v == 0:
                return w * cap
            return w if m == 0 else w * clamp(m / v, F(0), cap)
        return w if m == 0 else w * clamp(v / m, F(0), cap)
    raise AssertionError(name)


@dataclass
class Result:
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)


def evaluate(org: RefOrg, sources: Mapping[str, SourceMeta], facts: Mapping[str, Sequence[Row]],
             scheme: Mapping[str, Any], period: tuple[str, date],
             history: Sequence[Mapping[str, bool]] = ()) -> dict[str, dict[str, Any]]:
    """``history``: for the k − 1 previous periods, newest first, {entity: bottom} of the latest
    completed run ({} when there was no run)."""
    kind, pstart = period
    start, end = period_bounds(kind, pstart)
    last_day = end - timedelta(days=1)
    inds: list[dict[str, Any]] = scheme["indicators"]
    pop = [e for e in entities(org, scheme["entity"], last_day)
           if all(attribute(org, e, str(a)) in [str(x) for x in (v if isinstance(v, list)
                                                                   else [v])]
                  for a, v in (scheme.get("population") or {}).items())]
    peers = scheme.get("peers") or []
    group = {e.id: tuple(attribute(org, e, p) for p in peers) for e in pop}
    out: dict[str, dict[str, Any]] = {e.id: {} for e in pop}
    values: dict[str, dict[str, Value]] = {e.id: {} for e in pop}
    peer_stats = any("peer_fn" in ind for ind in inds)
    for e in pop if not peer_stats else ():  # windows, prev and dates (§7): reference_windows
        from reference_windows import entity_values

        values[e.id] = entity_values(org, sources, facts, scheme, kind, pstart, e, last_day)
    for e in pop if peer_stats else ():  # peer statistics (§15), one period's rows
        for ind in inds:
            if ind.get("source"):
                src = ind["source"]
                rows = rows_of(org, scheme, sources[src], facts.get(src, ()), e, start, end,
                               last_day)
                values[e.id][ind["code"]] = ind["fn"](rows)
    # derived codes in the order written (each after the codes it reads), one code for every
    # entity at a time: ``peer_fn(values, group_values, attrs)`` also sees the peer group's
    # values (spec §15; ``group_values(code)`` lists them, missing ones included)
    for ind in inds if peer_stats else ():
        if ind.get("source"):
            continue
        for e in pop:
            if "peer_fn" in ind:
                mates = [o for o in pop if group[o.id] == group[e.id]]

                def group_values(code: str, _m: list[Entity] = mates) -> list[Value]:
                    return [values[o.id][code] for o in _m]

                attrs = {a: attribute(org, e, a) for a in ind.get("attrs", ())}
                values[e.id][ind["code"]] = ind["peer_fn"](values[e.id], group_values, attrs)
            else:
                values[e.id][ind["code"]] = ind["fn"](values[e.id])

    scored = [i for i in inds if i.get("role", "scored") == "scored"]
    wsum = sum((num(i["weight"]) for i in scored), F(0))
    raw: dict[str, dict[str, Value]] = {e.id: {} for e in pop}
    for e in pop:
        vals = values[e.id]
        for ind in inds:
            code, role, v = ind["code"], ind.get("role", "scored"), vals[ind["code"]]
            if role in ("bonus", "penalty"):
                score = ind.get("score") or {}
                amount = F(0) if v is None else num(score.get("per", 1)) * v
                if v is not None and score.get("cap") is not None:
                    amount = min(num(score["cap"]), amount)
                raw[e.id][code] = -amount if role == "penalty" else amount
            elif role == "scored":
                w = num(ind["weight"])
                if v is None:
                    policy = ind.get("missing", "zero")
                    raw[e.id][code] = {"zero": F(0), "full": w, "exclude": None}[policy]
                else:
                    peer = [values[o.id][code] for o in pop if group[o.id] == group[e.id]]
                    raw[e.id][code] = rule_points(ind["score"], w, v,
                                                  [x for x in peer if x is not None])
        left = wsum - sum((num(i["weight"]) for i in scored if raw[e.id][i["code"]] is None),
                          F(0))
        factor = wsum / left if left != 0 else F(0)
        points: dict[str, Value] = {}
        for ind in inds:
            code, role = ind["code"], ind.get("role", "scored")
            if role == "scored":
                r = raw[e.id][code]
                points[code] = None if r is None else r * factor
            elif role in ("bonus", "penalty"):
                points[code] = raw[e.id][code]
            else:
                points[code] = None
        total = max(sum((p for p in points.values() if p is not None), F(0)), F(0))
        if scheme.get("caps") is not None:  # spec §16 (reference_consequences)
            from reference_consequences import scheme_capped_total

            total, bound = scheme_capped_total(scheme, inds, points)
            out[e.id].update({f"capped_{k}": k in bound for k in ("bonus", "penalty")})
        vetoed = any((vals[i["code"]] or 0) > 0 for i in inds if i.get("role") == "veto")
        o = out[e.id]
        o["vetoed"] = vetoed
        o["total"] = F(0) if vetoed else round2(total)
        for ind in inds:
            code = ind["code"]
            o[f"v_{code}"] = vals[code]
            o[f"m_{code}"] = vals[code] is None
            o[f"p_{code}"] = None if points[code] is None else round2(points[code])

    grades = scheme.get("grades") or []
    el = scheme.get("elimination")
    for e in pop:
        o = out[e.id]
        mates = [out[x.id]["total"] for x in pop if group[x.id] == group[e.id]]
        o["rank"] = 1 + sum(1 for t in mates if t > o["total"])
        o["group_size"] = len(mates)
        lower = sum(1 for t in mates if t < o["total"])
        o["bottom"] = bool(el) and lower < el["bottom"]
        o["eliminate"] = bool(el) and o["bottom"] and all(
            h.get(e.id, False) for h in history[: el["consecutive"] - 1]) and len(
            history) >= el["consecutive"] - 1
        if o["vetoed"] and grades:
            o["grade"] = grades[-1][1]
        else:
            o["grade"] = next((label for m, label, *_q in grades if o["total"] >= num(m)),
                              None)
    if any(len(g) > 2 for g in grades) or scheme.get("demote") or scheme.get("alerts"):
        from reference_consequences import grades_v2  # spec §9, §12, §16

        grades_v2(scheme, out, values, group)
    _payout(org, scheme, pop, out, values)
    return out


def _payout(org: RefOrg, scheme: Mapping[str, Any], pop: list[Entity],
            out: dict[str, dict[str, Any]], values: dict[str, dict[str, Value]]) -> None:
    pay = scheme.get("payout")
    if pay is None:
        for e in pop:
            out[e.id]["payout"] = None
        return
    if isinstance(pay, list):  # payout lines (spec §10)
        from reference_consequences import lines_payout

        lines_payout(org, scheme, pop, out, values)
        return
    if "pool" not in pay:
        coef = {str(k): num(v) for k, v in (pay.get("coefficient") or {}).items()}
        base_fn: Callable[[Mapping[str, Value], Mapping[str, str]], Value] = pay["base_fn"]
        for e in pop:
            base = base_fn(values[e.id], e.attrs)
            c = coef.get(out[e.id]["grade"] or "", F(0))
            out[e.id]["payout"] = F(0) if base is None else round2(base * c)
        return
    pool = num(pay["pool"]) * 100  # in fen
    within = pay.get("within") or []
    groups: dict[tuple[str, ...], list[Entity]] = {}
    for e in pop:
        groups.setdefault(tuple(attribute(org, e, w) for w in within), []).append(e)
    for members in groups.values():
        fen = {e.id: out[e.id]["total"] * 100 for e in members}
        s = sum(fen.values(), F(0))
        exact = {i: (pool / len(members) if s == 0 else pool * t / s) for i, t in fen.items()}
        floor = {i: F(int(x)) for i, x in exact.items()}
        left = int(pool - sum(floor.values(), F(0)))
        order = sorted(exact, key=lambda i: (-(exact[i] - floor[i]), i))
        for k, i in enumerate(order):
            out[i]["payout"] = (floor[i] + (1 if k < left else 0)) / 100
