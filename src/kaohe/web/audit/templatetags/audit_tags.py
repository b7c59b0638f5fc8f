"""Template filters of the audit app."""

from __future__ import annotations

import json

from django import template

register = template.Library()


@register.filter
def audit_value(value: object) -> str:
    """A before/after value as text: "—" for none, JSON for lists and mappings."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
