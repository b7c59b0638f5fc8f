"""Pages of the telecom regimes S3, S4, S5, S9 (docs/web.md, "渠道与专项看板").

- ``channels:partners`` 我的渠道: the partner outlets in the user's scope (a channel manager's
  own partners, an assessor's branch, everything for admins) with their latest star, score,
  commission and 养卡 warning level, and the manager's own result (为谁服务由谁考核);
- ``channels:statement`` 酬金结算单: one partner's commission, every payout line of every
  period as the engine stored it, the clawback line and the numbers the audit clawed back;
  ``channels:statement_xlsx`` the same as a workbook;
- ``channels:warnings`` 客户预警清单 (S4): the latest churn warnings in scope, most severe first,
  what to do next per level and the 已挽留 mark (``channels:retain``, retention.py);
  ``channels:warnings_xlsx`` the list as a workbook;
- ``channels:dashboards`` / ``channels:dashboard``: one page per regime with its key numbers
  and a chart.

Every number comes from the engine's results (``Result`` rows restricted to the user, or the
store for item runs through ``runs.items``); nothing here computes a point or a yuan.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from kaohe.web.channels import retention
from kaohe.web.core.roles import Action, Role, can, role_of
from kaohe.web.org.models import Unit
from kaohe.web.runs import charts, items
from kaohe.web.runs.models import Result, Run
from kaohe.web.runs.views_alerts import AlertLine, _item_lines, alert_lines
from kaohe.web.runs.views_items import StorePages, alert_levels, run_scope
from kaohe.web.runs.views_results import latest_runs_by_period, results_in_scope
from kaohe.report.xlsx_style import OfficeWorkbook
from kaohe.web.core.files import xlsx_response

PARTNER_KINDS = ("合作厅", "特约厅", "代理店")
PAGE_SIZE = 50
EXPORT_LIMIT = 100_000
CLAWBACK_LINE = "养卡扣回"
CLAWED_GRADE = "扣回"

# What a customer manager does next about a warned customer, per level (seed article 2: red
# within 48 hours in person, orange by phone within the week, yellow care within the month).
NEXT_STEP = {
    "红色": _("48小时内上门或约到厅面谈，营业厅主任跟进；可用续约优惠、欠费分期或资费调整挽留"),
    "橙色": _("3日内电话回访，问清不用或欠费原因，推荐合适的套餐、合约或终端优惠"),
    "黄色": _("本月内关怀回访（电话或短信），合约到期的提前续约，投诉的回访致歉并跟踪处理"),
}

# The regimes: title, the schemes in run order, and the lead scheme of the chart.
REGIMES: dict[str, tuple[Any, tuple[str, ...], str]] = {
    "s3": (_("大客户经理考核"), ("big_customer_manager",), "big_customer_manager"),
    "s4": (_("客户预警"), ("customer_churn", "diamond_daily", "manager_retention",
                        "hall_retention"), "manager_retention"),
    "s5": (_("集团客户"), ("group_customer", "group_manager"), "group_manager"),
    "s9": (_("渠道考核与酬金"), ("card_audit", "yangka_watch", "channel_partner",
                           "channel_manager"), "channel_partner"),
}


def _require(user: Any, action: str) -> None:
    if not can(user, action):
        raise PermissionDenied


def latest_run(user: Any, code: str) -> Run | None:
    """The newest done run of ``code`` the user may open (drafts only for those who see
    them), by period."""
    return (Run.objects.restrict(user).filter(scheme__code=code, status=Run.Status.DONE)
            .select_related("scheme").order_by("-period", "-published_at", "-pk").first())


# --- 我的渠道 -----------------------------------------------------------------------------------

@dataclass
class PartnerRow:
    unit: Unit
    result: Result | None
    yangka: Result | None

    @property
    def clawback(self) -> float | None:
        if self.result is None:
            return None
        value = self.result.payout_lines.get(CLAWBACK_LINE)
        return None if value is None else float(value)


@login_required
def partners(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(user, Action.CHANNELS)
    units = list(Unit.objects.restrict(user).filter(kind__in=PARTNER_KINDS).order_by("path"))
    partner_run = latest_run(user, "channel_partner")
    yangka_run = latest_run(user, "yangka_watch")
    scoped = results_in_scope(user)
    by_unit = {r.unit_id: r for r in scoped.filter(run=partner_run)} if partner_run else {}
    yangka = {r.unit_id: r for r in scoped.filter(run=yangka_run)} if yangka_run else {}
    rows = [PartnerRow(u, by_unit.get(u.pk), yangka.get(u.pk)) for u in units]
    paid = [r.result.payout for r in rows if r.result and r.result.payout is not None]
    own = None
    profile = getattr(user, "profile", None)
    if role_of(user) == Role.CHANNEL_MANAGER and profile is not None and profile.person_id:
        # the manager's own result (渠道经理考核): their own person, published runs only
        own = (Result.objects.filter(run__scheme__code="channel_manager",
                                     run__status=Run.Status.DONE,
                                     run__published_at__isnull=False,
                                     entity_id=profile.person_id)
               .select_related("run").order_by("-run__period", "-run__published_at").first())
    stars: dict[str, int] = {}
    for r in rows:
        if r.result:
            stars[r.result.grade] = stars.get(r.result.grade, 0) + 1
    order = [str(g[1]) for g in partner_run.grades] if partner_run else []
    chart = charts.pie([(g, stars[g]) for g in order if g in stars], _t("星级")) if stars else ""
    return render(request, "channels/partners.html", {
        "rows": rows, "partner_run": partner_run, "yangka_run": yangka_run, "own": own,
        "total": sum(paid, Decimal("0.00")),
        "warned": sum(1 for r in rows if r.yangka and r.yangka.alert),
        "failing": sum(1 for r in rows if r.result and r.result.alert),
        "chart": chart, "yangka_levels": alert_levels(list(yangka_run.alerts))
        if yangka_run else {}})


# --- 酬金结算单 ---------------------------------------------------------------------------------

@dataclass
class StatementMonth:
    result: Result
    lines: list[tuple[str, float | None]] = field(default_factory=list)


def _partner(user: Any, unit_id: str) -> Unit:
    _require(user, Action.VIEW)
    return get_object_or_404(Unit.objects.restrict(user), pk=unit_id, kind__in=PARTNER_KINDS)


def _statement(user: Any, unit: Unit) -> tuple[list[StatementMonth], Run | None,
                                                list[items.ItemRow]]:
    """The partner's months (newest first; the run that stands for each period), the latest
    audit run and its clawed-back numbers."""
    standing = {run.pk for run in latest_runs_by_period("channel_partner")}
    results = (results_in_scope(user).filter(run__in=standing, unit=unit)
               .select_related("run").order_by("-run__period"))
    months = [StatementMonth(r, [(k, None if v is None else float(v))
                                 for k, v in r.payout_lines.items()]) for r in results]
    audit = latest_run(user, "card_audit")
    clawed: list[items.ItemRow] = []
    if audit is not None and items.sees_items(role_of(user)):
        clawed = items.page(audit.engine_run_id, run_scope(user, audit),
                            items.ItemFilter(grade=CLAWED_GRADE, owner=unit.pk),
                            list(audit.alerts), 0, limit=EXPORT_LIMIT)
    return months, audit, clawed


@login_required
def statement(request: HttpRequest, unit_id: str) -> HttpResponse:
    unit = _partner(request.user, unit_id)
    months, audit, clawed = _statement(request.user, unit)
    if not months and not clawed:
        raise Http404
    from kaohe.demo.telecom_s9_report import STAR_PRIVILEGES

    latest = months[0].result if months else None
    return render(request, "channels/statement.html", {
        "unit": unit, "months": months, "audit": audit, "clawed": clawed[:PAGE_SIZE],
        "clawed_count": len(clawed), "latest": latest,
        "privilege": STAR_PRIVILEGES.get(latest.grade, "") if latest else "",
        "line_names": list(months[0].result.payout_lines) if months else []})


@login_required
def statement_xlsx(request: HttpRequest, unit_id: str) -> HttpResponse:
    """酬金结算单 of one partner: a row per month with every line, then the numbers clawed
    back (the audit's), then the star privileges: what the 市场部 sends the partner."""

    from kaohe.demo.telecom_s9_report import STAR_PRIVILEGES
    from kaohe.report.safe import write_text, write_texts, write_value

    unit = _partner(request.user, unit_id)
    months, audit, clawed = _statement(request.user, unit)
    if not months and not clawed:
        raise Http404
    buf = io.BytesIO()
    book = OfficeWorkbook(buf, {"in_memory": True})
    bold = book.add_format({"bold": True})
    title = book.add_format({"bold": True, "font_size": 14})
    head = book.add_format({"bold": True, "bg_color": "#EEF2F7", "border": 1})
    money = book.add_format({"num_format": "#,##0.00"})
    sheet = book.add_worksheet(_t("酬金结算单"))
    write_text(sheet, 0, 0, f"{unit.name} {_t('渠道酬金结算单')}", title)
    write_texts(sheet, 1, 0, [_t("渠道编码"), unit.pk, _t("渠道类型"), unit.kind])
    lines = list(months[0].result.payout_lines) if months else []
    write_texts(sheet, 3, 0, [_t("考核期"), _t("总分"), _t("星级"), *lines, _t("应付酬金合计"),
                              _t("星级权益")], head)
    for n, m in enumerate(months, start=4):
        r = m.result
        write_texts(sheet, n, 0, [r.run.period])
        write_value(sheet, n, 1, float(r.total))
        write_text(sheet, n, 2, r.grade)
        for j, name in enumerate(lines):
            amount = r.payout_lines.get(name)
            write_value(sheet, n, 3 + j, None if amount is None else float(amount), money)
        write_value(sheet, n, 3 + len(lines), None if r.payout is None else float(r.payout),
                    money)
        write_text(sheet, n, 4 + len(lines), STAR_PRIVILEGES.get(r.grade, ""))
    sheet.set_column(0, 0, 12)
    sheet.set_column(3, 3 + len(lines), 12)
    sheet.set_column(4 + len(lines), 4 + len(lines), 40)
    claw = book.add_worksheet(_t("扣回号码明细"))
    period = audit.period if audit else ""
    write_text(claw, 0, 0, _t("%(period)s 稽核：入网后三个月中任一月通话不足10分钟且流量不足30MB的号码，"
                              "每个扣回酬金") % {"period": period}, bold)
    write_texts(claw, 1, 0, [_t("号码"), _t("稽核结论"), _t("稽核得分")], head)
    for n, row in enumerate(clawed, start=2):
        write_texts(claw, n, 0, [row.id, row.grade or ""])
        write_value(claw, n, 2, row.total)
    claw.set_column(0, 0, 16)
    book.close()
    return xlsx_response(buf.getvalue(), f"channel_statement_{unit.pk}.xlsx")


# --- 客户预警清单 (S4) --------------------------------------------------------------------------

WARNING_SCHEME = "customer_churn"


def _warning_run(user: Any) -> Run:
    _require(user, Action.VIEW)
    if not items.sees_items(role_of(user)):
        raise PermissionDenied
    run = latest_run(user, WARNING_SCHEME)
    if run is None:
        raise Http404
    return run


def _level(request: HttpRequest, run: Run) -> str:
    level = request.GET.get("level", "")
    return level if level in run.alerts else ""


@dataclass
class WarningLine:
    alert: AlertLine
    next_step: str
    retained: bool


def _warning_lines(run: Run, lines: list[AlertLine]) -> list[WarningLine]:
    since = retention.day_bounds(run)[0]
    kept = retention.retained_customers([a.id for a in lines], since)
    return [WarningLine(a, str(NEXT_STEP.get(a.grade, "")), a.id in kept) for a in lines]


@login_required
def warnings(request: HttpRequest) -> HttpResponse:
    user = request.user
    try:
        run = _warning_run(user)
    except Http404:  # linked from the menu: no run yet is a page that says so, not a 404
        return render(request, "channels/warnings_none.html")
    level = _level(request, run)
    owner = request.GET.get("owner", "").strip()[:64]
    q = request.GET.get("q", "").strip()[:64]
    flt = items.ItemFilter(q=q, grade=level, alert=True, owner=owner)
    seq = StorePages(run, run_scope(user, run), flt, by_alert=True)
    page = Paginator(seq, PAGE_SIZE).get_page(request.GET.get("page"))
    total = page.paginator.count
    lines = _item_lines(run, list(page.object_list))
    earliest, latest, default = retention.day_bounds(run)
    return render(request, "channels/warnings.html", {
        "run": run, "page": page, "rows": _warning_lines(run, lines), "count": total,
        "level": level, "owner": owner, "q": q, "levels": alert_levels(list(run.alerts)),
        "next_steps": [(a, NEXT_STEP.get(a, "")) for a in run.alerts],
        "can_retain": can(user, Action.RETAIN), "channels": retention.CHANNELS,
        "earliest": earliest, "latest": latest, "default_day": default})


@login_required
def warnings_xlsx(request: HttpRequest) -> HttpResponse:
    """The warning list as a 市场部 sends it to the managers: level, customer, manager, hall,
    the signals that cost points, what to do next, and whether already retained."""

    from kaohe.report.safe import write_text, write_texts, write_value

    user = request.user
    run = _warning_run(user)
    level = _level(request, run)
    owner = request.GET.get("owner", "").strip()[:64]
    lines, total = alert_lines(user, run, level, owner, 0, EXPORT_LIMIT)
    rows = _warning_lines(run, lines)
    buf = io.BytesIO()
    book = OfficeWorkbook(buf, {"in_memory": True, "constant_memory": True})
    sheet = book.add_worksheet(_t("客户预警清单"))
    head = book.add_format({"bold": True, "bg_color": "#EEF2F7", "border": 1})
    r0 = 0
    write_text(sheet, 0, 0, f"{run.scheme.name} {run.period} {_t('客户预警清单')}")
    r0 = 1
    if total > len(rows):
        write_text(sheet, 1, 0, _t("仅导出前 %(n)d 条，共 %(total)d 条") % {
            "n": len(rows), "total": total})
        r0 = 2
    write_texts(sheet, r0, 0, [_t("预警级别"), _t("客户编号"), _t("客户名称"), _t("客户经理"),
                               _t("归属营业厅"), _t("得分"), _t("预警原因"), _t("下一步"),
                               _t("已挽留")], head)
    for n, w in enumerate(rows, start=r0 + 1):
        a = w.alert
        write_texts(sheet, n, 0, [a.grade, a.id, a.name, a.person, a.unit])
        write_value(sheet, n, 5, a.total)
        write_texts(sheet, n, 6, ["；".join(a.costs), w.next_step,
                                  _t("是") if w.retained else ""])
    sheet.set_column(1, 4, 16)
    sheet.set_column(6, 7, 40)
    book.close()
    return xlsx_response(buf.getvalue(), f"{run.scheme.code}_{run.period}_warnings.xlsx")


@login_required
@require_POST
def retain(request: HttpRequest, pk: int, item_id: str) -> HttpResponse:
    user = request.user
    _require(user, Action.RETAIN)
    run = get_object_or_404(Run.objects.restrict(user).select_related("scheme"), pk=pk,
                            status=Run.Status.DONE, scheme__code=WARNING_SCHEME)
    if not items.sees_items(role_of(user)):
        raise PermissionDenied
    try:
        day = date.fromisoformat(request.POST.get("day", ""))
    except ValueError:
        day = None
    if day is None:
        messages.error(request, _t("请填写维系日期（年-月-日）"))
    else:
        try:
            retention.mark_retained(user, run, item_id, day, request.POST.get("channel", ""))
        except retention.NotInList as exc:
            raise Http404 from exc
        except retention.RetentionRefused as exc:
            messages.error(request, _t("未登记：%(why)s") % {"why": exc})
        else:
            messages.success(request, _t("已登记挽留：%(id)s（%(day)s）。下次运行%(month)s的客户经理"
                                         "预警维系考核时计入挽留成功客户数。") % {
                "id": item_id, "day": day, "month": day.strftime("%Y-%m")})
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure())
    return redirect(back if safe and back.startswith("/") else "channels:warnings")


