"""A user's role and scope (kaohe.web.core.roles)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kaohe.web.audit.models import ChangeLogged
from kaohe.web.core.querysets import RestrictedQuerySet, Scope
from kaohe.web.core.roles import Role


class Profile(ChangeLogged):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="profile")
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", verbose_name=_("单位"),
                             help_text=_("考核专员：所辖单位；厅经理、合作渠道：本厅"))
    person = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("人员"),
                               help_text=_("营业员、厅经理：本人"))
    outlets = models.ManyToManyField("org.Unit", blank=True, related_name="inspectors",
                                     verbose_name=_("负责检查的营业厅"))

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("账号角色")
        verbose_name_plural = _("账号角色")

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.get_role_display()})"

    @staticmethod
    def scope_q(scope: Scope) -> Q:
        if scope.person_id:
            return Q(person_id=scope.person_id)
        return scope.units_q("unit__")
