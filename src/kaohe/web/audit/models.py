"""The audit log (审计日志): who changed what, when, before and after.

Models that inherit ``ChangeLogged`` are logged by signals (``audit.signals``) on every save and
delete, with the user of the current request (``audit.middleware``) or the job that did it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast
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
        """Entries about objects the scope may see (only admins and assessors audit at all:
        roles.ALLOWED). An entry names its object by type and id, so for each logged model the
        entries are those whose id is among that model's rows ``within`` the scope: an assessor
        reads the history of their subtree's results, appeals, attachments, loads, inspections
        and accounts, and of the schemes and runs they see. Entries of deleted objects, and of
        models that are not scoped, are for admins."""
        from kaohe.web.audit.display import logged_models

        q = Q(pk__in=[])
        for model in logged_models():
            rows = model._default_manager.all()
            if not isinstance(rows, RestrictedQuerySet):
                continue
            ids = rows.within(scope).annotate(
                audit_object_id=Cast("pk", output_field=models.CharField())).values(
                "audit_object_id")
            q |= Q(object_type=model._meta.label_lower, object_id__in=ids)
        return q

    def changed_fields(self) -> list[tuple[str, object, object]]:
        before, after = self.before or {}, self.after or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]
