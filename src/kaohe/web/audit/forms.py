"""The audit log's filter form: object type, user, action and a date range (local dates)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kaohe.web.audit.display import object_type_choices
from kaohe.web.audit.models import ChangeLog


class ChangeLogFilterForm(forms.Form):
    object_type = forms.ChoiceField(label=_("对象类型"), required=False)
    user = forms.CharField(label=_("操作人"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("动作"), required=False,
                               choices=[("", _("全部"))] + list(ChangeLog.Action.choices))
    date_from = forms.DateField(label=_("起始日期"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("截止日期"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = (  # type: ignore[attr-defined]
            [("", _("全部"))] + object_type_choices())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("截止日期不能早于起始日期。"))
        return data

    def filter(self, entries: QuerySet[ChangeLog]) -> QuerySet[ChangeLog]:
        """``entries`` narrowed by the valid filters (call after ``is_valid``)."""
        data = self.cleaned_data
        if data.get("object_type"):
            entries = entries.filter(object_type=data["object_type"])
        if data.get("user"):
            name = data["user"].strip()
            # "system" names the entries written by jobs without a user.
            entries = entries.filter(user_name__iexact=name)
        if data.get("action"):
            entries = entries.filter(action=data["action"])
        # Dates are the user's calendar days in the site's time zone (Asia/Shanghai).
        if data.get("date_from"):
            entries = entries.filter(time__gte=_start_of(data["date_from"]))
        if data.get("date_to"):
            entries = entries.filter(
                time__lt=_start_of(data["date_to"] + datetime.timedelta(days=1)))
        return entries


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
