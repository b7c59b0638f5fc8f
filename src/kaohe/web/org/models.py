"""The org tree as the web application sees it: a copy of the workspace's org files.

The workspace's ``org/`` files stay the source of truth (the engine reads them); ``sync_org``
copies them here so that scope can be checked in querysets. ``path`` is the materialised
path of ids ("/00/01/0104/"), so a subtree is one ``path__startswith``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kaohe.web.core.querysets import RestrictedQuerySet, Scope


class Unit(models.Model):
    id = models.CharField(_("编码"), max_length=64, primary_key=True)
    name = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("类型"), max_length=60, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="children", verbose_name=_("上级单位"))
    path = models.CharField(max_length=1000, db_index=True)
    depth = models.PositiveSmallIntegerField(default=0)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("单位")
        verbose_name_plural = _("单位")

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def scope_q(scope: Scope) -> Q:
        if scope.person_id:
            return Q(people__id=scope.person_id)
        return scope.units_q()


class Person(models.Model):
    id = models.CharField(_("工号"), max_length=64, primary_key=True)
    name = models.CharField(_("姓名"), max_length=100)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="people", verbose_name=_("所在单位"))
    position = models.CharField(_("岗位"), max_length=60, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("人员")
        verbose_name_plural = _("人员")

    def __str__(self) -> str:
        return f"{self.name}（{self.id}）"

    @staticmethod
    def scope_q(scope: Scope) -> Q:
        if scope.person_id:
            return Q(pk=scope.person_id)
        return scope.units_q("unit__")
