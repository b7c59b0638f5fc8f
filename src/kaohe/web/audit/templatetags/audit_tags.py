"""Template filters of the audit app."""

from __future__ import annotations

import datetime
import json
import re

from django import template
from django.utils import timezone

register = template.Library()

# Snapshots store datetimes as ISO text in UTC (audit.signals.snapshot).
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@register.filter
def audit_value(value: object) -> str:
    """A before/after value as text: "—" for none, JSON for lists and mappings, datetimes
    in the site's time zone (Y-m-d H:i:s)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


@register.filter
def audit_object(entry: object) -> str:
    """The entry's object as its name and id, the id once: a name that already carries it
    ("申诉 #1", "考核 2026-09 #5", "张三（P001）") is not given it a second time."""
    name = str(getattr(entry, "object_repr", "") or "")
    pk = str(getattr(entry, "object_id", "") or "")
    if not pk or f"#{pk}" in name or f"（{pk}）" in name or f"({pk})" in name:
        return name
    return f"{name} #{pk}" if name else f"#{pk}"


@register.filter
def audit_actor(entry: object) -> str:
    """Who made the change, by their real name (core.people); the name kept in the entry when
    the account is gone; "系统" for a job without a user."""
    from kaohe.web.core.people import display_name

    user = getattr(entry, "user", None)
    if user is not None:
        return display_name(user)
    return str(getattr(entry, "user_name", "") or "")
