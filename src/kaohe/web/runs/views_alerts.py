"""The alerts page (预警清单, spec §12) of a run, its Excel export and the index of runs with
alerts.

An entity is alerted when its grade as the web shows it (``grade``: after accepted
appeals) is one of the run's ``alerts``; items (spec §8) by their stored grade. Most severe
first (the order of ``alerts``), then rank, then id — ``kaohe.alerts.ordered``'s order; the
indicators that cost points come from ``kaohe.alerts.costs``, the CLI's own rule.

People and units come from ``Result`` rows restricted to the viewer; items from the store,
scoped through their owners (runs/items.py). A viewer sees only the alerts of what they may
see: the same 403/404 as the ranking (person runs are 403 for inspectors and partners, item
runs for inspectors).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from kaohe.alerts import _Ind, costs
from kaohe.web.core.querysets import scope_of
from kaohe.web.core.roles import Action, Role, can, role_of
from kaohe.web.runs import cells, items
from kaohe.web.runs.models import Result, Run
from kaohe.web.runs.views_items import StorePages, alert_levels, item_run, run_scope
from kaohe.web.runs.views_results import _done_run, results_in_scope
from kaohe.report.xlsx_style import OfficeWorkbook
from kaohe.web.core.files import xlsx_response

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000


@dataclass
class AlertLine:
    id: str
    name: str
    person: str  # the person (a person run: the entity; an item: its person)
    unit: str  # its unit (a person's or item's unit; a unit run: the unit's parent)
    grade: str
    level: str  # css class of the level
    total: float
    rank: int
    costs: tuple[str, ...]
    url: str = ""


class AlertFilter(forms.Form):
    level = forms.ChoiceField(label=_("预警级别"), required=False, widget=cells.FastSelect)
    owner = forms.CharField(label=_("人员或单位编号"), required=False, max_length=64)

    def __init__(self, *args: Any, alerts: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [("", _("全部"))] + [(a, a) for a in alerts]  # type: ignore

    def values(self) -> tuple[str, str]:
        data: dict[str, Any] = {}
        if self.is_bound:
            self.is_valid()
            data = self.cleaned_data
        return data.get("level") or "", (data.get("owner") or "").strip()


def _inds(run: Run) -> list[_Ind]:
    return [_Ind(str(i["code"]), str(i.get("name") or i["code"]), str(i.get("role")),
                 i.get("weight")) for i in run.indicators]


def _run(user: Any, pk: int) -> Run:
    """A done run with alerts that ``user`` may open (item runs through views_items)."""
    if not can(user, Action.VIEW):
        raise PermissionDenied
    run = Run.objects.restrict(user).filter(pk=pk, status=Run.Status.DONE).first()
    if run is None:
        raise Http404
    run = item_run(user, pk) if run.entity == "item" else _done_run(user, pk)
    if not run.alerts:
        raise Http404
    return run


# --- people and units: Result rows ------------------------------------------------------------

def _results(user: Any, run: Run, level: str, owner: str) -> QuerySet[Result]:
    alerts = [str(a) for a in run.alerts]
    qs = results_in_scope(user).filter(run=run, grade__in=[level] if level else alerts)
    if owner:
        qs = qs.filter(Q(entity_id=owner) | Q(unit_id=owner))
    severity = Case(*[When(grade=a, then=Value(i)) for i, a in enumerate(alerts)],
                    default=Value(len(alerts)), output_field=IntegerField())
    return qs.annotate(severity=severity).order_by(
        "severity", "rank", "entity_id")


def _result_lines(run: Run, rows: list[Result]) -> list[AlertLine]:
    from django.urls import reverse

    from kaohe.web.runs.models import Score

    values: dict[int, dict[str, tuple[Any, Any]]] = {}
    for s in Score.objects.filter(result__in=rows):
        values.setdefault(s.result_id, {})[s.code] = (s.value, s.points)
    levels = alert_levels(list(run.alerts))
    inds = _inds(run)
    out = []
    for r in rows:
        person = r.name if run.entity == "person" else ""
        out.append(AlertLine(
            id=r.entity_id, name=r.name, person=person, unit=r.unit_name,
            grade=r.grade, level=levels.get(r.grade, ""),
            total=float(r.total), rank=r.rank,
            costs=costs(inds, values.get(r.pk, {})),
            url=reverse("runs:scorecard", args=[run.pk, r.entity_id])))
    return out


# --- items: the store -------------------------------------------------------------------------

def _item_filter(level: str, owner: str) -> items.ItemFilter:
    return items.ItemFilter(grade=level, alert=True, owner=owner)


def _item_lines(run: Run, rows: list[items.ItemRow]) -> list[AlertLine]:
    from django.urls import reverse

    items.name_owners(rows)
    values = items.values_of(run.engine_run_id, [r.id for r in rows])
    levels = alert_levels(list(run.alerts))
    inds = _inds(run)
    return [AlertLine(
        id=r.id, name=r.name or "",
        person=f"{r.person_name}（{r.person}）" if r.person else "",
        unit=f"{r.unit_name}（{r.unit}）" if r.unit else "", grade=r.grade or "",
        level=levels.get(r.grade or "", ""), total=r.total or 0.0, rank=r.rank,
        costs=costs(inds, values.get(r.id, {})), url=reverse("runs:item", args=[run.pk, r.id]))
        for r in rows]


# --- pages ------------------------------------------------------------------------------------

def alert_lines(user: Any, run: Run, level: str, owner: str, offset: int, limit: int
                ) -> tuple[list[AlertLine], int]:
    """One slice of the run's alerts in ``user``'s scope, and how many there are."""
    if run.entity == "item":
        seq = StorePages(run, run_scope(user, run), _item_filter(level, owner), by_alert=True)
        return _item_lines(run, seq[offset:offset + limit]), seq.count()
    qs = _results(user, run, level, owner)
    return _result_lines(run, list(qs[offset:offset + limit])), qs.count()


@login_required
def alerts(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request.user, pk)
    form = AlertFilter(request.GET or None, alerts=list(run.alerts))
    level, owner = form.values()
    if run.entity == "item":
        scope = run_scope(request.user, run)
        if not scope.everything and not items.count(run.engine_run_id, scope,
                                                    items.ItemFilter(), []):
            raise Http404
        page = Paginator(StorePages(run, scope, _item_filter(level, owner), by_alert=True),
                         PAGE_SIZE).get_page(request.GET.get("page"))
        rows = _item_lines(run, list(page.object_list))
    else:
        if not scope_of(request.user).everything and \
                not results_in_scope(request.user).filter(run=run).exists():
            raise Http404
        page = Paginator(_results(request.user, run, level, owner), PAGE_SIZE).get_page(
            request.GET.get("page"))
        rows = _result_lines(run, list(page.object_list))
    return render(request, "runs/alerts.html", {
        "run": run, "form": form, "page": page, "rows": rows, "count": page.paginator.count,
        "levels": alert_levels(list(run.alerts))})


@login_required
def alerts_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """The filtered alerts (at most ``EXPORT_LIMIT`` rows; the sheet says when cut)."""

    from kaohe.report.safe import write_text, write_texts

    run = _run(request.user, pk)
    level, owner = AlertFilter(request.GET or None, alerts=list(run.alerts)).values()
    rows, total = alert_lines(request.user, run, level, owner, 0, EXPORT_LIMIT)
    buf = io.BytesIO()
    book = OfficeWorkbook(buf, {"in_memory": True, "constant_memory": True})
    sheet = book.add_worksheet(_t("预警清单"))
    head = book.add_format({"bold": True, "bg_color": "#EEF2F7", "border": 1})
    points = book.add_format({"num_format": "0.00"})
    r0 = 0
    if total > len(rows):
        write_text(sheet, 0, 0, _t("仅导出前 %(n)d 条，共 %(total)d 条；请缩小筛选范围 only the "
                                   "first %(n)d of %(total)d rows are exported; narrow the "
                                   "filter") % {"n": len(rows), "total": total})
        r0 = 1
    write_texts(sheet, r0, 0, [_t("预警级别"), _t("编号"), _t("名称"), _t("人员"), _t("单位"),
                               _t("总分"), _t("排名"), _t("失分指标")], head)
    for n, a in enumerate(rows, start=r0 + 1):
        write_texts(sheet, n, 0, [a.grade, a.id, a.name, a.person, a.unit])
        sheet.write_number(n, 5, a.total, points)
        sheet.write_number(n, 6, a.rank)
        write_text(sheet, n, 7, "；".join(a.costs))
    book.close()
    return xlsx_response(buf.getvalue(), f"{run.scheme.code}_{run.period}_alerts.xlsx")


@login_required
def alert_index(request: HttpRequest) -> HttpResponse:
    """The done runs with alerts the user may open, newest period first (each page then shows
    only what the user may see)."""
    if not can(request.user, Action.VIEW):
        raise PermissionDenied
    runs = [r for r in Run.objects.restrict(request.user).filter(
        status=Run.Status.DONE, alert_count__gt=0).select_related("scheme")
        .order_by("-period", "scheme__name", "-pk")]
    role = role_of(request.user)
    hidden = {"person"} if role in (Role.INSPECTOR, Role.PARTNER, Role.CHANNEL_MANAGER) else set()
    if not items.sees_items(role):
        hidden.add("item")
    runs = [r for r in runs if r.entity not in hidden]  # pages they could not open
    seen: set[tuple[int, str]] = set()
    latest = []
    for r in runs:  # the newest run of each scheme and period
        if (r.scheme_id, r.period) not in seen:
            seen.add((r.scheme_id, r.period))
            latest.append(r)
    return render(request, "runs/alert_index.html", {"runs": latest})
