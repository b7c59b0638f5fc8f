"""The run life cycle: the run history, starting a run, following it, publishing it and the
notice (通报) downloads.

Runs are scheme-wide: admins and assessors see every run (drafts and failures too), everyone
else published runs only (``Run.scope_q``); every figure a page shows comes from
``Result.objects.restrict(user)``. Starting and publishing need the actions "run" and "publish"
*on the scheme* (``roles.WHOLE_SCHEME``): a run the user sees but whose scheme's scope is not
inside theirs is a 403, an id they do not see a 404. Publishing also needs every result of the
run inside the publisher's scope. Which run stands for a period, and why a published run is
never replaced, is ``notice.effective_run``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Max, Min, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kaohe.errors import InputError
from kaohe.periods import parse_period
from kaohe.web.core.files import XLSX
from kaohe.web.core.querysets import scope_of
from kaohe.web.core.roles import SEES_DRAFTS, Action, can, role_of
from kaohe.web.runs import jobs, notice, recovery, services
from kaohe.web.runs.models import Result, Run
from kaohe.web.runs.notice import (
    NoticeFontMissing,
    build_notice,
    effective_ids,
    effective_run,
    previous_run,
)
from kaohe.web.runs.views_results import _check_entity_kind as check_entity_kind
from kaohe.web.runs.views_results import tied_groups
from kaohe.web.schemes.models import Scheme, SchemeVersion

PAGE_SIZE = 50
MIN_REASON = 6  # characters of the reason for publishing a run on incomplete data


# ------------------------------------------------------------------------------------ forms

class RunFilterForm(forms.Form):
    scheme = forms.ModelChoiceField(Scheme.objects.none(), required=False,
                                    label=gettext_lazy("方案"), empty_label=gettext_lazy("全部"))
    period = forms.CharField(required=False, label=gettext_lazy("考核期"), max_length=10)
    status = forms.ChoiceField(required=False, label=gettext_lazy("状态"),
                               choices=[("", gettext_lazy("全部")), *Run.Status.choices])

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scheme"].queryset = Scheme.objects.restrict(user).filter(
            pk__in=openable_runs(user).values("scheme_id"))


class RunForm(forms.Form):
    """Scheme, period and version of a new run. An empty version means: the version of the
    period's effective done run when the period has one (recomputing a past period as it was
    computed), else the scheme's current version."""

    scheme = forms.ModelChoiceField(Scheme.objects.none(), label=gettext_lazy("考核方案"))
    period = forms.CharField(label=gettext_lazy("考核期"), max_length=10,
                             help_text=gettext_lazy("月度如 2026-09，季度如 2026-Q3，年度如 2026"))
    version = forms.ModelChoiceField(
        SchemeVersion.objects.none(), required=False, label=gettext_lazy("方案版本"),
        empty_label=gettext_lazy("默认"),
        help_text=gettext_lazy("默认：该考核期已有完成的运行时，沿用其所用的版本（重算历史考核期"
                               "按当时的方案）；否则用方案的当前版本。选择其他版本即按该版本重算。"))

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schemes = Scheme.objects.restrict(user, Action.RUN).filter(current__isnull=False)
        self.fields["scheme"].queryset = schemes
        self.fields["version"].queryset = (
            SchemeVersion.objects.restrict(user, Action.RUN).filter(scheme__in=schemes)
            .select_related("scheme").order_by("scheme__code", "-number"))
        self.fields["version"].label_from_instance = (
            lambda v: f"{v.scheme.name} v{v.number}" + (f"（{v.note}）" if v.note else ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        scheme: Scheme | None = data.get("scheme")
        period = (data.get("period") or "").strip()
        if scheme is None or not period:
            return data
        try:
            data["period"] = str(parse_period(period, scheme.period))
        except InputError as exc:
            self.add_error("period", str(exc))
            return data
        version: SchemeVersion | None = data.get("version")
        if version is not None and version.scheme_id != scheme.pk:
            self.add_error("version", _("所选版本不属于方案 %(scheme)s") % {"scheme": scheme.name})
        elif version is None:
            data["version"] = default_version(scheme, data["period"])
        return data


def default_version(scheme: Scheme, period: str) -> SchemeVersion | None:
    """The version a new run of ``scheme`` for ``period`` uses unless told otherwise."""
    done = effective_run(scheme.pk, period)
    return done.version if done is not None else scheme.current


# ------------------------------------------------------------------------------------ pages

def openable_runs(user: Any) -> QuerySet[Run]:
    """The runs ``user``'s run list shows: those whose pages they can open. Admins and
    assessors check every run (drafts and failures too); everyone else sees a published run
    only when it holds one of their results (a partner does not see the clerks' schemes), or,
    for an item run, when their role reads items (``items.sees_items``)."""
    from kaohe.web.runs import items

    runs = Run.objects.restrict(user)
    if role_of(user) in SEES_DRAFTS:
        return runs
    mine = Q(pk__in=Result.objects.restrict(user).values("run_id"))
    if items.sees_items(role_of(user)):
        mine |= Q(entity="item")
    return runs.filter(mine)


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    """The run history, newest first, filtered by scheme, period and status."""
    runs = openable_runs(request.user).select_related(
        "scheme", "version", "started_by", "published_by")
    form = RunFilterForm(request.user, request.GET or None)
    if form.is_valid():
        if form.cleaned_data["scheme"]:
            runs = runs.filter(scheme=form.cleaned_data["scheme"])
        if form.cleaned_data["period"]:
            runs = runs.filter(period=form.cleaned_data["period"].strip())
        if form.cleaned_data["status"]:
            runs = runs.filter(status=form.cleaned_data["status"])
    page = Paginator(runs.order_by("-created", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    # Which run stands for each (scheme, period) shown: see notice.effective_run.
    effective = effective_ids({(r.scheme_id, r.period) for r in page})
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "runs/run_list.html", {
        "page": page, "form": form, "effective": set(effective.values()),
        "query": query.urlencode(), "can_run": can(request.user, Action.RUN)})


@login_required
def run_new(request: HttpRequest) -> HttpResponse:
    """Start a run: it is created queued and computed in the background; the browser goes to the
    run's page, which follows its progress."""
    if not can(request.user, Action.RUN):
        raise PermissionDenied
    if request.method == "POST":
        _check_runnable(request, request.POST.get("scheme", ""))
    form = RunForm(request.user, request.POST if request.method == "POST" else None,
                   initial={"scheme": request.GET.get("scheme"),
                            "period": request.GET.get("period")})
    if request.method == "POST" and form.is_valid():
        def create() -> Run:
            with transaction.atomic():
                # re-checked inside the transaction (the form's querysets ran before it)
                scheme = Scheme.objects.restrict(request.user, Action.RUN).get(
                    pk=form.cleaned_data["scheme"].pk)
                return services.create_run(scheme, form.cleaned_data["period"], request.user,
                                           version=form.cleaned_data["version"])

        run = jobs.retry_busy(create)
        # After the commit, so that the background thread sees the run (and never blocks us).
        services.start_run(run)
        messages.success(request, _("已开始计算 %(run)s") % {"run": run})
        return redirect("runs:detail", pk=run.pk)
    # The periods already computed and the version a recomputation would use by default.
    pairs = (Run.objects.restrict(request.user).filter(status=Run.Status.DONE)
             .values_list("scheme_id", "scheme__name", "period").distinct()
             .order_by("scheme__name", "-period")[:60])
    past = [{"scheme": name, "period": period, "run": e}
            for scheme_id, name, period in pairs
            if (e := effective_run(scheme_id, period)) is not None]
    return render(request, "runs/run_new.html", {"form": form, "past": past},
                  status=400 if form.is_bound else 200)


def _check_runnable(request: HttpRequest, scheme_id: str) -> None:
    """A posted scheme the user may not run: 404 when they cannot see it, 403 when its scope is
    not inside theirs (a company-wide scheme needs an admin). A malformed or empty value is
    left to the form."""
    if not scheme_id.isdigit():
        return
    if not Scheme.objects.restrict(request.user).filter(pk=int(scheme_id)).exists():
        raise Http404
    if not Scheme.objects.restrict(request.user, Action.RUN).filter(pk=int(scheme_id)).exists():
        raise PermissionDenied(_("该方案的适用范围不在您的管辖范围内，须由考核管理员运行。"))


def _run_or_404(request: HttpRequest, pk: int, action: str = Action.VIEW) -> Run:
    return get_object_or_404(Run.objects.restrict(request.user, action).select_related(
        "scheme", "version", "started_by", "published_by"), pk=pk)


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Status and progress of a run; for a done run, a summary of the results in scope."""
    run = recovery.check(_run_or_404(request, pk))
    results = Result.objects.restrict(request.user).filter(run=run)
    ctx: dict[str, Any] = {
        "run": run, "error": run.error_for(request.user),
        "can_preview": can(request.user, Action.PUBLISH),  # draft notices: those who check them
        "can_publish": Run.objects.restrict(request.user, Action.PUBLISH).filter(
            pk=run.pk).exists(),
        "can_run": Scheme.objects.restrict(request.user, Action.RUN).filter(
            pk=run.scheme_id).exists(),
        "queue": queue_state(run)}
    # Data checks, for those who check and publish runs (the counts are company-wide).
    if run.status == Run.Status.DONE and ctx["can_preview"]:
        ctx["data_warnings"] = run.data_warnings
        ctx["show_counts"] = scope_of(request.user).everything
        if run.entity != "item":
            ctx["ties"] = tied_groups(results)
    if run.status == Run.Status.DONE and run.entity == "item":
        ctx.update(item_summary(request.user, run))
    elif run.status == Run.Status.DONE:
        summary = results.aggregate(n=Count("pk"), vetoed=Count("pk", filter=Q(vetoed=True)),
                                    eliminate=Count("pk", filter=Q(eliminate=True)),
                                    best=Max("total"), worst=Min("total"),
                                    groups=Count("group_key", distinct=True))
        counts = dict(results.values_list("grade").annotate(n=Count("pk")))
        grades = [(str(label), counts.pop(str(label), 0)) for _minimum, label in run.grades]
        grades += sorted((label or _("无等级"), n) for label, n in counts.items())
        total = summary["n"] or 1
        effective = effective_run(run.scheme_id, run.period)
        ctx.update({
            "summary": summary,
            "grades": [(g, n, round(100 * n / total, 1)) for g, n in grades],
            "flagged": results.filter(Q(vetoed=True) | Q(eliminate=True))
            .order_by("group_key", "rank", "entity_id")[:200],
            "effective": effective,
            "published_other": Run.objects.filter(
                scheme=run.scheme, period=run.period, published_at__isnull=False)
            .exclude(pk=run.pk).first(),
            "previous": previous_run(run),
        })
    return render(request, "runs/run_detail.html", ctx)


def item_summary(user: Any, run: Run) -> dict[str, Any]:
    """An item run's page: the counts kept with the run, and the viewer's own count from the
    store (one COUNT; the items themselves are listed page by page, views_items)."""
    from kaohe.web.runs import items

    in_scope = None
    if items.sees_items(role_of(user)):
        scope = items.item_scope(scope_of(user), run.period, run.scheme.period)
        in_scope = items.count(run.engine_run_id, scope, items.ItemFilter(), list(run.alerts))
    return {"items": {"count": run.item_count, "alerts": run.alert_count,
                      "in_scope": in_scope},
            "effective": effective_run(run.scheme_id, run.period),
            "published_other": Run.objects.filter(
                scheme=run.scheme, period=run.period, published_at__isnull=False)
            .exclude(pk=run.pk).first(),
            "previous": previous_run(run)}


def queue_state(run: Run) -> dict[str, Any]:
    """Whether the run waits, and for what: queued behind other runs (排队中), or claimed and
    waiting for another process to release the store (等待中)."""
    if run.status == Run.Status.QUEUED:
        ahead = list(Run.objects.filter(
            Q(status=Run.Status.RUNNING) | Q(status=Run.Status.QUEUED, created__lt=run.created)
            | Q(status=Run.Status.QUEUED, created=run.created, pk__lt=run.pk))
            .order_by("created", "pk").values_list("pk", flat=True)[:5])
        if ahead:
            ids = "、".join(f"#{pk}" for pk in ahead)
            message = _("排队中：等待运行 %(ids)s 完成") % {"ids": ids}
        else:
            message = _("排队中，即将开始")
        return {"waiting": True, "label": run.get_status_display(), "message": message}
    if run.status == Run.Status.RUNNING and run.waiting_since is not None:
        return {"waiting": True, "label": _("等待中"), "message": services.step_label(run.message)}
    return {"waiting": False, "label": run.get_status_display(),
            "message": services.step_label(run.message)}


@login_required
def run_progress(request: HttpRequest, pk: int) -> JsonResponse:
    """``{status, status_label, progress, message, error, waiting, done, url}`` for the
    progress bar (progress.js). A run whose worker is gone is reconciled first (recovery.py),
    so that the page stops polling; ``waiting``: queued or waiting for the store."""
    run = recovery.check(_run_or_404(request, pk))
    queue = queue_state(run)
    return JsonResponse({
        "status": run.status, "status_label": queue["label"],
        "progress": run.progress, "message": queue["message"],
        "error": run.error_for(request.user), "waiting": queue["waiting"],
        "done": run.status in (Run.Status.DONE, Run.Status.FAILED),
        "url": reverse("runs:detail", args=[run.pk])})


@login_required
@require_POST
def run_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Freeze a done run as the published result of its scheme and period (once; a period has at
    most one published run). The form must carry ``confirm``."""
    if not can(request.user, Action.PUBLISH):
        raise PermissionDenied
    with transaction.atomic():
        run = get_object_or_404(Run.objects.restrict(request.user).select_for_update(), pk=pk)
        _check_publishable(request, run)
        other = (Run.objects.filter(scheme_id=run.scheme_id, period=run.period,
                                    published_at__isnull=False).exclude(pk=run.pk).first())
        reason = " ".join(request.POST.get("reason", "").split())[:1000]
        problem = (
            _("请勾选确认后再发布。") if not request.POST.get("confirm") else
            _("本运行的数据可能不完整：发布前请写明发布理由（至少 %(n)s 个字），理由记入审计日志。")
            % {"n": MIN_REASON} if run.data_warnings and len(reason) < MIN_REASON else
            _("只有已完成的运行可以发布。") if run.status != Run.Status.DONE else
            _("该运行已于 %(when)s 发布，不能重复发布。") % {
                "when": timezone.localtime(run.published_at).strftime("%Y-%m-%d %H:%M")}
            if run.published else
            _("本考核期已发布运行 #%(pk)s；已发布的结果不会被替代。") % {"pk": other.pk}
            if other is not None else "")
        if not problem:
            run.published_at = timezone.now()
            run.published_by = request.user  # type: ignore[assignment]
            # the override is saved with the publication: the audit log's entry holds both
            run.publish_reason = reason if run.data_warnings else ""
            run.save(update_fields=["published_at", "published_by", "publish_reason"])
    if problem:
        messages.error(request, problem)
    else:
        messages.success(request, _("已发布 %(run)s，可下载通报。") % {"run": run})
    return redirect("runs:detail", pk=pk)


def _check_publishable(request: HttpRequest, run: Run) -> None:
    """403 unless the user may publish ``run``: its scheme's scope inside theirs
    (roles.WHOLE_SCHEME) and every one of its results inside their scope, so that nobody freezes
    results they could not see (also after a scheme's scope was changed)."""
    user = request.user
    if not Run.objects.restrict(user, Action.PUBLISH).filter(pk=run.pk).exists():
        raise PermissionDenied(_("该方案的适用范围不在您的管辖范围内，须由考核管理员发布。"))
    visible = Result.objects.restrict(user).filter(run=run)
    if Result.objects.filter(run=run).exclude(pk__in=visible.values("pk")).exists():
        raise PermissionDenied(_("该运行含有您管辖范围以外的结果，须由考核管理员发布。"))


def _notice_run(request: HttpRequest, pk: int) -> Run:
    """A run whose notice ``request.user`` may download: a published run for every role; a done
    unpublished run as a draft for those who may publish it."""
    run = _run_or_404(request, pk)
    if run.status != Run.Status.DONE:
        raise Http404
    if not run.published and not can(request.user, Action.PUBLISH):
        raise Http404
    # A notice the reader could not open as a page is refused, never an empty file: clerks'
    # results for inspectors and partners, or a run with none of the reader's results.
    check_entity_kind(request.user, run.entity)
    if not Result.objects.restrict(request.user).filter(run=run).exists():
        raise PermissionDenied(_("该通报中没有您可以查看的考核结果。"))
    return run


def _download(run: Run, data: bytes, ext: str, content_type: str) -> HttpResponse:
    draft = "" if run.published else "_draft"
    name = f"{run.scheme.code}_{run.period}_通报{draft}.{ext}"
    return HttpResponse(data, content_type=content_type, headers={
        "Content-Disposition": content_disposition_header(True, name)})


@login_required
def notice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    run = _notice_run(request, pk)
    try:
        data = notice.notice_pdf(build_notice(run, request.user))
    except NoticeFontMissing as exc:
        messages.error(request, str(exc))
        return redirect("runs:detail", pk=pk)
    return _download(run, data, "pdf", "application/pdf")


@login_required
def notice_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    run = _notice_run(request, pk)
    data = notice.notice_xlsx(build_notice(run, request.user))
    return _download(run, data, "xlsx", XLSX)

