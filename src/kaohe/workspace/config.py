"""kaohe.yaml: engine, store path, Spark options."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kaohe.errors import ConfigError
from kaohe.workspace.completeness import (
    DEFAULT_COMPLETENESS,
    CompletenessSettings,
    parse_completeness,
)
from kaohe.workspace.limits import DEFAULT_LIMITS, ImportLimits, parse_limits
from kaohe.yamlio import read_yaml

ENGINES = ("duckdb", "spark")


@dataclass(frozen=True)
class SparkSettings:
    master: str = "local[2]"
    options: dict[str, str] = field(default_factory=dict)
    # per source: {"parquet": path} or {"table": "db.table"}; default: the store's facts
    sources: dict[str, dict[str, str]] = field(default_factory=dict)
    # where kaohe and Spark exchange tables as Parquet (a folder every executor can reach on a
    # cluster); empty: the system's temporary folder
    exchange: str = ""


@dataclass(frozen=True)
class NoticeSettings:
    """Who issues the notice (通报): the red header's company and the 落款's department."""

    company: str = ""  # empty: the org's top unit
    department: str = "市场部"


@dataclass(frozen=True)
class DuckDBSettings:
    """What one DuckDB run may hold in memory and where it spills the rest (docs/operations.md).
    The run's hash tables beyond ``memory_limit`` go to files in ``temp_directory`` (a fresh
    folder of the run, removed afterwards; empty: under the system's temporary folder)."""

    memory_limit: str = "1GiB"
    temp_directory: str = ""
    threads: int = 0  # 0: one per core
    # the most the folder of kept aggregates and scores beside the store may hold
    # (engine/aggregate_cache.py); the least recently used entries go first
    cache_limit: str = "2GiB"

    @property
    def cache_limit_bytes(self) -> int:
        return size_bytes(self.cache_limit)


_UNITS = {"KB": 1000, "MB": 1000 ** 2, "GB": 1000 ** 3, "TB": 1000 ** 4,
          "KIB": 1024, "MIB": 1024 ** 2, "GIB": 1024 ** 3, "TIB": 1024 ** 4}


def size_bytes(text: str) -> int:
    """A size such as 2GiB or 800MB in bytes (checked by load_settings)."""
    m = re.match(r"^(\d+(?:\.\d+)?)\s*([A-Za-z]+)$", text.strip())
    if m is None or m.group(2).upper() not in _UNITS:
        raise ValueError(f"not a size: {text!r}")
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


@dataclass(frozen=True)
class Settings:
    engine: str = "duckdb"
    store: str = "store.duckdb"
    spark: SparkSettings = field(default_factory=SparkSettings)
    duckdb: DuckDBSettings = field(default_factory=DuckDBSettings)
    limits: ImportLimits = DEFAULT_LIMITS  # what one import may cost (workspace.limits)
    notice: NoticeSettings = field(default_factory=NoticeSettings)
    # when a period's data is too thin to trust a run (workspace.completeness)
    completeness: CompletenessSettings = DEFAULT_COMPLETENESS


_KEYS = {"engine", "store", "spark", "limits", "notice", "completeness", "duckdb"}
_NOTICE_KEYS = {"company", "department"}
_DUCKDB_KEYS = {"memory_limit", "temp_directory", "threads", "cache_limit"}
_MEMORY = re.compile(r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$")
_SPARK_KEYS = {"master", "options", "sources", "exchange"}


def load_settings(root: Path) -> Settings:
    path = root / "kaohe.yaml"
    if not path.exists():
        return Settings()
    data = read_yaml(path) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: 应为映射 expected a mapping of settings")
    unknown = set(data) - _KEYS
    if unknown:
        raise ConfigError(f"{path}: 未知设置 unknown keys {sorted(unknown)}; allowed {sorted(_KEYS)}")
    engine = str(data.get("engine", "duckdb"))
    if engine not in ENGINES:
        raise ConfigError(f"{path}: engine {engine!r} 无效 must be one of {ENGINES}")
    spark_data: Any = data.get("spark") or {}
    if not isinstance(spark_data, dict) or set(spark_data) - _SPARK_KEYS:
        raise ConfigError(f"{path}: spark 应为映射 with keys {sorted(_SPARK_KEYS)}")
    sources = spark_data.get("sources") or {}
    for name, spec in sources.items():
        if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in (
            "parquet", "table"
        ):
            raise ConfigError(
                f"{path}: spark.sources.{name} 应为 {{parquet: PATH}} 或 {{table: NAME}}"
            )
    spark = SparkSettings(
        master=str(spark_data.get("master", "local[2]")),
        options={str(k): str(v) for k, v in (spark_data.get("options") or {}).items()},
        sources={str(k): {str(a): str(b) for a, b in v.items()} for k, v in sources.items()},
        exchange=str(spark_data.get("exchange") or ""),
    )
    return Settings(engine=engine, store=str(data.get("store", "store.duckdb")), spark=spark,
                    limits=parse_limits(data.get("limits"), str(path)),
                    notice=_notice(data.get("notice"), path),
                    completeness=parse_completeness(data.get("completeness"), str(path)),
                    duckdb=_duckdb_settings(data.get("duckdb"), path))


def _notice(raw: Any, path: Path) -> NoticeSettings:
    """``notice: {company: 江南移动通信公司, department: 市场部}`` (both optional)."""
    if raw is None:
        return NoticeSettings()
    if not isinstance(raw, dict) or set(raw) - _NOTICE_KEYS or not all(
            isinstance(v, str) and len(v) <= 60 for v in raw.values()):
        raise ConfigError(f"{path}: notice 应为映射 expected {{company: 公司名称, department: "
                          f"部门}} (keys {sorted(_NOTICE_KEYS)}, text up to 60 characters)")
    return NoticeSettings(company=raw.get("company", "").strip(),
                          department=raw.get("department", "市场部").strip() or "市场部")


def _duckdb_settings(data: Any, path: Path) -> DuckDBSettings:
    if data is None:
        return DuckDBSettings()
    if not isinstance(data, dict) or set(data) - _DUCKDB_KEYS:
        raise ConfigError(f"{path}: duckdb 应为映射 expected a mapping with keys "
                          f"{sorted(_DUCKDB_KEYS)}")
    default = DuckDBSettings()
    limit = str(data.get("memory_limit", default.memory_limit)).strip()
    if not _MEMORY.match(limit):
        raise ConfigError(f"{path}: duckdb.memory_limit {limit!r} 无效: 应为内存大小 expected a "
                          "size such as 1GiB or 800MB")
    cache = str(data.get("cache_limit", default.cache_limit)).strip()
    if not _MEMORY.match(cache):
        raise ConfigError(f"{path}: duckdb.cache_limit {cache!r} 无效: 应为大小 expected a size "
                          "such as 2GiB or 500MB")
    threads = data.get("threads", default.threads)
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 0:
        raise ConfigError(f"{path}: duckdb.threads {threads!r} 无效: 应为 0 (每核一个 one per "
                          "core) 或正整数 or a positive whole number")
    return DuckDBSettings(memory_limit=limit,
                          temp_directory=str(data.get("temp_directory") or ""),
                          threads=threads, cache_limit=cache)
