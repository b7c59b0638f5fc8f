"""The org behind a row in source formulas (spec §15): ``person.ATTR``, ``unit.ATTR`` and
``unit.ancestor('KIND')``.

A source formula may name these three shapes and nothing else qualified. Before the allow-list
runs, each is rewritten to a plain column with a name no source column can have (it contains a
dot); the enriched facts relation (engine/enrich.py) provides that column by joining the org as
of the row's date. Everything else qualified (``transactions.x``, ``person.ancestor(…)``,
``unit.ancestor(kind)``, an unknown attribute) is refused here, naming the part.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlglot import exp

from kaohe.errors import FormulaError
from kaohe.workspace.sources import Source

PERSON, UNIT = "person", "unit"
ANCESTOR = "ancestor:"  # unit.ancestor('K') → the column "unit.ancestor:K"
AS_OF_ROW = ("position", "unit")  # person attributes taken from the assignments at the row's date


@dataclass(frozen=True)
class OrgNames:
    """What source formulas may name: people's and units' attribute columns, unit kinds."""

    person_attrs: frozenset[str] = frozenset({"name"})
    unit_attrs: frozenset[str] = frozenset({"name", "kind", "parent_id"})
    kinds: frozenset[str] = field(default_factory=frozenset)

    @property
    def person_names(self) -> frozenset[str]:
        return self.person_attrs | set(AS_OF_ROW)


def org_column(entity: str, attr: str) -> str:
    """The enriched column holding ``entity.attr`` (attr ``ancestor:K`` for an ancestor)."""
    return f"{entity}.{attr}"


def split_org_column(name: str) -> tuple[str, str] | None:
    """(entity, attr) of an org column name, None for an ordinary column."""
    entity, dot, attr = name.partition(".")
    return (entity, attr) if dot and entity in (PERSON, UNIT) else None


def _fail(scheme: str, code: str, message: str, node: exp.Expression) -> FormulaError:
    text = node.sql(dialect="duckdb")
    return FormulaError(scheme, code, message, text[:77] + "…" if len(text) > 80 else text)


def rewrite_org_refs(tree: exp.Expression, source: Source, org: OrgNames | None, scheme: str,
                     code: str) -> tuple[exp.Expression, dict[str, str]]:
    """The formula with each org reference as a plain column, and those columns' kinds
    (all text). Raises FormulaError for any other qualified name."""
    org = org or OrgNames()
    found: dict[str, str] = {}

    def named(entity: str, attr: str, node: exp.Expression) -> exp.Expression:
        if entity == PERSON and not source.person:
            raise _fail(scheme, code, f"数据源 {source.name} 没有人员列 the source has no person "
                        "column, so its rows name no person", node)
        if entity == UNIT and not source.unit:
            raise _fail(scheme, code, f"数据源 {source.name} 没有单位列 the source has no unit "
                        "column, so its rows name no unit; use person.unit", node)
        name = org_column(entity, attr)
        found[name] = "text"
        return exp.column(name, quoted=True)

    def visit(node: exp.Expression) -> exp.Expression:
        kind = type(node)
        if kind is exp.Column and "." in node.name:
            raise _fail(scheme, code, "列名不能含点 a column name cannot contain a dot", node)
        if kind is exp.Column and node.args.get("table") is not None:
            table = node.args["table"]
            if node.args.get("db") is not None or node.args.get("catalog") is not None \
                    or type(table) is not exp.Identifier or table.quoted \
                    or type(node.this) is not exp.Identifier or node.this.quoted \
                    or table.name not in (PERSON, UNIT):
                raise _fail(scheme, code, "不允许引用其他表 qualified names (other tables) are "
                            "not allowed; allowed: person.ATTR, unit.ATTR, "
                            "unit.ancestor('KIND')", node)
            allowed = org.person_names if table.name == PERSON else org.unit_attrs
            if node.name not in allowed:
                raise _fail(scheme, code, f"未知属性 unknown {table.name} attribute; known: "
                            + ", ".join(sorted(allowed)), node)
            return named(table.name, node.name, node)
        if kind is exp.Dot:
            call = node.expression
            if (type(node.this) is not exp.Identifier or node.this.quoted
                    or node.this.name != UNIT or type(call) is not exp.Anonymous
                    or str(call.this).lower() != "ancestor"):
                raise _fail(scheme, code, "不允许的限定名 qualified name not allowed; allowed: "
                            "person.ATTR, unit.ATTR, unit.ancestor('KIND')", node)
            args = call.expressions
            if len(args) != 1 or type(args[0]) is not exp.Literal or not args[0].is_string:
                raise _fail(scheme, code, "unit.ancestor 需要一个单位类型字符串 takes one kind "
                            "literal, e.g. unit.ancestor('县公司')", node)
            kind_text = args[0].this
            if kind_text not in org.kinds:
                raise _fail(scheme, code, "未知单位类型 no unit has this kind; kinds: "
                            + ", ".join(sorted(org.kinds)), node)
            return named(UNIT, ANCESTOR + kind_text, node)
        return node

    out = tree.copy().transform(visit)
    return out, found


def org_names_of(units: Mapping[str, Mapping[str, object]],
                 people: Mapping[str, Mapping[str, object]]) -> OrgNames:
    """The names an org offers: the columns of units.csv and people.csv, and the unit kinds."""
    unit_attrs: set[str] = {"name", "kind", "parent_id"}
    person_attrs: set[str] = {"name"}
    for rec in list(units.values())[:1]:
        unit_attrs.update(rec)
    for rec in list(people.values())[:1]:
        person_attrs.update(rec)
    kinds = {str(u.get("kind")) for u in units.values() if u.get("kind")}
    return OrgNames(frozenset(person_attrs), frozenset(unit_attrs), frozenset(kinds))


def source_formula(tree: exp.Expression, source: Source, org: OrgNames | None, scheme: str,
                   code: str) -> tuple[exp.Expression, dict[str, str]]:
    """A source formula ready for the allow-list: org references rewritten, and the names it
    may use with their types — the source's columns, its sequence columns (integers, spec §14)
    and the org columns it names."""
    out, org_cols = rewrite_org_refs(tree, source, org, scheme, code)
    columns = {c.name: c.type for c in source.columns}
    columns.update({s.name: "integer" for s in source.sequences})
    columns.update({name: "string" for name in org_cols})
    return out, columns
