"""Periods (spec §5): ``2026-10`` month, ``2026-Q4`` quarter, ``2026`` year, ``2026-10-15`` day.

A period covers [start, next start).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from kaohe.errors import InputError

PeriodKind = Literal["day", "month", "quarter", "year"]
KINDS: tuple[PeriodKind, ...] = ("day", "month", "quarter", "year")

_PATTERNS: tuple[tuple[PeriodKind, re.Pattern[str]], ...] = (
    ("day", re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")),
    ("month", re.compile(r"^(\d{4})-(\d{2})$")),
    ("quarter", re.compile(r"^(\d{4})-[Qq]([1-4])$")),
    ("year", re.compile(r"^(\d{4})$")),
)


@dataclass(frozen=True, order=True)
class Period:
    kind: PeriodKind
    start: date

    @staticmethod
    def parse(text: str) -> Period:
        text = str(text).strip()
        for kind, pattern in _PATTERNS:
            m = pattern.match(text)
            if not m:
                continue
            try:
                y = int(m.group(1))
                if kind == "day":
                    return Period(kind, date(y, int(m.group(2)), int(m.group(3))))
                if kind == "month":
                    return Period(kind, date(y, int(m.group(2)), 1))
                if kind == "quarter":
                    return Period(kind, date(y, 3 * (int(m.group(2)) - 1) + 1, 1))
                return Period(kind, date(y, 1, 1))
            except ValueError as exc:
                raise InputError(f"无效的期间 invalid period {text!r}: {exc}") from exc
        raise InputError(
            f"无效的期间 invalid period {text!r}: expected 2026-10, 2026-Q4, 2026 or 2026-10-15"
        )

    @staticmethod
    def containing(kind: PeriodKind, day: date) -> Period:
        if kind == "day":
            return Period(kind, day)
        if kind == "month":
            return Period(kind, day.replace(day=1))
        if kind == "quarter":
            return Period(kind, date(day.year, 3 * ((day.month - 1) // 3) + 1, 1))
        return Period(kind, date(day.year, 1, 1))

    @property
    def end(self) -> date:
        """The next period's start (exclusive end)."""
        return self.shift(1).start

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def shift(self, n: int) -> Period:
        if self.kind == "day":
            return Period("day", self.start + timedelta(days=n))
        months = {"month": 1, "quarter": 3, "year": 12}[self.kind] * n
        index = self.start.year * 12 + self.start.month - 1 + months
        return Period(self.kind, date(index // 12, index % 12 + 1, 1))

    def __str__(self) -> str:
        s = self.start
        if self.kind == "day":
            return s.isoformat()
        if self.kind == "month":
            return f"{s.year:04d}-{s.month:02d}"
        if self.kind == "quarter":
            return f"{s.year:04d}-Q{(s.month - 1) // 3 + 1}"
        return f"{s.year:04d}"


def parse_period(text: str, kind: PeriodKind | None = None) -> Period:
    """Parse ``text``; when ``kind`` is given, the period must be of that kind."""
    p = Period.parse(text)
    if kind is not None and p.kind != kind:
        raise InputError(f"期间 {text!r} 是 {p.kind}，方案要求 {kind} / scheme needs a {kind} period")
    return p


RANGE_SEP = ".."
MAX_RANGE = 400  # periods in one `kaohe run --period A..B`


def is_range(text: str) -> bool:
    return RANGE_SEP in str(text)


def period_range(text: str, kind: PeriodKind) -> list[Period]:
    """``A..B`` (spec §17): every period of ``kind`` from the one containing A's first day to
    the one containing B's last day, in order; A and B are days or any periods
    (``2026-10-01..2026-10-31``, ``2026-08..2026-10``)."""
    first_text, _, last_text = str(text).partition(RANGE_SEP)
    if not first_text.strip() or not last_text.strip() or RANGE_SEP in last_text:
        raise InputError(f"无效的期间范围 invalid period range {text!r}: expected A..B, e.g. "
                         "2026-10-01..2026-10-31")
    first, last = Period.parse(first_text), Period.parse(last_text)
    start, end = Period.containing(kind, first.start), Period.containing(kind, last.last_day)
    if end < start:
        raise InputError(f"期间范围 {text!r} 的结束早于开始 the range ends before it starts")
    out = [start]
    while out[-1] < end:
        if len(out) >= MAX_RANGE:
            raise InputError(f"期间范围 {text!r} 超过 {MAX_RANGE} 个期间 covers more than "
                             f"{MAX_RANGE} periods; run it in parts")
        out.append(out[-1].shift(1))
    return out
