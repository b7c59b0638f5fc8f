"""The dashboard (首页): what the user's role cares about, within the user's scope.

For every scheme, the latest done run with a result in the user's scope gives the key
figures (entities, average total, flagged), the top and bottom five by total, the grade
distribution, and the average total per period across the scheme's runs. Roles add their own
block: staff their latest results and appeals, heads their clerks' ranking, inspectors their
outlets, partners their statement. Everything goes through ``results_in_scope``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Avg, Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _t

from kaohe.web.core.roles import Action, Role, can, role_of
from kaohe.web.runs import charts
from kaohe.web.runs.models import Result, Run
from kaohe.web.runs.notice import effective_ids
from kaohe.web.runs.views_results import latest_payout, latest_runs_by_period, results_in_scope

TOP = 5
FLAGGED = Q(vetoed=True) | Q(eliminate=True) | Q(bottom=True)


@dataclass
class SchemeBlock:
    run: Run
    count: int
    average: Decimal | None
    flagged: int
    top: list[Result] = field(default_factory=list)
    bottom: list[Result] = field(default_factory=list)
    listing: list[Result] = field(default_factory=list)  # small scopes: every row
    grade_chart: str = ""
    trend_chart: str = ""


def _url(name: str, *args: Any) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # that app has not routed the page (yet)
        return None


def latest_runs(results: QuerySet[Result]) -> list[Run]:
    """Per scheme, the latest period's standing run (published, else latest done;
    ``runs.notice.effective_ids``) among the runs with a row in ``results``."""
    pairs = set(Run.objects.filter(status=Run.Status.DONE, pk__in=results.values("run_id"))
                .values_list("scheme_id", "period").distinct())
    latest: dict[int, tuple[int, str]] = {}
    for scheme_id, period in pairs:
        if scheme_id not in latest or period > latest[scheme_id][1]:
            latest[scheme_id] = (scheme_id, period)
    standing = effective_ids(set(latest.values()))
    runs = Run.objects.select_related("scheme").filter(pk__in=standing.values())
    return sorted(runs, key=lambda r: r.scheme.name)


def top_and_bottom(rows: QuerySet[Result], n: int = TOP) -> tuple[list[Result], list[Result]]:
    """The ``n`` highest and ``n`` lowest totals (ties: the lower entity id first)."""
    top = list(rows.order_by("-total", "entity_id")[:n])
    bottom = list(rows.order_by("total", "entity_id")[:n])
    return top, bottom


def _block(run: Run, results: QuerySet[Result], role: str | None) -> SchemeBlock:
    rows = results.filter(run=run)
    agg = rows.aggregate(n=Count("pk"), avg=Avg("total"), flagged=Count("pk",
                                                                             filter=FLAGGED))
    avg = agg["avg"]
    block = SchemeBlock(run=run, count=agg["n"], flagged=agg["flagged"],
                        average=None if avg is None else Decimal(str(avg)).quantize(
                            Decimal("0.01")))
    # heads see their whole hall, staff themselves, partners and inspectors their outlets:
    # small enough to list; admins and assessors get the top and bottom of the ranking
    if role in (Role.ADMIN, Role.ASSESSOR) and block.count > 2 * TOP:
        block.top, block.bottom = top_and_bottom(rows)
    else:
        block.listing = list(rows.order_by("group_key", "rank", "entity_id")[:50])
    grades = [str(g[1]) for g in run.grades]
    counts = dict(rows.order_by().values_list("grade").annotate(n=Count("pk")))
    labels = grades + sorted(g for g in counts if g not in grades)
    if counts and block.count > 1:  # one's own grade needs no chart
        block.grade_chart = charts.pie([(g or "—", counts[g]) for g in labels if g in counts],
                                       name=_t("等级分布"))
    series = []
    periods = []
    for r in latest_runs_by_period(run.scheme.code):
        value = results.filter(run=r).aggregate(avg=Avg("total"))["avg"]
        if value is not None:
            periods.append(r.period)
            series.append(round(float(value), 2))
    label = _t("我的总分") if role == Role.STAFF else _t("平均总分")
    block.trend_chart = charts.line(periods, [(label, series)], y_name=_t("总分"))
    return block


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    role = role_of(user)
    results = results_in_scope(user)
    blocks = [_block(run, results, role) for run in latest_runs(results)]
    from kaohe.web.runs.views_items import item_blocks

    context: dict[str, Any] = {
        "blocks": blocks, "role": role, "item_blocks": (items := item_blocks(user)),
        "scheme_count": len(blocks) + len(items),
        # only links the role can follow: inspectors have no statement, and inspectors and
        # partners take no part in appeals (roles.ALLOWED)
        "statement_url": _url("runs:statement") if role != Role.INSPECTOR else None,
        "appeals_url": _url("appeals:list") if can(user, Action.READ_APPEALS) else None,
        "inspection_url": _url("data:inspection_new") if role == Role.INSPECTOR else None,
    }
    try:
        from kaohe.web.appeals.models import Appeal
    except ImportError:  # pragma: no cover - the dashboard works without the appeals app
        Appeal = None
    if context["statement_url"]:
        if (payout := latest_payout(user)) is not None:  # (period, "1,234.50")
            context["payout"] = (payout[0], f"{payout[1]:,.2f}")
    if Appeal is not None and context["appeals_url"]:
        appeals = Appeal.objects.restrict(user)
        context["open_appeals"] = appeals.filter(status=Appeal.Status.FILED).count()
        if role == Role.STAFF:
            context["my_appeals"] = list(appeals.select_related("result__run__scheme")[:10])
    from kaohe.web.notify.models import Notification

    context["notes"] = list(Notification.objects.filter(user=user, read_at__isnull=True)[:5])
    if role == Role.INSPECTOR:
        context["outlets"] = list(user.profile.outlets.order_by("path"))
    return render(request, "core/dashboard.html", context)
