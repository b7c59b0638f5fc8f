"""Who is told what. Every notification goes to a user who may open its page: a published
run's results are looked up through each user's restricted queryset (the scope rules of
``runs.models.results_q``), an appeal's decision goes to whoever filed it if they still see it.

- a run is published: every user (but the publisher) with a result of the run in scope;
- a run is published with alerts (spec §12): staff whose own result is alerted, heads and
  partners whose outlet's results (the outlet's or its clerks') are alerted; for an item run
  (spec §8), staff for the alerted items they own, heads and partners for their outlet's;
- an appeal is decided: the user who filed it.

E-mail: when ``KAOHE_NOTIFY_EMAIL`` is on and the user has an address, the notification is also
mailed through Django's mail settings (``EMAIL_*``, docs/operations.md), after the commit and
without failing the request. Off by default: nothing leaves the machine.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from kaohe.web.core.roles import Role, role_of
from kaohe.web.notify.models import Notification

log = logging.getLogger(__name__)


def _users() -> Any:
    return (get_user_model().objects.filter(is_active=True, profile__isnull=False)
            .select_related("profile"))


def notify(user: Any, kind: str, key: str, subject: str, url: str, detail: str = "") -> bool:
    """Record one notification (once per user and ``key``); True when it is new."""
    _note, created = Notification.objects.get_or_create(
        user=user, key=key, defaults={"kind": kind, "subject": subject[:300], "url": url,
                                      "detail": detail[:300]})
    if created and getattr(settings, "KAOHE_NOTIFY_EMAIL", False) and user.email:
        transaction.on_commit(lambda: _mail(user, kind, subject, url, detail))
    return created


def text(kind: str, subject: str, detail: str) -> str:
    """The notification as a sentence in the current language."""
    if kind == Notification.Kind.PUBLISHED:
        return _("考核结果已发布：%(subject)s") % {"subject": subject}
    if kind == Notification.Kind.APPEAL:
        return _("您的申诉已处理：%(subject)s，%(status)s") % {"subject": subject,
                                                          "status": detail}
    return _("预警：%(subject)s 有 %(n)s 个对象被预警") % {"subject": subject, "n": detail}


def _mail(user: Any, kind: str, subject: str, url: str, detail: str) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        body = text(kind, subject, detail)
        site = getattr(settings, "KAOHE_SITE_URL", "")
        try:
            send_mail(f"kaohe 考核：{body}", f"{body}\n\n{site}{url}\n", None, [user.email],
                      fail_silently=False)
        except Exception:  # the mail server is the operator's: log it, never fail the change
            log.exception("notification mail to user %s not sent", user.pk)


def run_published(run: Any) -> int:
    """Tell everyone who sees a result of ``run`` that it is published, and the owners of
    alerted results; returns how many notifications are new."""
    from kaohe.web.runs.models import Result

    subject = f"{run.scheme.name} {run.period}"
    if run.entity == "item":
        return _item_alerts(run, subject)
    new = 0
    for user in _users():
        if user.pk == run.published_by_id:
            continue
        mine = Result.objects.restrict(user).filter(run=run)
        if not mine.exists():
            continue
        new += notify(user, Notification.Kind.PUBLISHED, f"run:{run.pk}:published", subject,
                      reverse("runs:ranking", args=[run.pk]))
        alerted = mine.filter(alert=True)
        role = role_of(user)
        if role == Role.STAFF:
            owned = alerted.filter(entity_id=user.profile.person_id)
        elif role in (Role.HEAD, Role.PARTNER):
            owned = alerted.filter(unit_id=user.profile.unit_id)
        else:
            owned = alerted.none()
        n = owned.count()
        if n:
            new += notify(user, Notification.Kind.ALERT, f"run:{run.pk}:alert", subject,
                          reverse("runs:ranking", args=[run.pk]) + "?flagged=on", str(n))
    return new


def _item_alerts(run: Any, subject: str) -> int:
    """An item run (spec §8) keeps its items in the store: staff are told of the alerted items
    they own, heads and partners of those their outlet owns (the item list's own scope)."""
    from kaohe.web.runs import items

    people, units = items.alert_owners(run.engine_run_id, list(run.alerts or ()))
    if not people and not units:
        return 0
    new = 0
    url = reverse("runs:items", args=[run.pk]) + "?alert=on"
    for user in _users():
        if user.pk == run.published_by_id:
            continue
        role = role_of(user)
        if role == Role.STAFF:
            n = people.get(str(user.profile.person_id or ""), 0)
        elif role in (Role.HEAD, Role.PARTNER):
            n = units.get(str(user.profile.unit_id or ""), 0)
        else:
            n = 0
        if n:
            new += notify(user, Notification.Kind.ALERT, f"run:{run.pk}:alert", subject, url,
                          str(n))
    return new


def appeal_decided(appeal: Any) -> bool:
    from kaohe.web.appeals.models import Appeal

    user = appeal.filed_by
    if user is None or not Appeal.objects.restrict(user).filter(pk=appeal.pk).exists():
        return False
    result = appeal.result
    subject = f"{result.run.scheme.name} {result.run.period}"
    try:
        url = reverse("appeals:detail", args=[appeal.pk])
    except Exception:  # the appeals app routes no detail page
        url = ""
    return notify(user, Notification.Kind.APPEAL, f"appeal:{appeal.pk}:{appeal.status}",
                  subject, url, str(appeal.get_status_display()))
