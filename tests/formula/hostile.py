"""A corpus of hostile formulas (spec §3): each must be rejected before anything runs.

Every case is written as the value of a source indicator over the ``tickets`` source of
formula_support (columns id, person_id, opened_at, closed_at, amount, qty, status, ok, day).
``expect`` lists fragments of which at least one must appear (case-insensitively) in the
FormulaError's text: the offending part, so that the user sees *what* was refused.
Cases marked HOLE in their reason were accepted (or crashed) when the corpus was written.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hostile:
    id: str
    formula: str
    reason: str
    expect: tuple[str, ...]


# the case is rejected, but the message says only "Line 1, Col: n", not the offending token
SYNTAX_HOLE = " (HOLE in the message: a syntax error names only Line/Col, not the token)"


def _h(id: str, formula: str, reason: str, *expect: str) -> Hostile:
    return Hostile(id, formula, reason, expect)


FILES = [
    _h("read_csv", "sum(amount) + read_csv('/etc/passwd')", "reads a file", "read_csv"),
    _h("read_csv_quoted_name", "count(*) + \"read_csv\"('/etc/passwd')",
       "a quoted function name is still a file reader", "read_csv"),
    _h("read_csv_auto_in_filter", "count(*) filter (where read_csv_auto('/etc/passwd') is null)",
       "reads a file inside filter", "read_csv_auto"),
    _h("read_parquet", "count(*) + read_parquet('/tmp/x.parquet')", "reads a file",
       "read_parquet"),
    _h("read_json_auto", "count(*) + read_json_auto('/tmp/x.json')", "reads a file",
       "read_json_auto"),
    _h("read_text", "max(read_text('/etc/passwd'))", "reads a file", "read_text"),
    _h("read_blob", "count(*) + read_blob('/etc/passwd')", "reads a file", "read_blob"),
    _h("glob", "count(*) + glob('/etc/*')", "lists files", "glob"),
    _h("parquet_scan", "count(*) + parquet_scan('/tmp/x.parquet')", "scans a file",
       "parquet_scan"),
    _h("sqlite_scan", "count(*) + sqlite_scan('/tmp/x.db', 't')", "scans another database",
       "sqlite_scan"),
    _h("file_as_table_from_first", "count(*) filter (where status in (from '/etc/passwd'))",
       "a file path used as a table (DuckDB FROM-first)", "/etc/passwd"),
    _h("file_as_table_subquery", "count(*) + (select count(*) from 'file.csv')",
       "a file path used as a table", "file.csv"),
    _h("file_as_table_trailing_from", "sum(amount) from 'file.csv'",
       "a FROM clause after the expression" + SYNTAX_HOLE, "from"),
]

SUBQUERIES = [
    _h("scalar_subquery", "sum(amount) + (select 1)", "scalar subquery", "select"),
    _h("subquery_in_aggregate", "sum((select max(qty) from fact_tickets))",
       "subquery reading another table", "select"),
    _h("exists", "count(*) filter (where exists (select 1))", "EXISTS subquery", "exists"),
    _h("in_select", "sum(amount) filter (where status in (select status from k_pop))",
       "IN (SELECT ...)", "select"),
    _h("all_subquery", "count(*) filter (where qty > all(select 1))", "ALL (SELECT ...)",
       "all (select"),
    _h("any_list", "count(*) filter (where status = any(['a']))", "ANY over a list", "any(["),
    _h("union", "sum(amount) union select 1", "a set operation", "union"),
]

TABLES = [
    _h("table_qualified", "sum(t.amount)", "another table's column", "t.amount"),
    _h("schema_qualified", "sum(main.k_pop.amount)", "schema-qualified column",
       "main.k_pop.amount"),
    _h("catalog_qualified", "sum(store.main.fact_tickets.amount)",
       "catalog-qualified column (the attached store)", "store.main.fact_tickets.amount"),
    _h("engine_alias", "sum(\"f\".\"amount\")", "the engine's own fact alias", "\"f\""),
    _h("quoted_dotted_name", "sum(\"fact_tickets.amount\")",
       "a quoted identifier with a dot is one (unknown) column name", "fact_tickets.amount"),
    _h("star_qualified", "count(f.*)", "qualified star", "f.*"),
]

STATEMENTS = [
    _h("semicolon_drop", "sum(amount); drop table fact_tickets", "a second statement", ";"),
    _h("trailing_semicolon", "sum(amount);", "a statement separator", ";"),
    _h("fullwidth_semicolon", "sum(amount)；drop table fact_tickets",
       "fullwidth semicolon (U+FF1B) hiding a second statement" + SYNTAX_HOLE,
       "；", "drop", "table"),
    _h("comment_line_drop", "sum(amount) -- ; drop table fact_tickets",
       "HOLE: a line comment hiding a second statement is accepted and copied into the "
       "engine SQL as /* ; drop table fact_tickets */", "comment", "注释", "drop table"),
    _h("comment_block_drop", "sum(amount) /* ; drop table fact_tickets */",
       "HOLE: a block comment hiding a second statement is accepted and copied into the "
       "engine SQL", "comment", "注释", "drop table"),
    _h("comment_breakout", "sum(amount) -- */ ; select 1 /*",
       "HOLE: a line comment trying to close the block comment SQLGlot renders it as",
       "comment", "注释", "select 1"),
    _h("attach", "ATTACH '/tmp/x.db'", "ATTACH", "attach"),
    _h("attach_after_expr", "sum(amount) ATTACH '/tmp/x.db'",
       "ATTACH after an expression" + SYNTAX_HOLE,
       "attach", "/tmp/x.db"),
    _h("detach", "DETACH store", "DETACH", "detach"),
    _h("copy", "COPY fact_tickets TO '/tmp/x.csv'", "COPY", "copy fact_tickets"),
    _h("pragma", "PRAGMA version", "PRAGMA", "pragma"),
    _h("set", "SET enable_external_access = true", "SET", "set enable"),
    _h("reset", "RESET lock_configuration", "RESET", "reset"),
    _h("install", "INSTALL httpfs", "INSTALL", "install"),
    _h("load", "LOAD httpfs", "LOAD", "load httpfs"),
    _h("call", "CALL pragma_version()", "CALL", "call pragma"),
    _h("export_database", "EXPORT DATABASE '/tmp/x'", "EXPORT DATABASE" + SYNTAX_HOLE,
       "export", "/tmp/x"),
    _h("create", "CREATE TABLE x AS SELECT 1", "CREATE", "create"),
    _h("drop", "DROP TABLE fact_tickets", "DROP", "drop table"),
    _h("insert", "INSERT INTO fact_tickets VALUES (1)", "INSERT", "insert"),
    _h("update", "UPDATE fact_tickets SET qty = 1", "UPDATE", "update"),
    _h("delete", "DELETE FROM fact_tickets", "DELETE", "delete"),
    _h("select", "SELECT 1", "a whole query", "select"),
    _h("with", "WITH x AS (SELECT 1) SELECT * FROM x", "a whole query", "with x"),
    _h("values", "VALUES (1)", "VALUES", "values"),
    _h("describe", "DESCRIBE fact_tickets", "DESCRIBE", "describe"),
    _h("use", "USE store", "USE", "use"),
]

FUNCTIONS = [
    _h("getenv", "count(*) + getenv('HOME')", "environment", "getenv"),
    _h("current_setting", "count(*) filter (where current_setting('threads') = '1')",
       "settings", "current_setting"),
    _h("getvariable", "count(*) + getvariable('x')", "session variables", "getvariable"),
    _h("duckdb_settings", "count(*) + duckdb_settings()", "catalog function",
       "duckdb_settings"),
    _h("query", "count(*) + query('select 1')", "runs SQL text", "query('"),
    _h("sleep", "count(*) + sleep_ms(100000)", "sleep-like", "sleep_ms"),
    _h("system", "count(*) + system('rm -rf /')", "system-like", "system"),
    _h("md5", "max(md5(status))", "not in the allow-list", "md5"),
    _h("random", "count(*) + random()", "non-deterministic", "random()"),
    _h("now", "count(*) + now()", "non-deterministic", "now()"),
    _h("current_date", "count(*) filter (where day > current_date)", "non-deterministic",
       "current_date"),
    _h("version", "version()", "not in the allow-list", "version()"),
    _h("sqrt", "sqrt(count(*))", "not in the allow-list", "sqrt"),
    _h("iff", "sum(iff(ok, 1, 0))", "not in the allow-list", "iff"),
    _h("homoglyph_sum", "ѕum(amount)", "Cyrillic s: an unknown function, not sum", "ѕum"),
    _h("unnest", "count(*) + unnest([1])", "table function", "unnest"),
    _h("range_table", "sum(amount) + (from range(3))", "table function as a subquery",
       "range("),
    _h("first", "first(amount)", "aggregate not in the allow-list", "first(amount)"),
    _h("string_agg", "string_agg(status, ',')", "aggregate not in the allow-list", "string_agg",
       "listagg", "group_concat"),
    _h("list_agg", "list(amount)", "aggregate not in the allow-list", "array_agg"),
]

WINDOWS = [
    _h("over_empty", "sum(amount) over ()", "window function", "over"),
    _h("over_partition", "sum(amount) over (partition by status)", "window function", "over"),
    _h("over_named", "count(*) over w", "window function", "over"),
    _h("qualify", "count(*) qualify row_number() over () = 1", "QUALIFY" + SYNTAX_HOLE,
       "qualify"),
    _h("window_in_filter", "count(*) filter (where row_number() over () = 1)",
       "window in filter", "row_number"),
    _h("lag", "lag(count(*)) over ()", "window function", "lag("),
]

AGGREGATES = [
    _h("nested_sum", "sum(sum(amount))", "nested aggregates", "sum(amount)"),
    _h("nested_max_avg", "max(avg(amount))", "nested aggregates", "avg(amount)"),
    _h("nested_count_distinct", "count(distinct count(*))", "nested aggregates", "count(*)"),
    _h("aggregate_in_filter", "sum(amount) filter (where amount > avg(amount))",
       "aggregate in FILTER's where", "avg(amount)"),
    _h("count_in_filter", "count(*) filter (where count(*) > 0)", "aggregate in FILTER's where",
       "count(*)"),
    _h("double_filter", "count(*) filter (where ok) filter (where ok)", "two filters" + SYNTAX_HOLE,
       "filter"),
    _h("column_outside_aggregate", "count(*) + qty", "a bare column outside any aggregate",
       "qty"),
    _h("bare_column", "amount", "a bare column outside any aggregate", "amount"),
    _h("sum_string_column", "sum(status)", "sum over a string column", "status"),
    _h("avg_date_column", "avg(day)", "avg over a date column", "day"),
]

CASTS = [
    _h("cast_varchar", "sum(cast(amount as varchar))", "cast to another type", "cast"),
    _h("double_colon", "sum(amount::varchar)", ":: cast", "cast"),
    _h("cast_number_literal", "count(*) + 1::int", "cast of a number", "cast"),
    _h("cast_column_to_date", "count(*) filter (where cast(status as date) > day)",
       "a column cast to date (only literals may be dates)", "cast"),
    _h("try_cast", "count(*) + try_cast('1' as int)", "TRY_CAST", "try_cast"),
    _h("interval", "count(*) filter (where opened_at > interval '1 day')", "intervals",
       "interval"),
]

LITERALS = [
    _h("lambda_arrow", "count(*) filter (where list_any([1], x -> x > 0))", "lambda",
       "list_any"),
    _h("lambda_keyword", "list_transform([1], lambda x: x + 1)", "lambda", "list_transform",
       "transform"),
    _h("arrow_operator", "count(*) filter (where (x -> x) is null)", "-> operator", "->"),
    _h("list_index", "sum(amount) + [1, 2][1]", "list literal and indexing", "[1, 2]"),
    _h("struct_dot", "count(*) filter (where {'a': 1}.a = 1)", "struct literal", "{'a': 1}"),
    _h("struct_index", "sum(amount) + {'a': 1}['a']", "struct literal and indexing",
       "{'a': 1}"),
    _h("map_index", "sum(amount) + map {'a': 1}['a']", "map literal", "map"),
    _h("tuple", "sum(amount) + (1, 2)", "tuple", "(1, 2)"),
    _h("list_of_column", "sum([amount])", "list literal", "[amount]"),
    _h("concat_column", "max(status || 'x')", "|| concatenation", "||"),
    _h("concat_in_filter", "count(*) filter (where status = 'clo' || 'sed')",
       "|| concatenation", "||"),
    _h("concat_function", "max(concat(status, 'x'))", "concatenation", "concat"),
    _h("like", "count(*) filter (where status like 'c%')", "LIKE", "like"),
    _h("ilike", "count(*) filter (where status ilike 'c%')", "ILIKE", "ilike"),
    _h("glob_operator", "count(*) filter (where status glob 'c*')", "GLOB", "glob"),
    _h("similar_to", "count(*) filter (where status similar to 'c.*')", "SIMILAR TO",
       "similar"),
    _h("regexp_matches", "count(*) filter (where regexp_matches(status, 'c'))", "regexp",
       "regexp"),
    _h("tilde", "count(*) filter (where status ~ 'c')", "regexp operator", "regexp"),
    _h("starts_with_op", "count(*) filter (where status ^@ 'c')", "starts_with operator",
       "starts_with"),
    _h("collate", "count(*) filter (where status collate nocase = 'a')", "COLLATE",
       "collate"),
    _h("byte_string", "count(*) filter (where status = e'\\x41')", "escape string",
       "e'"),
    _h("raw_string", "count(*) filter (where status = $$a$$)", "dollar-quoted string",
       "rawstring", "'a'"),
    _h("national_string", "count(*) filter (where status = N'a')", "national string", "n'a'"),
    _h("placeholder_dollar", "sum($1)", "parameter", "$1"),
    _h("placeholder_question", "sum(?)", "parameter", "?"),
    _h("positional_column", "sum(#1)", "positional column", "#1"),
    _h("alias", "sum(amount) as x", "alias", "as x"),
    _h("bit_shift", "count(*) + 1 << 2", "bitwise operator", "<<"),
    _h("int_div", "count(*) // 2", "integer division", "//"),
    _h("power", "count(*) ** 2", "power", "power"),
    _h("distinct_from", "count(*) filter (where qty is distinct from 1)", "IS DISTINCT FROM",
       "distinct from"),
]

UNICODE_AND_NAMES = [
    _h("fullwidth_parens", "sum（amount）", "fullwidth parentheses make one unknown name",
       "sum（amount）"),
    _h("zero_width_space", "sum(am\u200bount)", "zero-width space inside a column name",
       "am\\u200bount"),
    _h("rtl_override", "sum(amount)\u202e", "a right-to-left override after the formula",
       "\\u202e"),
    _h("unknown_column", "sum(nosuch)", "a column not in the source", "nosuch"),
    _h("unknown_column_in_filter", "count(*) filter (where nosuch = 1)",
       "a column not in the source", "nosuch"),
    _h("rowid", "sum(rowid)", "DuckDB's pseudo-column", "rowid"),
    _h("sum_star", "sum(*)", "star outside count(*)", "*"),
    _h("bare_star", "*", "star outside count(*)", "*"),
    _h("max_star", "max(*)", "star outside count(*)", "*"),
    _h("count_distinct_star", "count(distinct *)", "count(distinct *)", "*"),
    _h("count_star_exclude", "count(* exclude (status))",
       "HOLE: a star with EXCLUDE is accepted (binder error at run time)", "exclude"),
    _h("count_distinct_two", "count(distinct status, id)", "count(distinct x, y)", "distinct"),
    _h("sum_distinct", "sum(distinct amount)", "distinct outside count", "distinct"),
    _h("avg_distinct", "avg(distinct amount)", "distinct outside count", "distinct"),
    _h("count_distinct_order", "count(distinct status order by status)", "ORDER BY",
       "order by"),
]

ARITY = [
    _h("max_top_n", "max(amount, 2)",
       "HOLE: DuckDB's max(x, n) returns a LIST (top n); Spark rejects 2 arguments",
       "max(amount, 2)"),
    _h("min_top_n", "min(amount, 2)", "HOLE: as max(x, n)", "min(amount, 2)"),
    _h("count_two_args", "count(status, id)",
       "HOLE: count takes one argument (binder error on DuckDB, Spark counts pairs)",
       "count(status, id)"),
    _h("count_no_args", "count()",
       "HOLE: count() is not in spec §3; works on DuckDB, WRONG_NUM_ARGS on Spark", "count()"),
    _h("in_empty_list", "count(*) filter (where status in ())",
       "HOLE: an empty IN list is a parse error on Spark", "in ()"),
    _h("date_diff_four_args", "avg(date_diff('day', opened_at, closed_at, 1))",
       "HOLE: the 4th argument is silently dropped by the parser", "date_diff"),
    _h("date_diff_week", "avg(date_diff('week', opened_at, closed_at))",
       "unit not in day/hour/minute", "week"),
    _h("date_diff_second", "avg(date_diff('second', opened_at, closed_at))",
       "unit not in day/hour/minute", "second"),
    _h("round_column_digits", "round(avg(amount), max(qty))", "round digits must be an integer",
       "round"),
]

TYPES = [
    _h("date_garbage", "count(*) filter (where day > date 'garbage')",
       "HOLE: an invalid date literal is accepted (conversion error at run time)", "garbage"),
    _h("date_feb_30", "count(*) filter (where day > date '2024-02-30')",
       "HOLE: an impossible date is accepted (conversion error at run time)", "2024-02-30"),
    _h("date_infinity", "count(*) filter (where day < date 'infinity')",
       "HOLE: a DuckDB-only special date is accepted (differs on Spark)", "infinity"),
    _h("nan_string_value", "'nan'",
       "HOLE: a string as the value: CAST('nan' AS DOUBLE) is NaN", "'nan'"),
    _h("inf_string_arith", "avg(qty) + 'inf'",
       "HOLE: a string in arithmetic: avg + 'inf' is infinity on DuckDB and Spark", "'inf'"),
    _h("inf_string_greatest", "greatest(avg(qty), 'inf')",
       "HOLE: a string as a number: greatest(…, 'inf') is infinity", "'inf'"),
    _h("string_arith", "count(*) + 'x'", "HOLE: a string in arithmetic (run-time error)",
       "'x'"),
    _h("max_string_column", "max(status)",
       "HOLE: the value is a string; CAST(… AS DOUBLE) fails at run time", "max(status)"),
    _h("min_date_column", "min(day)",
       "HOLE: the value is a date; CAST(DATE AS DOUBLE) fails at run time", "min(day)"),
    _h("negate_string", "sum(-status)", "HOLE: -(VARCHAR) is a binder error at run time",
       "-status"),
    _h("sum_case_string", "sum(case when ok then status end)",
       "HOLE: sum over a string expression (run-time error)", "case when"),
    _h("date_diff_numbers", "avg(date_diff('day', amount, qty))",
       "HOLE: date_diff over numbers (run-time error)", "date_diff"),
]

_DEEP = 10_000
SIZE = [
    _h("parens_10000", "(" * _DEEP + "count(*)" + ")" * _DEEP, "10,000-deep parentheses",
       "(((", "4000"),
    _h("neg_10000", "- " * _DEEP + "count(*)", "10,000-deep unary minus", "- - -", "4000"),
    _h("neg_10000_in_aggregate", "sum(" + "- " * _DEEP + "qty)",
       "10,000-deep unary minus in an aggregate", "sum(- -", "4000"),
    _h("not_10000", "count(*) filter (where " + "not " * _DEEP + "ok)",
       "10,000-deep NOT", "not not", "4000"),
    _h("parens_41", "(" * 41 + "count(*)" + ")" * 41, "just over the nesting limit", "(((",
       "40"),
    _h("number_1e400", "count(*) + 1e400", "a literal beyond double", "1e400"),
    _h("number_400_digits", "count(*) + " + "9" * 400, "400-digit integer", "999999"),
    _h("number_19_digits", "sum(qty) * 1234567890123456789", "beyond 18 digits",
       "1234567890123456789"),
    _h("string_10000", "count(*) filter (where status = '" + "x" * _DEEP + "')",
       "enormous string literal", "xxxx", "4000"),
    _h("string_201", "count(*) filter (where status = '" + "x" * 201 + "')",
       "string literal over 200 characters", "xxxx", "200"),
    _h("in_list_5000", "count(*) filter (where qty in (" + ", ".join(["1"] * 5000) + "))",
       "huge IN list", "4000", "in (1"),
    _h("tokens_900", "count(*)" + "+1" * 450, "more tokens than allowed in few characters",
       "800", "count(*)"),
    _h("whitespace_padding", "count(*)" + " " * 5000, "very long formula", "4000",
       "count(*)"),
]

# spec §15: the org behind a row. ``tickets`` has a person column and no unit column; the
# default org names (no workspace) are person.name/position/unit, unit.name/kind/parent_id.
ORG_NAMES = [
    _h("person_unknown_attribute", "count(*) filter (where person.salary > 0)",
       "an attribute people do not have", "person.salary"),
    _h("person_ancestor", "count(*) filter (where person.ancestor('县公司') = 'x')",
       "ancestor() is only for unit", "person.ancestor"),
    _h("unit_without_unit_column", "count(*) filter (where unit.kind = 'hall')",
       "the source names no unit", "unit.kind"),
    _h("unit_ancestor_non_literal", "count(*) filter (where unit.ancestor(status) = 'x')",
       "a kind that is not a literal", "unit.ancestor"),
    _h("unit_ancestor_file", "count(*) filter (where unit.ancestor(read_text('/etc/passwd')) "
       "= 'x')", "a file reader as the kind", "unit.ancestor"),
    _h("unit_other_method", "count(*) filter (where unit.read_csv('x') = 'x')",
       "no other method on unit", "unit.read_csv"),
    _h("person_three_parts", "count(*) filter (where person.position.name = 'x')",
       "a three-part name", "person.position.name"),
    _h("person_quoted_dotted", "count(*) filter (where \"person.position\" = 'x')",
       "the enriched column's own name written as a column", "person.position"),
    _h("person_quoted_qualifier", "count(*) filter (where \"person\".position = 'x')",
       "a quoted qualifier", "person"),
    _h("person_outside_aggregate", "person.position",
       "an org name is a column: only inside an aggregate", "person.position"),
    _h("person_sum_text", "sum(person.name)", "text summed", "person.name"),
]

# spec §15: derived formulas (tested as the value of a derived indicator beside a source
# indicator ``n`` = count(*) and ``d`` = n - peer_mean(n), test_hostile_orgseq.py)
PEER_HOSTILE = [
    _h("peer_unknown_code", "peer_mean(nope)", "an unknown code", "peer_mean(nope)"),
    _h("peer_literal", "peer_mean(1)", "a literal, not a code", "peer_mean(1)"),
    _h("peer_expression", "peer_max(n * 2)", "an expression, not a code", "peer_max(n * 2)"),
    _h("peer_nested", "peer_min(peer_mean(n))", "a peer statistic of a peer statistic",
       "peer_min(peer_mean(n))"),
    _h("peer_two_args", "peer_count(n, n)", "two arguments", "peer_count(n, n)"),
    _h("peer_no_args", "peer_count()", "no argument", "peer_count"),
    _h("peer_star", "peer_count(*)", "a star", "peer_count"),
    _h("peer_of_peer_user", "peer_mean(d)", "d itself uses a peer statistic",
       "uses peer statistics"),
    _h("peer_qualified", "peer_mean(t.n)", "a qualified code", "peer_mean(t.n)"),
    _h("peer_file", "peer_mean(read_csv('/etc/passwd'))", "a file reader", "read_csv"),
    _h("peer_over", "peer_mean(n) over ()", "a window clause", "over"),
    _h("group_size_call", "group_size()", "group_size is a name, not a function",
       "group_size"),
    _h("unknown_attribute", "salary * 2", "no such attribute", "salary"),
]

HOSTILE: list[Hostile] = [
    *FILES, *SUBQUERIES, *TABLES, *STATEMENTS, *FUNCTIONS, *WINDOWS, *AGGREGATES, *CASTS,
    *LITERALS, *UNICODE_AND_NAMES, *ARITY, *TYPES, *SIZE, *ORG_NAMES,
]

# ---- version 2 (§7 windows and prev, §11 wavg, §17 workdays): source formulas -------------
V2_WINDOWS = [
    _h("prev_in_source", "count(*) - prev(count(*))", "prev reads indicators, not rows",
       "prev"),
    _h("prev_in_filter", "count(*) filter (where prev(qty) > 0)", "prev over a column",
       "prev(qty)"),
    _h("period_start_column", "count(*) filter (where opened_at >= period_start(qty))",
       "period_start with a column", "period_start(qty)"),
    _h("period_start_huge", "count(*) filter (where opened_at >= period_start(-4900))",
       "period_start far beyond 48 periods", "period_start(-4900)"),
    _h("period_start_subquery", "count(*) filter (where opened_at >= period_start((select 1)))",
       "period_start with a subquery", "select"),
    _h("period_end_two_args", "count(*) filter (where opened_at < period_end(1, 2))",
       "period_end with two arguments", "period_end(1, 2)"),
    _h("period_end_fraction", "count(*) filter (where opened_at < period_end(0.5))",
       "period_end with a fraction", "period_end(0.5)"),
    _h("period_start_string", "count(*) filter (where opened_at < period_start('2024-01-01'))",
       "period_start with a string", "period_start('2024-01-01')"),
    _h("wavg_over_aggregates", "wavg(sum(amount), 1, count(*), 2)",
       "wavg is for derived formulas", "wavg"),
    _h("wavg_inside_aggregate", "sum(wavg(amount, 1, qty, 2))", "wavg over rows", "wavg"),
    _h("date_diff_workdays", "avg(date_diff('workdays', opened_at, closed_at))",
       "a unit that is not workday", "workdays"),
    _h("date_diff_month", "avg(date_diff('month', opened_at, closed_at))",
       "unit not in day/hour/minute/workday", "month"),
    _h("date_diff_workday_numbers", "avg(date_diff('workday', amount, qty))",
       "working days between numbers", "date_diff"),
    _h("date_diff_workday_four", "avg(date_diff('workday', opened_at, closed_at, 1))",
       "a 4th argument", "date_diff"),
]
HOSTILE += V2_WINDOWS

# derived formulas over the codes n (count(*)), r (sum(amount) / count(*)) and o (count(*)
# with offset 36): see test_hostile_windows.py
V2_DERIVED = [
    _h("prev_column_k", "prev(n, n)", "K must be a literal", "prev(n, n)"),
    _h("prev_huge_k", "prev(n, 1000)", "K beyond 36", "prev(n, 1000)"),
    _h("prev_zero_k", "prev(n, 0)", "K below 1", "prev(n, 0)"),
    _h("prev_negative_k", "prev(n, -1)", "a negative K reads the future", "prev(n, -1)"),
    _h("prev_fraction_k", "prev(n, 1.5)", "a fractional K", "prev(n, 1.5)"),
    _h("prev_unknown_code", "prev(nope)", "prev of an unknown code", "prev(nope)"),
    _h("prev_expression", "prev(n + 1)", "prev of an expression", "prev(n + 1)"),
    _h("prev_three_args", "prev(n, 1, 2)", "three arguments", "prev(n, 1, 2)"),
    _h("prev_no_args", "prev()", "no argument", "prev()"),
    _h("prev_qualified", "prev(t.n)", "a qualified name", "prev(t.n)"),
    _h("prev_over_48", "prev(o, 13)", "offset 36 + 13 = 49 > 48", "prev(o, 13)", "49"),
    _h("prev_string", "prev('n')", "a string, not a code", "prev('n')"),
    _h("period_start_code", "date_diff('day', period_start(n), period_end(0))",
       "period_start with a code", "period_start(n)"),
    _h("wavg_code_weight", "wavg(n, r)", "a weight that is a code", "r"),
    _h("wavg_zero_weight", "wavg(n, 0)", "a zero weight", "0"),
    _h("wavg_negative_weight", "wavg(n, -2)", "a negative weight", "-2"),
    _h("wavg_odd", "wavg(n, 1, r)", "a value without a weight", "wavg(n, 1, r)"),
    _h("wavg_string_weight", "wavg(n, '1')", "a string weight", "'1'"),
    _h("wavg_expression_weight", "wavg(n, 1 + 1)", "an expression as weight", "1 + 1"),
    _h("wavg_empty", "wavg()", "no pairs", "wavg()"),
    _h("wavg_unknown", "wavg(nope, 1)", "an unknown code", "nope"),
    _h("workday_codes", "date_diff('workday', n, r)", "working days between numbers",
       "date_diff"),
]
