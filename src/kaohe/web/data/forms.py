"""Forms of the data app: file upload, inspection checklist, spot checks and quiz scores.

Choices come from querysets restricted to the user (outlets, people), so an out-of-scope id is
refused by the form as an invalid choice; views re-check inside their transactions.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kaohe.errors import InputError
from kaohe.periods import Period
from kaohe.web.data.checklist import ITEMS
from kaohe.web.data.models import Inspection
from kaohe.web.data.uploads import data_file_problem, photo_suffix

_FUTURE = timedelta(hours=1)  # clocks of phones differ a little; a later time is a typo


class DateTimeLocal(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


def _not_future(value: Any) -> Any:
    if value is not None and value > timezone.now() + _FUTURE:
        raise forms.ValidationError(_("时间不能晚于现在"))
    return value


class UploadForm(forms.Form):
    source = forms.ChoiceField(label=_("数据源"))
    file = forms.FileField(label=_("文件"), help_text=_(".csv、.xlsx 或 .parquet"))
    replace_period = forms.CharField(
        label=_("替换考核期"), required=False, max_length=10,
        help_text=_("如 2026-09：先删除该期间已入库的数据，再导入本文件"))
    header_row = forms.IntegerField(label=_("表头所在行"), required=False, min_value=1,
                                    max_value=1000, help_text=_("留空则按数据源的设置"))
    sheet = forms.CharField(label=_("工作表"), required=False, max_length=100,
                            help_text=_("Excel 文件的工作表名，留空则取第一个"))

    def __init__(self, *args: Any, sources: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = sources
        self.fields["file"].widget.attrs["accept"] = ".csv,.xlsx,.parquet"

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        problem = data_file_problem(f, settings.KAOHE_MAX_UPLOAD_BYTES)
        if problem:
            raise forms.ValidationError(problem)
        return f

    def clean_replace_period(self) -> str:
        text = self.cleaned_data["replace_period"].strip()
        if not text:
            return ""
        try:
            return str(Period.parse(text))
        except InputError as exc:
            raise forms.ValidationError(str(exc)) from exc


class InspectionForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("营业厅"), queryset=None, empty_label=None)
    method = forms.ChoiceField(label=_("检查方式"), choices=Inspection.Method.choices,
                               widget=forms.RadioSelect)
    at = forms.DateTimeField(label=_("检查时间"), widget=DateTimeLocal(),
                             input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M",
                                            "%Y-%m-%d %H:%M:%S"])
    items = forms.MultipleChoiceField(label=_("发现的问题"), required=False,
                                      choices=[(i.code, i.name) for i in ITEMS],
                                      widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label=_("备注"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))
    photo = forms.FileField(label=_("照片"), required=False,
                            help_text=_("可选：JPEG 或 PNG，不超过 5 MB"))

    def __init__(self, *args: Any, outlets: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = outlets
        self.fields["photo"].widget.attrs["accept"] = "image/jpeg,image/png"
        self.photo_suffix: str | None = None

    def clean_at(self) -> Any:
        return _not_future(self.cleaned_data["at"])

    def clean_photo(self) -> Any:
        f = self.cleaned_data.get("photo")
        if not f:
            return None
        suffix, problem = photo_suffix(f, settings.KAOHE_MAX_ATTACHMENT_BYTES)
        if problem:
            raise forms.ValidationError(problem)
        self.photo_suffix = suffix
        return f


class UpsellForm(forms.Form):
    """多说一句话 spot check: one clerk, one moment, did they offer the extra product?"""

    person = forms.ModelChoiceField(label=_("营业员"), queryset=None)
    at = forms.DateTimeField(label=_("抽查时间"), widget=DateTimeLocal(),
                             input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    said = forms.TypedChoiceField(label=_("是否推荐"), coerce=lambda v: v == "yes",
                                  choices=[("yes", _("是：多说了一句")), ("no", _("否"))],
                                  widget=forms.RadioSelect)

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="upsell", **kwargs)
        self.fields["person"].queryset = people

    def clean_at(self) -> Any:
        return _not_future(self.cleaned_data["at"])


class QuizForm(forms.Form):
    """每日一题: one day, a score 0–100 for each member of staff who answered (blank: did not)."""

    day = forms.DateField(label=_("答题日期"), widget=DateInput())

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="quiz", **kwargs)
        self.people = list(people)
        for p in self.people:
            self.fields[f"score_{p.pk}"] = forms.IntegerField(
                label=str(p), required=False, min_value=0, max_value=100,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}))

    def score_fields(self) -> list[Any]:
        return [self[f"score_{p.pk}"] for p in self.people]

    def clean_day(self) -> Any:
        day = self.cleaned_data["day"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("日期不能晚于今天"))
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not any(data.get(f"score_{p.pk}") is not None for p in self.people):
            raise forms.ValidationError(_("请至少填写一人的得分"))
        return data

    def scores(self) -> list[tuple[str, int]]:
        return [(p.pk, self.cleaned_data[f"score_{p.pk}"]) for p in self.people
                if self.cleaned_data.get(f"score_{p.pk}") is not None]
