"""Template context: the user's role and the menu entries the role may use."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from kaohe.web.core.roles import Action, Role, can, role_of

# (label, url name, actions); a menu entry is shown when the role may take one of the actions.
MENU = [
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
    (_("供电所看板"), "power:dashboard", (Action.VIEW,)),
    (_("我的渠道"), "channels:partners", (Action.CHANNELS,)),
    (_("客户预警"), "channels:warnings", (Action.RETAIN,)),
    (_("专项看板"), "channels:dashboards", (Action.CHANNELS,)),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    items = []
    for label, name, actions in MENU:
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
