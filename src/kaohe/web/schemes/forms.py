"""Forms of the schemes app. The YAML is validated by ``services`` (the CLI's checks), not here:
these forms only keep the text as typed (no stripping) and check the code's shape."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from kaohe.scheme.loader import CODE


def _text_field() -> forms.CharField:
    return forms.CharField(
        label=_("方案内容 (YAML)"), strip=False,
        widget=forms.Textarea(attrs={"class": "code", "spellcheck": "false", "rows": 30,
                                     "autocomplete": "off", "wrap": "off"}))


def _note_field() -> forms.CharField:
    return forms.CharField(label=_("修改说明"), max_length=300, required=False,
                           widget=forms.TextInput(attrs={"size": 60}))


class SchemeEditForm(forms.Form):
    """A new version of an existing scheme; ``base`` is the version the editor started from."""

    text = _text_field()
    note = _note_field()
    base = forms.IntegerField(required=False, widget=forms.HiddenInput)


# Words the app's own URLs use after /schemes/ (urls.py): a scheme so named would be hidden.
RESERVED_CODES = frozenset({"new", "validate", "sync"})


def scope_field(units: Any, company_wide: bool) -> forms.ModelChoiceField:
    """The scheme's scope 适用范围: a unit of ``units`` (those the user covers); empty means
    company-wide, offered only to those who may own company-wide schemes (admins)."""
    return forms.ModelChoiceField(
        units, label=_("适用范围"), required=not company_wide,
        empty_label=_("全公司") if company_wide else None,
        help_text=_("方案考核该单位及其下属单位；由该范围的考核专员配置、运行和发布。"
                    "全公司方案仅考核管理员可以配置、运行和发布。"))


class ScopeForm(forms.Form):
    """Change a scheme's scope (``schemes:scope``)."""

    def __init__(self, *args: Any, units: Any, company_wide: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"] = scope_field(units, company_wide)


class SchemeNewForm(forms.Form):
    code = forms.CharField(
        label=_("方案代码"), max_length=63,
        help_text=_("字母、数字与下划线，以字母或下划线开头；也是工作区中的文件名"),
        validators=[RegexValidator(CODE, _("代码须为标识符：字母、数字与下划线"))])
    text = _text_field()
    note = _note_field()

    def __init__(self, *args: Any, units: Any, company_wide: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"] = scope_field(units, company_wide)

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        if code in RESERVED_CODES:
            raise forms.ValidationError(_("%(code)s 是保留字，请换一个代码"), params={"code": code})
        return code


class DiffForm(forms.Form):
    """Two version numbers of one scheme (``?a=N&b=M``)."""

    a = forms.IntegerField(label=_("旧版本"), min_value=1)
    b = forms.IntegerField(label=_("新版本"), min_value=1)
