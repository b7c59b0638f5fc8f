"""Fact sources (spec §2): one YAML file each under sources/."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from kaohe.errors import ConfigError
from kaohe.workspace.filecache import FileCache
from kaohe.yamlio import read_yaml

TYPES = ("string", "integer", "decimal", "boolean", "date", "datetime")
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
RESULTS_PREFIX = "results:"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    # A file may lack this column altogether (its cells are then empty); any other declared
    # column missing from a file's headers rejects the file.
    optional: bool = False
    # The only values a text column may hold (``values: [一般, 较大, 重大]``); empty: any text.
    values: tuple[str, ...] = ()

    @property
    def numeric(self) -> bool:
        return self.type in ("integer", "decimal")


@dataclass(frozen=True)
class SequenceColumn:
    """A computed column (spec §14): whole ``unit``s from the previous row of the same ``by``
    values to this row (``since: previous``), or from this row to the next (``next``)."""

    name: str
    since: str  # previous | next
    by: tuple[str, ...]
    unit: str  # day | hour | minute


SEQUENCE_SINCE = ("previous", "next")
SEQUENCE_UNITS = ("day", "hour", "minute")
IMPORT_ORDER = "_kaohe_seq"  # the store's import-order column (a later import, a later row: larger)


@dataclass(frozen=True)
class Source:
    name: str
    title: str
    time: str
    person: str | None
    unit: str | None
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    header_row: int = 1
    derived_from: str | None = None  # for results:SCHEME sources, the scheme
    sequences: tuple[SequenceColumn, ...] = ()  # spec §14, computed at run time

    def column(self, name: str) -> Column | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None

    @property
    def table(self) -> str:
        """The store table holding this source's facts."""
        return "fact_" + self.name.replace(":", "__")

    def required_columns(self) -> set[str]:
        req = {self.time, *self.key}
        # with both a person and a unit column, a row needs one of them (checked per row)
        if self.person and not self.unit:
            req.add(self.person)
        if self.unit and not self.person:
            req.add(self.unit)
        req.update(c.name for c in self.columns if c.required)
        return req


_KEYS = {"name", "title", "time", "person", "unit", "key", "columns", "header_row", "sequence"}
_COL_KEYS = {"type", "aliases", "required", "optional", "values"}


