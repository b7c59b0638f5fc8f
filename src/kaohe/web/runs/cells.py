"""Table cells of the result pages, formatted once in Python instead of cell by cell in the
template engine.

Profiling the ranking page (docs/performance.md, "Result pages under load") showed Django's
template engine spending most of a request on the table body: per cell a variable lookup, an
``{% if %}`` and a ``floatformat`` that goes through the locale machinery — about 850 of them
for 50 rows. The cells hold plain text and numbers with two decimals, so they are built here
with every text escaped (``esc``) and the template inserts the finished rows. The
output is the markup the template produced before (whitespace between tags aside);
tests/web/runs/test_cells.py compares the two.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from html import escape as _escape
from typing import Any
from urllib.parse import quote

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

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
    cells = [f'<td class="num">{r.final_rank}<span class="muted">/{r.group_size}</span></td>',
             f'<td><a href="{esc(url)}">{esc(r.name)}</a> '
             f'<span class="muted">{esc(r.entity_id)}</span></td>',
             f"<td>{esc(r.unit_name)}</td>",
             f"<td>{esc(r.group_name)}</td>",
             f'<td class="num">{fixed2(r.final_total)}</td>',
             f"<td>{esc(r.final_grade)}</td>"]
    if has_payout:
        money = f"¥{fixed2(r.payout)}" if r.payout is not None else DASH
        cells.append(f'<td class="num">{money}</td>')
    flags = "".join(f'<span class="tag {esc(css)}">{esc(label)}</span> '
                    for label, css in r.flags)
    cells.append(f"<td>{flags}</td>")
    cells.extend(_points_cell(p) for p in r.points_list)
    return mark_safe("<tr>\n    " + "\n    ".join(cells) + "\n  </tr>")  # noqa: S308 - escaped


def ranking_rows(rows: Iterable[Any], run_pk: int, has_payout: bool) -> list[SafeString]:
    url = scorecard_url_maker(run_pk)
    return [ranking_row(r, url(r.entity_id), has_payout) for r in rows]
