"""The result of one run: what reports, the CLI and the web read.

``RunResult.table`` is a pandas DataFrame, one row per entity of the population, with columns:

- ``id`` (str), ``name`` (str), ``unit_name`` (str: 所属单位 — the person's unit, or the unit's parent)
- ``g_<attr>`` (str) for each peer attribute of the scheme (the peer group key); absent when
  the scheme has no ``peers`` (everyone is one group); ``group_name`` (str): the group as people
  read it (unit ids shown as unit names, several attributes joined by " / ")
- ``total`` (float, 2 decimals), ``rank`` (int), ``group_size`` (int), ``grade`` (str or None)
- ``vetoed`` (bool), ``bottom`` (bool: in the bottom n this period), ``eliminate`` (bool)
- ``payout`` (float yuan to the fen, or None when the scheme has no payout)
- item schemes (spec §8) only: ``person`` and ``unit`` (str or None): the item's own, from its
  latest row (None where the source has no such column)
- for each indicator code C: ``v_C`` (float or None: the value), ``p_C`` (float or None: points,
  2 decimals; bonus positive, penalty negative, None for info/veto), ``m_C`` (bool: missing)
- ``alert`` (bool: the grade is one of the scheme's ``alerts``; false without alerts; spec §12)
- with scheme ``caps``: ``capped_bonus``, ``capped_penalty`` (bool: the cap strictly reduced
  the sum of those points in the total; spec §16)
- with a payout: ``l_<line name>`` (float yuan to the fen) for each payout line, in the order
  written (the single-dict form is one line, ``l_兑现``); ``payout`` is their sum (spec §10)

Rows are ordered by group key, then rank, then id.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from kaohe.scheme.formats import Format

LINE_PREFIX = "l_"  # a payout line's column: l_<line name>


@dataclass(frozen=True)
class IndicatorInfo:
    code: str
    name: str
    role: str  # scored | bonus | penalty | veto | info
    weight: float | None
    rule: str  # human description of the scoring rule, e.g. "linear floor=0 target=300"
    formula: str  # the value formula as written
    source: str | None  # None for derived indicators
    missing: str  # zero | full | exclude
    description: str = ""  # 口径 in plain words (the scheme's ``description``)
    format: Format | None = None  # how values are shown (kaohe.scheme.formats)
    sentence: str = ""  # the rule as a Chinese sentence (kaohe.scheme.sentences)
    sentence_en: str = ""  # the same in English


def indicator_infos(scheme: Any) -> tuple[IndicatorInfo, ...]:
    """The run's indicator definitions, copied from ``scheme`` (a ``kaohe.scheme.model.Scheme``)
    with their rule sentences."""
    from kaohe.scheme.sentences import indicator_sentences

    sentences = indicator_sentences(scheme)
    return tuple(IndicatorInfo(
        code=i.code, name=i.name, role=i.role, weight=i.weight, rule=i.describe_rule(),
        formula=i.value, source=i.source, missing=i.missing, description=i.description,
        format=i.format, sentence=sentences[i.code][0], sentence_en=sentences[i.code][1])
        for i in scheme.indicators)


@dataclass(frozen=True)
class RunResult:
    scheme: str  # the scheme's file name (code), e.g. clerk_star
    title: str  # the scheme's display name, e.g. 营业员星级考核
    period: str
    run_id: str
    entity: str  # person | unit | item
    peers: tuple[str, ...]
    indicators: tuple[IndicatorInfo, ...]
    grades: tuple[tuple[float, str], ...]
    table: pd.DataFrame
    engine: str = "duckdb"
    has_payout: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    payout_lines: tuple[str, ...] = ()  # line names in order (a payout has at least one)
    alerts: tuple[str, ...] = ()  # the grade labels that are warnings, most severe first
    has_caps: bool = False  # the scheme sets caps: the JSON lists what was capped
    # the scheme's own rules (grades, caps, demotion, elimination, alerts, payout) as Chinese
    # sentences (kaohe.scheme.sentences.scheme_sentences), for reports and notices
    scheme_rules: tuple[str, ...] = ()
    # spec §19: the stored run's revision of its period (None: not stored), and per adjusted
    # entity the adjustments the run was computed with
    revision: int | None = None
    adjustments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def entities(self) -> list[dict[str, Any]]:
        """Entities as in the JSON result (spec §6)."""
        out: list[dict[str, Any]] = []
        for row in self.table.to_dict("records"):
            group = {p: _clean(row.get(f"g_{p}")) for p in self.peers}
            indicators = {
                ind.code: {
                    "value": _clean(row.get(f"v_{ind.code}")),
                    "points": _clean(row.get(f"p_{ind.code}")),
                    "missing": bool(row.get(f"m_{ind.code}")),
                }
                for ind in self.indicators
            }
            own = ({"person": _clean(row.get("person")), "unit": _clean(row.get("unit"))}
                   if self.entity == "item" else {})
            out.append({
                "id": str(row["id"]),
                **own,
                "name": _clean(row.get("name")),
                "group": group,
                "total": _clean(row["total"]),
                "rank": int(row["rank"]),
                "group_size": int(row["group_size"]),
                "grade": _clean(row.get("grade")),
                "vetoed": bool(row["vetoed"]),
                "eliminate": bool(row["eliminate"]),
                "payout": _clean(row.get("payout")),
                "indicators": indicators,
            })
            out[-1].update(self._consequences(row))
            if str(row["id"]) in self.adjustments:
                out[-1]["adjustments"] = self.adjustments[str(row["id"])]
        return out

    def _consequences(self, row: dict[str, Any]) -> dict[str, Any]:
        """The v2 keys (spec §10, §12, §16), only for schemes that use them."""
        extra: dict[str, Any] = {}
        if self.payout_lines:
            extra["payout_lines"] = {n: _clean(row.get(LINE_PREFIX + n))
                                     for n in self.payout_lines}
        if self.alerts:
            extra["alert"] = bool(row.get("alert"))
        if self.has_caps:
            extra["capped"] = [k for k in ("bonus", "penalty") if bool(row.get(f"capped_{k}"))]
        return extra

    def to_json_dict(self) -> dict[str, Any]:
        head: dict[str, Any] = {"scheme": self.scheme, "period": self.period,
                                "run_id": self.run_id}
        if self.revision is not None:
            head["revision"] = self.revision
        return {**head, "entities": self.entities()}


def _clean(v: Any) -> Any:
    """pandas/numpy scalars to plain JSON values; NaN/NA to None."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):
        v = v.item()
        if isinstance(v, float) and math.isnan(v):
            return None
    return v
