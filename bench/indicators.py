"""The benchmark's indicators, each described once and rendered three ways: a kaohe formula for
the scheme, a FILTER aggregate for the hand-written SQL query (a), and a groupby for the pandas
script (b). One description keeps the three contenders computing the same 60 values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

POSITION = "营业员"  # the scheme's population
AMOUNT_SIGMA = 0.6  # lognormal spread of an amount around its business type's mean
AMOUNT_FACTOR = math.exp(AMOUNT_SIGMA ** 2 / 2)  # the mean of lognormal(0, sigma)


@dataclass(frozen=True)
class Biz:
    code: str
    label: str
    share: float  # of all transactions
    amount: float  # mean amount in yuan (0: a free service)
    seconds: float  # typical handling time


# ~20 business types, Zipf-like shares (normalised by the generator)
BIZ: tuple[Biz, ...] = (
    Biz("recharge", "充值缴费", 0.20, 100, 90),
    Biz("bill", "账单查询", 0.10, 0, 120),
    Biz("plan", "套餐变更", 0.09, 58, 300),
    Biz("data", "流量包", 0.08, 30, 150),
    Biz("realname", "实名登记", 0.06, 0, 360),
    Biz("sim", "补换卡", 0.06, 10, 420),
    Biz("newline", "开户", 0.05, 50, 600),
    Biz("broadband", "宽带办理", 0.05, 600, 900),
    Biz("terminal", "终端销售", 0.05, 2500, 700),
    Biz("renewal", "合约续约", 0.04, 300, 480),
    Biz("invoice", "发票打印", 0.04, 0, 60),
    Biz("suspend", "停复机", 0.03, 0, 180),
    Biz("family", "家庭网", 0.03, 40, 420),
    Biz("upgrade", "5G升级", 0.03, 80, 360),
    Biz("points", "积分兑换", 0.025, 0, 200),
    Biz("portin", "携号转网", 0.02, 100, 900),
    Biz("bbmove", "宽带移机", 0.02, 100, 600),
    Biz("roaming", "国际漫游", 0.015, 200, 300),
    Biz("transfer", "过户", 0.01, 20, 900),
    Biz("close", "销户", 0.01, 0, 600),
)
CHANNELS: tuple[tuple[str, str, float], ...] = (
    ("counter", "柜台", 0.55), ("kiosk", "自助机", 0.20), ("app", "手机营业厅", 0.15),
    ("visit", "上门", 0.05), ("phone", "电话", 0.05),
)
AMOUNT_BIZ = ("recharge", "plan", "data", "newline", "broadband", "terminal", "renewal",
              "family", "upgrade", "roaming")
FACT_COLUMNS = ("person_id", "unit_id", "at", "biz_type", "channel", "amount", "duration", "ok",
                "customer_id")


@dataclass(frozen=True)
class Cond:
    col: str
    op: str  # "=", "in", ">", "true", "false"
    value: Any = None


@dataclass(frozen=True)
class Agg:
    fn: str  # count | sum | avg | min | max | distinct
    col: str | None = None  # None: count(*)
    where: tuple[Cond, ...] = ()


@dataclass(frozen=True)
class Ind:
    code: str
    name: str
    num: Agg | None = None  # a source indicator's aggregate (the numerator of a ratio)
    den: Agg | None = None  # a ratio of two aggregates over the source: num / den
    of: tuple[str, str] | None = None  # a derived indicator: of[0] / of[1]
    role: str = "scored"
    score: dict[str, Any] | None = None
    missing: str = "zero"
    weight: float | None = field(default=None, compare=False)


def _biz(code: str) -> Biz:
    return next(b for b in BIZ if b.code == code)


def _is(col: str, value: Any) -> Cond:
    return Cond(col, "=", value)


def _linear(floor: float, target: float) -> dict[str, Any]:
    return {"rule": "linear", "floor": round(floor, 2), "target": round(target, 2)}


def _steps(pairs: list[list[float]], direction: str = "higher") -> dict[str, Any]:
    out: dict[str, Any] = {"rule": "steps", "steps": [[round(t, 4), f] for t, f in pairs]}
    if direction != "higher":
        out["direction"] = direction
    return out


PERCENTILE = {"rule": "percentile", "direction": "higher"}
VS_MEAN = {"rule": "vs_mean", "direction": "higher", "cap": 1.2}


def build(per_person: float, count: int = 60) -> list[Ind]:
    """The scheme's indicators; ``per_person`` (facts per active clerk) sets the targets."""
    m = per_person
    total_share = sum(b.share for b in BIZ)
    share = {b.code: b.share / total_share for b in BIZ}
    out: list[Ind] = [Ind("volume", "业务办理量", Agg("count"), score=_linear(0, 1.2 * m))]
    for i, b in enumerate(BIZ[:15]):
        e = m * share[b.code]
        rule = [_linear(0, 1.2 * e), PERCENTILE, VS_MEAN,
                _steps([[1.2 * e, 1.0], [0.8 * e, 0.7], [0.4 * e, 0.4]])][i % 4]
        out.append(Ind(f"n_{b.code}", f"{b.label}笔数",
                       Agg("count", where=(_is("biz_type", b.label),)), score=rule))
    out.append(Ind("development", "发展类业务量", Agg("count", where=(
        Cond("biz_type", "in", ("开户", "宽带办理", "携号转网")),)), score=PERCENTILE))
    out.append(Ind("counter_terminal", "柜台终端销售笔数", Agg("count", where=(
        _is("channel", "柜台"), _is("biz_type", "终端销售"))), role="info"))
    out.append(Ind("visit_portin", "上门携转笔数", Agg("count", where=(
        _is("biz_type", "携号转网"), _is("channel", "上门"))), role="bonus",
        score={"per": 1, "cap": 5}))
    for i, code in enumerate(AMOUNT_BIZ):
        b = _biz(code)
        e = m * share[code] * b.amount * AMOUNT_FACTOR
        out.append(Ind(f"amt_{code}", f"{b.label}金额",
                       Agg("sum", "amount", (_is("biz_type", b.label),)),
                       score=VS_MEAN if i % 2 == 0 else _linear(0, 1.2 * e)))
    mean_amount = sum(share[b.code] * b.amount for b in BIZ) * AMOUNT_FACTOR
    out.append(Ind("amount", "业务金额合计", Agg("sum", "amount"),
                   score=_linear(0, 1.2 * m * mean_amount)))
    for i, (code, label, _s) in enumerate(CHANNELS):
        out.append(Ind(f"dur_{code}", f"{label}平均办理时长", Agg(
            "avg", "duration", (_is("channel", label),)),
            score=_steps([[240, 1.0], [360, 0.8], [600, 0.5]], "lower"),
            missing=("full", "exclude", "zero", "full", "exclude")[i]))
    out += [
        Ind("avg_duration", "平均办理时长", Agg("avg", "duration"), role="info"),
        Ind("avg_ticket", "笔均金额", Agg("avg", "amount", (Cond("amount", ">", 0),)),
            role="info"),
        Ind("customers", "服务客户数", Agg("distinct", "customer_id"), score=PERCENTILE),
        Ind("new_customers", "开户客户数", Agg("distinct", "customer_id",
                                             (_is("biz_type", "开户"),)), role="info"),
        Ind("ok_rate", "办理成功率", Agg("count", where=(Cond("ok", "true"),)), Agg("count"),
            score=_steps([[0.99, 1.0], [0.97, 0.8], [0.95, 0.5]]), missing="full"),
        Ind("kiosk_share", "自助渠道占比", Agg("count", where=(_is("channel", "自助机"),)),
            Agg("count"), score=_linear(0.1, 0.3)),
        Ind("terminal_share", "终端金额占比",
            Agg("sum", "amount", (_is("biz_type", "终端销售"),)), Agg("sum", "amount"),
            role="info"),
        Ind("slow_share", "超时办理占比", Agg("count", where=(Cond("duration", ">", 900),)),
            Agg("count"), score=_linear(0.3, 0.05), missing="full"),
        Ind("bb_fail_rate", "宽带办理失败率", Agg("count", where=(
            Cond("ok", "false"), _is("biz_type", "宽带办理"))),
            Agg("count", where=(_is("biz_type", "宽带办理"),)),
            score=_steps([[0.0, 1.0], [0.05, 0.6], [0.1, 0.3]], "lower"), missing="exclude"),
        Ind("max_amount", "单笔最高金额", Agg("max", "amount"), role="info"),
        Ind("min_ok_duration", "最短成功办理时长", Agg("min", "duration", (Cond("ok", "true"),)),
            role="info"),
    ]
    for i, (code, label, _s) in enumerate(CHANNELS):
        out.append(Ind(f"time_{code}", f"{label}办理总时长",
                       Agg("sum", "duration", (_is("channel", label),)),
                       role="scored" if i < 2 else "info", score=VS_MEAN if i < 2 else None))
    out += [
        Ind("units_served", "服务网点数", Agg("distinct", "unit_id"), role="info"),
        Ind("failures", "办理失败笔数", Agg("count", where=(Cond("ok", "false"),)),
            score={"rule": "deduct", "per": 0.5}),
        Ind("close_failures", "销户失败笔数", Agg("count", where=(
            Cond("ok", "false"), _is("biz_type", "销户"))), role="penalty",
            score={"per": 2, "cap": 10}),
        Ind("big_amount", "超大额交易", Agg("count", where=(Cond("amount", ">", 20000),)),
            role="veto"),
        Ind("terminal_avg", "终端笔均金额", of=("amt_terminal", "n_terminal"), score=VS_MEAN,
            missing="exclude"),
        Ind("broadband_avg", "宽带笔均金额", of=("amt_broadband", "n_broadband"), role="info"),
        Ind("recharge_avg", "充值笔均金额", of=("amt_recharge", "n_recharge"), role="info"),
        Ind("dev_share", "发展类占比", of=("development", "volume"), score=_linear(0.05, 0.15)),
        Ind("fail_share", "失败占比", of=("failures", "volume"),
            score={"rule": "percentile", "direction": "lower"}),
    ]
    # more than 60: business type × channel counts
    extra = [(b, ch) for ch in CHANNELS for b in BIZ]
    for b, (ccode, clabel, _s) in extra[:max(0, count - len(out))]:
        out.append(Ind(f"n_{b.code}_{ccode}", f"{clabel}{b.label}笔数", Agg("count", where=(
            _is("biz_type", b.label), _is("channel", clabel))), role="info"))
    chosen = out[:count]
    codes = {i.code for i in chosen}
    chosen = [i for i in chosen if i.of is None or set(i.of) <= codes]
    scored = [i for i in chosen if i.role == "scored"]
    w = round(100 / len(scored), 4) if scored else None
    return [Ind(i.code, i.name, i.num, i.den, i.of, i.role, i.score, i.missing,
                w if i.role == "scored" else None) for i in chosen]


