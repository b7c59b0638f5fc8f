"""What every backend is given and returns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from kaohe.workspace.sources import Source


@dataclass(frozen=True)
class FactInput:
    """A source's facts: a table in the store, or rows already in memory."""

    source: Source
    store_table: str | None = None  # a table of the DuckDB store
    rows: pa.Table | None = None  # e.g. results:SCHEME rows


@dataclass(frozen=True)
class RunInputs:
    small: dict[str, pa.Table]  # k_pop, k_tree, k_pu, k_hist
    facts: dict[str, FactInput]
    store_path: Path