# --- 专项看板 -----------------------------------------------------------------------------------

@dataclass
class SchemeFigures:
    run: Run
    count: int
    alerts: int
    mean: float | None = None
    payout: Decimal | None = None


def _figures(user: Any, run: Run) -> SchemeFigures | None:
    if run.entity == "item":
        if not items.sees_items(role_of(user)):
            return None
        scope = run_scope(user, run)
        n = items.count(run.engine_run_id, scope, items.ItemFilter(), list(run.alerts))
        warned = items.count(run.engine_run_id, scope, items.ItemFilter(alert=True),
                             list(run.alerts)) if run.alerts else 0
        return SchemeFigures(run, n, warned) if n else None
    from django.db.models import Avg, Count, Q, Sum

    agg = results_in_scope(user).filter(run=run).aggregate(
        n=Count("pk"), warned=Count("pk", filter=Q(alert=True)), mean=Avg("total"),
        paid=Sum("payout"))
    if not agg["n"]:
        return None
    return SchemeFigures(run, agg["n"], agg["warned"],
                         None if agg["mean"] is None else float(agg["mean"]), agg["paid"])


@login_required
def dashboards(request: HttpRequest) -> HttpResponse:
    _require(request.user, Action.CHANNELS)
    return render(request, "channels/dashboards.html", {
        "regimes": [(key, title) for key, (title, _s, _l) in REGIMES.items()]})


