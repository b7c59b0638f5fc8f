"""Hostile payout amount formulas (spec §10): each refused with a clear error by the compiler,
before anything runs, naming the offending part; hostile line names refused by the loader."""

from __future__ import annotations

import pytest

from kaohe.engine.compiled import compile_scheme
from kaohe.errors import Problems
from kaohe.scheme.loader import parse_scheme
from kaohe.workspace.sources import Source, load_source

HEAD = """\
entity: person
period: month
grades: [[60, 合格], [0, 不合格]]
indicators:
  - {code: t, source: s, value: count(*), weight: 100, score: {rule: linear, target: 10}}
  - {code: cards, source: s, value: count(*), role: info}
payout:
  - name: 酬金
    amount: "AMOUNT"
"""

# (id, amount, a fragment the error must show)
CASES = [
    ("read_csv", "cards + read_csv('/etc/passwd')", "read_csv"),
    ("subquery", "cards + (select 1)", "select"),
    ("prev", "prev(cards) * 20", "prev"),
    ("prev_nested", "case when total > 60 then prev(t, 1) else 0 end", "prev"),
    ("window", "sum(cards) over ()", "over"),
    ("aggregate", "sum(cards)", "sum"),
    ("star", "count(*)", "count"),
    ("unknown_name", "bonus_pool * 2", "bonus_pool"),
    ("qualified", "p.cards * 2", "p.cards"),
    ("text_arithmetic", "grade * 2", "grade"),
    ("text_compare_number", "case when grade = 1 then 1 else 0 end", "grade"),
    ("second_statement", "1; drop table runs", ";"),
    ("comment", "cards /* x */ * 2", "x"),
    ("huge_literal", "cards * 1e300", "1e300"),
    ("deep", "(" * 60 + "cards" + ")" * 60, "(((("),
    ("pragma_function", "current_setting('threads')", "current_setting"),
]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Source:
    path = tmp_path_factory.mktemp("src") / "s.yaml"
    path.write_text("name: s\ntime: at\nperson: p\ncolumns: {p: {type: string}, "
                    "at: {type: datetime}}\n", encoding="utf-8")
    return load_source(path)


@pytest.mark.parametrize(("case_id", "amount", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_amount_refused(source: Source, case_id: str, amount: str, fragment: str) -> None:
    scheme = parse_scheme(HEAD.replace("AMOUNT", amount.replace('"', '\\"')), "hostile")
    with pytest.raises(Problems) as info:
        compile_scheme(scheme, {"s": source}, ("budget",))
    text = str(info.value)
    assert "payout[0] (酬金).amount" in text, text
    assert fragment.lower() in text.lower(), text


@pytest.mark.parametrize("name", ["a\"b", "x'y", "a`b", "a\\b", "", "   ", "x" * 41, "123"])
def test_line_names_refused(name: str) -> None:
    text = HEAD.replace("name: 酬金", f"name: {name!r}" if name.strip() else "name: ''")
    with pytest.raises(Problems) as info:
        parse_scheme(text.replace("AMOUNT", "cards"), "hostile")
    assert "payout[0].name" in str(info.value)


def test_good_amount_compiles(source: Source) -> None:
    scheme = parse_scheme(HEAD.replace(
        "AMOUNT", "case when grade = '合格' then budget * total / 100 else 0 end "
                  "- 30 * cards + rank + group_size"), "ok")
    cs = compile_scheme(scheme, {"s": source}, ("budget",))
    assert cs.attributes == ("budget",) and len(cs.payout_lines) == 1
