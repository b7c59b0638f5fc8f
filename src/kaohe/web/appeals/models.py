"""Appeals (申诉): staff appeal a result; an assessor accepts with an adjustment or rejects."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kaohe.web.audit.models import ChangeLogged
from kaohe.web.core.querysets import RestrictedQuerySet, Scope
from kaohe.web.runs.models import results_q


class Appeal(ChangeLogged):
    class Status(models.TextChoices):
        FILED = "filed", _("待处理")
        ACCEPTED = "accepted", _("已采纳")
        REJECTED = "rejected", _("已驳回")

    result = models.ForeignKey("runs.Result", on_delete=models.PROTECT, related_name="appeals",
                               verbose_name=_("考核结果"))
    indicator = models.CharField(_("申诉指标"), max_length=80, blank=True)
    reason = models.TextField(_("申诉理由"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices,
                              default=Status.FILED)
    class Kind(models.TextChoices):  # spec §19
        POINTS = "points", _("加减分")
        VALUE = "value", _("更正指标值")

    kind = models.CharField(_("调整方式"), max_length=10, choices=Kind.choices,
                            default=Kind.POINTS)
    # points added to the total, or the indicator's corrected value (kind)
    adjustment = models.DecimalField(_("调整量"), max_digits=16, decimal_places=4, null=True,
                                     blank=True)
    revision = models.PositiveIntegerField(_("生成版本"), null=True, blank=True)
    decision = models.TextField(_("处理意见"), blank=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("申诉人"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("处理人"))
    created = models.DateTimeField(_("提交时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        # One open appeal per result: the database enforces it too, against two racing posts.
        constraints = [models.UniqueConstraint(fields=["result"], condition=Q(status="filed"),
                                               name="appeal_one_open_per_result")]
        verbose_name = _("申诉")
        verbose_name_plural = _("申诉")

    def __str__(self) -> str:
        return f"{_('申诉')} #{self.pk}"

    @staticmethod
    def scope_q(scope: Scope) -> Q:
        """The appeals on results the scope sees (``runs.models.results_q``)."""
        return results_q(scope, "result__")


class Attachment(ChangeLogged):
    """A file attached to an appeal: stored under MEDIA_ROOT with a random name whose extension
    follows the detected type (``content_type``); ``name`` is the uploader's name, for display
    and for the download's Content-Disposition only."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="attachments",
                               verbose_name=_("申诉"))
    file = models.FileField(_("存储文件"), upload_to="appeals/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=255)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("申诉附件")
        verbose_name_plural = _("申诉附件")

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def scope_q(scope: Scope) -> Q:
        """The attachments of appeals the scope sees."""
        return results_q(scope, "appeal__result__")
