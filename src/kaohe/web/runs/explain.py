"""Why a result is what it is: every indicator explained, and the fact rows behind one.

``indicator_lines`` joins the run's indicator definitions (``Run.indicators``, copied from the
engine at run time, so an explanation matches the scheme version that was run) with the
result's ``Score`` rows. ``fact_rows`` reads the facts of one source for one entity in the
run's period from the workspace's DuckDB store, the way ``kaohe explain --rows`` does
(``kaohe.cli.explaining``): the member ids come from ``_member_ids``, the query is rebuilt here
with every value a bound parameter, identifiers only from validated source definitions.
Callers pass an entity id taken from a ``Result`` row already restricted to the user's scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kaohe.scheme.formats import Format, format_value

from kaohe.web.core.workspace import store_lock, workspace
from kaohe.web.runs.models import Result, Run
from kaohe.web.runs.scores_cache import scores_of

RESULTS_PREFIX = "results:"  # kaohe.workspace.sources.RESULTS_PREFIX: derived, no fact rows

ROLE_LABELS = {
    "scored": _("计分"), "bonus": _("加分"), "penalty": _("扣分"), "veto": _("一票否决"),
    "info": _("仅展示"),
}
MISSING_LABELS = {
    "zero": _("缺失按 0 计"), "full": _("缺失按满分计"), "exclude": _("缺失不参与考核"),
}


@dataclass
class IndicatorLine:
    """One indicator of one result, ready for the scorecard table."""

    code: str
    name: str
    role: str
    role_label: str
    weight: float | None
    formula: str
    rule: str
    source: str | None
    missing_policy: str
    value: float | None
    points: Decimal | None
    missing: bool
    has_facts: bool  # a source with fact rows to drill into
    description: str = ""  # 口径 in plain words
    sentence: str = ""  # the rule as a sentence in the user's language
    value_text: str = "—"  # the value in the indicator's format (96.5%, ¥3,999.00)


def shows_formulas(user: Any) -> bool:
    """Formulas, engine parameters and source names are for those who write and check the
    schemes (admins and assessors); everyone else reads the 口径 and the rule's sentence."""
    from kaohe.web.core.roles import Role, role_of

    return role_of(user) in (Role.ADMIN, Role.ASSESSOR)


def english() -> bool:
    return (get_language() or "zh-hans").lower().startswith("en")


_DEFINITIONS: dict[int, dict[str, dict[str, Any]]] = {}


def definitions(run: Run) -> dict[str, dict[str, Any]]:
    """code → {description, format, sentence, sentence_en} of ``run``'s indicators: as stored
    with the run; a run stored before issue 13 has them rebuilt from its scheme version (the
    text the run ran, so they match it). Cached per version: a version never changes."""
    if all("sentence" in ind for ind in run.indicators):
        return {str(i["code"]): i for i in run.indicators}
    if run.version_id not in _DEFINITIONS:
        from kaohe.scheme.loader import parse_scheme
        from kaohe.scheme.sentences import indicator_sentences

        try:
            scheme = parse_scheme(run.version.text, run.scheme.code)
        except Exception:  # noqa: BLE001 - a version that no longer parses: no sentences
            return {}
        sentences = indicator_sentences(scheme)
        _DEFINITIONS[run.version_id] = {i.code: {
            "description": i.description, "format": i.format.as_dict() if i.format else None,
            "sentence": sentences[i.code][0], "sentence_en": sentences[i.code][1]}
            for i in scheme.indicators}
    return _DEFINITIONS[run.version_id]


def definition_of(defs: dict[str, dict[str, Any]], code: str) -> tuple[str, Format | None, str]:
    """(description, format, sentence in the active language) of one indicator."""
    d = defs.get(code, {})
    sentence = str(d.get("sentence_en") if english() else d.get("sentence") or "")
    return str(d.get("description") or ""), Format.from_dict(d.get("format")), sentence


def fact_source(run: Run, code: str) -> str | None:
    """The fact source of indicator ``code`` of ``run``; None for derived indicators, results
    of other schemes, and codes the run does not have."""
    for ind in run.indicators:
        if ind.get("code") == code:
            src = ind.get("source")
            if src and not str(src).startswith(RESULTS_PREFIX):
                return str(src)
            return None
    return None


