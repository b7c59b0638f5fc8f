"""The power-supply pages (docs/power-demo.md, "The web"): what a 所长, a 台区经理, a 抄表员 and
the 营销部 open first.

- the dashboard: the station's key indicators from the latest run of each station scheme, the
  viewer's own results, the alert lists (daily reading monitor, high-loss 台区, theft
  suspects) with their counts in scope, the quarterly notice and the yearly payout sheet;
- the 台区 line-loss table: every 台区 in scope with its band (coloured) and its loss rate
  over the stored months, and a chart of the bands month by month (ECharts, vendored);
- the yearly payout sheet (Excel, through report/safe.py): each person in scope with the
  year's payout lines.

Every number comes from the engine's runs: results the web copied (scoped querysets) or items
read from the store (runs/items.py, scoped through their owners). Nothing is recomputed here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _t

from kaohe.report.safe import write_text, write_value
from kaohe.web.core.querysets import scope_of
from kaohe.web.core.roles import Action, can, role_of
from kaohe.web.runs import charts, items
from kaohe.web.runs.models import Result, Run
from kaohe.web.runs.views_items import StorePages
from kaohe.report.xlsx_style import OfficeWorkbook
from kaohe.web.core.files import xlsx_response

# The station schemes whose latest results make the dashboard's key indicators.
STATION_SCHEMES = ("station_standard", "loss_station", "marketing", "tickets_station",
                   "theft_station")
# The viewer's own person schemes (台区经理, 抄表员, station posts).
PERSON_SCHEMES = ("loss_manager", "reading_month", "tickets_handler", "station_posts")
# The alert lists: (scheme, what the list is).
ALERT_LISTS = (("reading_daily", "抄表日监控预警 daily reading monitor"),
               ("area_loss", "高损、负损台区 high- and negative-loss areas"),
               ("theft_check", "窃电嫌疑清单（待稽查） theft suspects for inspection"))
# The 台区 bands, best first, with their colour class (kaohe.css: band-*).
BANDS = (("经济", "band-good"), ("合格", "band-ok"), ("负损", "band-negative"),
         ("高损", "band-high"))
LOSS_PAGE = 50


def _visible(request: HttpRequest) -> Any:
    if not can(request.user, Action.VIEW):
        raise PermissionDenied
    return Run.objects.restrict(request.user).filter(status=Run.Status.DONE)


def _latest(runs: Any, code: str, n: int = 1) -> list[Run]:
    """The latest ``n`` done runs of scheme ``code`` the viewer may see, newest first (the
    periods sort as text: 2026-07 < 2026-08, 2026-09-01 < 2026-09-30)."""
    found = list(runs.filter(scheme__code=code).select_related("scheme")
                 .order_by("-period", "-created"))
    out: list[Run] = []
    for run in found:
        if all(r.period != run.period for r in out):
            out.append(run)
        if len(out) == n:
            break
    return out


def _post(user: Any) -> str:
    """The viewer's post as the org names it (所长, 台区经理, 抄表员 …) and their unit."""
    profile = getattr(user, "profile", None)
    person = getattr(profile, "person", None)
    unit = getattr(profile, "unit", None)
    parts = [str(person.position) if person is not None and person.position else "",
             person.name if person is not None else "", unit.name if unit is not None else ""]
    return " · ".join(p for p in parts if p)


@dataclass
class AlertList:
    run: Run
    title: str
    count: int


@dataclass
class Block:
    run: Run
    rows: list[Result] = field(default_factory=list)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    runs = _visible(request)
    results = Result.objects.restrict(request.user)
    stations: list[Block] = []
    for code in STATION_SCHEMES + PERSON_SCHEMES:
        for run in _latest(runs, code):
            rows = list(results.filter(run=run).order_by("rank", "entity_id")[:20])
            if rows:
                stations.append(Block(run=run, rows=rows))
    alerts: list[AlertList] = []
    scope = scope_of(request.user)
    for code, title in ALERT_LISTS:
        for run in _latest(runs, code):
            if run.entity == "item":
                if not items.sees_items(role_of(request.user)):
                    continue
                where = items.item_scope(scope, run.period, run.scheme.period)
                n = items.count(run.engine_run_id, where, items.ItemFilter(alert=True),
                                list(run.alerts))
            else:
                n = results.filter(run=run, alert=True).count()
            alerts.append(AlertList(run=run, title=title, count=n))
    quarter = _latest(runs, "reading_quarter")
    year = _latest(runs, "reading_year")
    return render(request, "power/dashboard.html", {
        "post": _post(request.user), "blocks": stations, "alerts": alerts,
        "quarter": quarter[0] if quarter else None, "year": year[0] if year else None})


