"""runs/cells.py formats the ranking table in Python for speed; the reference is the Django
template markup it replaced (kept here verbatim), rendered by Django's template engine with
``floatformat``, ``{% url %}`` and autoescaping, in both languages."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django import forms
from django.template import Context, Template
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from kaohe.web.runs.cells import (FastSelect, fixed2, ranking_rows, scorecard_rows,
                                  scorecard_url_maker)
from kaohe.web.runs.explain import IndicatorLine
from kaohe.web.runs.models import Result

# the ranking row of runs/ranking.html before cells.py (commit 4578c71)
OLD_ROW = Template("""{% for r in rows %}
  <tr>
    <td class="num">{{ r.rank }}<span class="muted">/{{ r.group_size }}</span></td>
    <td><a href="{% url 'runs:scorecard' run.pk r.entity_id %}">{{ r.name }}</a> <span class="muted">{{ r.entity_id }}</span></td>
    <td>{{ r.unit_name }}</td>
    <td>{{ r.group_name }}</td>
    <td class="num">{{ r.total|floatformat:2 }}</td>
    <td>{{ r.grade }}</td>
    {% if run.has_payout %}<td class="num">{% if r.payout is not None %}¥{{ r.payout|floatformat:2 }}{% else %}—{% endif %}</td>{% endif %}
    <td>{% for label, css in r.flags %}<span class="tag {{ css }}">{{ label }}</span> {% endfor %}</td>
    {% for p in r.points_list %}<td class="num">{% if p is not None %}{{ p|floatformat:2 }}{% else %}—{% endif %}</td>{% endfor %}
  </tr>
{% endfor %}""")  # noqa: E501

LANGUAGES = ("zh-hans", "en")


def squeeze(html: str) -> str:
    return re.sub(r">\s+<", "><", html).strip()


class FakeRun:
    def __init__(self, pk: int, has_payout: bool) -> None:
        self.pk = pk
        self.has_payout = has_payout


def result(entity_id: str, name: str, total: str, *, payout: str | None = None,
           flags: list[tuple[str, str]] | None = None,
           points: list[Decimal | None] | None = None) -> Result:
    r = Result(entity_id=entity_id, name=name, unit_name=f"{name}的厅 & <b>", group_name='组"A"',
               total=Decimal(total), rank=3, group_size=17, grade="优秀<",
               payout=Decimal(payout) if payout is not None else None)
    r.flags = flags or []  # type: ignore[attr-defined]
    r.points_list = points or []  # type: ignore[attr-defined]
    return r


ROWS = [
    result("0010518", "谢明涛", "98.50", payout="1234.50",
           flags=[("一票否决", "bad"), ("申诉调整 +1.25", "ok")],
           points=[Decimal("30.00"), None, Decimal("-2.00"), Decimal("0.00"), Decimal("-0.00")]),
    result("a b&c'd", "<script>alert(1)</script>", "0.00", points=[None]),
    result("x%y~:@!$", "O'Brien \"Bob\"", "-0.00", payout="0.00", flags=[("末位", "warn")]),
    result("中文编号", "张三", "100", payout=None, points=[Decimal("12.345")]),
]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("has_payout", [True, False])
def test_rows_are_the_markup_the_template_gave(lang: str, has_payout: bool) -> None:
    run = FakeRun(41, has_payout)
    with translation.override(lang):
        old = OLD_ROW.render(Context({"rows": ROWS, "run": run}))
        new = "".join(ranking_rows(ROWS, run.pk, run.has_payout))
    assert squeeze(new) == squeeze(old)
    assert "<script>" not in new  # a name is text, never markup
    assert "&lt;script&gt;" in new


@pytest.mark.parametrize("entity_id", ["0010518", "a b", "x%y", "中文", "a&b'c\"d", "~:@!$()*+,;=",
                                       "?#[]"])
def test_scorecard_urls_are_what_reverse_gives(entity_id: str) -> None:
    assert scorecard_url_maker(7)(entity_id) == reverse("runs:scorecard", args=[7, entity_id])


@given(st.decimals(min_value=-10**9, max_value=10**9, places=4, allow_nan=False,
                   allow_infinity=False) | st.integers(-10**6, 10**6).map(Decimal)
       | st.sampled_from([Decimal("-0.00"), Decimal("-0.004"), Decimal("0.005"),
                          Decimal("-0.005"), Decimal("2.675"), Decimal("1E+3")]))
def test_fixed2_is_floatformat_2(value: Decimal) -> None:
    for lang in LANGUAGES:
        with translation.override(lang):
            assert fixed2(value) == floatformat(value, 2), (lang, value)


def line(code: str, **kw: object) -> IndicatorLine:
    base: dict[str, object] = dict(
        code=code, name=f"指标 {code} <i>", role="scored", role_label="计分", weight=0.3,
        formula="sum(amount) / count(*) > 1 && x < 2", rule="rank 1→10 'a'", source="sales",
        missing_policy="", value=0.965, points=Decimal("12.50"), missing=False,
        has_facts=True, description="本月办理的业务笔数。", sentence="目标 300 笔得满分 40 分，按比例计分",
        value_text="96.5%")
    base.update(kw)
    return IndicatorLine(**base)  # type: ignore[arg-type]


LINES = [
    line("sales"),
    line("quiz", weight=None, value=None, points=None, missing=True,
         missing_policy="缺失按 0 计"),
    line("derived", source=None, has_facts=False, weight=25, value=0.5, points=Decimal("-3.25")),
    line("other", source="results:clerk_star", has_facts=False, weight=0.125, value=-0.00001,
         points=Decimal("0.00")),
    line("whole", value=7.0, weight=1.0, role="info", role_label="仅展示", points=None),
]


def test_scorecard_rows_show_sentences_and_hide_formulas() -> None:
    card = result("a&b", "张三", "1")
    with translation.override("zh-hans"):
        staff = "".join(scorecard_rows(LINES, 9, card.entity_id))
        admin = "".join(scorecard_rows(LINES, 9, card.entity_id, show_formula=True))
    # staff: the value as formatted, the sentence, the 口径; no formula, engine rule or source
    assert "96.5%" in staff and "目标 300 笔得满分 40 分" in staff and "本月办理的业务笔数" in staff
    assert "sum(amount)" not in staff and "rank 1→10" not in staff
    assert "明细 · sales" not in staff and "muted\">sales<" not in staff  # no source names
    assert "<details" not in staff
    assert staff.count("<tr>") == len(LINES)
    # admin: the same, and the formula one click away, escaped
    assert admin.count('<details class="formula">') == len(LINES)
    assert "sum(amount) / count(*) &gt; 1 &amp;&amp; x &lt; 2" in admin
    assert "<i>" not in staff and "<i>" not in admin
    assert reverse("runs:facts", args=[9, "a&b", "sales"]).replace("&", "&amp;") in staff
    assert '<span class="warn">缺失</span>' in staff  # the missing quiz


CHOICES = [("", "全部"), ("a/b", "组 <A> & \"B\""), ("0", "零"), ("x'y", "x'y"),
           ("部门", [("d1", "一部"), ("d2", "二部 <b>")])]


@pytest.mark.parametrize("value", [None, "", "a/b", "0", "x'y", "d2", "nope", ["a/b", "0"]])
@pytest.mark.parametrize("attrs", [None, {"id": "id_group", "required": True, "disabled": False,
                                          "data-x": '1"2'}])
def test_fast_select_is_djangos_select(value: object, attrs: dict[str, object] | None) -> None:
    django_select = forms.Select(choices=CHOICES)
    fast = FastSelect(choices=CHOICES)
    assert fast.render("group", value, attrs) == django_select.render("group", value, attrs)
