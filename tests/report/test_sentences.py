"""Issue 13: every rule as a sentence people read, and values in their format. Every expected
string is written by hand from the rule (spec §4, §7, §16), not taken from the code."""

from __future__ import annotations

import pytest

from kaohe.errors import Problems
from kaohe.scheme.formats import Format, excel_format, format_value
from kaohe.scheme.loader import parse_scheme
from kaohe.scheme.sentences import indicator_sentences, scheme_sentences

SCHEME = """
name: 句子
entity: person
period: month
peers: [ancestor:县公司]
indicators:
  - {code: vol, name: 业务量, source: s, value: count(*), weight: 25,
     format: {kind: count, unit: 笔}, description: 本月办理的业务笔数。,
     score: {rule: linear, floor: 0, target: 1430}}
  - {code: up, name: 执行率, source: s, value: "1", weight: 15, format: percent,
     missing: full, score: {rule: linear, floor: 0.5, target: 0.9}}
  - {code: over, name: 超额, source: s, value: "1", weight: 10,
     score: {rule: linear, floor: 0, target: 100, cap: 1.2}}
  - {code: loss, name: 线损率, source: s, value: "1", weight: 20, format: percent,
     score: {rule: linear, floor: 0.1, target: 0.05}}
  - {code: quiz, name: 答题, source: s, value: "1", weight: 15, format: score,
     score: {rule: steps, steps: [[95, 1.0], [90, 0.9], [60, 0.3]]}}
  - {code: wait, name: 等候, source: s, value: "1", weight: 10, format: hours,
     missing: exclude, score: {rule: steps, direction: lower, steps: [[0.5, 1.0], [1, 0.5]]}}
  - {code: insp, name: 检查扣分, source: s, value: "1", weight: 10,
     score: {rule: deduct, per: 0.5}}
  - {code: late, name: 迟到, source: s, value: "1", weight: 20,
     format: {kind: count, unit: 次}, score: {rule: deduct, per: 2, max: 10}}
  - {code: dev, name: 发展量, source: s, value: "1", weight: 15,
     score: {rule: percentile, direction: higher}}
  - {code: rep, name: 重复投诉, source: s, value: "1", weight: 5,
     score: {rule: percentile, direction: lower}}
  - {code: sales, name: 销售额, source: s, value: "1", weight: 10, format: yuan,
     score: {rule: vs_mean, direction: higher}}
  - {code: hours, name: 处理时长, source: s, value: "1", weight: 10, format: hours,
     score: {rule: vs_mean, direction: lower, cap: 1.5}}
  - {code: praise, name: 表扬, source: s, value: "1", role: bonus,
     format: {kind: count, unit: 次}, score: {per: 2, cap: 5}}
  - {code: complaint, name: 投诉, source: s, value: "1", role: penalty,
     format: {kind: count, unit: 件}, score: {per: 5, cap: 15}}
  - {code: major, name: 重大投诉, source: s, value: "1", role: veto}
  - {code: tickets, name: 工单量, source: s, value: "1", role: info}
  - {code: q3, name: 近三月均值, source: s, value: "1", weight: 10, window: 3,
     score: {rule: linear, floor: 0, target: 10}}
  - {code: last, name: 上月值, source: s, value: "1", weight: 10, offset: 1,
     score: {rule: linear, floor: 0, target: 10}}
grades: [[90, 优秀, 20%], [60, 合格], [0, 不合格]]
caps: {bonus: 8, penalty: 20}
demote: [{when: major, steps: 1}]
elimination: {bottom: 1, below: 60, consecutive: 3}
alerts: [不合格]
payout:
  - {name: 绩效, base: 800, coefficient: {优秀: 1.5, 合格: 1.0, 不合格: 0}}
  - {name: 奖金池, pool: 8000, within: [parent]}
"""

ZH = {
    # linear, floor 0: the issue's own example
    "vol": "目标 1430 笔得满分 25 分，按比例计分",
    # linear with a floor, shown as percents; missing: full
    "up": "50% 及以下得 0 分，目标 90% 得满分 15 分，之间按比例计分；无数据时得满分",
    # cap 1.2: 10 × 1.2 = 12 points at most
    "over": "目标 100 得满分 10 分，按比例计分；超过目标继续按比例加分，最多 12 分",
    # floor > target: lower is better
    "loss": "5% 及以下得满分 20 分，10% 及以上得 0 分，之间按比例计分",
    # steps: 15 × 1.0, 15 × 0.9 = 13.5, 15 × 0.3 = 4.5
    "quiz": "分档计分：达到 95 分得 15 分，达到 90 分得 13.5 分，达到 60 分得 4.5 分，都未达到得 0 分",
    # steps, lower; 10 × 1.0, 10 × 0.5; missing: exclude
    "wait": "分档计分：不超过 0.5 小时得 10 分，不超过 1 小时得 5 分，都未达到得 0 分；"
            "无数据时不参与考核，其余指标按权重折算",
    # deduct without max: up to the weight
    "insp": "满分 10 分，每次扣 0.5 分，扣完为止",
    "late": "满分 20 分，每次扣 2 分，最多扣 10 分",
    "dev": "按组内名次计分（数值越高越好）：最好的得满分 15 分，最差的得 0 分，其余按名次比例计分",
    "rep": "按组内名次计分（数值越低越好）：最好的得满分 5 分，最差的得 0 分，其余按名次比例计分",
    "sales": "与组内平均值比较：达到平均值得满分 10 分，低于平均按比例计分",
    # vs_mean lower with cap 1.5: 10 × 1.5 = 15
    "hours": "与组内平均值比较（数值越低越好）：不高于平均值得满分 10 分，高于平均按比例减分；"
             "低于平均继续加分，最多 15 分",
    "praise": "每次加 2 分，最多加 5 分",
    "complaint": "每件扣 5 分，最多扣 15 分",
    "major": "出现即一票否决：总分记 0 分，等级记为「不合格」",
    "tickets": "仅展示，不计分",
    # v2 windows (spec §7)
    "q3": "统计最近 3 个月；目标 10 得满分 10 分，按比例计分",
    "last": "取 1 个月前的数据；目标 10 得满分 10 分，按比例计分",
}

