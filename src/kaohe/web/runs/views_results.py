"""Result pages of the runs app: ranking (and its .xlsx), scorecard, fact drill-down, trend,
commission statement.

Every page starts from ``results_in_scope(user)`` (``Result.objects.restrict``): rows outside
the user's scope are never read, an entity outside it is a 404, and a run with no result in
scope is a 404 too (``Run.scope_q`` lets everyone reach every run; its results decide).
Inspectors (暗访员) judge outlets, not the people working in them: they see the unit results
of their assigned outlets, and person-entity runs answer 403.
"""

from __future__ import annotations

import io
from collections import OrderedDict
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from kaohe.web.core.querysets import scope_of
from kaohe.web.core.roles import Action, Role, can, role_of
from kaohe.web.org.models import Unit
from kaohe.web.runs import cells, charts, scores_cache
from kaohe.web.runs.explain import (definition_of, definitions, fact_rows, fact_source,
                                   indicator_lines, point_indicators, shows_formulas)
from kaohe.web.runs.notice import effective_ids
from kaohe.web.runs.models import Result, Run, Score
from kaohe.report.xlsx_style import OfficeWorkbook
from kaohe.web.core.files import xlsx_response

PAGE_SIZE = 50
FACT_LIMIT = 200


def results_in_scope(user: Any) -> QuerySet[Result]:
    """The results ``user`` may see (none for anonymous users)."""
    return Result.objects.restrict(user, Action.VIEW)  # runs.models.results_q


def _check_entity_kind(user: Any, entity: str) -> None:
    # Inspectors and partners see outlets' results, not clerks' (runs.models.results_q).
    unit_only = (Role.INSPECTOR, Role.PARTNER, Role.CHANNEL_MANAGER)
    if role_of(user) in unit_only and entity == "person":
        raise PermissionDenied(_t("只能查看营业厅的考核结果"))


def _done_run(user: Any, pk: int) -> Run:
    if not can(user, Action.VIEW):
        raise PermissionDenied
    run = get_object_or_404(Run.objects.restrict(user).select_related("scheme", "version"),
                            pk=pk, status=Run.Status.DONE)
    _check_entity_kind(user, run.entity)
    return run


def flags_of(r: Result) -> list[tuple[str, str]]:
    """(label, css class) for each flag a result carries."""
    out: list[tuple[str, str]] = []
    if r.vetoed:
        out.append((_t("一票否决"), "bad"))
    if r.eliminate:
        out.append((_t("末位淘汰"), "bad"))
    elif r.bottom:
        out.append((_t("本期末位"), "warn"))
    if r.adjustment:
        out.append((_t("申诉调整 %(n)s") % {"n": f"{r.adjustment:+.2f}"}, "ok"))
    for a in r.adjustments or ():
        if a.get("kind") == "value":
            out.append((_t("更正 %(code)s 为 %(v)s") % {"code": a.get("code"),
                                                       "v": f"{a.get('amount'):g}"}, "ok"))
    return out


def tied_groups(results: QuerySet[Result]) -> list[dict[str, Any]]:
    """The peer groups of ``results`` in which every entity has the same total: a whole group
    that ties usually means missing data, and the scheme's bottom-n rule (spec: "fewer than n
    of its group have a strictly lower total") then flags every one of them 末位. Only groups
    the reader sees whole are named (``group_size`` entities in ``results``)."""
    rows = (results.order_by().values("group_key", "group_name")
            .annotate(n=Count("pk"), size=Max("group_size"), low=Min("total"),
                      high=Max("total"), bottoms=Count("pk", filter=Q(bottom=True)))
            .filter(n__gt=1, n=F("size"), low=F("high")).order_by("group_name", "group_key"))
    return [{"name": r["group_name"] or r["group_key"] or "—", "size": r["n"],
             "total": r["low"], "bottoms": r["bottoms"]} for r in rows]


def _reverse_or_none(name: str, *args: Any) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # the app has not routed that page (yet)
        return None


# --- ranking --------------------------------------------------------------------------------

# sort key → order_by fields; an indicator's points sort as "p.<code>" (checked against the run)
SORTS: dict[str, tuple[str, ...]] = {
    "rank": ("rank", "group_key"),
    "id": ("entity_id",),
    "name": ("name",),
    "unit": ("unit_name",),
    "group": ("group_name",),
    "total": ("total",),
    "grade": ("grade_order",),
    "payout": ("payout",),
    "adjustment": ("adjustment",),
}


