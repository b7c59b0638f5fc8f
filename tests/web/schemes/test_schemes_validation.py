"""Problems placed at their YAML lines (schemes.validation), and the checks being the CLI's.

Every expected line number below was counted by hand in the text above it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from kaohe.web.schemes.diffs import line_diff
from kaohe.web.schemes.validation import line_of, normalize, validate
from kaohe.workspace import Workspace

SCHEME = """\
name: 测试方案
entity: person
period: month
indicators:
  - code: a
    name: A
    source: transactions
    value: count(*)
    weight: 50
    score: {rule: linear, floor: 0, target: 10}
  - code: b
    source: transactions
    value: >-
      sum(amount)
    weight: 50
    score:
      rule: steps
      steps:
        - [10, 1.0]
        - [5, 0.5]
payout:
  base: 800
  coefficient: {A: 1.2}
grades: [[90, A], [0, B]]
foo: 1
"""


@pytest.mark.parametrize(("path", "line"), [
    ("", 1),
    ("entity", 2),
    ("indicators", 4),
    ("indicators[0]", 5),
    ("indicators[0] (a).score.target", 10),  # a flow mapping: every key on line 10
    ("indicators[1] (b).weight", 15),
    ("indicators[1] (b).score.rule", 17),
    ("indicators[1] (b).score.steps", 18),
    ("indicators[1] (b).score.steps[1][0]", 20),
    ("indicators[1].score.steps[0]", 19),
    ("indicators[1] (b).missing", 11),  # absent key: the indicator's first line
    ("indicators[7].code", 4),  # no such item: the list's key
    ("payout.base", 22),
    ("payout.coefficient.A", 23),
    ("grades[1][0]", 24),
    ("foo", 25),  # an unknown key is reported by its own name
    # the formula compiler's paths name the indicator by its code
    ("indicator a", 8),
    ("indicator b", 13),  # a block scalar: the key's line, not the formula's
    ("indicator b.value", 13),
    ("indicator a.source", 7),
    ("indicator payout.base", 22),
    ("indicator zzz", 4),
])
def test_line_of_paths(path: str, line: int) -> None:
    assert line_of(SCHEME, path) == line


def test_line_of_old_key_names() -> None:
    text = "title: 旧名\nkind: person\nperiod: month\n"
    assert line_of(text, "entity") == 2
    assert line_of(text, "name") == 1


def test_line_of_unparsable_yaml() -> None:
    assert line_of("a: [1\nb: 2\n", "a") is None


def test_normalize_crlf_and_final_newline() -> None:
    assert normalize("a: 1\r\nb: 2") == "a: 1\nb: 2\n"
    assert normalize("") == ""


@pytest.fixture
def ws() -> Workspace:
    return Workspace.open(Path(settings.WORKSPACE))


def _good(ws: Workspace) -> str:
    return (ws.root / "schemes" / "clerk_star.yaml").read_text(encoding="utf-8")


GOOD = """\
name: 小方案
entity: person
period: month
population: {position: 营业员}
indicators:
  - code: volume
    name: 业务量
    source: transactions
    value: count(*)
    weight: 100
    score: {rule: linear, floor: 0, target: 50}