# --- rendering -------------------------------------------------------------------------------

def _lit(v: Any) -> str:
    return f"'{v}'" if isinstance(v, str) else repr(v)


def cond_text(c: Cond) -> str:
    if c.op == "true":
        return c.col
    if c.op == "false":
        return f"not {c.col}"
    if c.op == "in":
        return f"{c.col} in ({', '.join(_lit(v) for v in c.value)})"
    return f"{c.col} {c.op} {_lit(c.value)}"


def agg_text(a: Agg) -> str:
    if a.fn == "count":
        inner = f"count({a.col or '*'})"
    elif a.fn == "distinct":
        inner = f"count(distinct {a.col})"
    else:
        inner = f"{a.fn}({a.col})"
    if a.where:
        inner += " filter (where " + " and ".join(cond_text(c) for c in a.where) + ")"
    return inner


def formula(ind: Ind) -> str:
    """The kaohe formula (spec §3)."""
    if ind.of is not None:
        return f"{ind.of[0]} / {ind.of[1]}"
    assert ind.num is not None
    if ind.den is not None:
        return f"{agg_text(ind.num)} / {agg_text(ind.den)}"
    return agg_text(ind.num)


def zero_when_empty(a: Agg) -> bool:
    """count and sum over no rows are 0 (spec §3); the others are missing."""
    return a.fn in ("count", "sum", "distinct")


