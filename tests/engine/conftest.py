"""Engine tests run on DuckDB and on Spark (marked ``spark``; deselect with ``-m "not spark"``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # wsbuilder, reference

from wsbuilder import ENGINES  # noqa: E402


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)