@login_required
def dashboard(request: HttpRequest, regime: str) -> HttpResponse:
    user = request.user
    _require(user, Action.CHANNELS)
    if regime not in REGIMES:
        raise Http404
    title, codes, lead = REGIMES[regime]
    figures = []
    for code in codes:
        run = latest_run(user, code)
        found = _figures(user, run) if run is not None else None
        if found is not None:
            figures.append(found)
    # the chart: the lead scheme's grades per period (results in scope; the run that stands
    # for each period), stacked
    periods: list[str] = []
    grades: list[str] = []
    counts: dict[tuple[str, str], int] = {}
    runs = latest_runs_by_period(lead)[-6:]
    if runs:
        grades = [str(g[1]) for g in runs[-1].grades]
        from django.db.models import Count

        scoped = results_in_scope(user).filter(run__in=runs)
        for period, grade, n in scoped.values_list("run__period", "grade").annotate(
                n=Count("pk")).values_list("run__period", "grade", "n"):
            counts[(period, grade)] = n
        periods = [r.period for r in runs if any((r.period, g) in counts for g in grades)]
    chart = charts.bar(periods, [(g, [counts.get((p, g), 0) for p in periods]) for g in grades],
                       y_name=_t("人数/个数"), stack=True) if periods else ""
    return render(request, "channels/dashboard.html", {
        "regime": regime, "title": title, "figures": figures, "chart": chart,
        "lead": runs[-1] if runs else None, "regimes": [(k, t) for k, (t, _s, _l)
                                                         in REGIMES.items()]})
