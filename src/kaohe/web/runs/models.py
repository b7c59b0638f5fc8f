"""Runs (a scheme computed for a period) and their results, copied from the engine's output so
that scope applies in querysets. An accepted appeal is an adjustment (spec §19): the engine
computes the run again as a new revision of its period and the results are replaced by that
revision's, in place (``runs.services.revise_run``); every total, rank, grade and yuan shown
is the engine's."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, gettext_lazy as _

from kaohe.web.audit.models import ChangeLogged
from kaohe.web.core.querysets import RestrictedQuerySet, Scope
from kaohe.web.core.roles import SEES_DRAFTS, Role, reads_errors


def results_q(scope: Scope, prefix: str = "") -> Q:
    """Which results a scope sees (``prefix`` is the lookup path to a Result).

    - staff: their own person results; everyone else: results of units in their scope;
    - inspectors, partners and channel managers: unit results only (an outlet's, not its clerks');
    - only admins and assessors see a run before it is published (发布): the others see
      results once the notice is out.
    """
    if scope.person_id:
        q = Q(**{f"{prefix}run__entity": "person", f"{prefix}entity_id": scope.person_id})
    else:
        q = scope.units_q(f"{prefix}unit__")
    if scope.role in (Role.INSPECTOR, Role.PARTNER, Role.CHANNEL_MANAGER):
        q &= Q(**{f"{prefix}run__entity": "unit"})
    if scope.role not in SEES_DRAFTS:
        q &= Q(**{f"{prefix}run__published_at__isnull": False})
    return q


ERROR_WITHHELD = _("失败原因可能含有数据内容，仅考核管理员可见；请联系考核管理员。")


class Run(ChangeLogged):
    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("运行中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    scheme = models.ForeignKey("schemes.Scheme", on_delete=models.PROTECT, related_name="runs",
                               verbose_name=_("方案"))
    version = models.ForeignKey("schemes.SchemeVersion", on_delete=models.PROTECT,
                                related_name="runs", verbose_name=_("方案版本"))
    period = models.CharField(_("考核期"), max_length=10)
    engine = models.CharField(_("引擎"), max_length=10, default="duckdb")
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices,
                              default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)  # percent
    message = models.CharField(_("当前步骤"), max_length=200, blank=True)
    error = models.TextField(_("错误"), blank=True)
    engine_run_id = models.CharField(max_length=64, blank=True)
    entity = models.CharField(max_length=10, blank=True)  # person | unit | item
    indicators = models.JSONField(default=list)  # [{code, name, role, weight, rule, formula, ...}]
    grades = models.JSONField(default=list)  # [[min, label], ...]
    peers = models.JSONField(default=list)
    has_payout = models.BooleanField(default=False)
    # Version 2 (spec §10, §12): the payout line names in the order written, and the grade
    # labels that are warnings, most severe first.
    payout_lines = models.JSONField(default=list)
    alerts = models.JSONField(default=list)
    # Item runs (spec §8) keep their results in the engine's store only (runs/items.py):
    # how many items and how many alerted, counted when the run is stored.
    item_count = models.PositiveIntegerField(null=True, blank=True)
    alert_count = models.PositiveIntegerField(default=0)
    # The job (runs/jobs.py): which process computes the run ("host:pid:token"), its last sign
    # of life, and since when it waits for another process to release the store.
    worker = models.CharField(max_length=120, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("发起人"))
    created = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished = models.DateTimeField(_("完成时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("发布人"))
    # spec §19: the engine's revision of this period the results come from, and how many
    # adjustments (accepted appeals) it was computed with
    revision = models.PositiveIntegerField(_("版本"), default=1)
    adjustment_count = models.PositiveIntegerField(_("申诉调整项数"), default=0)

    # Sources whose data for the period was far below the previous periods' when the run was
    # computed (workspace.completeness: Shortfall.as_dict), and the reason the publisher gave
    # for publishing it nonetheless (audited with the publication).
    data_warnings = models.JSONField(default=list, blank=True)
    publish_reason = models.TextField(_("数据不完整时的发布理由"), blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        verbose_name = _("考核运行")
        verbose_name_plural = _("考核运行")

    def __str__(self) -> str:
        return f"{self.scheme.name} {self.period} #{self.pk}"

    @property
    def published(self) -> bool:
        return self.published_at is not None

    @property
    def revision_label(self) -> str:
        """"第 2 版（含 1 项申诉调整）": which revision the pages show (spec §19)."""
        if self.adjustment_count:
            return gettext("第 %(n)s 版（含 %(k)s 项申诉调整）") % {
                "n": self.revision, "k": self.adjustment_count}
        return gettext("第 %(n)s 版") % {"n": self.revision}

    def error_for(self, user: object) -> str:
        """The failure as ``user`` may read it: the engine's words for admins (they can quote
        data values from anywhere in the org), a pointer to them for everyone else."""
        if not self.error or reads_errors(user):
            return self.error
        return str(ERROR_WITHHELD)

    @staticmethod
    def scope_q(scope: Scope) -> Q:
        """Admins and assessors see every run, drafts and failures included (to check them);
        everyone else only published runs (roles.SEES_DRAFTS). What a run's pages show comes
        from its restricted results."""
        if scope.role in SEES_DRAFTS:
            return Q()
        return Q(published_at__isnull=False)

    @staticmethod
    def owner_q(scope: Scope) -> Q:
        """Runs ``scope`` may start and publish: those of schemes it owns (roles.WHOLE_SCHEME)."""
        return scope.covers_q("scheme__unit__")


class Result(ChangeLogged):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="results")
    entity_id = models.CharField(_("编号"), max_length=64)
    name = models.CharField(_("名称"), max_length=200)
    unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", verbose_name=_("所属单位"),
                             help_text=_("人员：考核期末所在单位；单位：其本身"))
    unit_name = models.CharField(_("所属单位"), max_length=200, blank=True)
    group_key = models.CharField(max_length=300, blank=True)
    group_name = models.CharField(_("分组"), max_length=300, blank=True)
    total = models.DecimalField(_("总分"), max_digits=12, decimal_places=2)
    rank = models.PositiveIntegerField(_("排名"))
    grade = models.CharField(_("等级"), max_length=60, blank=True)
    group_size = models.PositiveIntegerField(_("组内人数"))
    vetoed = models.BooleanField(_("一票否决"), default=False)
    bottom = models.BooleanField(_("末位"), default=False)
    eliminate = models.BooleanField(_("末位淘汰"), default=False)
    payout = models.DecimalField(_("兑现金额"), max_digits=14, decimal_places=2, null=True,
                                 blank=True)
    # the adjustments the engine computed this result with (spec §19): the points added
    # (sum of the points adjustments) and every one as [{code, kind, amount, reason}]
    adjustment = models.DecimalField(_("申诉调整"), max_digits=12, decimal_places=2, default=0)
    adjustments = models.JSONField(_("申诉调整明细"), default=list, blank=True)
    alert = models.BooleanField(_("预警"), default=False)  # the grade is one of run.alerts
    payout_lines = models.JSONField(default=dict)  # {line name: yuan or None}, spec §10

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["run", "group_key", "rank", "entity_id"]
        constraints = [models.UniqueConstraint(fields=["run", "entity_id"],
                                               name="result_unique_entity")]
        verbose_name = _("考核结果")
        verbose_name_plural = _("考核结果")

    def __str__(self) -> str:
        return f"{self.name} {self.run.period}"

    @staticmethod
    def scope_q(scope: Scope) -> Q:
        return results_q(scope)


class Score(models.Model):
    """One indicator of one result: the value and the points (spec §6)."""

    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="scores")
    code = models.CharField(max_length=80)
    value = models.FloatField(null=True, blank=True)
    points = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    missing = models.BooleanField(default=False)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["result", "id"]
        constraints = [models.UniqueConstraint(fields=["result", "code"],
                                               name="score_unique_code")]

    @staticmethod
    def scope_q(scope: Scope) -> Q:
        return results_q(scope, "result__")
