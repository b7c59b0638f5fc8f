"""Hostile text: cells a spreadsheet would evaluate, and rich markup a terminal would read."""

from __future__ import annotations

# Each would be a live formula (or DDE call) if written as a formula or opened from CSV.
FORMULAS: tuple[str, ...] = (
    '=HYPERLINK("http://x","y")',
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(1,1)",
    "=cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
)
MARKUP: tuple[str, ...] = ("[/bold]", "[bold red]x[/]", "[link=http://x]y[/link]")


def is_neutral_csv(text: str) -> bool:
    """A CSV cell a spreadsheet shows as text: not starting with a formula character."""
    return not text.startswith(("=", "+", "-", "@", "\t", "\r"))