"""


def test_a_valid_scheme_has_no_problems(ws: Workspace) -> None:
    result = validate(ws, "small", GOOD)
    assert result.problems == []
    assert result.scheme is not None and result.scheme.name == "小方案"
    assert validate(ws, "clerk_star", _good(ws)).ok


def test_invalid_yaml_is_reported_at_the_parser_mark(ws: Workspace) -> None:
    text = "name: x\nentity: person\n  period: month\n"
    [p] = validate(ws, "x", text).problems
    assert p.line == 3
    assert "YAML" in p.message and "mapping values are not allowed here" in p.message


def test_key_problems_at_their_lines(ws: Workspace) -> None:
    text = GOOD.replace("weight: 100", "weight: x").replace("rule: linear", "rule: curve")
    problems = validate(ws, "small", text).problems
    by_path = {p.path: p for p in problems}
    assert by_path["indicators[0] (volume).weight"].line == 10
    assert "expected a number" in by_path["indicators[0] (volume).weight"].message
    assert by_path["indicators[0] (volume).score.rule"].line == 11
    assert "unknown rule 'curve'" in by_path["indicators[0] (volume).score.rule"].message
    assert str(by_path["indicators[0] (volume).weight"]).startswith("第 10 行: ")


def test_a_hostile_formula_is_refused_with_the_checkers_message(ws: Workspace) -> None:
    text = GOOD.replace("value: count(*)", "value: read_csv('/etc/passwd')")
    [p] = validate(ws, "small", text).problems
    assert p.line == 9
    assert p.path == "indicator volume"
    assert "不允许的函数 function not allowed (read_csv)" in p.message


def test_an_unknown_source_at_its_line(ws: Workspace) -> None:
    [p] = validate(ws, "small", GOOD.replace("source: transactions", "source: nowhere")).problems
    assert p.line == 8
    assert "unknown source 'nowhere'" in p.message


def test_an_unknown_population_attribute(ws: Workspace) -> None:
    text = GOOD.replace("{position: 营业员}", "{shoe_size: 42}")
    [p] = validate(ws, "small", text).problems
    assert p.line == 4
    assert "unknown attribute 'shoe_size'" in p.message


def test_a_bad_code_is_refused_before_parsing(ws: Workspace) -> None:
    [p] = validate(ws, "../etc", GOOD).problems
    assert p.path == "code" and p.line is None


def test_line_diff_rows() -> None:
    a = "a\nb\nc\nd\n"
    b = "a\nB\nc\nd\ne\n"
    rows = [(r.kind, r.old, r.new, r.text) for r in line_diff(a, b, context=1)]
    assert rows == [
        ("hunk", None, None, "@@ -1,4 +1,5 @@"),
        ("same", 1, 1, "a"),
        ("del", 2, None, "b"),
        ("add", None, 2, "B"),
        ("same", 3, 3, "c"),
        ("same", 4, 4, "d"),
        ("add", None, 5, "e"),
    ]
    assert line_diff(a, a) == []


# --- version 2 keys (SCHEMES.md §7–16): each problem at its own line -----------------------

V2 = GOOD + """\
grades: [[60, 合格], [0, 待改进]]
payout:
  - {name: 基本奖, base: 100, coefficient: {合格: 1}}
  - {name: 笔数酬金, amount: 2 * volume}
"""


def test_a_valid_v2_scheme_has_no_problems(ws: Workspace) -> None:
    assert validate(ws, "small", V2 + "alerts: [待改进]\n").problems == []


def test_a_payout_line_formula_at_its_line(ws: Workspace) -> None:
    [p] = validate(ws, "small", V2.replace("2 * volume", "2 * nosuch")).problems
    assert p.path == "indicator payout[1] (笔数酬金).amount"
    assert p.line == 15  # the second line of payout, not the indicators
    assert "'nosuch'" in p.message


def test_v2_keys_at_their_lines(ws: Workspace) -> None:
    [p] = validate(ws, "small", V2 + "alerts: [优秀]\n").problems
    assert (p.path, p.line) == ("alerts[0]", 16)
    assert "'优秀' is not a grade" in p.message
    [p] = validate(ws, "small", V2.replace("weight: 100", "weight: 100\n    window: 99")).problems
    assert (p.path, p.line) == ("indicators[0] (volume).window", 11)
    text = V2.replace("entity: person", "entity: {source: transactions, key: nosuch}")
    text = text.replace("population: {position: 营业员}\n", "")
    problems = validate(ws, "small", text).problems
    key = next(p for p in problems if p.path == "entity.key")
    assert key.line == 2 and "'nosuch'" in key.message