def point_indicators(run: Run) -> list[dict[str, Any]]:
    """The indicators that give points (not ``info``; a veto has no points), in scheme order."""
    return [i for i in run.indicators if i.get("role") in ("scored", "bonus", "penalty")]


def indicator_lines(result: Result) -> list[IndicatorLine]:
    run = result.run
    scores = scores_of(run, [result.pk]).get(result.pk, {})  # cached: they never change
    defs = definitions(run)
    lang = "en" if english() else "zh"
    lines = []
    for ind in run.indicators:
        code = str(ind.get("code"))
        score = scores.get(code)
        role = str(ind.get("role") or "scored")
        description, fmt, sentence = definition_of(defs, code)
        value = score.value if score else None
        lines.append(IndicatorLine(
            code=code, name=str(ind.get("name") or code), role=role,
            role_label=str(ROLE_LABELS.get(role, role)), weight=ind.get("weight"),
            formula=str(ind.get("formula") or ""), rule=str(ind.get("rule") or ""),
            source=ind.get("source"),
            missing_policy=str(MISSING_LABELS.get(str(ind.get("missing")), ""))
            if role == "scored" else "",
            value=score.value if score else None, points=score.points if score else None,
            missing=bool(score and score.missing), has_facts=fact_source(run, code) is not None,
            description=description, sentence=sentence,
            value_text=format_value(value, fmt, lang)))
    return lines


@dataclass
class FactRows:
    """Up to ``limit`` fact rows and how many there are in all."""

    source: str
    title: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    count: int = 0
    limit: int = 200
    members: list[str] = field(default_factory=list)


def _cell(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, date):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float | Decimal):
        text = f"{v:,.4f}".rstrip("0").rstrip(".")
        return text or "0"
    return str(v)


def fact_rows(run: Run, entity_id: str, source_name: str, limit: int = 200) -> FactRows:
    """The rows of ``source_name`` that count for ``entity_id`` in ``run``'s period.

    Read under ``store_lock`` on a read-only connection; raises ``LookupError`` when the
    source is unknown to the workspace.
    """
    # imported here: the engine and the CLI helpers are heavy and only this page needs them
    from kaohe.cli.explaining import _member_ids
    from kaohe.periods import parse_period
    from kaohe.scheme.loader import parse_scheme
    from kaohe.workspace.store import quote

    scheme = parse_scheme(run.version.text, run.scheme.code)
    with store_lock:
        ws = workspace()
        src = ws.sources.get(source_name)
        if src is None:
            raise LookupError(source_name)
        out = FactRows(source=src.name, title=src.title, limit=limit,
                       columns=[c.name for c in src.columns])
        period = parse_period(run.period, scheme.period)
        ids = sorted({str(i) for i in _member_ids(ws, scheme, src, period, entity_id)})
        out.members = ids
        col = src.person if (scheme.entity == "person" and src.person) or not src.unit \
            else src.unit
        if not ids or col is None or not ws.store.path.exists():
            return out
        start = datetime.combine(period.start, time())
        end = datetime.combine(period.end, time())
        marks = ", ".join("?" for _ in ids)
        where = (f"{quote(src.time)} >= ? AND {quote(src.time)} < ? "
                 f"AND CAST({quote(col)} AS VARCHAR) IN ({marks})")
        params: list[Any] = [start, end, *ids]
        order = ", ".join(quote(c) for c in (src.time, *src.key))
        cols = ", ".join(quote(c) for c in out.columns)
        with ws.store.connect(read_only=True) as con:
            if not ws.store.has_table(con, src.table):
                return out
            table = quote(src.table)
            row = con.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()
            out.count = int(row[0]) if row else 0
            data = con.execute(f"SELECT {cols} FROM {table} WHERE {where} ORDER BY {order} "
                               "LIMIT ?", [*params, limit]).fetchall()
    out.rows = [[_cell(v) for v in r] for r in data]
    return out
