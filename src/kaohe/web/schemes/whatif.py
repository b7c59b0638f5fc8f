"""方案试算 what-if on a scheme's version history: a version (or a pasted draft) run over past
periods and compared with the published runs (else the latest), nothing stored.

Only those who may configure the scheme (its scope inside theirs) use it. The engine computes
everything (engine/whatif.py); this page lays it out: movers, grade distributions and payout
sums per period and peer group, histograms of the change of totals and (with a payout) of the
payout per entity, an Excel download.
"""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kaohe.errors import InputError
from kaohe.web.core.workspace import store_lock, workspace
from kaohe.web.runs import charts
from kaohe.web.runs.models import Run
from kaohe.web.core.files import xlsx_response
from kaohe.web.schemes.models import Scheme, SchemeVersion

class WhatIfForm(forms.Form):
    version = forms.TypedChoiceField(label=gettext_lazy("方案版本"), coerce=int, required=False)
    text = forms.CharField(
        label=gettext_lazy("或粘贴草稿 (YAML)"), required=False, strip=False,
        widget=forms.Textarea(attrs={"class": "code", "rows": 8, "spellcheck": "false",
                                     "wrap": "off"}))
    start = forms.CharField(label=gettext_lazy("起始期间"), max_length=12)
    end = forms.CharField(label=gettext_lazy("结束期间"), max_length=12)

    def __init__(self, *args: Any, numbers: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].choices = [(n, f"v{n}") for n in numbers]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("text", "").strip() and not data.get("version"):
            raise forms.ValidationError(_("请选择一个版本或粘贴草稿。"))
        return data


def _baseline(scheme: Scheme, periods: list[str]) -> dict[str, str]:
    """Each period's published run (the latest published), else none given: the engine then
    compares with the latest completed run."""
    out: dict[str, str] = {}
    for p in periods:
        run = (Run.objects.filter(scheme=scheme, period=p, status=Run.Status.DONE,
                                  published_at__isnull=False)
               .exclude(engine_run_id="").order_by("-published_at").first())
        if run is not None:
            out[p] = run.engine_run_id
    return out


PAGE_ROWS = 200  # rows of each table on the page; the Excel download has them all


def _shown(rows: tuple[list[str], list[list[Any]]], by_last: bool = False
           ) -> tuple[list[str], list[list[Any]], int]:
    """The first PAGE_ROWS rows, amounts and totals to two decimals (the export keeps numbers
    and every row), and how many rows there are. ``by_last``: the rows whose last column (a
    change of money) is largest in size first — a province's what-if has thousands of peer
    groups, and the page shows those the draft moves most."""
    head, body = rows
    if by_last:
        body = sorted(body, key=lambda r: -abs(r[-1] or 0))
    return head, [[f"{v:,.2f}" if isinstance(v, float) else v for v in row]
                  for row in body[:PAGE_ROWS]], len(body)


@login_required
def scheme_whatif(request: HttpRequest, code: str) -> HttpResponse:
    from kaohe.engine.whatif import what_if
    from kaohe.periods import period_range
    from kaohe.report.whatif import (group_rows, histogram, mover_rows, payout_histogram,
                                     summary, write_xlsx)
    from kaohe.scheme.loader import parse_scheme
    from kaohe.web.schemes.views import _require_configure, _require_writable, _schemes

    _require_configure(request)
    scheme = get_object_or_404(_schemes(request).select_related("current"), code=code)
    _require_writable(request, scheme)
    versions = SchemeVersion.objects.filter(scheme=scheme)
    numbers = list(versions.order_by("-number").values_list("number", flat=True))
    context: dict[str, Any] = {"scheme": scheme}
    if "start" not in request.GET:
        initial = {"version": request.GET.get("version") or (
            scheme.current.number if scheme.current else None)}
        context["form"] = WhatIfForm(initial=initial, numbers=numbers)
        return render(request, "schemes/scheme_whatif.html", context)
    form = WhatIfForm(request.GET, numbers=numbers)
    context["form"] = form
    if not form.is_valid():
        return render(request, "schemes/scheme_whatif.html", context, status=400)
    data = form.cleaned_data
    if data["text"].strip():
        text, label = data["text"], _("草稿")
    else:
        version = get_object_or_404(versions, number=data["version"])
        text, label = version.text, f"v{version.number}"
    try:
        draft = parse_scheme(text, scheme.code)
        periods = [str(p) for p in period_range(f"{data['start']}..{data['end']}",
                                                draft.period)]  # type: ignore[arg-type]
        with store_lock:
            result = what_if(workspace(), scheme.code, draft, f"{data['start']}..{data['end']}",
                             baseline=_baseline(scheme, periods))
    except InputError as exc:
        context["error"] = str(exc)
        return render(request, "schemes/scheme_whatif.html", context, status=400)
    if request.GET.get("format") == "xlsx":
        buf = io.BytesIO()
        write_xlsx(result, buf)
        return xlsx_response(buf.getvalue(),
                             f"{scheme.code}_whatif_{periods[0]}_{periods[-1]}.xlsx")
    hist = histogram(result)
    money = payout_histogram(result)
    query = request.GET.copy()
    query["format"] = "xlsx"
    context.update({
        "label": label, "result": result, "summary": summary(result),
        "movers": _shown(mover_rows(result)),
        "groups": _shown(group_rows(result), by_last=True), "page_rows": PAGE_ROWS,
        "chart": charts.bar(hist["labels"], [(_("对象数"), hist["counts"])],
                            y_name=_("对象数")) if hist["labels"] else "",
        # a change of grade thresholds moves no totals (one bar above) but moves money
        "payout_chart": charts.bar(money["labels"], [(_("对象数"), money["counts"])],
                                   y_name=_("对象数")) if money["labels"] else "",
        "xlsx_query": query.urlencode(),
    })
    return render(request, "schemes/scheme_whatif.html", context)
