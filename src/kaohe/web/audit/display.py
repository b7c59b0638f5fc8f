"""How change-log entries read on a page: object types by name, fields by label.

Shared by the audit pages and by other apps that show an object's history (the appeal page).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from kaohe.web.audit.models import ChangeLog, ChangeLogged
from kaohe.web.core.roles import reads_errors

# Object types whose entries link to a page of their own (url name, argument = object id).
OBJECT_URLS = {"appeals.appeal": "appeals:detail"}


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    before: object
    after: object


def logged_models() -> list[type[models.Model]]:
    """Every concrete model that inherits ``ChangeLogged``, in app order."""
    return [m for m in apps.get_models() if issubclass(m, ChangeLogged)]


def object_type_choices() -> list[tuple[str, str]]:
    return [(m._meta.label_lower, str(m._meta.verbose_name)) for m in logged_models()]


def object_type_label(label_lower: str) -> str:
    try:
        return str(apps.get_model(label_lower)._meta.verbose_name)
    except (LookupError, ValueError):
        return label_lower


def _field(label_lower: str, name: str) -> Any:
    try:
        return apps.get_model(label_lower)._meta.get_field(name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return None


def field_label(label_lower: str, name: str) -> str:
    """The verbose name of field ``name`` (an attname such as ``result_id`` works too)."""
    field = _field(label_lower, name)
    return name if field is None else str(getattr(field, "verbose_name", name))


def _readable(field: Any, value: object) -> object:
    """A stored value as a reader knows it: a choice's label, a user's name; else unchanged."""
    if value is None or field is None:
        return value
    if getattr(field, "choices", None):
        return dict(field.flatchoices).get(value, value)
    if getattr(field, "related_model", None) is get_user_model():
        from kaohe.web.core.people import display_name

        user = get_user_model().objects.select_related("profile__person").filter(
            pk=value).first()
        return display_name(user) if user is not None else value
    return value


# Fields only admins read in the log (roles.READS_ERRORS): a failed run's error can quote data
# values from anywhere in the org.
WITHHELD_FIELDS: dict[str, frozenset[str]] = {"runs.run": frozenset({"error"})}


def withheld(user: Any, object_type: str) -> frozenset[str]:
    """The fields of ``object_type`` whose values ``user`` does not read in the log."""
    return frozenset() if reads_errors(user) else WITHHELD_FIELDS.get(object_type, frozenset())


def changes(entry: ChangeLog, hide: frozenset[str] = frozenset()) -> list[FieldChange]:
    """The fields that differ between before and after, labelled for the page; the values of
    the fields in ``hide`` are replaced by a note (see ``withheld``)."""
    out = []
    for name, before, after in entry.changed_fields():
        field = _field(entry.object_type, name)
        if name in hide:
            note = _("（仅考核管理员可见）")
            out.append(FieldChange(name, field_label(entry.object_type, name),
                                   note if before else before, note if after else after))
            continue
        out.append(FieldChange(name, field_label(entry.object_type, name),
                               _readable(field, before), _readable(field, after)))
    return out


def object_url(entry: ChangeLog) -> str | None:
    name = OBJECT_URLS.get(entry.object_type)
    if name is None or entry.action == ChangeLog.Action.DELETE:
        return None
    try:
        return reverse(name, args=[entry.object_id])
    except NoReverseMatch:
        return None
