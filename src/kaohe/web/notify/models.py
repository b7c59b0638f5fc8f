"""Notifications (通知): what happened to something a user owns, shown on their home page.

A notification names its event (``kind``), the object's name as it was (``subject``) and the
page it concerns (``url``, one the user may open); ``key`` makes each event notify a user once.
Text is composed when shown, in the reader's language (``notify/_item.html``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    class Kind(models.TextChoices):
        PUBLISHED = "published", _("结果发布")
        APPEAL = "appeal", _("申诉处理")
        ALERT = "alert", _("预警")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notifications")
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    key = models.CharField(max_length=120)
    subject = models.CharField(_("对象"), max_length=300)
    detail = models.CharField(_("说明"), max_length=300, blank=True)
    url = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "key"],
                                               name="notification_once_per_event")]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject}"
