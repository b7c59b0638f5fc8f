"""The six roles of kaohe's web application and what each may do (docs/web.md).

A user's role and scope live on ``accounts.Profile``. Scope is a piece of the org tree:

- admin 考核管理员: everything;
- assessor 考核专员: a unit subtree (a branch): configure, import, run, publish, decide appeals
  (configure, run and publish only for schemes whose scope lies in the branch: ``WHOLE_SCHEME``);
- head 厅经理: one outlet and its staff; enters spot checks and quiz scores;
- staff 营业员: their own results only; files appeals;
- inspector 暗访员: the outlets assigned to them; enters inspections;
- partner 合作渠道: their own outlet's results and commission statement;
- channel_manager 渠道经理: the partner outlets they look after (the workspace org's unit
  attribute ``channel_manager`` names them): results, warnings, commission statements.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("考核管理员")
    ASSESSOR = "assessor", _("考核专员")
    HEAD = "head", _("厅经理")
    STAFF = "staff", _("营业员")
    INSPECTOR = "inspector", _("暗访员")
    PARTNER = "partner", _("合作渠道")
    CHANNEL_MANAGER = "channel_manager", _("渠道经理")


class Action(models.TextChoices):
    VIEW = "view", _("查看")
    CONFIGURE = "configure", _("配置方案")
    IMPORT = "import", _("导入数据")
    RUN = "run", _("运行考核")
    PUBLISH = "publish", _("发布通报")
    DECIDE = "decide", _("处理申诉")
    APPEAL = "appeal", _("提出申诉")
    INSPECT = "inspect", _("录入检查")
    ENTER = "enter", _("录入抽查与答题")
    AUDIT = "audit", _("查看审计")
    BROWSE_ORG = "browse_org", _("浏览组织机构")
    READ_APPEALS = "read_appeals", _("查看申诉")
    CHANNELS = "channels", _("渠道与专项看板")
    RETAIN = "retain", _("登记挽留")


# Which actions each role may take at all; *where* is the scope's business (querysets).
# Staff see only themselves, so they have no org pages; inspectors and partners take no part
# in appeals, so they read none.
ALLOWED: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(Action.values),
    Role.ASSESSOR: frozenset({Action.VIEW, Action.BROWSE_ORG, Action.READ_APPEALS,
                              Action.CONFIGURE, Action.IMPORT, Action.RUN, Action.PUBLISH,
                              Action.DECIDE, Action.AUDIT}),
    Role.HEAD: frozenset({Action.VIEW, Action.BROWSE_ORG, Action.READ_APPEALS, Action.ENTER}),
    Role.STAFF: frozenset({Action.VIEW, Action.READ_APPEALS, Action.APPEAL}),
    Role.INSPECTOR: frozenset({Action.VIEW, Action.BROWSE_ORG, Action.INSPECT}),
    Role.PARTNER: frozenset({Action.VIEW, Action.BROWSE_ORG}),
    Role.CHANNEL_MANAGER: frozenset({Action.VIEW, Action.BROWSE_ORG, Action.CHANNELS}),
}
# The channels app (web/channels): regime dashboards for assessors; the customer warning list's
# 已挽留 mark for the customers' managers (staff) and their halls' heads (admins: everything).
ALLOWED[Role.ASSESSOR] = ALLOWED[Role.ASSESSOR] | {Action.CHANNELS}
ALLOWED[Role.HEAD] = ALLOWED[Role.HEAD] | {Action.RETAIN}
ALLOWED[Role.STAFF] = ALLOWED[Role.STAFF] | {Action.RETAIN}


# Actions on a whole scheme: editing it, running it, publishing its runs. Each changes what
# every unit under the scheme receives, so beyond the role's permission the *scheme's* scope
# (``Scheme.unit``, empty = company-wide) must lie inside the user's: a branch's assessor
# configures, runs and publishes the schemes of their branch; a company-wide scheme needs an
# admin. The querysets apply it through each model's ``owner_q`` (core/querysets.py).
WHOLE_SCHEME: frozenset[str] = frozenset({Action.CONFIGURE, Action.RUN, Action.PUBLISH})


# Who sees a run before its notice is out (drafts, running and failed runs): those who check
# and publish it. Everyone else sees published runs only (runs.models).
SEES_DRAFTS: frozenset[str] = frozenset({Role.ADMIN, Role.ASSESSOR})

# Who reads a failed run's error as the engine wrote it. It can quote data values (an id, a
# cell that would not convert) from anywhere in the org; everyone else reads that it failed.
READS_ERRORS: frozenset[str] = frozenset({Role.ADMIN})


def role_of(user: object) -> str | None:
    """The user's role, or None for anonymous users and users without a profile."""
    if not getattr(user, "is_authenticated", False):
        return None
    if getattr(user, "is_superuser", False):
        return Role.ADMIN
    profile = getattr(user, "profile", None)
    return profile.role if profile is not None else None


def can(user: object, action: str) -> bool:
    role = role_of(user)
    return role is not None and action in ALLOWED[role]


def reads_errors(user: object) -> bool:
    return role_of(user) in READS_ERRORS
