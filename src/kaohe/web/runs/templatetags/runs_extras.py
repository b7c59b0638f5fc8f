"""Small template filters of the result pages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``mapping[key]``, or "" (an alert level's css class by grade)."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""