class RankingFilter(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"placeholder": _("名称、编号或所属单位")}))
    group = forms.ChoiceField(label=_("分组"), required=False, widget=cells.FastSelect)
    grade = forms.ChoiceField(label=_("等级"), required=False, widget=cells.FastSelect)
    flagged = forms.BooleanField(label=_("仅看有标记的"), required=False)

    def __init__(self, *args: Any, groups: list[tuple[str, str]], grades: list[str],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everything = [("", _("全部"))]
        self.fields["group"].choices = everything + groups  # type: ignore[attr-defined]
        self.fields["grade"].choices = everything + [(g, g) for g in grades]  # type: ignore


def _grade_labels(run: Run) -> list[str]:
    return [str(g[1]) for g in run.grades]


def _filtered(request: HttpRequest, run: Run) -> tuple[QuerySet[Result], RankingFilter, str]:
    """The run's results in scope, filtered and sorted from the query string."""
    base = results_in_scope(request.user).filter(run=run)
    groups = list(base.order_by("group_name", "group_key")
                  .values_list("group_key", "group_name").distinct())
    form = RankingFilter(request.GET or None, groups=[(k, n or k or "—") for k, n in groups],
                         grades=_grade_labels(run))
    qs = base
    data: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()  # an invalid field is dropped from cleaned_data, the others still apply
        data = form.cleaned_data
    if data.get("q"):
        q = data["q"].strip()
        qs = qs.filter(Q(name__icontains=q) | Q(entity_id__icontains=q)
                       | Q(unit_name__icontains=q))
    if data.get("group"):
        qs = qs.filter(group_key=data["group"])
    if data.get("grade"):
        qs = qs.filter(grade=data["grade"])
    if data.get("flagged"):
        qs = qs.filter(Q(vetoed=True) | Q(eliminate=True) | Q(bottom=True) | ~Q(adjustment=0)
                       | ~Q(adjustments=[]))
    sort = request.GET.get("sort", "")
    return _sorted(qs, run, sort), form, sort


def _sorted(qs: QuerySet[Result], run: Run, sort: str) -> QuerySet[Result]:
    key = sort.lstrip("-")
    desc = sort.startswith("-")
    codes = {str(i["code"]) for i in point_indicators(run)}
    if key == "grade":
        # grades in the scheme's order (best first), not alphabetically
        qs = qs.annotate(grade_order=Case(
            *[When(grade=g, then=Value(i)) for i, g in enumerate(_grade_labels(run))],
            default=Value(len(run.grades)), output_field=IntegerField()))
    if key.startswith("p.") and key[2:] in codes:
        qs = qs.annotate(sort_points=Subquery(
            Score.objects.filter(result=OuterRef("pk"), code=key[2:]).values("points")[:1]))
        fields: tuple[str, ...] = ("sort_points",)
    elif key in SORTS:
        fields = SORTS[key]
    else:
        return qs.order_by("group_key", "rank", "entity_id")
    order = [F(f).desc(nulls_last=True) if desc else F(f).asc(nulls_last=True) for f in fields]
    return qs.order_by(*order, "entity_id")


def _attach_points(run: Run, rows: list[Result], codes: list[str]) -> None:
    scores = scores_cache.scores_of(run, [r.pk for r in rows])
    for r in rows:
        mine = scores.get(r.pk, {})
        r.points_list = [mine[c].points if c in mine else None  # type: ignore[attr-defined]
                         for c in codes]
        r.flags = flags_of(r)  # type: ignore[attr-defined]


@login_required
def ranking(request: HttpRequest, pk: int) -> HttpResponse:
    """The run's results in scope, filterable, sortable, paginated."""
    run = _done_run(request.user, pk)
    if run.entity == "item":  # items are read from the store (views_items)
        return redirect("runs:items", run.pk)
    total_in_scope = results_in_scope(request.user).filter(run=run).count()
    if not scope_of(request.user).everything and not total_in_scope:
        raise Http404
    qs, form, sort = _filtered(request, run)
    # unfiltered, the paginator's count is the one just taken: do not count again
    count = total_in_scope if not _narrowed(form) else None
    page = _KnownCountPaginator(qs, PAGE_SIZE, count=count).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    inds = point_indicators(run)
    _attach_points(run, rows, [str(i["code"]) for i in inds])
    columns = [("rank", _t("排名")), ("name", _t("名称")), ("unit", _t("所属单位")),
               ("group", _t("分组")), ("total", _t("总分")), ("grade", _t("等级"))]
    if run.has_payout:
        columns.append(("payout", _t("兑现金额")))
    headers = [_header(key, label, sort) for key, label in columns]
    ind_headers = [_header(f"p.{i['code']}", str(i.get("name") or i["code"]), sort)
                   for i in inds]
    return render(request, "runs/ranking.html", {
        "run": run, "form": form, "page": page, "rows": rows, "headers": headers,
        "table_rows": cells.ranking_rows(rows, run.pk, run.has_payout),
        "ind_headers": ind_headers, "count": page.paginator.count, "total_in_scope":
        total_in_scope, "sort": sort,
        "ties": tied_groups(results_in_scope(request.user).filter(run=run))})


class _KnownCountPaginator(Paginator):
    """A paginator told the count when the view already has it (one COUNT query less)."""

    def __init__(self, *args: Any, count: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if count is not None:
            self.__dict__["count"] = count  # Paginator.count is a cached_property


def _narrowed(form: RankingFilter) -> bool:
    """Whether the filter form removes rows (sorting does not)."""
    data = form.cleaned_data if form.is_bound else {}
    return any(data.get(k) for k in ("q", "group", "grade", "flagged"))


def _header(key: str, label: str, sort: str) -> dict[str, Any]:
    """A sortable column: clicking sorts ascending, clicking again descending."""
    state = "asc" if sort == key else "desc" if sort == f"-{key}" else ""
    return {"key": key, "label": label, "state": state,
            "next": f"-{key}" if state == "asc" else key}


@login_required
def ranking_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """Exactly the rows the ranking shows with the same filter and sort, all pages."""

    from kaohe.report.safe import write_texts

    run = _done_run(request.user, pk)
    if not scope_of(request.user).everything and \
            not results_in_scope(request.user).filter(run=run).exists():
        raise Http404
    qs, _form, _sort = _filtered(request, run)
    rows = list(qs)
    inds = point_indicators(run)
    codes = [str(i["code"]) for i in inds]
    _attach_points(run, rows, codes)
    buf = io.BytesIO()
    book = OfficeWorkbook(buf, {"in_memory": True})
    sheet = book.add_worksheet(_t("排名"))
    head = book.add_format({"bold": True, "bg_color": "#EEF2F7", "border": 1,
                            "text_wrap": True, "valign": "vcenter"})
    points = book.add_format({"num_format": "0.00"})
    money = book.add_format({"num_format": '"¥"#,##0.00'})
    headers = [_t("排名"), _t("编号"), _t("名称"), _t("所属单位"), _t("分组"), _t("总分"),
               _t("等级"), _t("标记")]
    if run.has_payout:
        headers.append(_t("兑现金额"))
    headers += [str(i.get("name") or i["code"]) for i in inds]
    write_texts(sheet, 0, 0, headers, head)  # indicator names as text (report.safe)
    for n, r in enumerate(rows, start=1):
        sheet.write_number(n, 0, r.rank)
        sheet.write_string(n, 1, r.entity_id)
        sheet.write_string(n, 2, r.name)
        sheet.write_string(n, 3, r.unit_name)
        sheet.write_string(n, 4, r.group_name)
        sheet.write_number(n, 5, float(r.total), points)
        sheet.write_string(n, 6, r.grade)
        sheet.write_string(n, 7, "；".join(label for label, _c in r.flags))  # type: ignore
        col = 8
        if run.has_payout:
            if r.payout is not None:
                sheet.write_number(n, col, float(r.payout), money)
            col += 1
        for p in r.points_list:  # type: ignore[attr-defined]
            if p is not None:
                sheet.write_number(n, col, float(p), points)
            col += 1
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), len(headers) - 1)
    sheet.set_column(0, 0, 6)
    sheet.set_column(1, 1, 12)
    sheet.set_column(2, 4, 18)
    sheet.set_column(5, len(headers) - 1, 11)
    book.close()
    return xlsx_response(buf.getvalue(), f"{run.scheme.code}_{run.period}_ranking.xlsx")


