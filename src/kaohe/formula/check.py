"""The formula allow-list.

A formula is checked before anything runs: tokens first (length, nesting, a second statement,
enormous literals), then the parsed tree node by node with ``type(node) in ALLOWED`` — exact
types, because subclasses (``Pseudocolumn(Column)``) and unknown functions (``Anonymous``)
would slip through ``isinstance``. Then the context rules: columns only inside aggregates and
only of the indicator's own source, no aggregate inside another, ``*`` only in ``count(*)``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from kaohe.errors import FormulaError

MAX_LENGTH = 4000
MAX_TOKENS = 800
MAX_DEPTH = 40  # parenthesis nesting; the parser recurses, so this bounds its stack
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
DATE_UNITS = ("day", "hour", "minute")
_LITERAL_TYPES = (exp.DataType.Type.DATE, exp.DataType.Type.TIMESTAMP)

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
    try:
        trees = sqlglot.parse(text, read="duckdb")
    except (ParseError, TokenError, RecursionError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise _fail(scheme, code, "语法错误 syntax error", msg) from exc
    trees = [t for t in trees if t is not None]
    if len(trees) != 1:
        raise _fail(scheme, code, "应为一个表达式 expected exactly one expression", text)
    return trees[0]


def _check_node(node: exp.Expression, scheme: str, code: str) -> None:
    kind = type(node)
    if kind not in ALLOWED:
        label = _KINDS.get(kind, f"不允许的语法 not allowed ({kind.__name__})")
        if isinstance(node, exp.Func) and kind not in _KINDS:
            label = f"不允许的函数 function not allowed ({node.sql_name().lower()})"
        raise _fail(scheme, code, label, node)
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
            if type(agg) in (exp.Sum, exp.Avg) and agg.this is node and \
                    columns[name] not in ("integer", "decimal", "boolean"):
                raise _fail(scheme, code, f"{type(agg).__name__.lower()} 需要数值列 needs a "
                            f"numeric column ({name} is {columns[name]})", agg)


def check_scalar_formula(tree: exp.Expression, names: Collection[str], scheme: str,
                         code: str, what: str = "指标代码 indicator codes") -> None:
    """A derived indicator or payout base: no aggregates; names from ``names`` only."""
    for node in _walk(tree, scheme, code):
        kind = type(node)
        if kind in AGGREGATES or kind in (exp.Filter, exp.Star, exp.Distinct):
            raise _fail(scheme, code, "派生公式不能用聚合 a derived formula has no aggregates "
                        "(it has no source)", node)
        if kind is exp.Column and node.name not in names:
            raise _fail(scheme, code, f"未知名称 unknown name; allowed: {what}", node.name)
