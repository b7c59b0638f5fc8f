"""kaohe explain: every indicator of one entity — formula, parts, value, rule, points — its
peer group and rank, and with --rows the fact rows behind it."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pyarrow as pa
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlglot import exp

from kaohe.engine.compiled import CompiledScheme
from kaohe.engine.run import compile_for, run_scheme
from kaohe.engine.windows import source_range, window_note
from kaohe.errors import InputError
from kaohe.periods import Period, parse_period
from kaohe.results import _clean
from kaohe.scheme.formats import Format, format_value
from kaohe.scheme.model import Scheme
from kaohe.scheme.sentences import indicator_sentences
from kaohe.workspace.sources import RESULTS_PREFIX, Source
from kaohe.workspace.store import quote
from kaohe.workspace.workspace import Workspace


def _fmt(v: Any) -> str:
    v = _clean(v)
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.4f}".rstrip("0").rstrip(".")
    return str(v)


YUAN = Format("yuan")


def _part(text: str, v: Any) -> str:
    """A part's value: a count over no rows is 0 (as the engine counts it), not a dash."""
    v = _clean(v)
    if v is None and text.upper().startswith(("COUNT(", "COUNT (")):
        return "0"
    return _fmt(v) if v is not None else "— (无数据 no rows)"


def explain_entity(ws: Workspace, code: str, period_text: str, entity: str, rows: int,
                   engine: str | None, out: Console) -> None:
    output = run_scheme(ws, code, period_text, engine=engine, save=False, only=entity)
    result = output.result
    table = result.table
    match = table[table["id"] == entity]
    if match.empty:
        raise InputError(f"{entity} 不在方案 {code} {period_text} 的考核范围内 is not in the "
                         "scheme's population for this period")
    row = match.iloc[0]
    parts = output.parts[output.parts["id"] == entity].iloc[0]
    scheme = ws.scheme(code)
    period = parse_period(period_text, scheme.period)  # type: ignore[arg-type]
    cs = compile_for(ws, scheme, period)
    group = escape(str(row.get("group_name") or "") or ", ".join(
        f"{p}={_fmt(row.get(f'g_{p}'))}" for p in scheme.peers) or "全体 everyone")
    out.print(f"[bold]{escape(scheme.name)}[/] {result.period} — {escape(str(row['name']))} "
              f"({escape(entity)}), {escape(str(row['unit_name'] or ''))}")
    out.print(f"总分 total [bold]{_fmt(row['total'])}[/]  排名 rank {int(row['rank'])}/"
              f"{int(row['group_size'])}  等级 grade {escape(_fmt(row['grade']))}  分组 group {group}")
    flags = [label for key, label in (("vetoed", "一票否决 vetoed"), ("eliminate",
             "末位淘汰 eliminate"), ("bottom", "本期末位 bottom this period")) if bool(row[key])]
    if flags:
        out.print("[red]" + "；".join(flags) + "[/]")
    if scheme.item is not None:
        out.print(f"负责人员 person {_fmt(row.get('person'))}  对象单位 unit "
                  f"{_fmt(row.get('unit'))}")
    if result.has_payout:
        out.print(f"兑现金额 payout {format_value(_clean(row['payout']), YUAN)}")
        _print_lines(scheme, row, out)
    t = Table(title="指标 indicators", show_lines=True)
    for h in ("指标 indicator", "值 value", "计分规则 rule", "得分 points"):
        t.add_column(h)
    # The formulas get a table of their own, so long SQL never squeezes the sentences.
    f = Table(title="公式与组成 formulas and parts", show_lines=True)
    for h in ("指标 indicator", "公式与组成 formula and parts"):
        f.add_column(h)
    sentences = indicator_sentences(scheme)
    for ind in scheme.indicators:
        lines = [escape(ind.value)]
        if ind.code in cs.values:
            for name, part in cs.values[ind.code].parts:
                text = part.sql(dialect="duckdb").replace('"f".', "").replace('"', "")
                note = window_note(cs, name, result.period)  # spec §7: a part's own window
                lines.append(f"  {escape(text + note)} = {escape(_part(text, parts[name]))}")
        value = format_value(_clean(row[f"v_{ind.code}"]), ind.format) \
            + (" (缺失 missing)" if row[f"m_{ind.code}"] else "")
        weight = f" 权重 {ind.weight:g}" if ind.weight else ""
        head = f"[bold]{escape(ind.name)}[/]\n{ind.code} {ind.role}{weight}"
        if ind.description:
            head += f"\n口径：{escape(ind.description)}"
        points = _clean(row[f"p_{ind.code}"])
        t.add_row(head, escape(value), escape(sentences[ind.code][0]),
                  "—" if points is None else f"{points:.2f}")
        f.add_row(f"{escape(ind.name)}\n{ind.code}", "\n".join(lines))
    out.print(t)
    out.print(f)
    if rows > 0:
        for src in cs.sources.values():
            span = source_range(cs, src.name, period)  # every window's rows (spec §7)
            _print_rows(ws, scheme, src, period, entity, rows, out, span, cs)


