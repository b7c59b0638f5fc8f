"""The working-day calendar (spec §17): ``org/calendar.csv`` (or .xlsx) with ``day,working``.

Monday to Friday are working days by default; each row overrides one day, for public holidays
(a weekday off) and 调休 (a weekend day worked). The file is optional; without it the default
week applies everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from kaohe.errors import ConfigError, RowError
from kaohe.workspace.tables import cell_text, read_table

TRUE = ("是", "true", "t", "yes", "y", "1", "对")
FALSE = ("否", "false", "f", "no", "n", "0", "错")
MAX_SHOWN = 50


@dataclass(frozen=True)
class Calendar:
    """Days whose working status differs from, or restates, the default week."""

    overrides: dict[date, bool] = field(default_factory=dict)

    def working(self, day: date) -> bool:
        return self.overrides.get(day, day.weekday() < 5)

    def changes(self) -> list[tuple[date, int]]:
        """(day, +1 or −1) for each override that differs from the default week, by day."""
        out = []
        for day in sorted(self.overrides):
            default = day.weekday() < 5
            if self.overrides[day] != default:
                out.append((day, 1 if self.overrides[day] else -1))
        return out


def _find(folder: Path) -> Path | None:
    for suffix in (".csv", ".xlsx"):
        p = folder / f"calendar{suffix}"
        if p.exists():
            return p
    return None


def load_calendar(root: Path) -> Calendar:
    """``root/org/calendar.csv`` (or .xlsx); the default week when there is none. Every bad row
    is listed (file, row, column, value, what was expected) in one ConfigError."""
    path = _find(root / "org")
    if path is None:
        return Calendar()
    raw = read_table(path)
    headers = [h.strip().lower() for h in raw.headers]
    f = str(path)
    missing = [c for c in ("day", "working") if c not in headers]
    if missing:
        raise ConfigError(f"{f}: 缺少列 missing column(s) {', '.join(missing)}; expected a "
                          "header day,working (e.g. 2026-10-01,否)")
    data = raw.table.to_pydict()
    days = data[f"c{headers.index('day')}"]
    flags = data[f"c{headers.index('working')}"]
    errors: list[RowError] = []
    seen: dict[date, int] = {}
    overrides: dict[date, bool] = {}
    for i, (d, w) in enumerate(zip(days, flags, strict=True)):
        row = raw.row_offset + i
        d_text, w_text = (cell_text(d) or "").strip(), (cell_text(w) or "").strip()
        day: date | None
        try:
            day = date.fromisoformat(d_text.replace("/", "-")[:10])
        except ValueError:
            errors.append(RowError(f, row, "day", d_text, "日期无效 expected a date YYYY-MM-DD"))
            day = None
        flag = w_text.lower()
        if flag not in TRUE + FALSE:
            errors.append(RowError(f, row, "working", w_text,
                                   "应为 是/否 或 true/false expected 是/否 or true/false"))
        if day is None or flag not in TRUE + FALSE:
            continue
        if day in seen:
            errors.append(RowError(f, row, "day", d_text, f"日期重复 duplicate day (row "
                                   f"{seen[day]}); keep one row per day"))
            continue
        seen[day] = row
        overrides[day] = flag in TRUE
    if errors:
        lines = [str(e) for e in errors[:MAX_SHOWN]]
        if len(errors) > MAX_SHOWN:
            lines.append(f"… 另有 {len(errors) - MAX_SHOWN} 个错误 / and "
                         f"{len(errors) - MAX_SHOWN} more")
        raise ConfigError("工作日历有误 org calendar has errors:\n" + "\n".join(lines))
    return Calendar(overrides)
