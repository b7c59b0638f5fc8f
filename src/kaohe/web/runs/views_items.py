"""Pages of item runs (spec §8): the paginated item list, one item's scorecard, the Excel export.

Items are read from the engine's store page by page (runs/items.py), scoped through their
owners; an item outside the viewer's scope answers 404 like any result outside it, and
inspectors, who see no items, get 403.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from kaohe.web.core.querysets import scope_of
from kaohe.web.core.roles import Action, can, role_of
from kaohe.web.runs import cells, items
from kaohe.web.runs.explain import shows_formulas
from kaohe.web.runs.models import Run
from kaohe.report.xlsx_style import OfficeWorkbook
from kaohe.web.core.files import xlsx_response


class ItemFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"placeholder": _("编号或名称")}))
    grade = forms.ChoiceField(label=_("等级"), required=False, widget=cells.FastSelect)
    alert = forms.BooleanField(label=_("仅看预警"), required=False)
    owner = forms.CharField(label=_("负责人员或单位编号"), required=False, max_length=64)

    def __init__(self, *args: Any, grades: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grade"].choices = [("", _("全部"))] + [(g, g) for g in grades]  # type: ignore

    def item_filter(self) -> items.ItemFilter:
        data: dict[str, Any] = {}
        if self.is_bound:
            self.is_valid()  # an invalid field is dropped, the others still apply
            data = self.cleaned_data
        return items.ItemFilter(q=(data.get("q") or "").strip(), grade=data.get("grade") or "",
                                alert=bool(data.get("alert")),
                                owner=(data.get("owner") or "").strip())


def item_run(user: Any, pk: int) -> Run:
    """A done item run ``user`` may open (403 for roles that see no items)."""
    if not can(user, Action.VIEW) or not items.sees_items(role_of(user)):
        raise PermissionDenied
    return get_object_or_404(Run.objects.restrict(user).select_related("scheme", "version"),
                             pk=pk, status=Run.Status.DONE, entity="item")


def run_scope(user: Any, run: Run) -> items.ItemScope:
    return items.item_scope(scope_of(user), run.period, run.scheme.period)


class StorePages:
    """The filtered items as a sequence the Paginator slices: one store query per page; with
    ``by_alert``, most severe alert first (the alerts page)."""

    def __init__(self, run: Run, scope: items.ItemScope, flt: items.ItemFilter,
                 known: int | None = None, by_alert: bool = False) -> None:
        self.run, self.scope, self.flt, self._count = run, scope, flt, known
        self.by_alert = by_alert

    def count(self) -> int:
        if self._count is None:
            self._count = items.count(self.run.engine_run_id, self.scope, self.flt,
                                      list(self.run.alerts))
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, s: slice) -> list[items.ItemRow]:
        start = s.start or 0
        return items.page(self.run.engine_run_id, self.scope, self.flt, list(self.run.alerts),
                          offset=start, limit=(s.stop or start) - start,
                          by_alert=self.by_alert)


def _grades(run: Run) -> list[str]:
    return [str(g[1]) for g in run.grades]


@login_required
def item_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The run's items in scope: search by id or name, filter by grade, alert and owner."""
    run = item_run(request.user, pk)
    scope = run_scope(request.user, run)
    in_scope = items.count(run.engine_run_id, scope, items.ItemFilter(), list(run.alerts))
    if not scope.everything and not in_scope:
        raise Http404
    form = ItemFilterForm(request.GET or None, grades=_grades(run))
    flt = form.item_filter()
    known = in_scope if flt == items.ItemFilter() else None
    page = Paginator(StorePages(run, scope, flt, known), items.PAGE_SIZE).get_page(
        request.GET.get("page"))
    rows = list(page.object_list)
    items.name_owners(rows)
    return render(request, "runs/items.html", {
        "run": run, "form": form, "page": page, "rows": rows, "in_scope": in_scope,
        "count": page.paginator.count, "alerts": list(run.alerts),
        "levels": alert_levels(list(run.alerts))})


def alert_levels(alerts: list[str]) -> dict[str, str]:
    """Grade label → css class of its alert level: the order of ``alerts`` is severity
    (spec §12): the first red, the second orange, the rest yellow."""
    classes = ("alert-red", "alert-orange")
    return {a: classes[i] if i < len(classes) else "alert-yellow" for i, a in enumerate(alerts)}


def _plain_values(run: Any, values: list[dict[str, Any]]) -> None:
    """What people read of each indicator (issue 13): its 口径, its value in its format, its
    rule as a sentence and its role in words."""
    from kaohe.scheme.formats import format_value
    from kaohe.web.runs.explain import ROLE_LABELS, definition_of, definitions, english

    defs = definitions(run)
    lang = "en" if english() else "zh"
    for v in values:
        description, fmt, sentence = definition_of(defs, str(v.get("code")))
        v.update(description=description, sentence=sentence,
                 value_text=format_value(v.get("value"), fmt, lang),
                 role_label=str(ROLE_LABELS.get(str(v.get("role")), v.get("role"))))