# --- scorecard and facts --------------------------------------------------------------------

def _scoped_result(request: HttpRequest, pk: int, entity_id: str) -> Result:
    run = _done_run(request.user, pk)
    result = get_object_or_404(results_in_scope(request.user).select_related("unit"),
                               run=run, entity_id=entity_id)
    result.run = run  # already read, with its scheme and version: not joined a second time
    return result


@login_required
def scorecard(request: HttpRequest, pk: int, entity_id: str) -> HttpResponse:
    """One entity's result with every indicator explained."""
    result = _scoped_result(request, pk, entity_id)
    run = result.run
    appeal_url = None
    if role_of(request.user) == Role.STAFF and can(request.user, Action.APPEAL):
        # staff only ever reach their own results (scope), so this is their own
        appeal_url = _reverse_or_none("appeals:new", result.pk)
    appeals: list[Any] = []
    try:
        from kaohe.web.appeals.models import Appeal
    except ImportError:  # pragma: no cover - the appeals app is optional for this page
        pass
    else:
        appeals = list(Appeal.objects.restrict(request.user).filter(result=result))
    lines = indicator_lines(result)
    payout_lines = list(result.payout_lines.items()) if len(run.payout_lines) > 1 else []
    return render(request, "runs/scorecard.html", {
        "payout_lines": payout_lines,
        "lines_total": sum((a for _n, a in payout_lines if a is not None), 0.0),
        "run": run, "result": result, "lines": lines,
        "table_rows": cells.scorecard_rows(lines, run.pk, result.entity_id,
                                           shows_formulas(request.user)),
        "flags": flags_of(result), "appeal_url": appeal_url, "appeals": appeals,
        "trend_url": reverse("runs:trend", args=[run.scheme.code, result.entity_id]),
        "ranking_url": reverse("runs:ranking", args=[run.pk]),
    })


