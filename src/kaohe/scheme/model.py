"""Typed, immutable scheme definitions. Errors are raised by the loader, never here."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from kaohe.scheme.formats import Format

ROLES = ("scored", "bonus", "penalty", "veto", "info")
MISSING = ("zero", "full", "exclude")
RULES = ("linear", "steps", "deduct", "percentile", "vs_mean")
DIRECTIONS = ("higher", "lower")


@dataclass(frozen=True)
class Linear:
    floor: float
    target: float
    cap: float = 1.0

    def describe(self) -> str:
        return f"linear 线性 floor={self.floor:g} target={self.target:g} cap={self.cap:g}"


@dataclass(frozen=True)
class Steps:
    steps: tuple[tuple[float, float], ...]
    direction: str = "higher"

    def describe(self) -> str:
        op = ">=" if self.direction == "higher" else "<="
        parts = ", ".join(f"v{op}{t:g}→{f:g}" for t, f in self.steps)
        return f"steps 分档 {parts}; 否则 else 0"


@dataclass(frozen=True)
class Deduct:
    per: float
    max: float | None = None  # None = the weight

    def describe(self) -> str:
        m = "W" if self.max is None else f"{self.max:g}"
        return f"deduct 扣分 per={self.per:g} max={m}"


@dataclass(frozen=True)
class Percentile:
    direction: str = "higher"

    def describe(self) -> str:
        return f"percentile 组内百分位 direction={self.direction}"


@dataclass(frozen=True)
class VsMean:
    direction: str = "higher"
    cap: float = 1.0

    def describe(self) -> str:
        return f"vs_mean 对比组均值 direction={self.direction} cap={self.cap:g}"


ScoreRule = Linear | Steps | Deduct | Percentile | VsMean


@dataclass(frozen=True)
class PerItem:
    """Bonus and penalty: min(cap, per × v)."""

    per: float = 1.0
    cap: float | None = None

    def describe(self) -> str:
        cap = "" if self.cap is None else f" cap={self.cap:g}"
        return f"per={self.per:g}{cap}"


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    value: str
    source: str | None = None  # None: derived from other indicators
    role: str = "scored"
    weight: float | None = None
    missing: str = "zero"
    score: ScoreRule | PerItem | None = None
    match: str | None = None  # item schemes (§8): the column holding the item's key
    via: str | None = None  # roll-up through an attribute (§18)
    window: int = 1  # periods of the scheme's length read, ending with the run's (spec §7)
    offset: int = 0  # periods between the run's period and the window's last one
    description: str = ""  # 口径: what the indicator counts, in plain words for the people assessed
    format: Format | None = None  # how its values are shown (scheme/formats.py); None: a number

    @property
    def derived(self) -> bool:
        return self.source is None

    def describe_rule(self) -> str:
        if self.role == "info":
            return "info 仅展示"
        if self.role == "veto":
            return "veto 一票否决: v > 0"
        if self.score is None:
            return ""
        prefix = {"bonus": "bonus 加分 ", "penalty": "penalty 扣分 "}.get(self.role, "")
        return prefix + self.score.describe()


@dataclass(frozen=True)
class Elimination:
    bottom: int | None  # None: only ``below`` is given
    consecutive: int
    below: float | None = None  # flagged only while the rounded total is < below (spec §16)


@dataclass(frozen=True)
class Payout:
    """Either ``base × coefficient[grade]`` or a ``pool`` split in proportion to totals."""

    base: str | None = None  # a number or a formula over indicator codes and attributes
    coefficient: tuple[tuple[str, float], ...] = ()
    pool: Decimal | None = None
    within: tuple[str, ...] = ()
    lines: tuple[PayoutLine, ...] = ()  # every line, the single-dict form as one line 兑现


LINE_KINDS = ("coefficient", "amount", "tiers", "pool")
TIER_MODES = ("marginal", "whole")


@dataclass(frozen=True)
class PayoutLine:
    """One named payout line (spec §10); ``kind`` says which of the fields are used."""

    name: str
    kind: str  # coefficient | amount | tiers | pool
    base: str | None = None  # coefficient: a number or a formula
    coefficient: tuple[tuple[str, float], ...] = ()
    amount: str | None = None  # amount: a formula
    on: str | None = None  # tiers: the indicator code whose value is tiered
    tiers: tuple[tuple[Decimal, Decimal], ...] = ()  # (from, rate), increasing from
    mode: str = "marginal"
    pool: Decimal | None = None
    within: tuple[str, ...] = ()
    min: Decimal | None = None
    max: Decimal | None = None


@dataclass(frozen=True)
class Demotion:
    """``demote: [{when: CODE, steps: n}]``: CODE's value > 0 moves n grades down."""

    when: str
    steps: int = 1


@dataclass(frozen=True)
class Caps:
    """Scheme-level caps on the sums of bonus and of penalty points (spec §16)."""

    bonus: Decimal | None = None
    penalty: Decimal | None = None


@dataclass(frozen=True)
class ItemEntity:
    """An item scheme's entity (spec §8): every distinct ``key`` of ``source`` with a row in
    the window of ``window`` periods ending ``offset`` periods before the run's."""

    source: str
    key: str
    window: int = 1
    offset: int = 0


@dataclass(frozen=True)
class Scheme:
    code: str  # the file name, e.g. clerk_star
    name: str  # the display name, e.g. 营业员星级考核
    entity: str  # person | unit | item (then ``item`` says which)
    period: str  # day | month | quarter | year
    indicators: tuple[Indicator, ...]
    population: tuple[tuple[str, tuple[str, ...]], ...] = ()
    peers: tuple[str, ...] = ()
    grades: tuple[tuple[float, str], ...] = ()
    elimination: Elimination | None = None
    payout: Payout | None = None
    text: str = ""  # the YAML as written, stored with every run
    item: ItemEntity | None = None  # entity: {source, key, ...} (spec §8)
    quotas: tuple[Decimal | None, ...] = ()  # per grade, a % of the peer group; () = none
    alerts: tuple[str, ...] = ()  # grade labels that are warnings, most severe first
    demote: tuple[Demotion, ...] = ()
    caps: Caps | None = None

    def indicator(self, code: str) -> Indicator:
        for ind in self.indicators:
            if ind.code == code:
                return ind
        raise KeyError(code)

    @property
    def scored(self) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if i.role == "scored")

    @property
    def sources(self) -> tuple[str, ...]:
        seen: list[str] = []
        for i in self.indicators:
            if i.source and i.source not in seen:
                seen.append(i.source)
        return tuple(seen)
