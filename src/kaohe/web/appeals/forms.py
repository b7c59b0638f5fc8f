"""Forms of the appeals app: filing an appeal (with checked attachments), deciding one, and the
list filter.

Attachments are checked by what they *are*, not by what they are called: the first bytes must be
a PDF, JPEG or PNG signature (``core.files``); the extension and the browser's content type are
ignored. The stored name is random and its extension comes from the detected type.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from kaohe.web.appeals.models import Appeal
from kaohe.web.core.files import FileKind, kind_of

MAX_ATTACHMENTS = 3


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):g}"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Zero or more files (Django's documented pattern); each one checked by ``FileField``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class AppealForm(forms.Form):
    """A new appeal: the indicator it concerns (optional), the reason, up to three files.

    ``cleaned_data["attachments"]`` is a list of ``(upload, FileKind)``.
    """

    indicator = forms.ChoiceField(label=_("申诉指标"), required=False)
    reason = forms.CharField(label=_("申诉理由"), widget=forms.Textarea(attrs={"rows": 5}),
                             max_length=4000)
    attachments = MultipleFileField(label=_("附件"), required=False)

    def __init__(self, *args: Any, indicators: list[dict[str, Any]] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, str]] = [("", str(_("（总分，不针对单项指标）")))]
        choices += [(str(i["code"]), f"{i.get('name') or i['code']}（{i['code']}）")
                    for i in indicators or []]
        self.fields["indicator"].choices = choices  # type: ignore[attr-defined]
        files = self.fields["attachments"]
        files.widget.attrs["accept"] = ".pdf,.jpg,.jpeg,.png"
        # Formatted per request (not at import) so that the help text follows the language.
        files.help_text = _("最多 %(n)d 个文件，仅限 PDF、JPEG、PNG，每个不超过 %(mb)s MB") % {
            "n": MAX_ATTACHMENTS, "mb": _megabytes(settings.KAOHE_MAX_ATTACHMENT_BYTES)}

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("请填写申诉理由。"))
        return reason

    def clean_attachments(self) -> list[tuple[UploadedFile, FileKind]]:
        files: list[UploadedFile] = self.cleaned_data.get("attachments") or []
        if len(files) > MAX_ATTACHMENTS:
            raise forms.ValidationError(_("最多上传 %(n)d 个附件。") % {"n": MAX_ATTACHMENTS})
        limit = settings.KAOHE_MAX_ATTACHMENT_BYTES
        out: list[tuple[UploadedFile, FileKind]] = []
        errors: list[str] = []
        for f in files:
            if f.size is None or f.size > limit:
                errors.append(str(_("%(name)s 超过 %(mb)s MB 的大小限制。") % {
                    "name": f.name, "mb": _megabytes(limit)}))
                continue
            kind = kind_of(f)
            if kind is None:
                errors.append(str(_("%(name)s 不是 PDF、JPEG 或 PNG 文件（按文件内容判断）。")
                                  % {"name": f.name}))
                continue
            out.append((f, kind))
        if errors:
            raise forms.ValidationError(errors)
        return out


class DecisionForm(forms.Form):
    """Accept with an adjustment (spec §19: points added to the total, non-zero and may be
    negative; or the appealed indicator's corrected value) or reject; a reason either way."""

    ACCEPT, REJECT = "accept", "reject"

    outcome = forms.ChoiceField(label=_("处理结果"), widget=forms.RadioSelect, choices=[
        (ACCEPT, _("采纳并调整")), (REJECT, _("驳回"))])
    kind = forms.ChoiceField(label=_("调整方式"), choices=Appeal.Kind.choices,
                             initial=Appeal.Kind.POINTS, required=False,
                             help_text=_("加减分：在总分上加减；更正指标值：以更正后的值重新计分，"
                                         "排名、等级、强制分布和兑现金额随之重算"))
    points = forms.DecimalField(label=_("调整量"), required=False, max_digits=16,
                                decimal_places=4,
                                help_text=_("采纳时必填：加减分可为负数、不能为 0；或更正后的指标值"))
    reason = forms.CharField(label=_("处理意见"), widget=forms.Textarea(attrs={"rows": 4}),
                             max_length=4000)

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("请填写处理意见。"))
        return reason

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["kind"] = data.get("kind") or Appeal.Kind.POINTS
        if data.get("outcome") == self.ACCEPT:
            points: Decimal | None = data.get("points")
            if points is None:
                self.add_error("points", _("采纳申诉须填写调整量。"))
            elif points == 0 and data["kind"] == Appeal.Kind.POINTS:
                self.add_error("points", _("调整分值不能为 0；不调整请选择驳回。"))
        elif data.get("outcome") == self.REJECT:
            data["points"] = None
        return data


class AppealFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), required=False,
                               choices=[("", _("全部"))] + list(Appeal.Status.choices))
