"""``{{ user|person_name }}``: a user's real name (core.people.display_name); "" for none."""

from __future__ import annotations

from typing import Any

from django import template

from kaohe.web.core.people import display_name

register = template.Library()


@register.filter
def person_name(user: Any) -> str:
    return display_name(user) if user else ""
