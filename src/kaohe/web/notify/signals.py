"""Notifications follow the saves that make the events: a run gets its ``published_at``, an
appeal leaves 待处理 (the apps that make those changes need not know about notifications)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from kaohe.web.notify import services
from kaohe.web.runs.models import Run


@receiver(post_save, sender=Run, dispatch_uid="notify_run_published")
def _run_saved(sender: Any, instance: Run, update_fields: Any = None, **kwargs: Any) -> None:
    if instance.published_at is None or instance.status != Run.Status.DONE:
        return
    if update_fields is not None and "published_at" not in update_fields:
        return
    services.run_published(instance)


def _appeal_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    if instance.status != "filed" and instance.decided_at is not None:
        services.appeal_decided(instance)


try:
    from kaohe.web.appeals.models import Appeal
except ImportError:  # pragma: no cover - the site runs without the appeals app
    Appeal = None
if Appeal is not None:
    post_save.connect(_appeal_saved, sender=Appeal, dispatch_uid="notify_appeal_decided")