@login_required
def item_card(request: HttpRequest, pk: int, item_id: str) -> HttpResponse:
    """One item: its owners, values, points and payout lines."""
    run = item_run(request.user, pk)
    found = items.detail(run.engine_run_id, run_scope(request.user, run), item_id,
                         list(run.indicators), list(run.alerts))
    if found is None:
        raise Http404
    items.name_owners([found.row])
    _plain_values(run, found.values)
    total_line = sum((a for _n, a in found.lines if a is not None), 0.0)
    return render(request, "runs/item_card.html", {
        "run": run, "item": found.row, "values": found.values, "lines": found.lines,
        "show_formula": shows_formulas(request.user),
        "lines_total": round(total_line, 2), "levels": alert_levels(list(run.alerts))})


@login_required
def items_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """The filtered items, at most ``items.EXPORT_LIMIT`` rows (the sheet says so)."""

    from kaohe.report.safe import write_text, write_texts

    run = item_run(request.user, pk)
    scope = run_scope(request.user, run)
    form = ItemFilterForm(request.GET or None, grades=_grades(run))
    flt = form.item_filter()
    total = items.count(run.engine_run_id, scope, flt, list(run.alerts))
    if not scope.everything and not total and not items.count(
            run.engine_run_id, scope, items.ItemFilter(), list(run.alerts)):
        raise Http404
    rows = items.page(run.engine_run_id, scope, flt, list(run.alerts), 0, items.EXPORT_LIMIT)
    items.name_owners(rows)
    buf = io.BytesIO()
    book = OfficeWorkbook(buf, {"in_memory": True, "constant_memory": True})
    sheet = book.add_worksheet(_t("考核对象"))
    head = book.add_format({"bold": True, "bg_color": "#EEF2F7", "border": 1})
    points = book.add_format({"num_format": "0.00"})
    money = book.add_format({"num_format": '"¥"#,##0.00'})
    r0 = 0
    if total > len(rows):
        write_text(sheet, 0, 0, _t("仅导出前 %(n)d 条，共 %(total)d 条；请缩小筛选范围 only the "
                                   "first %(n)d of %(total)d rows are exported; narrow the "
                                   "filter") % {"n": len(rows), "total": total})
        r0 = 1
    headers = [_t("排名"), _t("编号"), _t("名称"), _t("负责人员"), _t("对象单位"), _t("总分"),
               _t("等级"), _t("预警")]
    if run.has_payout:
        headers.append(_t("兑现金额"))
    write_texts(sheet, r0, 0, headers, head)
    for n, r in enumerate(rows, start=r0 + 1):
        sheet.write_number(n, 0, r.rank)
        write_text(sheet, n, 1, r.id)
        write_text(sheet, n, 2, r.name or "")
        write_text(sheet, n, 3, f"{r.person_name}（{r.person}）" if r.person else "")
        write_text(sheet, n, 4, f"{r.unit_name}（{r.unit}）" if r.unit else "")
        if r.total is not None:
            sheet.write_number(n, 5, r.total, points)
        write_text(sheet, n, 6, r.grade or "")
        write_text(sheet, n, 7, _t("预警") if r.alert else "")
        if run.has_payout and r.payout is not None:
            sheet.write_number(n, 8, r.payout, money)
    book.close()
    return xlsx_response(buf.getvalue(), f"{run.scheme.code}_{run.period}_items.xlsx")


@dataclass
class ItemBlock:
    """The dashboard's block of an item run: counts only (two COUNTs on the store)."""

    run: Run
    count: int
    alerts: int


def item_blocks(user: Any) -> list[ItemBlock]:
    """The latest done run of each item scheme ``user`` may open, with the items and the
    alerted items in their scope; runs with nothing in scope are left out."""
    if not can(user, Action.VIEW) or not items.sees_items(role_of(user)):
        return []
    from kaohe.web.runs.notice import effective_ids

    runs = Run.objects.restrict(user).filter(status=Run.Status.DONE, entity="item")
    latest: dict[int, str] = {}
    for scheme_id, period in runs.values_list("scheme_id", "period").distinct():
        if period > latest.get(scheme_id, ""):
            latest[scheme_id] = period
    standing = effective_ids(set(latest.items()))
    out = []
    for run in Run.objects.filter(pk__in=standing.values()).select_related("scheme"):
        if not Run.objects.restrict(user).filter(pk=run.pk).exists():
            continue  # the standing run is a draft this user does not see
        scope = run_scope(user, run)
        n = items.count(run.engine_run_id, scope, items.ItemFilter(), list(run.alerts))
        if n:
            alerted = items.count(run.engine_run_id, scope, items.ItemFilter(alert=True),
                                  list(run.alerts)) if run.alerts else 0
            out.append(ItemBlock(run, n, alerted))
    return sorted(out, key=lambda b: b.run.scheme.name)
