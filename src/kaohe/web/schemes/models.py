"""Schemes and their versions. The current version is also the workspace's scheme file, so the
CLI and the web agree; every run records the version it was computed with."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kaohe.web.audit.models import ChangeLogged
from kaohe.web.core.querysets import RestrictedQuerySet, Scope


ENTITY_LABELS = {"person": _("人员"), "unit": _("单位"), "item": _("对象")}  # item: spec §8
PERIOD_LABELS = {"day": _("日"), "month": _("月度"), "quarter": _("季度"), "year": _("年度")}


class Scheme(ChangeLogged):
    code = models.SlugField(_("方案代码"), max_length=80, unique=True)
    name = models.CharField(_("方案名称"), max_length=200)
    entity = models.CharField(_("考核对象"), max_length=10)  # person | unit
    period = models.CharField(_("周期"), max_length=10)  # month | quarter | year
    current = models.ForeignKey("SchemeVersion", null=True, blank=True, related_name="+",
                                on_delete=models.SET_NULL, verbose_name=_("当前版本"))
    # The scheme's scope 适用范围: the unit subtree it assesses and whose assessor owns it.
    # Empty: company-wide (the whole org), which only an admin configures, runs and publishes.
    # A unit that disappears from the org leaves the scheme company-wide: closed, not open.
    unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", verbose_name=_("适用范围"),
                             help_text=_("空：全公司（仅考核管理员可配置、运行和发布）"))

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")

    def __str__(self) -> str:
        return self.name

    @property
    def entity_label(self) -> str:
        return str(ENTITY_LABELS.get(self.entity, self.entity))

    @property
    def period_label(self) -> str:
        return str(PERIOD_LABELS.get(self.period, self.period))

    @property
    def scope_label(self) -> str:
        return self.unit.name if self.unit_id else str(_("全公司"))

    @staticmethod
    def scope_q(scope: Scope) -> Q:
        # Every role that may see results sees the schemes' names and rules.
        return Q()

    @staticmethod
    def owner_q(scope: Scope) -> Q:
        """Schemes ``scope`` may configure, run and publish (roles.WHOLE_SCHEME)."""
        return scope.covers_q("unit__")


class SchemeVersion(ChangeLogged):
    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    text = models.TextField(_("方案内容"))
    note = models.CharField(_("修改说明"), max_length=300, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, verbose_name=_("修改人"))
    created = models.DateTimeField(_("时间"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["scheme", "-number"]
        constraints = [models.UniqueConstraint(fields=["scheme", "number"],
                                               name="scheme_version_unique")]
        verbose_name = _("方案版本")
        verbose_name_plural = _("方案版本")

    def __str__(self) -> str:
        return f"{self.scheme.code} v{self.number}"

    @staticmethod
    def scope_q(scope: Scope) -> Q:
        return Q()

    @staticmethod
    def owner_q(scope: Scope) -> Q:
        return scope.covers_q("scheme__unit__")