@dataclass
class AreaRow:
    row: items.ItemRow
    band: str
    rates: list[float | None]
    change: float | None  # this month's rate − last month's (negative: the loss fell)


@login_required
def loss_table(request: HttpRequest) -> HttpResponse:
    if not items.sees_items(role_of(request.user)):
        raise PermissionDenied
    months = list(reversed(_latest(_visible(request), "area_loss", 3)))  # oldest first
    if not months:
        raise Http404
    run = months[-1]
    scope = items.item_scope(scope_of(request.user), run.period, run.scheme.period)
    grade = request.GET.get("grade", "")
    grade = grade if grade in dict(BANDS) else ""
    flt = items.ItemFilter(q=request.GET.get("q", "").strip()[:100], grade=grade)
    page = Paginator(StorePages(run, scope, flt), LOSS_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    items.name_owners(rows)
    ids = [r.id for r in rows]
    rates = [items.values_of(m.engine_run_id, ids) for m in months]
    colour = dict(BANDS)
    out = []
    for r in rows:
        series = [_rate(values.get(r.id)) for values in rates]
        change = (series[-1] - series[-2] if len(series) > 1 and series[-1] is not None
                  and series[-2] is not None else None)
        out.append(AreaRow(row=r, band=colour.get(r.grade or "", ""), rates=series,
                           change=change))
    viewer = scope_of(request.user)
    scopes = [scope if m is run else items.item_scope(viewer, m.period, m.scheme.period)
              for m in months]
    counts = [(band, [items.count(m.engine_run_id, where, items.ItemFilter(grade=band), [])
                      for m, where in zip(months, scopes, strict=True)])
              for band, _css in BANDS]
    chart = charts.line([m.period for m in months], counts, y_name=_t("台区数"))
    return render(request, "power/loss.html", {
        "run": run, "months": months, "page": page, "rows": out, "bands": BANDS,
        "grade": grade, "q": flt.q, "chart": chart, "count": page.paginator.count})


def _rate(values: dict[str, tuple[Any, Any]] | None) -> float | None:
    if not values or values.get("loss_rate") is None:
        return None
    v = values["loss_rate"][0]
    return None if v is None else float(v)


@login_required
def payout_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """The yearly payout sheet (年度考核兑现表) of run ``pk``: each person in scope, their
    year's total, grade, every payout line and the payout, as the engine computed them."""
    run = get_object_or_404(_visible(request).select_related("scheme"), pk=pk,
                            entity="person")
    rows = list(Result.objects.restrict(request.user).filter(run=run)
                .order_by("rank", "entity_id"))
    if not rows and not scope_of(request.user).everything:
        raise Http404
    buf = io.BytesIO()
    book = OfficeWorkbook(buf, {"in_memory": True})
    sheet = book.add_worksheet(_t("兑现表"))
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "#,##0.00"})
    write_text(sheet, 0, 0, f"{run.scheme.name} {run.period} {_t('年度考核兑现表')}", bold)
    lines = list(run.payout_lines)
    header = [_t("工号"), _t("姓名"), _t("单位"), _t("总分"), _t("等级"), *lines,
              _t("兑现金额（元）")]
    for c, h in enumerate(header):
        write_text(sheet, 2, c, h, bold)
    for r, res in enumerate(rows, start=3):
        write_text(sheet, r, 0, res.entity_id)
        write_text(sheet, r, 1, res.name)
        write_text(sheet, r, 2, res.unit_name)
        write_value(sheet, r, 3, float(res.total))
        write_text(sheet, r, 4, res.grade)
        for c, name in enumerate(lines, start=5):
            write_value(sheet, r, c, res.payout_lines.get(name), money)
        write_value(sheet, r, 5 + len(lines),
                    None if res.payout is None else float(res.payout), money)
    sheet.set_column(0, 2, 14)
    sheet.set_column(3, 5 + len(lines), 12)
    book.close()
    name = f"{run.scheme.code}_{run.period}_兑现表.xlsx"
    return xlsx_response(buf.getvalue(), name)
