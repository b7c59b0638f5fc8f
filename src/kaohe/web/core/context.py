"""Template context: the user's role and the menu entries the role may use."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from kaohe.web.core.roles import Action, Role, can, role_of

# (label, url name, actions[, schemes]); a menu entry is shown when the role may take one of
# the actions and, for a regime's pages, when the workspace has one of the regime's schemes (the
# power pages mean nothing in a telecom workspace, nor the channel pages in a power one).
POWER = ("station_standard", "loss_station", "marketing", "tickets_station", "area_loss")
CHANNELS = ("channel_partner", "channel_manager")
WARNINGS = ("customer_churn",)
MENU: list[tuple[Any, ...]] = [
    (_("首页"), "core:dashboard", (Action.VIEW,)),
    (_("考核结果"), "runs:list", (Action.VIEW,)),
    (_("预警清单"), "runs:alert_index", (Action.VIEW,)),
    (_("组织机构"), "org:units", (Action.BROWSE_ORG,)),
    (_("考核方案"), "schemes:list", (Action.CONFIGURE,)),
    (_("数据导入"), "data:list", (Action.IMPORT, Action.ENTER)),
    (_("检查录入"), "data:inspection_new", (Action.INSPECT,)),
    (_("检查记录"), "data:inspections", (Action.INSPECT,)),
    (_("抽查与答题"), "data:entry", (Action.ENTER,)),
    (_("申诉"), "appeals:list", (Action.READ_APPEALS,)),
    (_("审计日志"), "audit:list", (Action.AUDIT,)),
    (_("供电所看板"), "power:dashboard", (Action.VIEW,), POWER),
    (_("我的渠道"), "channels:partners", (Action.CHANNELS,), CHANNELS),
    (_("客户预警"), "channels:warnings", (Action.RETAIN,), WARNINGS),
    (_("专项看板"), "channels:dashboards", (Action.CHANNELS,), CHANNELS),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    items = []
    have: dict[tuple[str, ...], bool] = {}
    for label, name, actions, *schemes in MENU:
        if schemes and not _has_schemes(schemes[0], have):
            continue
        if any(can(user, a) for a in actions):
            try:
                items.append({"label": label, "url": reverse(name)})
            except NoReverseMatch:  # an app that does not offer this page yet
                continue
    role = role_of(user)
    unread = 0
    if getattr(user, "is_authenticated", False):
        from kaohe.web.notify.models import Notification

        unread = Notification.objects.filter(user=user, read_at__isnull=True).count()
    return {"menu": items, "role": role, "notify_unread": unread,
            "role_label": Role(role).label if role else "",
            "kaohe_can": {a: can(user, a) for a in Action.values}}


def _has_schemes(codes: tuple[str, ...], have: dict[tuple[str, ...], bool]) -> bool:
    """Whether the web knows one of the schemes ``codes`` (asked once per page)."""
    if codes not in have:
        from kaohe.web.schemes.models import Scheme

        have[codes] = Scheme.objects.filter(code__in=codes).exists()
    return have[codes]
