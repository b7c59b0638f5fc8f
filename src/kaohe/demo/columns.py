"""Small vectorised helpers that turn index arrays into typed Arrow columns and shared samplers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kaohe.demo.calendar import Calendar

# Share of a day's customers per opening hour 08:30–18:00: a morning peak and an afternoon peak.
_HOUR_WEIGHTS = np.array([0.35, 1.0, 1.3, 1.25, 0.75, 0.6, 0.95, 1.15, 1.05, 0.7])


def time_of_day(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds after midnight within opening hours (08:30–18:00), int64."""
    hour = rng.choice(len(_HOUR_WEIGHTS), size=n, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum()) + 8
    minute = rng.integers(0, 60, n)
    minute = np.where(hour == 8, 30 + minute // 2, minute)
    return (hour * 3600 + minute * 60 + rng.integers(0, 60, n)).astype(np.int64)


def moments(cal: Calendar, day: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """datetime64[s] from day indices and seconds after midnight."""
    return cal.days[day].astype("datetime64[s]") + seconds.astype("timedelta64[s]")


def day_codes(cal: Calendar) -> np.ndarray:
    """yyyymmdd as int64 per day index, the usual prefix of operators' serial numbers."""
    return np.array([int(str(d).replace("-", "")) for d in cal.days], dtype=np.int64)


def serials_within_day(day: np.ndarray) -> np.ndarray:
    """1-based running number within each day; ``day`` must be sorted."""
    first = np.searchsorted(day, day, side="left")
    return np.arange(len(day)) - first + 1


def prefixed(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Strings like GD2026070100012: ``prefix`` + ``numbers`` zero-padded to ``width`` digits."""
    text = pc.utf8_lpad(pa.array(numbers, pa.int64()).cast(pa.string()), width, "0")
    return pc.binary_join_element_wise(pa.scalar(prefix), text, "")


def take(values: Sequence[str] | np.ndarray, index: np.ndarray) -> pa.Array:
    """``values[index]`` as an Arrow string column (fast for millions of rows)."""
    return pc.take(pa.array(list(values), pa.string()), pa.array(index, pa.int64()))


def timestamps(values: np.ndarray) -> pa.Array:
    """Naive timestamps (spec §1: no time zones), microsecond unit as most tools expect."""
    return pa.array(values.astype("datetime64[us]"))


def decimal_yuan(fen: np.ndarray, precision: int = 14) -> pa.Array:
    """Exact decimal(precision, 2) yuan built from integer fen, no float rounding on the way.

    A decimal128 value is a 16-byte little-endian two's complement integer of the unscaled value,
    so the buffer is the fen as int64 followed by its sign extension.
    """
    fen = np.ascontiguousarray(fen, dtype=np.int64)
    words = np.empty((len(fen), 2), dtype=np.int64)
    words[:, 0] = fen
    words[:, 1] = fen >> 63
    buffer = pa.py_buffer(words.tobytes())
    return pa.Array.from_buffers(pa.decimal128(precision, 2), len(fen), [None, buffer])
