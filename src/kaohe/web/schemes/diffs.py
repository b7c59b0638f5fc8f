"""A line diff between two scheme versions, as rows a template can draw (difflib)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class DiffRow:
    """One line of the diff: ``kind`` is "add", "del", "same" or "hunk" (a ``@@`` header);
    ``old`` and ``new`` are the 1-based line numbers on each side (None where absent)."""

    kind: str
    old: int | None
    new: int | None
    text: str


def line_diff(a: str, b: str, context: int = 3) -> list[DiffRow]:
    """Rows of a unified diff from ``a`` to ``b`` with ``context`` unchanged lines around each
    change; empty when the texts have the same lines."""
    old, new = a.splitlines(), b.splitlines()
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        i1, j1 = group[0][1], group[0][3]
        i2, j2 = group[-1][2], group[-1][4]
        rows.append(DiffRow("hunk", None, None,
                            f"@@ -{i1 + 1},{i2 - i1} +{j1 + 1},{j2 - j1} @@"))
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                rows.extend(DiffRow("same", a1 + k + 1, b1 + k + 1, old[a1 + k])
                            for k in range(a2 - a1))
                continue
            rows.extend(DiffRow("del", a1 + k + 1, None, old[a1 + k]) for k in range(a2 - a1))
            rows.extend(DiffRow("add", None, b1 + k + 1, new[b1 + k]) for k in range(b2 - b1))
    return rows