EN = {
    "vol": "Full 25 points at the target of 1430, in proportion below it",
    "up": "0 points at or below 50%, full 15 points at the target of 90%, in proportion in "
          "between; no data gives full points",
    "loss": "Full 20 points at or below 5%, 0 points at or above 10%, in proportion in between "
            "(lower is better)",
    "late": "Full 20 points, less 2 points for each one, at most 10 points off",
    "praise": "Plus 2 points for each one, at most 5 points in all",
    "major": "Any occurrence vetoes: the total becomes 0 and the grade '不合格'",
    "tickets": "Shown only, not scored",
    "q3": "Over the last 3 months; full 10 points at the target of 10, in proportion below it",
}


@pytest.fixture(scope="module")
def sentences() -> dict[str, tuple[str, str]]:
    return indicator_sentences(parse_scheme(SCHEME, "sentences"))


@pytest.mark.parametrize("code", sorted(ZH))
def test_chinese_sentence_per_rule(sentences: dict[str, tuple[str, str]], code: str) -> None:
    assert sentences[code][0] == ZH[code]


@pytest.mark.parametrize("code", sorted(EN))
def test_english_sentence(sentences: dict[str, tuple[str, str]], code: str) -> None:
    assert sentences[code][1] == EN[code]


def test_no_engine_words_in_any_sentence(sentences: dict[str, tuple[str, str]]) -> None:
    for zh, en in sentences.values():
        for word in ("floor", "target=", "per=", "cap=", "linear", "vs_mean", "W="):
            assert word not in zh and word not in en


def test_scheme_level_sentences() -> None:
    got = scheme_sentences(parse_scheme(SCHEME, "sentences"))
    assert got == [
        "等级（按总分）：90 分及以上为优秀（每组不超过 20%），60 分及以上为合格，其余为不合格",
        "加分合计最多 8 分，扣分合计最多 20 分",
        "出现「重大投诉」的，等级下降 1 档",
        "连续 3 个月组内倒数 1 名且总分低于 60 分的，列入末位淘汰",
        "等级为不合格的列入预警",
        "绩效：¥800.00 × 等级系数（优秀 1.5、合格 1、不合格 0）",
        "奖金池：奖金池 ¥8,000.00，在每个上级单位内按总分比例分配",
    ]


def test_description_and_format_are_parsed() -> None:
    s = parse_scheme(SCHEME, "sentences")
    assert s.indicator("vol").description == "本月办理的业务笔数。"
    assert s.indicator("vol").format == Format("count", None, "笔")
    assert s.indicator("up").format == Format("percent")
    assert s.indicator("dev").format is None and s.indicator("dev").description == ""


def test_bad_formats_are_all_reported() -> None:
    text = SCHEME.replace("format: percent,", "format: ratio,").replace(
        "format: {kind: count, unit: 笔}", "format: {kind: count, decimals: 9, digits: 2}")
    with pytest.raises(Problems) as info:
        parse_scheme(text, "bad")
    messages = "\n".join(str(p) for p in info.value.problems)
    assert "indicators[0] (vol).format.digits" in messages
    assert "indicators[0] (vol).format.decimals" in messages
    assert "indicators[1] (up).format.kind" in messages and "'ratio'" in messages


@pytest.mark.parametrize(("value", "fmt", "lang", "expected"), [
    (0.965, Format("percent"), "zh", "96.5%"),
    (1, Format("percent"), "zh", "100%"),  # the issue: a rate of 1 is 100%, not "1"
    (0.96, Format("percent", 1), "zh", "96.0%"),
    (0.12345, Format("percent", 2), "zh", "12.35%"),  # 12.345 half away from zero
    (1430, Format("count", None, "笔"), "zh", "1430 笔"),
    (12500, Format("count", None, "户"), "zh", "12,500 户"),
    (12500, Format("count", None, "户"), "en", "12,500"),
    (7.0, Format("count"), "zh", "7"),
    (3999, Format("yuan"), "zh", "¥3,999.00"),  # the issue: not 3999.0000
    (-1234.5, Format("yuan"), "zh", "-¥1,234.50"),
    (0.005, Format("yuan"), "zh", "¥0.01"),
    (2.25, Format("hours"), "zh", "2.3 小时"),
    (2.25, Format("hours"), "en", "2.3 h"),
    (82.6923, Format("score"), "zh", "82.69 分"),
    (11.6, Format("score", 2), "zh", "11.60 分"),
    (82.6923, None, "zh", "82.69"),  # no format: at most 2 decimals
    (11.6000, None, "zh", "11.6"),
    (0.0, None, "zh", "0"),
    (-0.001, None, "zh", "0"),  # never "-0"
    (None, Format("percent"), "zh", "—"),
    (float("nan"), Format("yuan"), "zh", "—"),
])
def test_format_value(value: object, fmt: Format | None, lang: str, expected: str) -> None:
    assert format_value(value, fmt, lang) == expected


def test_excel_formats() -> None:
    assert excel_format(Format("percent")) == "0.0%"
    assert excel_format(Format("yuan")) == '"¥"#,##0.00'
    assert excel_format(Format("count")) == "#,##0"
    assert excel_format(None) == "#,##0.00"
