"""The v2 consequence columns of the result (spec §10, §12, §16): ``alert``, ``capped_bonus``
and ``capped_penalty`` (with caps), one ``l_<line>`` column per payout line."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from kaohe.engine import caps, payout_lines
from kaohe.engine.sqltree import T, col, lit
from kaohe.scheme.model import Scheme


def alert(s: Scheme) -> exp.Expression:
    """The final grade (after quotas and demotion) is one of the scheme's alert labels."""
    if not s.alerts:
        return lit(False)
    listed = exp.In(this=col("grade"), expressions=[lit(a) for a in s.alerts])
    return T("COALESCE(:x, FALSE)", x=listed)


def consequence_columns(s: Scheme) -> list[exp.Expression]:
    out: list[exp.Expression] = [exp.alias_(alert(s), "alert", quote=True)]
    if s.caps is not None:
        out += [col(name) for name in caps.CAPPED.values()]
    return out + payout_lines.output_columns(s)


def consequence_fields(s: Scheme) -> dict[str, Any]:
    """RunResult's v2 fields for scheme ``s``."""
    return {"payout_lines": tuple(line.name for line in s.payout.lines) if s.payout else (),
            "alerts": s.alerts, "has_caps": s.caps is not None}
