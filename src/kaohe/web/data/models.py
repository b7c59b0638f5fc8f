"""Data loads (file uploads and form entries) and inspection visits.

Facts themselves live in the workspace store (DuckDB); a ``DataLoad`` records who loaded what,
and whether it was stored or rejected with its row errors. Imports are all-or-nothing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kaohe.web.audit.models import ChangeLogged
from kaohe.web.core.querysets import RestrictedQuerySet, Scope


class DataLoad(ChangeLogged):
    class Status(models.TextChoices):
        STORED = "stored", _("已入库")
        REJECTED = "rejected", _("已拒绝")

    class Via(models.TextChoices):
        UPLOAD = "upload", _("文件上传")
        FORM = "form", _("表单录入")

    source = models.CharField(_("数据源"), max_length=80)
    file_name = models.CharField(_("文件"), max_length=255, blank=True)
    via = models.CharField(_("方式"), max_length=10, choices=Via.choices, default=Via.UPLOAD)
    replace_period = models.CharField(_("替换考核期"), max_length=10, blank=True)
    status = models.CharField(_("结果"), max_length=10, choices=Status.choices)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    replaced = models.PositiveIntegerField(_("替换行数"), default=0)
    # The first errors only ([{row, column, value, reason}] or [msg]; at most
    # ImportLimits.errors_kept) and the count of all of them.
    errors = models.JSONField(_("错误"), default=list)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    message = models.TextField(_("说明"), blank=True)
    unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", verbose_name=_("录入单位"))
    loaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("操作人"))
    created = models.DateTimeField(_("时间"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        verbose_name = _("数据导入")
        verbose_name_plural = _("数据导入")

    def __str__(self) -> str:
        return f"{self.source} {self.file_name or self.get_via_display()}"

    @property
    def errors_not_kept(self) -> int:
        """Errors counted but not stored (beyond the first ``errors_kept``)."""
        return max(0, self.error_count - len(self.errors))

    def audit_snapshot(self, fields: dict[str, Any]) -> dict[str, Any]:
        """The audit log records a load's summary (file, source, rows, error count), not its
        error rows: those are on the load itself, and a log entry must stay small."""
        out = dict(fields)
        out.pop("errors", None)
        return out

    @staticmethod
    def scope_q(scope: Scope) -> Q:
        return scope.units_q("unit__")  # staff have no units in scope: nothing


class Inspection(ChangeLogged):
    """One inspection visit (明查暗访) to one outlet: the checklist as filled in."""

    class Method(models.TextChoices):
        OPEN = "明查", _("明查")
        SECRET = "暗访", _("暗访")

    visit_id = models.CharField(_("检查编号"), max_length=64, unique=True)
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="inspections",
                             verbose_name=_("营业厅"))
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                  on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("检查人"))
    at = models.DateTimeField(_("检查时间"))
    method = models.CharField(_("检查方式"), max_length=4, choices=Method.choices)
    items = models.JSONField(_("扣分项目"), default=list)  # [{item, deduction}]
    total_deduction = models.DecimalField(_("合计扣分"), max_digits=8, decimal_places=2,
                                          default=0)
    note = models.TextField(_("备注"), blank=True)
    photo = models.FileField(_("照片"), upload_to="inspections/%Y/%m/", blank=True)
    load = models.ForeignKey(DataLoad, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]
        verbose_name = _("检查记录")
        verbose_name_plural = _("检查记录")

    def __str__(self) -> str:
        return f"{self.visit_id} {self.unit.name}"

    @staticmethod
    def scope_q(scope: Scope) -> Q:
        return scope.units_q("unit__")  # staff have no units in scope: nothing
