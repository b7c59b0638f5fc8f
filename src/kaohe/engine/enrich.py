"""The facts relation with the columns v2 formulas may name beyond the stored ones: sequence
columns (spec §14) and the org behind each row (spec §15). ``enrich`` wraps a source's facts
before plan._aggregate_cte reads them; a source whose formulas use neither is returned as it is,
so the common path stays a plain scan with the period filter pushed into it.

Sequence columns are window functions over every stored row of the source, ordered by time,
then by the import order ``_kaohe_seq`` (workspace/importer.py): LAG/LEAD of the time within the
``by`` values, turned into whole units elapsed by the same ``date_diff`` every formula uses
(each backend renders it: DuckDB's date_sub, Spark's timestampdiff). A window cannot run after
the period filter, so DuckDB reads the whole source (its columns that are used) for a source
that declares and uses sequence columns; with only ``since: previous`` columns the rows from
the run period's end on are left out in the scan (a previous row is never later), which keeps
DuckDB's skipping of later row groups. Rows where a ``by`` value is empty have no value.

Org columns are LEFT JOINs that keep each row exactly once: the assignment interval relation
(one row per person and day at most), people's and units' attributes by id.
"""

from __future__ import annotations

from datetime import datetime, time

from sqlglot import exp

from kaohe.engine.compiled import CompiledScheme
from kaohe.engine.org_tables import ASSIGNMENTS, PEOPLE, UNITS
from kaohe.engine.sqltree import T, col
from kaohe.formula.org_refs import AS_OF_ROW, PERSON, UNIT, org_column, split_org_column
from kaohe.periods import Period
from kaohe.workspace.sources import IMPORT_ORDER, SequenceColumn, Source

_S = "s"  # the stored facts inside the enriched relation


def columns_used(cs: CompiledScheme, source: str) -> set[str]:
    """Every column name the scheme's parts over ``source`` read."""
    out: set[str] = set()
    for value in cs.values.values():
        for name, part in value.parts:
            if cs.part_source[name] == source:
                out.update(c.name for c in part.find_all(exp.Column))
    return out


def sequences_used(cs: CompiledScheme, source: Source) -> list[SequenceColumn]:
    used = columns_used(cs, source.name)
    return [s for s in source.sequences if s.name in used]


def org_columns_used(cs: CompiledScheme) -> list[tuple[str, str]]:
    """(entity, attribute) of every org column any source formula of the scheme reads."""
    found = {split_org_column(n) for s in cs.sources for n in columns_used(cs, s)}
    return sorted(x for x in found if x is not None)


def org_needs(cs: CompiledScheme) -> tuple[list[str], list[str], bool]:
    """People's attributes, units' attributes (and ancestor:KIND) and whether the assignment
    intervals are needed, for org_tables.org_inputs."""
    used = org_columns_used(cs)
    person = [a for e, a in used if e == PERSON and a not in AS_OF_ROW]
    unit = [a for e, a in used if e == UNIT]
    return person, unit, any(e == PERSON and a in AS_OF_ROW for e, a in used)


def needs_history(cs: CompiledScheme, source: Source) -> bool:
    """Whether the scheme's formulas use a sequence column of ``source``: its windows need the
    rows outside the period, not only the period's."""
    return bool(sequences_used(cs, source))


def history_end(cs: CompiledScheme, source: Source, period: Period) -> datetime | None:
    """The end of the rows the sequence windows need: the period's end when every column in
    use looks back (a previous row is never later), else None (every row)."""
    if all(s.since == "previous" for s in sequences_used(cs, source)):
        return datetime.combine(period.end, time())
    return None


def _time_bound(source: Source, day: datetime) -> exp.Expression:
    tcol = source.column(source.time)
    if tcol is not None and tcol.type == "date":
        return T("CAST(:v AS DATE)", v=day.date().isoformat())
    return T("CAST(:v AS TIMESTAMP)", v=day.isoformat(sep=" "))


def _sequence(source: Source, seq: SequenceColumn) -> exp.Expression:
    t = col(source.time, _S)
    order = exp.Order(expressions=[exp.Ordered(this=col(source.time, _S)),
                                   exp.Ordered(this=col(IMPORT_ORDER, _S))])
    fn = exp.Lag if seq.since == "previous" else exp.Lead
    other = exp.Window(this=fn(this=t.copy()), partition_by=[col(b, _S) for b in seq.by],
                       order=order)
    start, end = (other, t) if seq.since == "previous" else (t, other)
    diff = exp.DateDiff(this=end, expression=start, unit=exp.Var(this=seq.unit))
    missing_key = exp.or_(*[T(":c IS NULL", c=col(b, _S)) for b in seq.by])
    return T("CASE WHEN :k THEN CAST(NULL AS BIGINT) ELSE :d END", k=missing_key, d=diff)


def _org_select(source: Source, entity: str, attr: str, person_attrs: list[str],
                unit_attrs: list[str]) -> exp.Expression:
    if entity == PERSON and attr == "unit":
        return col("unit_id", "oa")
    if entity == PERSON and attr == "position":
        return col("position", "oa")
    if entity == PERSON:
        return col(f"c{person_attrs.index(attr)}", "op")
    return col(f"c{unit_attrs.index(attr)}", "ou")


def enrich(cs: CompiledScheme, source: Source, period: Period,
           facts: exp.Expression) -> exp.Expression:
    """``facts`` with the sequence and org columns the scheme's formulas over ``source``
    read; unchanged when they read none."""
    seqs = sequences_used(cs, source)
    used = columns_used(cs, source.name)
    org = [x for x in (split_org_column(n) for n in sorted(used)) if x is not None]
    if not seqs and not org:
        return facts
    person_attrs, unit_attrs, _ = org_needs(cs)
    q = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier(_S))).from_(
        exp.alias_(facts.copy(), _S, table=True))
    for seq in seqs:
        q = q.select(exp.alias_(_sequence(source, seq), seq.name, quote=True), copy=False)
    entities = {e for e, _a in org}
    day = T("CAST(:t AS DATE)", t=col(source.time, _S))
    if any(e == PERSON and a in AS_OF_ROW for e, a in org):
        q = q.join(exp.alias_(exp.to_table(ASSIGNMENTS), "oa", table=True), join_type="LEFT",
                   on=T(":p = :sp AND :day BETWEEN :a AND :b", p=col("person_id", "oa"),
                        sp=col(source.person or "", _S), day=day, a=col("d_from", "oa"),
                        b=col("d_to", "oa")))
    if any(e == PERSON and a not in AS_OF_ROW for e, a in org):
        q = q.join(exp.alias_(exp.to_table(PEOPLE), "op", table=True), join_type="LEFT",
                   on=T(":a = :b", a=col("person_id", "op"), b=col(source.person or "", _S)))
    if UNIT in entities:
        q = q.join(exp.alias_(exp.to_table(UNITS), "ou", table=True), join_type="LEFT",
                   on=T(":a = :b", a=col("unit_id", "ou"), b=col(source.unit or "", _S)))
    for entity, attr in org:
        q = q.select(exp.alias_(_org_select(source, entity, attr, person_attrs, unit_attrs),
                                org_column(entity, attr), quote=True), copy=False)
    until = history_end(cs, source, period) if seqs else None
    if until is not None:
        q = q.where(T(":t < :b", t=col(source.time, _S), b=_time_bound(source, until)))
    return exp.Subquery(this=q)

