"""Table rows of the ranking and the scorecard, formatted once in Python instead of cell by
cell in the template engine.

Profiling the ranking page (docs/performance.md, "Result pages under load") showed Django's
template engine spending most of a request on the table body: per cell a variable lookup, an
``{% if %}`` and a ``floatformat`` that goes through the locale machinery — about 850 of them
for 50 rows; the scorecard's indicator table the same on a smaller scale. The cells hold plain
text and numbers, so they are built here with every text escaped (``esc``) and the templates
insert the finished rows. The output is the markup the templates produced before (whitespace
between tags aside); tests/web/runs/test_cells.py renders the old template rows beside these.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from html import escape as _escape
from typing import Any
from urllib.parse import quote

from django import forms
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _t

CENT = Decimal("0.01")
DASH = "—"
PLACEHOLDER = "__entity__"
URL_SAFE = "!$&'()*+,;=" + "/~:@"  # django.urls.resolvers: RFC3986_SUBDELIMS + "/~:@"


def esc(value: object) -> str:
    """Django's ``escape`` (autoescaping) without the SafeString wrapper: the standard
    library's ``html.escape``, quotes included."""
    return _escape(str(value), quote=True)


def fixed2(value: Decimal | float | int) -> str:
    """``value|floatformat:2`` for the languages kaohe serves (zh-Hans and English both write
    a decimal point and no thousands separator): half away from zero, and no "-0.00"."""
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    rounded = d.quantize(CENT, rounding=ROUND_HALF_UP)
    if not rounded:
        rounded = abs(rounded)
    return f"{rounded:f}"


def _points_cell(p: Decimal | None) -> str:
    text = fixed2(p) if p is not None else DASH
    return f'<td class="num">{text}</td>'


def scorecard_url_maker(run_pk: int) -> Any:
    """entity id → the scorecard URL, the way ``reverse`` quotes it, reversing only once
    (``str`` path converter: any text without "/", quoted with RFC 3986's sub-delimiters and
    ``/~:@`` left as they are)."""
    pattern = reverse("runs:scorecard", args=[run_pk, PLACEHOLDER])
    head, tail = pattern.split(PLACEHOLDER)

    def url(entity_id: str) -> str:
        return f"{head}{quote(entity_id, safe=URL_SAFE)}{tail}"
    return url


def ranking_row(r: Any, url: str, has_payout: bool) -> SafeString:
    """One row of the ranking table: ``r`` is a Result with ``points_list`` and ``flags``
    attached (views_results._attach_points). Every text goes through ``esc``."""
    cells = [f'<td class="num">{r.rank}<span class="muted">/{r.group_size}</span></td>',
             f'<td><a href="{esc(url)}">{esc(r.name)}</a> '
             f'<span class="muted">{esc(r.entity_id)}</span></td>',
             f"<td>{esc(r.unit_name)}</td>",
             f"<td>{esc(r.group_name)}</td>",
             f'<td class="num">{fixed2(r.total)}</td>',
             f"<td>{esc(r.grade)}</td>"]
    if has_payout:
        money = f"¥{fixed2(r.payout)}" if r.payout is not None else DASH
        cells.append(f'<td class="num"{_lines_title(r)}>{money}</td>')
    flags = "".join(f'<span class="tag {esc(css)}">{esc(label)}</span> '
                    for label, css in r.flags)
    cells.append(f"<td>{flags}</td>")
    cells.extend(_points_cell(p) for p in r.points_list)
    return mark_safe("<tr>\n    " + "\n    ".join(cells) + "\n  </tr>")  # noqa: S308 - escaped


def _lines_title(r: Any) -> str:
    """The payout's lines (spec §10) as the cell's tooltip, when there are several."""
    lines = getattr(r, "payout_lines", None) or {}
    if len(lines) < 2:
        return ""
    text = "；".join(f"{name} ¥{fixed2(amount)}" if amount is not None else f"{name} {DASH}"
                    for name, amount in lines.items())
    return f' title="{esc(text)}"'


def ranking_rows(rows: Iterable[Any], run_pk: int, has_payout: bool) -> list[SafeString]:
    url = scorecard_url_maker(run_pk)
    return [ranking_row(r, url(r.entity_id), has_payout) for r in rows]


def scorecard_row(line: Any, facts_url: str | None, show_formula: bool = False) -> SafeString:
    """One indicator of the scorecard table: ``line`` is an ``explain.IndicatorLine``;
    ``facts_url`` its fact drill-down (None when it has no fact rows).

    People read the indicator's 口径 and its rule as a sentence; the formula and the engine's
    rule parameters are one click away (a ``<details>``) only when ``show_formula`` (admins
    and assessors), never for staff, heads, inspectors or partners (issue 13)."""
    weight = floatformat(line.weight, "-2") if line.weight is not None else DASH
    if line.missing:
        value = f'<span class="warn">{esc(_t("缺失"))}</span>'
    else:
        value = esc(line.value_text)
    points = fixed2(line.points) if line.points is not None else DASH
    rule = esc(line.sentence)
    if show_formula:
        rule += (f'<details class="formula"><summary>{esc(_t("公式"))}</summary>'
                 f"<code>{esc(line.formula)}</code><br>"
                 f'<span class="muted">{esc(line.rule)}</span>'
                 + (f' <span class="muted">{esc(line.source)}</span>' if line.source else "")
                 + "</details>")
    if facts_url is not None:
        data = f'<a href="{esc(facts_url)}">{esc(_t("明细"))}</a>'
    elif line.source:
        data = DASH
    else:
        data = f'<span class="muted">{esc(_t("派生"))}</span>'
    name = esc(line.name)
    if line.description:
        name += f'<br><span class="muted desc">{esc(line.description)}</span>'
    cells = [f"<td>{name}</td>",
             f"<td>{esc(line.role_label)}</td>",
             f'<td class="num">{weight}</td>',
             f'<td class="num">{value}</td>',
             f'<td class="num">{points}</td>',
             f'<td class="rule">{rule}</td>',
             f"<td>{data}</td>"]
    return mark_safe("<tr>\n  " + "\n  ".join(cells) + "\n</tr>")  # noqa: S308 - escaped


def scorecard_rows(lines: Iterable[Any], run_pk: int, entity_id: str,
                   show_formula: bool = False) -> list[SafeString]:
    return [scorecard_row(line, reverse("runs:facts", args=[run_pk, entity_id, line.code])
                          if line.has_facts else None, show_formula) for line in lines]


def _attrs(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html: ``True`` is a bare name, ``False`` leaves it out."""
    return "".join("" if v is False else f" {esc(k)}" if v is True else f' {esc(k)}="{esc(v)}"'
                   for k, v in attrs.items())


class FastSelect(forms.Select):
    """``forms.Select`` with the markup of Django's select.html built in Python: the template
    renders an include per option, which made the ranking's filter form (a dozen peer groups
    and the grades) a tenth of the page's time. Optgroups are rendered as Django does."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None,
               renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        out = [f'<select name="{esc(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                out.append(f'\n  <optgroup label="{esc(group_name)}">')
            for o in options:
                out.append(f'\n  <option value="{esc(o["value"])}"{_attrs(o["attrs"])}>'
                           f'{esc(o["label"])}</option>\n')  # select_option.html's newline
            if group_name:
                out.append("\n  </optgroup>")
        out.append("\n</select>")
        return mark_safe("".join(out))  # noqa: S308 - every value escaped
