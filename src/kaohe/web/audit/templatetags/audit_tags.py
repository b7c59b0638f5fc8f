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
