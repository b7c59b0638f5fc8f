"""YAML → Scheme, checking every key; each problem carries the path to the bad key."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from kaohe.errors import InputError, Problems, SchemeError
from kaohe.scheme import consequences
from kaohe.periods import KINDS
from kaohe.scheme.windows import indicator_window
from kaohe.scheme.model import (
    DIRECTIONS, MISSING, RULES, ROLES, Deduct, Indicator, Linear,
    Percentile, PerItem, Scheme, ScoreRule, Steps, VsMean,
)
from kaohe.scheme.formats import parse_format
from kaohe.scheme.entity import parse_entity, parse_match, parse_via
from kaohe.yamlio import parse_yaml

CODE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
# Documented aliases keep older workspaces working when a key is renamed (spec: syntax may grow).
KEY_ALIASES = {"title": "name", "kind": "entity", "filter": "population", "peer_group": "peers"}
_TOP = {"name", "entity", "period", "population", "peers", "indicators", "grades",
        "elimination", "payout", "description", "alerts", "demote", "caps"}
_IND = {"code", "name", "source", "value", "weight", "role", "missing", "score", "description",
        "match", "via", "window", "offset", "format"}


class _Checker:
    def __init__(self, scheme: str) -> None:
        self.scheme = scheme
        self.problems: list[InputError] = []

    def err(self, path: str, message: str) -> None:
        self.problems.append(SchemeError(self.scheme, path, message))

    def number(self, v: Any, path: str, *, positive: bool = False) -> float | None:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.err(path, f"应为数字 expected a number, got {v!r}")
            return None
        if positive and v <= 0:
            self.err(path, f"应为正数 must be > 0, got {v!r}")
            return None
        return float(v)

    def keys(self, data: dict[str, Any], allowed: set[str], path: str) -> None:
        for k in data:
            if k not in allowed:
                self.err(f"{path}{k}" if path else str(k),
                         f"未知键 unknown key; allowed: {', '.join(sorted(allowed))}")


def _alias(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for old, new in KEY_ALIASES.items():
        if old in out and new not in out:
            out[new] = out.pop(old)
    return out


def _rule(c: _Checker, ind: dict[str, Any], path: str, role: str) -> ScoreRule | PerItem | None:
    spec = ind.get("score")
    if role in ("info", "veto"):
        return None
    if role in ("bonus", "penalty"):
        spec = spec or {}
        if not isinstance(spec, dict):
            c.err(path, "应为映射 expected {per: P, cap: C}")
            return None
        c.keys(spec, {"per", "cap"}, path + ".")
        per = c.number(spec.get("per", 1), path + ".per")
        cap = c.number(spec["cap"], path + ".cap") if spec.get("cap") is not None else None
        return PerItem(per if per is not None else 1.0, cap)
    if not isinstance(spec, dict) or "rule" not in spec:
        c.err(path, f"计分指标需要计分规则 a scored indicator needs score: {{rule: ...}}; "
                    f"rules: {', '.join(RULES)}")
        return None
    rule = spec["rule"]
    direction = spec.get("direction", "higher")
    if direction not in DIRECTIONS:
        c.err(path + ".direction", f"应为 higher 或 lower, got {direction!r}")
    if rule == "linear":
        c.keys(spec, {"rule", "floor", "target", "cap"}, path + ".")
        f = c.number(spec.get("floor", 0), path + ".floor")
        t = c.number(spec.get("target"), path + ".target")
        cap = c.number(spec.get("cap", 1), path + ".cap")
        if f is None or t is None or cap is None:
            return None
        if f == t:
            c.err(path, "floor 与 target 不能相等 floor and target must differ")
            return None
        return Linear(f, t, cap)
    if rule == "steps":
        c.keys(spec, {"rule", "steps", "direction"}, path + ".")
        raw = spec.get("steps")
        if not isinstance(raw, list) or not raw:
            c.err(path + ".steps", "应为 [[阈值, 比例], ...] expected [[threshold, fraction], ...]")
            return None
        steps: list[tuple[float, float]] = []
        for i, pair in enumerate(raw):
            if not isinstance(pair, list) or len(pair) != 2:
                c.err(f"{path}.steps[{i}]", f"应为 [阈值, 比例] expected a pair, got {pair!r}")
                continue
            t = c.number(pair[0], f"{path}.steps[{i}][0]")
            fr = c.number(pair[1], f"{path}.steps[{i}][1]")
            if t is not None and fr is not None:
                steps.append((t, fr))
        return Steps(tuple(steps), direction)
    if rule == "deduct":
        c.keys(spec, {"rule", "per", "max"}, path + ".")
        per = c.number(spec.get("per", 1), path + ".per")
        mx = c.number(spec["max"], path + ".max") if spec.get("max") is not None else None
        return Deduct(per if per is not None else 1.0, mx)
    if rule == "percentile":
        c.keys(spec, {"rule", "direction"}, path + ".")
        return Percentile(direction)
    if rule == "vs_mean":
        c.keys(spec, {"rule", "direction", "cap"}, path + ".")
        cap = c.number(spec.get("cap", 1), path + ".cap")
        return VsMean(direction, cap if cap is not None else 1.0)
    c.err(path + ".rule", f"未知规则 unknown rule {rule!r}; rules: {', '.join(RULES)}")
    return None


def _indicator(c: _Checker, raw: Any, i: int, entity: str = "person") -> Indicator | None:
    path = f"indicators[{i}]"
    if not isinstance(raw, dict):
        c.err(path, "应为映射 expected a mapping with code, name, value ...")
        return None
    c.keys(raw, _IND, path + ".")
    code = raw.get("code")
    if not isinstance(code, str) or not CODE.match(code):
        c.err(path + ".code", f"代码须为标识符 code must be letters, digits, _ , got {code!r}")
        return None
    path = f"indicators[{i}] ({code})"
    value = raw.get("value")
    if not isinstance(value, str) or not value.strip():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        else:
            c.err(path + ".value", "公式必填 value formula is required")
            return None
    role = raw.get("role", "scored")
    if role not in ROLES:
        c.err(path + ".role", f"未知角色 unknown role {role!r}; roles: {', '.join(ROLES)}")
        return None
    missing = raw.get("missing", "zero")
    if missing not in MISSING:
        c.err(path + ".missing", f"应为 {', '.join(MISSING)}, got {missing!r}")
    weight = None
    if role == "scored":
        weight = c.number(raw.get("weight"), path + ".weight", positive=True)
    elif raw.get("weight") is not None:
        c.err(path + ".weight", f"{role} 指标没有权重 a {role} indicator has no weight")
    score = _rule(c, raw, path + ".score", role)
    source = raw.get("source")
    window, offset = indicator_window(c.err, raw, path, bool(source))
    description = raw.get("description")
    if description is not None and not isinstance(description, str):
        c.err(path + ".description", f"应为文字 expected text, got {description!r}")
        description = None
    return Indicator(code=code, name=str(raw.get("name") or code), value=value,
                     source=str(source) if source else None, role=role, weight=weight,
                     missing=missing if missing in MISSING else "zero", score=score,
                     match=parse_match(raw, entity, path, c.err),
                     via=parse_via(raw, entity, path, c.err), window=window, offset=offset,
                     description=" ".join(str(description or "").split()),
                     format=parse_format(raw.get("format"), path + ".format", c.err))


def parse_scheme(text: str, code: str) -> Scheme:
    """Parse a scheme's YAML; raise Problems listing every problem found."""
    c = _Checker(code)
    data = parse_yaml(text, f"schemes/{code}.yaml")
    if not isinstance(data, dict):
        raise Problems([SchemeError(code, "", "应为映射 expected a mapping")])
    data = _alias(data)
    c.keys(data, _TOP, "")
    entity, item = parse_entity(data.get("entity"), c.err)
    period = data.get("period")
    if period not in KINDS:
        c.err("period", f"应为 {', '.join(KINDS)}, got {period!r}")
    population: list[tuple[str, tuple[str, ...]]] = []
    pop = data.get("population") or {}
    if not isinstance(pop, dict):
        c.err("population", "应为属性映射 expected {attribute: value or [values]}")
    else:
        for k, v in pop.items():
            vals = v if isinstance(v, list) else [v]
            population.append((str(k), tuple(str(x) for x in vals)))
    peers = data.get("peers") or []
    if isinstance(peers, str):
        peers = [peers]
    if not isinstance(peers, list):
        c.err("peers", "应为属性列表 expected a list of attributes")
        peers = []
    raw_inds = data.get("indicators")
    indicators: list[Indicator] = []
    if not isinstance(raw_inds, list) or not raw_inds:
        c.err("indicators", "至少一个指标 at least one indicator is required")
    else:
        for i, raw in enumerate(raw_inds):
            ind = _indicator(c, raw, i, entity)
            if ind is not None:
                indicators.append(ind)
    codes = [i.code for i in indicators]
    for dup in sorted({x for x in codes if codes.count(x) > 1}):
        c.err("indicators", f"指标代码重复 duplicate indicator code {dup!r}")
    grades, quotas = consequences.grades(c, data.get("grades"))
    labels = [g[1] for g in grades]
    elimination = consequences.elimination(c, data.get("elimination"))
    payout = consequences.payout(c, data.get("payout"), labels, codes)
    alerts = consequences.alerts(c, data.get("alerts"), labels)
    demote = consequences.demote(c, data.get("demote"), codes, bool(grades))
    caps = consequences.caps(c, data.get("caps"))
    if c.problems:
        raise Problems(c.problems)
    return Scheme(code=code, name=str(data.get("name") or code), entity=str(entity),
                  period=str(period), indicators=tuple(indicators), population=tuple(population),
                  peers=tuple(str(p) for p in peers), grades=tuple(grades),
                  elimination=elimination, payout=payout, text=text, quotas=tuple(quotas),
                  alerts=tuple(alerts), demote=tuple(demote), caps=caps, item=item)


def load_scheme(path: Path) -> Scheme:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: 无法读取 cannot read: {exc.strerror}") from exc
    return parse_scheme(text, path.stem)