@login_required
def facts(request: HttpRequest, pk: int, entity_id: str, code: str) -> HttpResponse:
    """The fact rows of one indicator's source for one entity in the run's period."""
    result = _scoped_result(request, pk, entity_id)
    run = result.run
    source = fact_source(run, code)
    if source is None:
        raise Http404
    indicator = next(i for i in run.indicators if i.get("code") == code)
    try:
        data = fact_rows(run, result.entity_id, source, limit=FACT_LIMIT)
    except LookupError as exc:
        raise Http404 from exc
    description, _fmt, sentence = definition_of(definitions(run), code)
    return render(request, "runs/facts.html", {
        "run": run, "result": result, "indicator": indicator, "data": data,
        "description": description, "sentence": sentence,
        "show_formula": shows_formulas(request.user),
        "truncated": data.count > len(data.rows)})


# --- trend ----------------------------------------------------------------------------------

def latest_runs_by_period(scheme_code: str) -> list[Run]:
    """The run that stands for each period of a scheme (``notice.effective_ids``: the published
    one, else the latest done one), oldest period first."""
    runs = Run.objects.filter(scheme__code=scheme_code, status=Run.Status.DONE)
    pairs = set(runs.values_list("scheme_id", "period").distinct())
    standing = effective_ids(pairs)
    by_pk = Run.objects.select_related("scheme").in_bulk(list(standing.values()))
    return [by_pk[standing[pair]] for pair in sorted(standing, key=lambda p: p[1])]


@login_required
def trend(request: HttpRequest, scheme: str, entity_id: str) -> HttpResponse:
    """An entity's total, rank and grade over the periods of a scheme."""
    if not can(request.user, Action.VIEW):
        raise PermissionDenied
    runs = latest_runs_by_period(scheme)
    if not runs:
        raise Http404
    _check_entity_kind(request.user, runs[-1].entity)
    by_run = {r.run_id: r for r in results_in_scope(request.user).filter(
        run__in=runs, entity_id=entity_id)}
    if not by_run:
        raise Http404
    points = [(run, by_run.get(run.pk)) for run in runs]
    periods = [run.period for run, _r in points]
    chart = charts.line(
        periods, [(_t("总分"), [r.total if r else None for _run, r in points])],
        y_name=_t("总分"), second=(_t("排名"), [r.rank if r else None for _run, r in points]))
    name = next(r.name for _run, r in reversed(points) if r)
    return render(request, "runs/trend.html", {
        "scheme": runs[-1].scheme, "entity_id": entity_id, "name": name,
        "points": [(run, r) for run, r in reversed(points)], "chart": chart})


