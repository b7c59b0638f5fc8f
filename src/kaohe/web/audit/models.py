"""The audit log (审计日志): who changed what, when, before and after.

Models that inherit ``ChangeLogged`` are logged by signals (``audit.signals``) on every save and
delete, with the user of the current request (``audit.middleware``) or the job that did it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kaohe.web.core.querysets import RestrictedQuerySet, Scope


class ChangeLogged(models.Model):
    """Mixin: saves and deletes of this model leave a ``ChangeLog`` row."""

    class Meta:
        abstract = True


class ChangeLog(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("新建")
        UPDATE = "update", _("修改")
        DELETE = "delete", _("删除")

    time = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("操作人"))
    user_name = models.CharField(_("操作人"), max_length=150, blank=True)
    action = models.CharField(_("动作"), max_length=10, choices=Action.choices)
    object_type = models.CharField(_("对象类型"), max_length=60, db_index=True)
    object_id = models.CharField(_("对象编号"), max_length=64)
    object_repr = models.CharField(_("对象"), max_length=300)
    before = models.JSONField(_("修改前"), null=True, blank=True)
    after = models.JSONField(_("修改后"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-time", "-id"]
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M} {self.user_name} {self.action} {self.object_repr}"

    @staticmethod
    def scope_q(scope: Scope) -> Q:
        # Only admins and assessors may audit (roles.ALLOWED); assessors see all entries, which
        # name objects but hold no results outside their subtree beyond what they changed.
        return Q()

    def changed_fields(self) -> list[tuple[str, object, object]]:
        before, after = self.before or {}, self.after or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]
