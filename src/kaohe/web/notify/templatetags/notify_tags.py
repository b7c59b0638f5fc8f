"""``{{ note|notification_text }}``: a notification as a sentence in the reader's language."""

from __future__ import annotations

from django import template

from kaohe.web.notify.services import text

register = template.Library()


@register.filter
def notification_text(note: object) -> str:
    return text(getattr(note, "kind", ""), getattr(note, "subject", ""),
                getattr(note, "detail", ""))
