"""The assessed months as arrays of days, shared by the org history and every fact generator."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kaohe.periods import Period, parse_period


@dataclass(frozen=True)
class Calendar:
    """``months`` consecutive months ending at ``end_month``.

    ``days`` holds every day of them (datetime64[D]); ``month_of_day[d]`` is the index of day d's
    month; ``month_bounds[m]:month_bounds[m + 1]`` are the day indices of month m.
    """

    months: tuple[str, ...]
    days: np.ndarray
    month_of_day: np.ndarray
    month_bounds: np.ndarray

    @property
    def n_days(self) -> int:
        return len(self.days)

    @property
    def start(self) -> np.datetime64:
        return self.days[0]

    @property
    def end(self) -> np.datetime64:
        """The first day after the last month: facts are extracted as of this moment."""
        return self.days[-1] + np.timedelta64(1, "D")

    def day_index(self, day: np.datetime64) -> int:
        return int((day - self.days[0]).astype(int))

    @property
    def weekend(self) -> np.ndarray:
        # 1970-01-01 was a Thursday, so (days + 3) % 7 counts from Monday = 0.
        weekday = (self.days.astype("int64") + 3) % 7
        return weekday >= 5


def make_calendar(end_month: str, months: int) -> Calendar:
    if months < 1:
        raise ValueError("months must be at least 1")
    last = parse_period(end_month, "month")
    periods = [last.shift(k - months + 1) for k in range(months)]
    start = np.datetime64(periods[0].start, "D")
    end = np.datetime64(last.end, "D")
    days = np.arange(start, end, dtype="datetime64[D]")
    bounds = [int((np.datetime64(p.start, "D") - start).astype(int)) for p in periods]
    bounds.append(len(days))
    month_of_day = np.repeat(np.arange(months), np.diff(bounds))
    return Calendar(
        months=tuple(str(p) for p in periods),
        days=days,
        month_of_day=month_of_day,
        month_bounds=np.asarray(bounds),
    )


def quarter_of(month: str) -> str:
    return str(Period.containing("quarter", parse_period(month, "month").start))