def case_text(a: Agg) -> str:
    """The same aggregate without FILTER: the condition moved into a CASE inside it
    (count(*) filter (where c) → sum(CASE WHEN c THEN 1 ELSE 0 END)); same result."""
    if not a.where:
        return agg_text(a)
    c = " and ".join(cond_text(x) for x in a.where)
    if a.fn == "count" and a.col is None:
        return f"sum(CASE WHEN {c} THEN 1 ELSE 0 END)"
    inner = f"CASE WHEN {c} THEN {a.col} END"
    if a.fn == "distinct":
        return f"count(DISTINCT {inner})"
    return f"{a.fn}({inner})"


def hand_sql(inds: list[Ind], fact_table: str, start: str, end: str, assignments_csv: str,
             last_day: str, style: str = "filter", split_distinct: bool = False) -> str:
    """Query (a): what a person would write by hand — one FILTER aggregate per indicator in a
    GROUP BY over the facts, joined to the population; derived ratios on top.

    Variants, to see what the engine could do better than (a): ``style="case"`` writes each
    filter as a CASE inside the aggregate; ``split_distinct`` computes each count(distinct …)
    in a GROUP BY of its own (its filter in WHERE) joined to the rest."""

    def upper(a: Agg) -> str:
        if style == "case":
            return case_text(a)
        return agg_text(a).replace(" filter (where ", " FILTER (WHERE ")

    def z(a: Agg) -> str:
        return f"COALESCE({upper(a)}, 0)" if zero_when_empty(a) else upper(a)

    period = f'"at" >= TIMESTAMP \'{start}\' AND "at" < TIMESTAMP \'{end}\''
    aggs: list[str] = []
    outer: list[str] = []
    derived: list[str] = []
    apart: list[tuple[str, str]] = []  # (code, its own query)
    for i in inds:
        if i.of is not None:
            derived.append(f"CAST({i.of[0]} AS DOUBLE) / NULLIF({i.of[1]}, 0) AS {i.code}")
            continue
        assert i.num is not None
        if i.den is not None:
            aggs.append(f"CAST({z(i.num)} AS DOUBLE) / NULLIF({z(i.den)}, 0) AS {i.code}")
            outer.append(f"a.{i.code}")
        elif split_distinct and i.num.fn == "distinct":
            where = "".join(f" AND {cond_text(c)}" for c in i.num.where)
            apart.append((i.code, (f"SELECT person_id, count(DISTINCT {i.num.col}) AS {i.code} "
                                   f"FROM {fact_table} WHERE {period}{where} "
                                   "GROUP BY person_id")))
            outer.append(f"CAST(COALESCE({i.code}.{i.code}, 0) AS DOUBLE) AS {i.code}")
        else:
            aggs.append(f"{upper(i.num)} AS {i.code}")
            v = f"COALESCE(a.{i.code}, 0)" if zero_when_empty(i.num) else f"a.{i.code}"
            outer.append(f"CAST({v} AS DOUBLE) AS {i.code}")
    sep = ",\n        "
    own = "".join(f"{code} AS ({q}),\n" for code, q in apart)
    joins = "".join(f"\n        LEFT JOIN {code} ON {code}.person_id = p.person_id"
                    for code, _q in apart)
    more = ("," + "\n    " + ",\n    ".join(derived)) if derived else ""
    return f"""WITH pop AS (
    SELECT person_id FROM (
        SELECT person_id, position,
               row_number() OVER (PARTITION BY person_id ORDER BY "start" DESC) AS n
        FROM read_csv('{assignments_csv}', all_varchar = true)
        WHERE CAST("start" AS DATE) <= DATE '{last_day}'
          AND ("end" IS NULL OR CAST("end" AS DATE) >= DATE '{last_day}'))
    WHERE n = 1 AND position = '{POSITION}'),
{own}agg AS (
    SELECT person_id,
        {sep.join(aggs)}
    FROM {fact_table}
    WHERE {period}
    GROUP BY person_id),
vals AS (
    SELECT p.person_id,
        {sep.join(outer)}
    FROM pop p LEFT JOIN agg a ON a.person_id = p.person_id{joins})
SELECT *{more}
FROM vals"""


