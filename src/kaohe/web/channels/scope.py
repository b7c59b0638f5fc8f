"""Which partner outlets a channel manager (渠道经理) looks after.

The workspace's org files are the source of truth: each partner outlet (合作厅, 特约厅, 代理店)
carries the unit attribute ``channel_manager`` with the person id of its channel manager (the
demo sets it per county company; docs/demo-channels.md). The S9 scheme ``channel_manager``
rolls the partners' results up through the same attribute (``via: channel_manager``), so the
web and the engine agree on who serves whom.
"""

from __future__ import annotations

from pathlib import Path

from kaohe.web.core.workspace import workspace

ATTRIBUTE = "channel_manager"
_cache: dict[tuple[str, float], dict[str, frozenset[str]]] = {}


def _org_stamp(root: Path) -> float:
    org = root / "org"
    return max((p.stat().st_mtime for p in org.iterdir()), default=0.0) if org.is_dir() else 0.0


def partners_by_manager() -> dict[str, frozenset[str]]:
    """{channel manager's person id: the unit ids of their partners}, read from the org files
    (cached until a file under org/ changes)."""
    ws = workspace()
    key = (str(ws.root), _org_stamp(ws.root))
    found = _cache.get(key)
    if found is None:
        out: dict[str, set[str]] = {}
        for uid, attrs in ws.org.units.items():
            manager = (attrs.get(ATTRIBUTE) or "").strip()
            if manager:
                out.setdefault(manager, set()).add(uid)
        found = {m: frozenset(u) for m, u in out.items()}
        _cache.clear()
        _cache[key] = found
    return found


def partners_of(person_id: str | None) -> frozenset[str]:
    """The partner outlets ``person_id`` looks after (none without a person)."""
    if not person_id:
        return frozenset()
    return partners_by_manager().get(str(person_id), frozenset())