def _print_lines(scheme: Scheme, row: Any, out: Console) -> None:
    """How each payout line was computed (spec §10)."""
    from kaohe.engine.explain_lines import explain_lines

    lines = explain_lines(scheme, row.to_dict())
    if len(lines) == 1 and lines[0].name == "兑现" and lines[0].kind == "pool":
        return
    t = Table(title="兑现项 payout lines", show_lines=True)
    for h in ("兑现项 line", "计算 how", "金额 amount"):
        t.add_column(h)
    for line in lines:
        t.add_row(escape(line.name), escape("\n".join(line.steps)),
                  format_value(_clean(line.amount), YUAN))
    out.print(t)


def _enriched(ws: Workspace, cs: CompiledScheme | None, src: Source, period: Period
              ) -> tuple[str, list[str], dict[str, pa.Table]]:
    """The relation the rows are listed from: the stored table, or, when the scheme's formulas
    read sequence or org columns of this source (spec §14, §15), the enriched relation the run
    reads, with those columns listed after the stored ones."""
    table = quote(src.table)
    if cs is None:
        return table, [], {}
    from kaohe.engine.backends.duckdb_backend import fact_relation, render_expression
    from kaohe.engine.enrich import enrich, org_needs
    from kaohe.engine.org_tables import org_inputs

    rel = enrich(cs, src, period, fact_relation(src.table))
    if type(rel) is exp.Table:
        return table, [], {}
    stored = {c.name for c in src.columns}
    extra = [e.alias_or_name for e in rel.this.expressions if e.alias_or_name not in stored
             and e.alias_or_name != "*"]
    sql = "(" + render_expression(rel.this) + ")"
    return sql, extra, org_inputs(ws.org, *org_needs(cs))


def _print_rows(ws: Workspace, scheme: Scheme, src: Source, period: Period, entity: str,
                limit: int, out: Console, span: tuple[date, date] | None = None,
                cs: CompiledScheme | None = None) -> None:
    if src.name.startswith(RESULTS_PREFIX) or not ws.store.path.exists():
        return
    first, after = span or (period.start, period.end)
    start, end = datetime.combine(first, time()), datetime.combine(after, time())
    ids = _member_ids(ws, scheme, src, period, entity)
    col = src.person if (scheme.entity == "person" and src.person) or not src.unit else src.unit
    vias = {i.via for i in scheme.indicators if i.source == src.name}
    if len(vias) == 1 and None not in vias:  # via (§18): the rows of the units it names
        attr = str(next(iter(vias)))
        ids, col = [u for u, a in ws.org.units.items() if a.get(attr) == entity], src.unit
    if scheme.item is not None:  # an item's rows: its key in the key (or match) column
        ids, col = [entity], next((i.match for i in scheme.indicators
                                   if i.source == src.name and i.match), scheme.item.key)
    assert col is not None
    relation, extra, tables = _enriched(ws, cs, src, period)
    with ws.store.connect(read_only=True) as con:
        for name, small in tables.items():
            con.register(name, small)
        if not ws.store.has_table(con, src.table):
            return
        names = [c.name for c in src.columns] + extra
        cols = ", ".join(quote(c) for c in names)
        marks = ", ".join("?" for _ in ids) or "NULL"
        member = f"{quote(col)} IN ({marks})"
        people: list[str] = []
        if scheme.entity == "unit" and src.unit and src.person:  # spec §13: no unit, the person's
            people = _people_in(ws, ids, period)
            member = (f"({member} OR ({quote(src.unit)} IS NULL AND {quote(src.person)} IN "
                      f"({', '.join('?' for _ in people) or 'NULL'})))")
        sql = (f"SELECT {cols} FROM {relation} AS f WHERE {quote(src.time)} >= ? AND "
               f"{quote(src.time)} < ? AND {member} ORDER BY {quote(src.time)}")
        data = con.execute(sql, [start, end, *ids, *people]).fetchall()
    t = Table(title=escape(f"{src.title} ({src.name}): {len(data)} 行 rows"
                           + (f", 显示前 {limit} showing {limit}" if len(data) > limit else "")))
    for c in names:
        t.add_column(c)
    for r in data[:limit]:
        t.add_row(*[escape(_fmt(v)) for v in r])
    out.print(t)


def _people_in(ws: Workspace, units: list[str], period: Period) -> list[str]:
    """People whose unit, as of the period's last day, is one of ``units``."""
    on = ws.org.positions_on(period.last_day)
    return [str(p) for p in on[on["unit_id"].isin(units)]["person_id"].tolist()]


def _member_ids(ws: Workspace, scheme: Scheme, src: Source, period: Period,
                entity: str) -> list[str]:
    """The person or unit ids whose rows belong to the entity (spec §3)."""
    org = ws.org
    if scheme.entity == "person":
        if src.person:
            return [entity]
        on = org.positions_on(period.last_day)
        unit = on[on["person_id"] == entity]["unit_id"].tolist()
        return unit[:1]
    subtree = [u for u in org.units if entity in org.ancestors(u)]
    if src.unit:
        return subtree
    on = org.positions_on(period.last_day)
    return on[on["unit_id"].isin(subtree)]["person_id"].tolist()
