"""Bounds on what one import may cost: a hostile or mistaken file must be refused quickly, not
parse for half an hour or fill the server's memory and database.

- An .xlsx is a zip: its total uncompressed size is read from the zip directory before any XML
  is parsed (a 12 MB workbook can hold 1.1 GB of sheet XML). Rows and columns are counted while
  reading, and reading stops after ``read_seconds``.
- A rejected file keeps only its first ``errors_kept`` row errors (with the count of the rest),
  so a file with millions of bad rows costs no more than one with a thousand.

The defaults fit every real workbook (Excel itself stops at 1,048,576 rows); ``limits:`` in
kaohe.yaml changes them (docs/operations.md).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from kaohe.errors import ConfigError

MB = 1024 * 1024


@dataclass(frozen=True)
class ImportLimits:
    xlsx_uncompressed_mb: int = 200
    xlsx_rows: int = 1_048_576
    xlsx_columns: int = 1_000
    read_seconds: float = 300.0
    errors_kept: int = 1_000

    @property
    def xlsx_uncompressed_bytes(self) -> int:
        return self.xlsx_uncompressed_mb * MB


DEFAULT_LIMITS = ImportLimits()


def parse_limits(data: Any, where: str) -> ImportLimits:
    """``limits:`` of kaohe.yaml: a mapping of some of ImportLimits' fields to positive numbers."""
    if data is None:
        return DEFAULT_LIMITS
    names = {f.name: f.type for f in fields(ImportLimits)}
    if not isinstance(data, dict) or set(data) - set(names):
        raise ConfigError(f"{where}: limits 应为映射 must map some of {sorted(names)} to numbers")
    values: dict[str, Any] = {}
    for key, value in data.items():
        number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        if number is None or number <= 0:
            raise ConfigError(f"{where}: limits.{key} 应为正数 must be a positive number, "
                              f"got {value!r}")
        values[key] = float(number) if key == "read_seconds" else int(number)
    return ImportLimits(**values)
