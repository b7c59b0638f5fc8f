"""The formula allow-list.

A formula is checked before anything runs: tokens first (length, nesting, a second statement,
enormous literals), then the parsed tree node by node with ``type(node) in ALLOWED`` — exact
types, because subclasses (``Pseudocolumn(Column)``) and unknown functions (``Anonymous``)
would slip through ``isinstance``. Then the context rules: columns only inside aggregates and
only of the indicator's own source, no aggregate inside another, ``*`` only in ``count(*)``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any
from datetime import date, datetime

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from kaohe.errors import FormulaError
from kaohe.formula.wavg import expand_wavg

MAX_LENGTH = 4000
MAX_TOKENS = 800
MAX_DEPTH = 40  # parenthesis nesting; the parser recurses, so this bounds its stack
MAX_TREE_DEPTH = 120
MAX_NUMBER_DIGITS = 18
MAX_NUMBER = 1e15
MAX_STRING = 200

AGGREGATES: tuple[type[exp.Expression], ...] = (exp.Count, exp.Sum, exp.Avg, exp.Min, exp.Max)
SCALAR_FUNCTIONS: tuple[type[exp.Expression], ...] = (
    exp.Coalesce, exp.Nullif, exp.Abs, exp.Round, exp.Least, exp.Greatest,
)
OPERATORS: tuple[type[exp.Expression], ...] = (
    exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.Neg, exp.Paren,
    exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.And, exp.Or, exp.Not,
    exp.In, exp.Between, exp.Is, exp.Case, exp.If,
)
LEAVES: tuple[type[exp.Expression], ...] = (
    exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Null,
)
# allowed only in a fixed place, checked below
PLACED: tuple[type[exp.Expression], ...] = (
    exp.Filter, exp.Where, exp.Star, exp.Distinct, exp.DateDiff, exp.Var, exp.Cast, exp.DataType,
)
ALLOWED: frozenset[type[exp.Expression]] = frozenset(
    AGGREGATES + SCALAR_FUNCTIONS + OPERATORS + LEAVES + PLACED
)
DATE_UNITS = ("day", "hour", "minute", "workday")  # workday: formula/workdays.py
_LITERAL_TYPES = (exp.DataType.Type.DATE, exp.DataType.Type.TIMESTAMP,
                  exp.DataType.Type.TIMESTAMPNTZ)
# the arguments each node may carry; anything else (max(x, n), count(a, b), * exclude …)
# is refused, because the engines disagree on it or fail at run time
_ARGS: dict[type[exp.Expression], frozenset[str]] = {
    exp.Count: frozenset({"this", "big_int"}),
    exp.Sum: frozenset({"this"}), exp.Avg: frozenset({"this"}),
    exp.Min: frozenset({"this"}), exp.Max: frozenset({"this"}),
    exp.Star: frozenset(), exp.Filter: frozenset({"this", "expression"}),
    exp.Where: frozenset({"this"}), exp.Abs: frozenset({"this"}),
    exp.Round: frozenset({"this", "decimals"}),
    exp.Nullif: frozenset({"this", "expression"}),
    exp.DateDiff: frozenset({"this", "expression", "unit", "date_part_boundary"}),
    exp.In: frozenset({"this", "expressions"}),
    exp.Between: frozenset({"this", "low", "high"}),
    exp.Is: frozenset({"this", "expression"}),
    exp.Distinct: frozenset({"expressions"}),
}

_KINDS = {
    exp.Anonymous: "未知函数 unknown function",
    exp.Select: "子查询 subquery",
    exp.Subquery: "子查询 subquery",
    exp.Window: "窗口函数 window function",
    exp.Table: "表 table",
    exp.Dot: "限定名 qualified name",
}


def _fail(scheme: str, code: str, message: str, node: exp.Expression | str) -> FormulaError:
    text = node if isinstance(node, str) else node.sql(dialect="duckdb")
    if len(text) > 80:
        text = text[:77] + "…"
    return FormulaError(scheme, code, message, text)


def parse_formula(text: str, scheme: str, code: str) -> exp.Expression:
    """Tokenize and parse one expression; reject anything that is not a single expression."""
    if len(text) > MAX_LENGTH:
        raise _fail(scheme, code, f"公式过长 formula longer than {MAX_LENGTH} characters",
                    text[:40])
    try:
        tokens = sqlglot.tokenize(text, read="duckdb")
    except TokenError as exc:
        raise _fail(scheme, code, "无法识别 cannot tokenize", str(exc)[:80]) from exc
    if len(tokens) > MAX_TOKENS:
        raise _fail(scheme, code, f"公式过长 more than {MAX_TOKENS} tokens", text[:40])
    depth = 0
    for tok in tokens:
        if tok.comments:  # user text must never reach the engine's SQL, not even as a comment
            raise _fail(scheme, code, "不允许注释 comments are not allowed", tok.comments[0])
        if tok.token_type == TokenType.SEMICOLON:
            raise _fail(scheme, code, "只允许一个表达式 a second statement is not allowed", ";")
        if tok.token_type == TokenType.L_PAREN:
            depth += 1
            if depth > MAX_DEPTH:
                raise _fail(scheme, code, f"嵌套过深 nesting deeper than {MAX_DEPTH}", "(" * 5)
        elif tok.token_type == TokenType.R_PAREN:
            depth -= 1
        elif tok.token_type == TokenType.NUMBER:
            digits = tok.text.lower().split("e")[0].replace(".", "").lstrip("0")
            try:
                too_big = abs(float(tok.text)) > MAX_NUMBER
            except ValueError:
                too_big = True
            if len(digits) > MAX_NUMBER_DIGITS or too_big:
                raise _fail(scheme, code, f"数字过大 number literal too large (> {MAX_NUMBER:g} "
                            f"or > {MAX_NUMBER_DIGITS} digits)", tok.text)
        elif tok.token_type == TokenType.STRING and len(tok.text) > MAX_STRING:
            raise _fail(scheme, code, f"字符串过长 string literal longer than {MAX_STRING}",
                        tok.text[:40])
    _check_date_diff_arity(tokens, scheme, code)
    try:
        trees = sqlglot.parse(text, read="duckdb")
    except (ParseError, TokenError, RecursionError) as exc:
        where = ""
        errors = getattr(exc, "errors", None) or []
        if errors:
            where = str(errors[0].get("highlight") or "")
            col = errors[0].get("col")
            if isinstance(col, int) and col > 0:
                # a little context before the token the parser stopped at
                start = max(0, col - len(where) - 12)
                where = text[start:col + 20] or where
        raise _fail(scheme, code, "语法错误 syntax error", where or text[:60]) from exc
    trees = [t for t in trees if t is not None]
    if len(trees) != 1:
        raise _fail(scheme, code, "应为一个表达式 expected exactly one expression", text)
    tree = trees[0]
    # the parser can nest deeper than the brackets show (- - - … x); rendering recurses, so
    # bound the tree's depth here, without recursing
    stack = [(tree, 1)]
    while stack:
        node, d = stack.pop()
        if d > MAX_TREE_DEPTH:
            raise _fail(scheme, code, f"嵌套过深 nesting deeper than {MAX_TREE_DEPTH}", text[:40])
        stack.extend((child, d + 1) for child in node.iter_expressions())
    return expand_wavg(tree, scheme, code)  # spec §11, in formula/wavg.py


def _check_date_diff_arity(tokens: list[Any], scheme: str, code: str) -> None:
    """date_diff takes exactly three arguments; the parser would silently drop a fourth."""
    for i, tok in enumerate(tokens):
        if tok.text.lower() not in ("date_diff", "datediff") or i + 1 >= len(tokens) \
                or tokens[i + 1].token_type != TokenType.L_PAREN:
            continue
        depth, commas = 0, 0
        for t in tokens[i + 1:]:
            if t.token_type == TokenType.L_PAREN:
                depth += 1
            elif t.token_type == TokenType.R_PAREN:
                depth -= 1
                if depth == 0:
                    break
            elif t.token_type == TokenType.COMMA and depth == 1:
                commas += 1
        if commas != 2:
            raise _fail(scheme, code, "date_diff 需要三个参数 date_diff(unit, a, b) takes three "
                        "arguments", "date_diff(…)")


def _check_node(node: exp.Expression, scheme: str, code: str) -> None:
    kind = type(node)
    if kind not in ALLOWED:
        label = _KINDS.get(kind, f"不允许的语法 not allowed ({kind.__name__})")
        if isinstance(node, exp.Func) and kind not in _KINDS:
            label = f"不允许的函数 function not allowed ({node.sql_name().lower()})"
        raise _fail(scheme, code, label, node)
    allowed_args = _ARGS.get(kind)
    if allowed_args is not None:
        extra = [k for k, v in node.args.items() if v not in (None, False, [], "")
                 and k not in allowed_args]
        if extra or (kind in AGGREGATES and node.args.get("this") is None):
            raise _fail(scheme, code, "参数不符合要求 wrong arguments", node)
        if kind is exp.In and not node.expressions:
            raise _fail(scheme, code, "in 列表不能为空 in () needs values", node)
    parent = node.parent
    if kind is exp.Column:
        if any(node.args.get(k) for k in ("table", "db", "catalog")):
            raise _fail(scheme, code, "不允许引用其他表 qualified names (other tables) are not "
                        "allowed", node)
    elif kind is exp.Star:
        if not isinstance(parent, exp.Count) or parent.this is not node:
            raise _fail(scheme, code, "* 只能用于 count(*) is only allowed in count(*)", node)
    elif kind is exp.Distinct:
        if type(parent) is not exp.Count or len(node.expressions) != 1 or node.args.get("on"):
            raise _fail(scheme, code, "distinct 只能用于 count(distinct x)", node)
    elif kind is exp.Filter:
        if type(node.this) not in AGGREGATES or type(node.expression) is not exp.Where:
            raise _fail(scheme, code, "filter 只能跟在聚合函数后 filter must follow an aggregate",
                        node)
    elif kind is exp.Where:
        if type(parent) is not exp.Filter:
            raise _fail(scheme, code, "where 只能用于 filter (where ...)", node)
    elif kind is exp.Var:
        if type(parent) is not exp.DateDiff or str(node.name).lower() not in DATE_UNITS:
            raise _fail(scheme, code, f"date_diff 的单位应为 {'/'.join(DATE_UNITS)}", node)
    elif kind is exp.DateDiff:
        unit = node.args.get("unit")
        if unit is None or type(unit) is not exp.Var:
            raise _fail(scheme, code, f"date_diff 需要单位 needs a unit {DATE_UNITS}", node)
    elif kind is exp.Cast:
        to = node.args.get("to")
        if (type(node.this) is not exp.Literal or not node.this.is_string
                or to is None or to.this not in _LITERAL_TYPES):
            raise _fail(scheme, code, "只允许日期字面量 only date '…' / timestamp '…' literals",
                        node)
        try:  # checked here: engines differ on bad or special dates ('infinity')
            if to.this == exp.DataType.Type.DATE:
                date.fromisoformat(node.this.this)
            else:
                datetime.fromisoformat(node.this.this)
        except ValueError as exc:
            raise _fail(scheme, code, "无效日期 invalid date literal", node) from exc
    elif kind is exp.DataType:
        if type(parent) is not exp.Cast:
            raise _fail(scheme, code, "不允许类型转换 type casts are not allowed", node)
    elif kind is exp.In:
        if any(node.args.get(k) for k in ("query", "unnest", "field")):
            raise _fail(scheme, code, "in 只允许值列表 in takes a list of values", node)
    elif kind is exp.Is:
        if type(node.expression) not in (exp.Null, exp.Boolean):
            raise _fail(scheme, code, "is 只能跟 null/true/false", node)
    elif kind is exp.Round:
        d = node.args.get("decimals")
        if d is not None and not (type(d) is exp.Literal and d.is_int):
            raise _fail(scheme, code, "round 的位数应为整数 round(x, n) needs an integer n", node)
    elif kind is exp.Literal and not node.is_string:
        try:
            float(node.this)
        except ValueError as exc:
            raise _fail(scheme, code, "无效数字 invalid number", node) from exc


def _aggregate_of(node: exp.Expression) -> exp.Expression | None:
    """The nearest enclosing aggregate (the aggregate itself for a FILTER's WHERE)."""
    child, cur = node, node.parent
    while cur is not None:
        if type(cur) in AGGREGATES:
            return cur
        if type(cur) is exp.Filter and cur.this is not child:
            return cur.this
        child, cur = cur, cur.parent
    return None


def _walk(tree: exp.Expression, scheme: str, code: str) -> list[exp.Expression]:
    nodes = list(tree.walk())
    for node in nodes:
        _check_node(node, scheme, code)
    return nodes


def check_aggregate_formula(tree: exp.Expression, columns: Mapping[str, str], scheme: str,
                            code: str) -> None:
    """A source indicator: aggregates over the source's ``columns`` (name → type)."""
    for node in _walk(tree, scheme, code):
        kind = type(node)
        if kind in AGGREGATES and _aggregate_of(node) is not None:
            raise _fail(scheme, code, "聚合函数不能嵌套 aggregates cannot be nested", node)
        if kind is exp.Column:
            name = node.name
            if name not in columns:
                raise _fail(scheme, code, f"数据源没有此列 no such column in the source; "
                            f"columns: {', '.join(columns)}", name)
            agg = _aggregate_of(node)
            if agg is None:
                raise _fail(scheme, code, "列必须在聚合函数内 a column must be inside an "
                            "aggregate such as sum(...) or count(...)", name)
    check_kind(tree, {c: _COLUMN_KINDS[t] for c, t in columns.items()}, scheme, code)


def check_scalar_formula(tree: exp.Expression, names: Collection[str], scheme: str,
                         code: str, what: str = "指标代码 indicator codes",
                         kinds: Mapping[str, str] | None = None) -> None:
    """A derived indicator or payout base: no aggregates; names from ``names`` only
    (``kinds``: a name's kind where it is not a number, e.g. a payout amount's grade)."""
    for node in _walk(tree, scheme, code):
        kind = type(node)
        if kind in AGGREGATES or kind in (exp.Filter, exp.Star, exp.Distinct):
            raise _fail(scheme, code, "派生公式不能用聚合 a derived formula has no aggregates "
                        "(it has no source)", node)
        if kind is exp.Column and node.name not in names:
            raise _fail(scheme, code, f"未知名称 unknown name; allowed: {what}", node.name)
    # names may carry kinds (derived formulas reading text attributes, spec §15); ``kinds``
    # overrides them (payout amounts read the text ``grade``, spec §10)
    given = names if isinstance(names, Mapping) else {n: NUM for n in names}
    check_kind(tree, {n: (kinds or {}).get(n, k) for n, k in given.items()}, scheme, code)


# ---- kinds: a light type check so that a formula fails here, not at run time --------------
NUM, STR, DATE, BOOL, ANY = "number", "text", "date", "boolean", "any"
_COLUMN_KINDS = {"integer": NUM, "decimal": NUM, "boolean": BOOL, "string": STR,
                 "date": DATE, "datetime": DATE}


def _join(kinds: list[str], node: exp.Expression, scheme: str, code: str) -> str:
    known = {k for k in kinds if k != ANY}
    if known <= {NUM, BOOL} and known:
        return NUM if NUM in known else BOOL
    if len(known) > 1:
        raise _fail(scheme, code, "类型不一致 mixes " + "/".join(sorted(known)), node)
    return known.pop() if known else ANY


def _numeric(kind: str, node: exp.Expression, scheme: str, code: str) -> None:
    if kind not in (NUM, BOOL, ANY):
        raise _fail(scheme, code, f"需要数值 expected a number, got {kind}", node)


def kind_of(node: exp.Expression, names: Mapping[str, str], scheme: str, code: str) -> str:
    """The kind of a checked node; ``names`` maps column names to kinds (NUM, STR, …)."""
    t = type(node)

    def k(n: exp.Expression | None) -> str:
        return ANY if n is None else kind_of(n, names, scheme, code)

    if t is exp.Literal:
        return STR if node.is_string else NUM
    if t is exp.Boolean:
        return BOOL
    if t is exp.Null:
        return ANY
    if t is exp.Cast:
        return DATE
    if t is exp.Column:
        return names.get(node.name, ANY)
    if t is exp.Paren:
        return k(node.this)
    if t in (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod):
        for side in (node.this, node.expression):
            _numeric(k(side), side, scheme, code)
        return NUM
    if t in (exp.Min, exp.Max):  # min/max of dates may feed date_diff
        return k(node.this)
    if t in (exp.Neg, exp.Abs, exp.Round, exp.Sum, exp.Avg):
        _numeric(k(node.this), node, scheme, code)
        return NUM
    if t is exp.Count:
        return NUM
    if t is exp.Filter:
        k(node.expression.this)
        return k(node.this)
    if t is exp.DateDiff:
        for side in (node.this, node.expression):
            if k(side) not in (DATE, STR, ANY):
                raise _fail(scheme, code, "date_diff 需要日期 needs dates or datetimes", side)
        return NUM
    if t in (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE):
        a, b = k(node.this), k(node.expression)
        if {a, b} - {ANY} and not ({a, b} <= {DATE, STR, ANY}):
            _join([a, b], node, scheme, code)
        return BOOL
    if t in (exp.And, exp.Or):
        k(node.this)
        k(node.expression)
        return BOOL
    if t is exp.Not:
        k(node.this)
        return BOOL
    if t is exp.Is:
        k(node.this)
        return BOOL
    if t in (exp.In, exp.Between):
        parts = [node.this, *node.expressions] if t is exp.In else [
            node.this, node.args["low"], node.args["high"]]
        kinds = [k(p) for p in parts]
        if not set(kinds) <= {DATE, STR, ANY}:
            _join(kinds, node, scheme, code)
        return BOOL
    if t in (exp.Coalesce, exp.Least, exp.Greatest):
        return _join([k(node.this), *[k(e) for e in node.expressions]], node, scheme, code)
    if t is exp.Nullif:
        return _join([k(node.this), k(node.expression)], node, scheme, code)
    if t is exp.Case:
        if node.this is not None:
            k(node.this)
        results = []
        for branch in node.args.get("ifs") or []:
            k(branch.this)
            results.append(k(branch.args.get("true")))
        results.append(k(node.args.get("default")))
        return _join(results, node, scheme, code)
    return ANY


def check_kind(tree: exp.Expression, names: Mapping[str, str], scheme: str, code: str) -> None:
    """The whole value must be a number (or a boolean, counted as 1/0)."""
    kind = kind_of(tree, names, scheme, code)
    if kind not in (NUM, BOOL, ANY):
        raise _fail(scheme, code, f"指标值应为数值 the value must be a number, got {kind}", tree)
