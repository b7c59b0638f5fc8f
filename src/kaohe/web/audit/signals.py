"""Log every save and delete of a ``ChangeLogged`` model with before and after."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from kaohe.web.audit.middleware import current_user
from kaohe.web.audit.models import ChangeLog, ChangeLogged


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The instance's concrete fields as JSON values (foreign keys as ids)."""
    out: dict[str, Any] = {}
    for f in instance._meta.concrete_fields:
        v = getattr(instance, f.attname)
        if isinstance(v, decimal.Decimal):
            v = str(v)
        elif isinstance(v, (datetime.date, datetime.datetime)):
            v = v.isoformat()
        elif isinstance(v, models.fields.files.FieldFile):
            v = v.name or ""
        out[f.attname] = v
    summarise = getattr(instance, "audit_snapshot", None)  # a model may log a summary only
    return summarise(out) if callable(summarise) else out


def _entry(user: Any, instance: models.Model, action: str, before: dict[str, Any] | None,
           after: dict[str, Any] | None) -> ChangeLog:
    return ChangeLog(
        user=user, user_name=user.get_username() if user is not None else "system",
        action=action, object_type=instance._meta.label_lower, object_id=str(instance.pk),
        object_repr=str(instance)[:300], before=before, after=after)


def _log(instance: models.Model, action: str, before: dict[str, Any] | None,
         after: dict[str, Any] | None) -> None:
    _entry(current_user(), instance, action, before, after).save()


def log_updates(changes: Iterable[tuple[models.Model, dict[str, Any], dict[str, Any]]]) -> None:
    """The entries ``_saved`` would have written for updates made with ``bulk_update`` (which
    sends no signals): one per (instance, before, after) whose snapshots differ, inserted
    together. ``before`` must be the row as stored (say, read with ``select_for_update`` in the
    same transaction), ``after`` the instance's ``snapshot`` as written."""
    user = current_user()
    ChangeLog.objects.bulk_create(
        [_entry(user, instance, ChangeLog.Action.UPDATE, before, after)
         for instance, before, after in changes if before != after], batch_size=500)


@receiver(pre_save)
def _remember(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if not issubclass(sender, ChangeLogged) or kwargs.get("raw"):
        return
    old = sender._default_manager.filter(pk=instance.pk).first() if instance.pk else None
    instance._audit_before = snapshot(old) if old is not None else None  # type: ignore[attr-defined]


@receiver(post_save)
def _saved(sender: type[models.Model], instance: models.Model, created: bool,
           **kwargs: Any) -> None:
    if not issubclass(sender, ChangeLogged) or kwargs.get("raw"):
        return
    before = getattr(instance, "_audit_before", None)
    after = snapshot(instance)
    if not created and before == after:
        return
    _log(instance, ChangeLog.Action.CREATE if created else ChangeLog.Action.UPDATE,
         None if created else before, after)


@receiver(post_delete)
def _deleted(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if issubclass(sender, ChangeLogged):
        _log(instance, ChangeLog.Action.DELETE, snapshot(instance), None)