# --- (c): the best hand-written plan ---------------------------------------------------------

KEYS = ("biz_type", "channel", "ok")  # low-cardinality columns every filter but three tests


def two_stage_sql(inds: list[Ind], fact_table: str, start: str, end: str, assignments_csv: str,
                  last_day: str) -> str:
    """Query (c): the best plan written by hand. Stage 1 reads the facts once and groups them
    by clerk and the columns the filters test (business type, channel, ok: at most 200 groups
    a clerk), keeping only the partial aggregates the indicators need (count, sum and count of
    a column, min, max; a filter on a measured column, such as amount > 0, becomes a partial
    of its own). Stage 2 pivots these few rows per clerk with FILTERs. Each count(distinct) is
    a GROUP BY of its own. Same values as (a)."""
    period = f'"at" >= TIMESTAMP \'{start}\' AND "at" < TIMESTAMP \'{end}\''
    partials: dict[tuple[str, str | None, tuple[Cond, ...]], str] = {}

    def partial(fn: str, col: str | None, rowconds: tuple[Cond, ...]) -> str:
        key = (fn, col, rowconds)
        if key not in partials:
            partials[key] = f"x{len(partials)}"
        return partials[key]

    def combine(a: Agg) -> str:
        keyconds = tuple(c for c in a.where if c.col in KEYS)
        rowconds = tuple(c for c in a.where if c.col not in KEYS)
        filt = (" FILTER (WHERE " + " AND ".join(cond_text(c) for c in keyconds) + ")"
                if keyconds else "")
        if a.fn == "count":
            return f"sum({partial('count', a.col, rowconds)}){filt}"
        if a.fn == "sum":
            return f"sum({partial('sum', a.col, rowconds)}){filt}"
        if a.fn in ("min", "max"):
            return f"{a.fn}({partial(a.fn, a.col, rowconds)}){filt}"
        if a.fn == "avg":
            s, n = partial("sum", a.col, rowconds), partial("count", a.col, rowconds)
            return f"CAST(sum({s}){filt} AS DOUBLE) / NULLIF(sum({n}){filt}, 0)"
        raise ValueError(a.fn)

    def z(a: Agg) -> str:
        return f"COALESCE({combine(a)}, 0)" if zero_when_empty(a) else combine(a)

    stage2: list[str] = []
    outer: list[str] = []
    derived: list[str] = []
    apart: list[tuple[str, str]] = []
    for i in inds:
        if i.of is not None:
            derived.append(f"CAST({i.of[0]} AS DOUBLE) / NULLIF({i.of[1]}, 0) AS {i.code}")
            continue
        assert i.num is not None
        if i.den is not None:
            stage2.append(f"CAST({z(i.num)} AS DOUBLE) / NULLIF({z(i.den)}, 0) AS {i.code}")
            outer.append(f"a.{i.code}")
        elif i.num.fn == "distinct":
            where = "".join(f" AND {cond_text(c)}" for c in i.num.where)
            apart.append((i.code, (f"SELECT person_id, count(DISTINCT {i.num.col}) AS {i.code} "
                                   f"FROM {fact_table} WHERE {period}{where} "
                                   "GROUP BY person_id")))
            outer.append(f"CAST(COALESCE({i.code}.{i.code}, 0) AS DOUBLE) AS {i.code}")
        else:
            stage2.append(f"{combine(i.num)} AS {i.code}")
            v = f"COALESCE(a.{i.code}, 0)" if zero_when_empty(i.num) else f"a.{i.code}"
            outer.append(f"CAST({v} AS DOUBLE) AS {i.code}")
    stage1: list[str] = []
    for (fn, col, rowconds), name in partials.items():
        inner = f"{fn}({col or '*'})"
        if rowconds:
            inner += " FILTER (WHERE " + " AND ".join(cond_text(c) for c in rowconds) + ")"
        stage1.append(f"{inner} AS {name}")
    sep = ",\n        "
    own = "".join(f"{code} AS ({q}),\n" for code, q in apart)
    joins = "".join(f"\n        LEFT JOIN {code} ON {code}.person_id = p.person_id"
                    for code, _q in apart)
    more = ("," + "\n    " + ",\n    ".join(derived)) if derived else ""
    keys = ", ".join(KEYS)
    return f"""WITH pop AS (
    SELECT person_id FROM (
        SELECT person_id, position,
               row_number() OVER (PARTITION BY person_id ORDER BY "start" DESC) AS n
        FROM read_csv('{assignments_csv}', all_varchar = true)
        WHERE CAST("start" AS DATE) <= DATE '{last_day}'
          AND ("end" IS NULL OR CAST("end" AS DATE) >= DATE '{last_day}'))
    WHERE n = 1 AND position = '{POSITION}'),
{own}s1 AS (
    SELECT person_id, {keys},
        {sep.join(stage1)}
    FROM {fact_table}
    WHERE {period}
    GROUP BY person_id, {keys}),
agg AS (
    SELECT person_id,
        {sep.join(stage2)}
    FROM s1
    GROUP BY person_id),
vals AS (
    SELECT p.person_id,
        {sep.join(outer)}
    FROM pop p LEFT JOIN agg a ON a.person_id = p.person_id{joins})
SELECT *{more}
FROM vals"""