def load_source(path: Path) -> Source:
    data = read_yaml(path)
    where = str(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: 应为映射 expected a mapping")
    unknown = set(data) - _KEYS
    if unknown:
        raise ConfigError(f"{where}: 未知键 unknown keys {sorted(unknown)}")
    name = str(data.get("name") or path.stem)
    if not IDENT.match(name):
        raise ConfigError(f"{where}: name {name!r} 须为标识符 must be letters, digits, _")
    cols_data = data.get("columns")
    if not isinstance(cols_data, dict) or not cols_data:
        raise ConfigError(f"{where}: columns 必填 must map column names to {{type: ...}}")
    columns: list[Column] = []
    for cname, spec in cols_data.items():
        cw = f"{where}: columns.{cname}"
        if not IDENT.match(str(cname)):
            raise ConfigError(f"{cw}: 列名须为标识符 column names must be letters, digits, _")
        spec = spec if isinstance(spec, dict) else {"type": spec}
        if set(spec) - _COL_KEYS:
            raise ConfigError(f"{cw}: 未知键 unknown keys {sorted(set(spec) - _COL_KEYS)}")
        ctype = str(spec.get("type", "string"))
        if ctype not in TYPES:
            raise ConfigError(f"{cw}: type {ctype!r} 无效 must be one of {TYPES}")
        aliases = spec.get("aliases") or []
        if not isinstance(aliases, list):
            raise ConfigError(f"{cw}: aliases 应为列表 must be a list")
        required, optional = bool(spec.get("required", False)), bool(spec.get("optional", False))
        if required and optional:
            raise ConfigError(f"{cw}: required 与 optional 不能同时为 true; a column cannot be "
                              "both required and optional")
        columns.append(Column(str(cname), ctype, tuple(str(a) for a in aliases), required,
                              optional, _values(spec.get("values"), ctype, cw)))
    names = {c.name for c in columns}
    time = data.get("time")
    person = data.get("person")
    unit = data.get("unit")
    key = data.get("key") or []
    if isinstance(key, str):
        key = [key]
    for label, col in (("time", time), ("person", person), ("unit", unit)):
        if col is not None and col not in names:
            raise ConfigError(f"{where}: {label}: 列 {col!r} 未在 columns 中定义 is not a column")
    if time is None:
        raise ConfigError(f"{where}: time 必填 names the column placing a fact in a period")
    tcol = next(c for c in columns if c.name == time)
    if tcol.type not in ("date", "datetime"):
        raise ConfigError(f"{where}: time column {time!r} must be a date or datetime")
    if person is None and unit is None:
        raise ConfigError(f"{where}: person 或 unit 至少一个 at least one of person/unit")
    for k in key:
        if k not in names:
            raise ConfigError(f"{where}: key: 列 {k!r} 未定义 is not a column")
    for c in columns:
        if c.optional and (c.name == time or c.name in key):
            raise ConfigError(f"{where}: columns.{c.name}: 时间列和主键列不能 optional; the time "
                              "and key columns must be in every file")
    header_row = int(data.get("header_row", 1))
    if header_row < 1:
        raise ConfigError(f"{where}: header_row must be >= 1")
    return Source(
        name=name, title=str(data.get("title") or name), time=str(time),
        person=str(person) if person else None, unit=str(unit) if unit else None,
        key=tuple(str(k) for k in key), columns=tuple(columns), header_row=header_row,
        sequences=_sequences(data.get("sequence"), names, where),
    )


def _values(data: object, ctype: str, where: str) -> tuple[str, ...]:
    """``values:`` of a column: the allowed texts of a string column, e.g. [一般, 较大, 重大]."""
    if data is None:
        return ()
    if ctype != "string":
        raise ConfigError(f"{where}.values: 只有文本列（type: string）可以列出允许的值 only a "
                          "string column can list its allowed values")
    if not isinstance(data, list) or not data or any(
            isinstance(v, (dict, list)) or v is None for v in data):
        raise ConfigError(f"{where}.values: 应为非空列表 must be a non-empty list of values, "
                          "e.g. [一般, 较大, 重大]")
    out = tuple(str(v).strip() for v in data)
    if any(not v for v in out) or len(set(out)) != len(out):
        raise ConfigError(f"{where}.values: 不能有空值或重复值 values must be non-empty and "
                          "distinct")
    return out


def _sequences(data: object, names: set[str], where: str) -> tuple[SequenceColumn, ...]:
    """The ``sequence:`` mapping (spec §14), every problem named with the column and key."""
    if data is None:
        return ()
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: sequence 应为映射 must map column names to "
                          "{since: previous|next, by: [columns], unit: day|hour|minute}")
    out: list[SequenceColumn] = []
    for cname, spec in data.items():
        sw = f"{where}: sequence.{cname}"
        if not IDENT.match(str(cname)) or str(cname).startswith("_kaohe"):
            raise ConfigError(f"{sw}: 列名须为标识符 column names must be letters, digits, _")
        if cname in names:
            raise ConfigError(f"{sw}: 与已有列重名 a column of this source already has this name; "
                              "choose another name")
        if not isinstance(spec, dict):
            raise ConfigError(f"{sw}: 应为映射 expected {{since, by, unit}}")
        unknown = set(spec) - {"since", "by", "unit"}
        if unknown:
            raise ConfigError(f"{sw}: 未知键 unknown keys {sorted(unknown)}; keys: since, by, unit")
        since = spec.get("since")
        if since not in SEQUENCE_SINCE:
            raise ConfigError(f"{sw}.since: {since!r} 无效 must be previous or next")
        unit = spec.get("unit", "day")
        if unit not in SEQUENCE_UNITS:
            raise ConfigError(f"{sw}.unit: {unit!r} 无效 must be one of "
                              + "/".join(SEQUENCE_UNITS))
        by = spec.get("by")
        by = [by] if isinstance(by, str) else by
        if not isinstance(by, list) or not by:
            raise ConfigError(f"{sw}.by: 必填 list the columns that make a key, e.g. "
                              "[customer_id]")
        for b in by:
            if b not in names:
                raise ConfigError(f"{sw}.by: 列 {b!r} 未在 columns 中定义 is not a column; "
                                  "columns: " + ", ".join(sorted(names)))
        out.append(SequenceColumn(str(cname), str(since), tuple(str(b) for b in by), str(unit)))
    return tuple(out)


_sources: FileCache[Source] = FileCache(size=512)


def load_sources(folder: Path, cached: bool = False) -> dict[str, Source]:
    """Every source of ``folder``. ``cached``: each file parsed once per process while it
    stays the same (kaohe.workspace.filecache; kept by the path as given, since a source's
    name may be its file's; a ``Source`` is immutable). The folder is listed on every call,
    so an added or removed file counts at once."""
    out: dict[str, Source] = {}
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.y*ml")):
        src = (_sources.get(str(path.absolute()), [path], lambda p=path: load_source(p))
               if cached else load_source(path))
        if src.name in out:
            raise ConfigError(f"{path}: 数据源 {src.name!r} 重复 defined twice")
        out[src.name] = src
    return out


def results_source(scheme_code: str, entity: str, codes: list[str]) -> Source:
    """The virtual source ``results:SCHEME`` (spec §4): one row per entity and completed period."""
    cols: list[Column] = [
        Column("entity_id", "string"), Column("period_start", "date"),
        Column("total", "decimal"), Column("rank", "integer"), Column("group_size", "integer"),
        Column("grade", "string"), Column("vetoed", "boolean"), Column("eliminate", "boolean"),
        Column("payout", "decimal"),
    ]
    cols += [Column(f"p_{c}", "decimal") for c in codes]
    cols += [Column(f"v_{c}", "decimal") for c in codes]
    cols.append(Column("id", "string"))  # the entity's id, for count(distinct id) (§7)
    # an item scheme's rows carry each item's stored person and unit (spec §8 roll-up)
    item = entity == "item"
    if item:
        cols += [Column("person", "string"), Column("unit", "string")]
    return Source(
        name=RESULTS_PREFIX + scheme_code, title=f"{scheme_code} 考核结果", time="period_start",
        person="person" if item else "entity_id" if entity == "person" else None,
        unit="unit" if item else "entity_id" if entity == "unit" else None,
        key=("entity_id", "period_start"), columns=tuple(cols), derived_from=scheme_code,
    )

