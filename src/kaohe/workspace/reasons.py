"""Why an imported cell or file is rejected: one plain-Chinese sentence per kind of problem.

Each ``RowError`` of an import carries its reason as Chinese text (what the CLI prints) and the
reason's ``code`` and ``params``, so that the web shows it in the reader's language: the
templates below are the msgids of the data app's catalogue
(kaohe/web/data/locale/en/LC_MESSAGES/django.po), and ``reason_text`` fills them in.
Parameters are data (headers, values, periods, row numbers), never words to translate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

REASONS: dict[str, str] = {
    # cells
    "integer": "格式错误：应为整数",
    "decimal": "格式错误：应为数字",
    "boolean": "格式错误：应为“是”或“否”",
    "date": "格式错误：应为日期，如 2026-10-01",
    "datetime": "格式错误：应为日期时间，如 2026-10-01 09:30",
    "required": "必填：此格不能为空",
    "unknown_person": "人员编号不存在：组织架构中没有此人员",
    "unknown_unit": "单位编号不存在：组织架构中没有此单位",
    "outside_scope": "不在您的管辖范围内：只能导入您所管单位及其人员的数据",
    "outside_period": "不在替换的考核期 %(period)s 内",
    "not_allowed": "不是允许的值：应为 %(values)s 之一",
    "person_or_unit": "人员与单位至少填一个",
    "duplicate_key": "主键重复：与本文件第 %(first)s 行相同",
    "key_exists": "主键已存在：此前已导入过这条记录",
    # headers
    "duplicate_header": "表头重复：与第 %(first)s 列“%(header)s”是同一列",
    "missing_required": "缺少必需列；可用的表头：%(accepted)s；文件中的表头：%(found)s",
    "missing_column": "缺少列；可用的表头：%(accepted)s；文件中的表头：%(found)s"
                      "（若文件可以没有此列，请在数据源中标记 optional: true）",
    "missing_person_unit": "缺少人员列或单位列；可用的表头：%(accepted)s；文件中的表头：%(found)s",
}


def reason_text(code: str, params: Mapping[str, object] | None = None,
                translate: Callable[[str], str] | None = None) -> str:
    """The sentence for ``code``: Chinese, or through ``translate`` (the web's gettext)."""
    template = REASONS[code]
    if translate is not None:
        template = translate(template)
    return template % dict(params or {}) if params else template
