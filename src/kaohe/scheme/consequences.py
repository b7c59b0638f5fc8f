"""YAML → the consequence parts of a scheme: grades with quotas (spec §9), payout lines (§10),
alerts (§12), elimination with ``below``, ``demote`` and ``caps`` (§16).

Each function takes the loader's checker (``err(path, message)``, ``number(v, path)``) and
reports every problem with the path to the bad key; nothing here raises.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from kaohe.scheme.model import (
    TIER_MODES, Caps, Demotion, Elimination, Payout, PayoutLine,
)

DEFAULT_LINE = "兑现"  # the single-dict form is one line of this name (spec §10)
LINE_KEYS = {"name", "base", "coefficient", "amount", "on", "tiers", "mode", "pool", "within",
             "min", "max"}
MAX_NAME = 40
RESERVED = ("total", "rank", "group_size", "grade")  # names payout amounts read (spec §10)


class Checker(Protocol):
    def err(self, path: str, message: str) -> None: ...

    def number(self, v: Any, path: str, *, positive: bool = False) -> float | None: ...

    def keys(self, data: dict[str, Any], allowed: set[str], path: str) -> None: ...


def _decimal(c: Checker, v: Any, path: str) -> Decimal | None:
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        c.err(path, f"应为数字 expected a number, got {v!r}")
        return None
    try:
        d = Decimal(str(v).strip())
    except InvalidOperation:
        c.err(path, f"应为数字 expected a number, got {v!r}")
        return None
    if not d.is_finite() or abs(d) > Decimal("1e15"):
        c.err(path, f"数字无效或过大 invalid or too large number {v!r}")
        return None
    return d


# ---- grades and quotas (§9) ------------------------------------------------------------------

def _quota(c: Checker, raw: Any, path: str) -> Decimal | None:
    """``20%``, ``12.5%`` or the number 20: a percentage in [0, 100]."""
    text = str(raw).strip() if not isinstance(raw, bool) else ""
    if text.endswith("%"):
        text = text[:-1].strip()
    try:
        q = Decimal(text) if isinstance(raw, (int, float, str)) and text else None
    except InvalidOperation:
        q = None
    if q is None or not q.is_finite() or q < 0 or q > 100:
        c.err(path, f"配额应为 0–100 的百分比 a quota is a percentage 0–100 such as 20% or "
                    f"12.5%, got {raw!r}")
        return None
    return q


def grades(c: Checker, raw: Any) -> tuple[list[tuple[float, str]], list[Decimal | None]]:
    """``[[min, label], [min, label, quota], …]`` → grades and quotas (quotas [] when no
    grade has one)."""
    out: list[tuple[float, str]] = []
    quotas: list[Decimal | None] = []
    if raw is None:
        return out, []
    if not isinstance(raw, list):
        c.err("grades", "应为 [[最低分, 等级], …] expected [[min, label], …]")
        return out, []
    for i, pair in enumerate(raw):
        if not isinstance(pair, list) or len(pair) not in (2, 3):
            c.err(f"grades[{i}]", f"应为 [最低分, 等级] 或 [最低分, 等级, 配额] expected "
                                  f"[min, label] or [min, label, quota], got {pair!r}")
            continue
        m = c.number(pair[0], f"grades[{i}][0]")
        q = _quota(c, pair[2], f"grades[{i}][2]") if len(pair) == 3 else None
        if m is not None:
            out.append((m, str(pair[1])))
            quotas.append(q)
    labels = [label for _, label in out]
    for dup in sorted({x for x in labels if labels.count(x) > 1}):
        if any(q is not None for q in quotas):
            c.err("grades", f"等级名称重复 duplicate grade label {dup!r} (with quotas each "
                            "label must be distinct)")
    if not any(q is not None for q in quotas):
        return out, []
    if len(raw) == len(out) and quotas and quotas[-1] is not None:
        c.err(f"grades[{len(out) - 1}][2]", "最后一个等级不能有配额 the last grade may not have "
                                            "a quota (everyone who fits no quota lands there)")
    return out, quotas


# ---- elimination (§4, §16) -------------------------------------------------------------------

def elimination(c: Checker, el: Any) -> Elimination | None:
    if el is None:
        return None
    if not isinstance(el, dict):
        c.err("elimination", "应为 {bottom: n, below: T, consecutive: k}")
        return None
    c.keys(el, {"bottom", "consecutive", "below"}, "elimination.")
    below = None
    if el.get("below") is not None:
        below = c.number(el["below"], "elimination.below")
        if below is None:
            return None
    b = el.get("bottom", 1 if below is None else None)
    k = el.get("consecutive", 1)
    if (b is not None and (not isinstance(b, int) or isinstance(b, bool) or b < 1)) \
            or not isinstance(k, int) or isinstance(k, bool) or k < 1:
        c.err("elimination", "bottom 与 consecutive 应为正整数 must be integers >= 1")
        return None
    return Elimination(b, k, below)


# ---- demote and caps (§16) -------------------------------------------------------------------

def demote(c: Checker, raw: Any, codes: list[str], has_grades: bool) -> list[Demotion]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        c.err("demote", "应为 [{when: 指标代码, steps: 1}, …] expected a list of {when, steps}")
        return []
    if not has_grades and raw:
        c.err("demote", "降级需要等级 demote needs grades")
    out: list[Demotion] = []
    for i, item in enumerate(raw):
        path = f"demote[{i}]"
        if not isinstance(item, dict):
            c.err(path, "应为 {when: 指标代码, steps: 1} expected {when: CODE, steps: n}")
            continue
        c.keys(item, {"when", "steps"}, path + ".")
        when = item.get("when")
        if when not in codes:
            c.err(path + ".when", f"未知指标 unknown indicator {when!r}; codes: "
                                  + ", ".join(codes))
            continue
        steps = item.get("steps", 1)
        if not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= 100:
            c.err(path + ".steps", f"应为 1–100 的整数 expected an integer 1–100, got {steps!r}")
            continue
        out.append(Demotion(str(when), steps))
    return out


def caps(c: Checker, raw: Any) -> Caps | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        c.err("caps", "应为 {bonus: B, penalty: P} expected {bonus: B, penalty: P}")
        return None
    c.keys(raw, {"bonus", "penalty"}, "caps.")
    found: dict[str, Decimal | None] = {}
    for key in ("bonus", "penalty"):
        found[key] = None
        if raw.get(key) is not None:
            d = _decimal(c, raw[key], f"caps.{key}")
            if d is not None and d < 0:
                c.err(f"caps.{key}", f"应为非负数 must be >= 0, got {raw[key]!r}")
                d = None
            found[key] = d
    return Caps(found["bonus"], found["penalty"])


# ---- alerts (§12) ----------------------------------------------------------------------------

def alerts(c: Checker, raw: Any, labels: list[str]) -> list[str]:
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list):
        c.err("alerts", "应为等级名称列表 expected a list of grade labels")
        return []
    out: list[str] = []
    for i, label in enumerate(items):
        if str(label) not in labels:
            c.err(f"alerts[{i}]", f"不是等级 {label!r} is not a grade; grades: "
                                  + (", ".join(labels) or "（无 none）"))
        elif str(label) in out:
            c.err(f"alerts[{i}]", f"预警等级重复 {label!r} is listed twice")
        else:
            out.append(str(label))
    return out


# ---- payout (§4, §10) ------------------------------------------------------------------------

def payout(c: Checker, raw: Any, labels: list[str], codes: list[str]) -> Payout | None:
    """The single-dict form (one line named 兑现; base and pool as in §4) or a list of lines."""
    if raw is None:
        return None
    if isinstance(raw, dict):
        c.keys(raw, {"base", "coefficient", "pool", "within"}, "payout.")
        line = _line(c, {**raw, "name": DEFAULT_LINE}, "payout", labels, codes, single=True)
        if line is None:
            return None
        return Payout(base=line.base, coefficient=line.coefficient, pool=line.pool,
                      within=line.within, lines=(line,))
    if not isinstance(raw, list) or not raw:
        c.err("payout", "应为 {base, coefficient}、{pool, within} 或兑现项列表 expected "
                        "{base, coefficient}, {pool, within} or a list of named lines")
        return None
    lines: list[PayoutLine] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            c.err(f"payout[{i}]", "应为映射 expected a mapping {name: …, amount: …}")
            continue
        line = _line(c, item, f"payout[{i}]", labels, codes, single=False)
        if line is not None:
            lines.append(line)
    names = [str(item.get("name")).strip() for item in raw
             if isinstance(item, dict) and item.get("name") is not None]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        c.err("payout", f"兑现项名称重复 duplicate line name {dup!r}")
    if any(line.kind == "amount" for line in lines):
        for code in codes:
            if code in RESERVED:
                c.err("indicators", f"指标代码 {code!r} 与兑现公式的名称冲突 an indicator code "
                      f"may not be {', '.join(RESERVED)} when payout amounts read them")
    return Payout(lines=tuple(lines))


def _line_name(c: Checker, raw: Any, path: str) -> str | None:
    name = raw.strip() if isinstance(raw, str) else None
    if not name or len(name) > MAX_NAME or any(ch in name for ch in "\"'`\\\n\r\t") \
            or name.isdigit():
        c.err(path + ".name", f"兑现项需要名称 a line needs a name (1–{MAX_NAME} characters, no "
                              f"quotes), got {raw!r}")
        return None
    return name


def _line(c: Checker, raw: dict[str, Any], path: str, labels: list[str], codes: list[str],
          single: bool) -> PayoutLine | None:
    # YAML 1.1 reads an unquoted key `on` as the boolean true
    raw = {("on" if k is True and "on" not in raw else k): v for k, v in raw.items()}
    if not single:
        c.keys(raw, LINE_KEYS, path + ".")
    name = _line_name(c, raw.get("name"), path)
    if name is None:
        return None
    if not single:
        path = f"{path} ({name})"
    kinds = [k for k in ("base", "amount", "on", "pool") if k in raw]
    if len(kinds) != 1:
        c.err(path, "兑现项需要 base、amount、on (tiers) 或 pool 之一 a line needs exactly one of "
                    f"base (+coefficient), amount, on (+tiers), pool; got {kinds or 'none'}")
        return None
    lo = _decimal(c, raw["min"], path + ".min") if raw.get("min") is not None else None
    hi = _decimal(c, raw["max"], path + ".max") if raw.get("max") is not None else None
    if lo is not None and hi is not None and lo > hi:
        c.err(path, f"min {lo} 大于 max {hi} min is greater than max")
    kind = kinds[0]
    if kind == "pool":
        if "min" in raw or "max" in raw:
            c.err(path, "资金池不能设 min/max a pool line cannot have min or max (a pool adds "
                        "up exactly)")
        pool = _decimal(c, raw["pool"], path + ".pool")
        if pool is None:
            return None
        if pool < 0 or pool != pool.quantize(Decimal("0.01")):
            c.err(path + ".pool", "金额应为非负且精确到分 must be >= 0 with at most 2 decimals")
        within = raw.get("within") or []
        within = [within] if isinstance(within, str) else within
        if not isinstance(within, list):
            c.err(path + ".within", "应为属性列表 expected a list of attributes")
            within = []
        return PayoutLine(name=name, kind="pool", pool=pool,
                          within=tuple(str(w) for w in within))
    if "within" in raw:
        c.err(path + ".within", "within 只用于资金池 within is for pool lines only")
    if kind == "base":
        return PayoutLine(name=name, kind="coefficient", base=str(raw["base"]),
                          coefficient=_coefficients(c, raw, path, labels), min=lo, max=hi)
    if "coefficient" in raw:
        c.err(path + ".coefficient", "coefficient 需要 base needs base")
    if kind == "amount":
        amount = raw["amount"]
        if isinstance(amount, bool) or not isinstance(amount, (str, int, float)) \
                or not str(amount).strip():
            c.err(path + ".amount", "应为公式 expected a formula")
            return None
        return PayoutLine(name=name, kind="amount", amount=str(amount), min=lo, max=hi)
    on = raw.get("on")
    if on not in codes:
        c.err(path + ".on", f"未知指标 unknown indicator {on!r}; codes: " + ", ".join(codes))
        return None
    mode = raw.get("mode", "marginal")
    if mode not in TIER_MODES:
        c.err(path + ".mode", f"应为 marginal 或 whole, got {mode!r}")
        return None
    tiers = _tiers(c, raw.get("tiers"), path + ".tiers")
    if tiers is None:
        return None
    return PayoutLine(name=name, kind="tiers", on=str(on), tiers=tiers, mode=str(mode),
                      min=lo, max=hi)


def _coefficients(c: Checker, raw: dict[str, Any], path: str,
                  labels: list[str]) -> tuple[tuple[str, float], ...]:
    coef = raw.get("coefficient") or {}
    if not isinstance(coef, dict):
        c.err(path + ".coefficient", "应为 {等级: 系数} expected {grade: coefficient}")
        coef = {}
    pairs: list[tuple[str, float]] = []
    for label, v in coef.items():
        if str(label) not in labels:
            c.err(f"{path}.coefficient.{label}", f"不是等级 not a grade; grades: {labels}")
        n = c.number(v, f"{path}.coefficient.{label}")
        if n is not None:
            pairs.append((str(label), n))
    return tuple(pairs)


def _tiers(c: Checker, raw: Any, path: str) -> tuple[tuple[Decimal, Decimal], ...] | None:
    if not isinstance(raw, list) or not raw:
        c.err(path, "应为 [[起点, 单价], …] expected [[from, rate], …]")
        return None
    out: list[tuple[Decimal, Decimal]] = []
    for i, pair in enumerate(raw):
        if not isinstance(pair, list) or len(pair) != 2:
            c.err(f"{path}[{i}]", f"应为 [起点, 单价] expected [from, rate], got {pair!r}")
            return None
        start = _decimal(c, pair[0], f"{path}[{i}][0]")
        rate = _decimal(c, pair[1], f"{path}[{i}][1]")
        if start is None or rate is None:
            return None
        if out and start <= out[-1][0]:
            c.err(f"{path}[{i}][0]", f"起点应递增 tiers must be written in increasing from: "
                                     f"{start} after {out[-1][0]}")
            return None
        out.append((start, rate))
    return tuple(out)