# --- commission statement -------------------------------------------------------------------

class StatementFilter(forms.Form):
    unit = forms.ChoiceField(label=_("单位"), required=True)

    def __init__(self, *args: Any, units: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("请选择"))] + units  # type: ignore[attr-defined]


def standing_payouts(paid: QuerySet[Result]) -> list[Result]:
    """The rows of ``paid`` (results with a payout) whose run stands for its scheme and period
    (a re-run replaces the earlier one), newest period first."""
    rows = list(paid.select_related("run__scheme").order_by(
        "-run__period", "run__scheme__name", "rank", "entity_id"))
    latest = {(run.scheme.code, run.period): run.pk
              for code in {row.run.scheme.code for row in rows}
              for run in latest_runs_by_period(code)}
    return [r for r in rows if latest.get((r.run.scheme.code, r.run.period)) == r.run_id]


def latest_payout(user: Any) -> tuple[str, Decimal] | None:
    """The newest period with a payout in ``user``'s scope and its total (the home page's
    statement card), summed as the statement sums it."""
    paid = results_in_scope(user).filter(payout__isnull=False, run__status=Run.Status.DONE)
    rows = standing_payouts(paid)
    if not rows:
        return None
    period = max(r.run.period for r in rows)
    return period, sum((r.payout for r in rows if r.run.period == period and r.payout is not None),
                       Decimal("0.00"))


@login_required
def statement(request: HttpRequest) -> HttpResponse:
    """Payouts (酬金、绩效兑现) across schemes and periods, summed to the fen.

    Partners, heads and staff see their own scope; admins and assessors choose a unit of
    their scope first.
    """
    if not can(request.user, Action.VIEW):
        raise PermissionDenied
    scope = scope_of(request.user)
    paid = results_in_scope(request.user).filter(payout__isnull=False,
                                                 run__status=Run.Status.DONE)
    form = None
    unit = None
    if scope.everything or scope.unit_path:
        ids = set(paid.exclude(unit=None).values_list("unit_id", flat=True).distinct())
        units = list(Unit.objects.restrict(request.user).filter(pk__in=ids).order_by("path"))
        form = StatementFilter(request.GET or None, units=[(u.pk, f"{u.name}（{u.pk}）")
                                                           for u in units])
        if form.is_bound and form.is_valid():
            unit = next(u for u in units if u.pk == form.cleaned_data["unit"])
            paid = paid.filter(unit=unit)
        else:
            paid = paid.none()
    rows = standing_payouts(paid)
    total = sum((r.payout for r in rows if r.payout is not None), Decimal("0.00"))
    by_scheme: dict[str, Decimal] = {}
    by_period: dict[str, dict[str, Decimal]] = {}
    for r in rows:
        name = r.run.scheme.name
        by_scheme[name] = by_scheme.get(name, Decimal("0.00")) + (r.payout or Decimal(0))
        cell = by_period.setdefault(r.run.period, {})
        cell[name] = cell.get(name, Decimal("0.00")) + (r.payout or Decimal(0))
    by_line: dict[tuple[str, str], Decimal] = {}
    for r in rows:  # payout lines (spec §10): a row per line under a payout of several
        r.line_items = list(r.payout_lines.items()) if len(r.payout_lines) > 1 else []
        for line, amount in r.line_items:
            key = (r.run.scheme.name, line)
            by_line[key] = by_line.get(key, Decimal("0.00")) + Decimal(str(amount or 0))
    periods = sorted(by_period)
    chart = charts.bar(periods, [(name, [by_period[p].get(name) for p in periods])
                                 for name in sorted(by_scheme)], y_name="¥", stack=True) \
        if rows else ""
    return render(request, "runs/statement.html", {
        "form": form, "unit": unit, "rows": rows, "total": total,
        "by_scheme": sorted(by_scheme.items()), "chart": chart, "chooses": form is not None,
        "by_line": [(scheme, line, amount.quantize(Decimal("0.01")))
                    for (scheme, line), amount in by_line.items()]})
