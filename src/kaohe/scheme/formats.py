"""How an indicator's values are shown to people: ``format`` in a scheme (docs/scheme-language.md).

``format: percent`` or ``format: {kind: percent, decimals: 1, unit: 笔}``. Kinds:

- ``percent``: a ratio shown ×100 with a % sign (0.965 → 96.5%); default 1 decimal
- ``count``: a whole number (1430 → 1430, 12500 → 12,500), optional unit (笔, 件, 户)
- ``yuan``: money in yuan to the fen (3999 → ¥3,999.00); default 2 decimals
- ``hours``: a duration in hours (2.5 → 2.5 小时); default 1 decimal
- ``score``: points or a quiz score (82.6923 → 82.69 分); default 2 decimals
- ``number``: any other number; default 2 decimals

Numbers of five digits or more, and money, are grouped by thousands. Without ``decimals`` trailing zeros are dropped (96.0% → 96%, 82.50 → 82.5) except for yuan,
which always shows the fen; with ``decimals`` the number is shown with exactly that many.
Rounding is half away from zero, as the engine rounds points.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

KINDS = ("percent", "count", "yuan", "hours", "score", "number")
DEFAULT_DECIMALS = {"percent": 1, "count": 0, "yuan": 2, "hours": 1, "score": 2, "number": 2}
DASH = "—"


@dataclass(frozen=True)
class Format:
    kind: str = "number"
    decimals: int | None = None  # None: the kind's default, trailing zeros dropped
    unit: str = ""  # a measure word after counts (笔, 件, 户); empty: none

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "decimals": self.decimals, "unit": self.unit}

    @staticmethod
    def from_dict(data: Any) -> Format | None:
        """The inverse of ``as_dict`` (for formats stored as JSON); None for anything else."""
        if not isinstance(data, dict) or data.get("kind") not in KINDS:
            return None
        dec = data.get("decimals")
        return Format(str(data["kind"]), dec if isinstance(dec, int) else None,
                      str(data.get("unit") or ""))


NUMBER = Format()


def parse_format(raw: Any, path: str, err: Any) -> Format | None:
    """``format`` as written in a scheme; problems go to ``err(path, message)``."""
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = {"kind": raw}
    if not isinstance(raw, dict):
        err(path, f"应为 {' / '.join(KINDS)} 或 {{kind: percent, decimals: 1}} "
                  f"expected a kind or a mapping, got {raw!r}")
        return None
    bad = sorted(set(raw) - {"kind", "decimals", "unit"})
    for k in bad:
        err(f"{path}.{k}", "未知键 unknown key; allowed: decimals, kind, unit")
    kind = raw.get("kind")
    if kind not in KINDS:
        err(path + ".kind", f"应为 {', '.join(KINDS)} 之一 expected one of them, got {kind!r}")
        return None
    decimals = raw.get("decimals")
    if decimals is not None and (isinstance(decimals, bool) or not isinstance(decimals, int)
                                 or not 0 <= decimals <= 6):
        err(path + ".decimals", f"应为 0 到 6 的整数 expected a whole number 0..6, got {decimals!r}")
        return None
    unit = raw.get("unit", "")
    if not isinstance(unit, str) or len(unit) > 8:
        err(path + ".unit", f"应为不超过 8 个字的文字 expected a short word, got {unit!r}")
        return None
    return Format(str(kind), decimals, unit.strip())


def _decimal(v: Any) -> Decimal | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        d = v if isinstance(v, Decimal) else Decimal(str(v))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def _fixed(d: Decimal, decimals: int, strip: bool, group: bool) -> str:
    q = d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if not q:
        q = abs(q)  # never "-0"
    text = f"{q:,.{decimals}f}" if group else f"{q:.{decimals}f}"
    if strip and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def number_text(v: Any, fmt: Format | None = None) -> str:
    """The number alone, without a unit or sign (used inside sentences): 0.965 as percent →
    '96.5'; None → '—'."""
    fmt = fmt or NUMBER
    d = _decimal(v)
    if d is None:
        return DASH
    if fmt.kind == "percent":
        d *= 100
    decimals = DEFAULT_DECIMALS[fmt.kind] if fmt.decimals is None else fmt.decimals
    strip = fmt.decimals is None and fmt.kind != "yuan"
    # Money always in groups of three (¥3,999.00); other numbers from five digits on, as
    # Chinese writes them (1430 笔, 12,500 户).
    group = fmt.kind == "yuan" or abs(d) >= 10000
    return _fixed(d, decimals, strip, group)


def format_value(v: Any, fmt: Format | None = None, lang: str = "zh") -> str:
    """A value as people read it: 96.5%, 1,430 笔, ¥3,999.00, 2.5 小时, 82.69 分; '—' for none."""
    fmt = fmt or NUMBER
    text = number_text(v, fmt)
    if text == DASH:
        return text
    if fmt.kind == "percent":
        return text + "%"
    if fmt.kind == "yuan":
        return ("-¥" + text[1:]) if text.startswith("-") else "¥" + text
    if fmt.kind == "hours":
        return f"{text} 小时" if lang == "zh" else f"{text} h"
    if fmt.kind == "score":
        return f"{text} 分" if lang == "zh" else f"{text} pts"
    unit = unit_word(fmt, lang)
    return f"{text} {unit}" if unit else text


def unit_word(fmt: Format | None, lang: str = "zh") -> str:
    """The unit written after a count or number: the scheme's own for Chinese; in English only
    a unit that is already English (a Chinese measure word has no English word to stand in)."""
    if fmt is None or not fmt.unit:
        return ""
    if lang == "zh" or fmt.unit.isascii():
        return fmt.unit
    return ""


# Excel number formats per kind (the workbook writes the value, Excel shows it this way).
def excel_format(fmt: Format | None) -> str:
    fmt = fmt or NUMBER
    decimals = DEFAULT_DECIMALS[fmt.kind] if fmt.decimals is None else fmt.decimals
    frac = ("." + "0" * decimals) if decimals else ""
    if fmt.kind == "percent":
        return f"0{frac}%"
    if fmt.kind == "yuan":
        return f'"¥"#,##0{frac}'
    if fmt.kind == "count":
        return f"#,##0{frac}"
    return f"#,##0{frac}"
