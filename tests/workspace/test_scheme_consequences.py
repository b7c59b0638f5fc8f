"""Loading grades with quotas, payout lines, alerts, demote, caps and elimination below (spec §9,
§10, §12, §16): what loads, and every mistake reported with the path to its key."""

from __future__ import annotations

from decimal import Decimal
import pytest

from kaohe.engine.compiled import compile_scheme
from kaohe.errors import Problems
from kaohe.scheme.loader import parse_scheme
from kaohe.workspace.sources import Source, load_source

HEAD = """\
entity: person
period: month
indicators:
  - {code: cards, source: s, value: count(*), role: info}
  - {code: t, source: s, value: count(*), weight: 100, score: {rule: linear, target: 10}}
  - {code: b, source: s, value: count(*), role: bonus, score: {per: 1}}
"""


def problems(text: str) -> str:
    with pytest.raises(Problems) as info:
        parse_scheme(HEAD + text, "x")
    assert info.value.exit_status == 2
    return str(info.value)


def test_everything_loads() -> None:
    s = parse_scheme(HEAD + """\
grades: [[90, 优秀, 20%], [75, 良好, 12.5], [0, 合格]]
alerts: [合格]
demote: [{when: b, steps: 2}, {when: t}]
caps: {bonus: 10}
elimination: {below: 60, consecutive: 2}
payout:
  - {name: 星级奖金, base: 1000, coefficient: {优秀: 1.5}, max: 1200}
  - {name: 开户酬金, amount: 20 * cards}
  - {name: 阶梯, on: cards, tiers: [[0, 10], [100, 15.5]], mode: whole}
  - {name: 池, pool: 100.5, within: unit}
""", "x")
    assert s.quotas == (Decimal(20), Decimal("12.5"), None)
    assert s.alerts == ("合格",) and [(d.when, d.steps) for d in s.demote] == [("b", 2), ("t", 1)]
    assert s.caps is not None and s.caps.bonus == 10 and s.caps.penalty is None
    assert s.elimination is not None and s.elimination.bottom is None \
        and s.elimination.below == 60
    assert s.payout is not None and [line.kind for line in s.payout.lines] == [
        "coefficient", "amount", "tiers", "pool"]
    assert s.payout.lines[2].tiers == ((0, 10), (100, Decimal("15.5")))
    assert s.payout.lines[3].within == ("unit",)


def test_single_dict_is_one_line() -> None:
    s = parse_scheme(HEAD + "grades: [[0, A]]\npayout: {base: 10, coefficient: {A: 1}}\n", "x")
    assert s.payout is not None and s.payout.base == "10"
    assert [(line.name, line.kind) for line in s.payout.lines] == [("兑现", "coefficient")]
    assert s.quotas == () and s.elimination is None


def test_quota_mistakes() -> None:
    text = problems("grades: [[90, A, 120%], [80, B, abc], [0, C, 10%]]\n")
    assert "grades[0][2]" in text and "grades[1][2]" in text
    assert "grades[2][2]: 最后一个等级不能有配额 the last grade may not have a quota" in text


def test_payout_line_mistakes() -> None:
    text = problems("""\
grades: [[0, A]]
payout:
  - {name: 池, pool: 100, min: 0}
  - {name: 阶, on: nope, tiers: [[0, 1]]}
  - {name: 降, on: cards, tiers: [[10, 1], [10, 2]]}
  - {name: 二, amount: 1, base: 2}
  - {name: 界, amount: 1, min: 5, max: 1}
  - {amount: 3}
  - {name: 阶, amount: 2}
""")
    for expected in (
            "payout[0] (池): 资金池不能设 min/max a pool line cannot have min or max",
            "payout[1] (阶).on: 未知指标 unknown indicator 'nope'",
            "payout[2] (降).tiers[1][0]: 起点应递增 tiers must be written in increasing from",
            "payout[3] (二): 兑现项需要",
            "payout[4] (界): min 5 大于 max 1",
            "payout[5].name",
            "duplicate line name '阶'"):
        assert expected in text, expected


def test_reserved_codes_with_amounts() -> None:
    text = problems("""\
  - {code: rank, source: s, value: count(*), role: info}
payout: [{name: a, amount: rank * 2}]
""")
    assert "indicator code may not be total, rank, group_size, grade" in text


def test_alerts_demote_caps_elimination_mistakes() -> None:
    text = problems("""\
grades: [[60, 合格], [0, 不合格]]
alerts: [红色]
demote: [{when: nope}, {when: b, steps: 0}]
caps: {bonus: -1, extra: 2}
elimination: {below: x, consecutive: 2}
""")
    for expected in ("alerts[0]: 不是等级 '红色' is not a grade; grades: 合格, 不合格",
                     "demote[0].when: 未知指标 unknown indicator 'nope'",
                     "demote[1].steps", "caps.bonus: 应为非负数 must be >= 0",
                     "caps.extra: 未知键", "elimination.below: 应为数字"):
        assert expected in text, expected


def _compile(text: str, attributes: tuple[str, ...] = ("budget", "cards")) -> str:
    scheme = parse_scheme(HEAD + text, "x")
    with pytest.raises(Problems) as info:
        compile_scheme(scheme, {"s": SOURCE}, attributes)
    return str(info.value)


@pytest.fixture(scope="module", autouse=True)
def _source(tmp_path_factory: pytest.TempPathFactory) -> None:
    global SOURCE
    path = tmp_path_factory.mktemp("src") / "s.yaml"
    path.write_text("name: s\ntime: at\nperson: p\ncolumns: {p: {type: string}, "
                    "at: {type: datetime}}\n", encoding="utf-8")
    SOURCE = load_source(path)


SOURCE: Source


def test_amount_formula_mistakes() -> None:
    # 'cards' is both an indicator code and an attribute: ambiguous in a payout formula
    assert "既是指标代码又是属性 is both an indicator code and an attribute" in _compile(
        "payout: [{name: a, amount: cards * 2}]\n")
    assert "未知名称 unknown name" in _compile("payout: [{name: a, amount: nope * 2}]\n")
    assert "兑现公式不能用 prev" in _compile("payout: [{name: a, amount: prev(t) * 2}]\n")
    assert "mixes number/text" in _compile("payout: [{name: a, amount: grade + 1}]\n") \
        or "expected a number" in _compile("payout: [{name: a, amount: grade + 1}]\n")
    # the single-dict form keeps spec §4's names: total is not one of them
    assert "未知名称 unknown name" in _compile(
        "grades: [[0, A]]\npayout: {base: total, coefficient: {A: 1}}\n")
