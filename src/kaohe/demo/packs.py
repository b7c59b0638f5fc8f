"""Regime packs of the demo (S3, S4 …): each writes its own facts, then adds its sources, schemes,
periods and planted anomalies to the generator's manifest with ``add_pack``, so a new regime is
one module plus one line in ``generate_workspace``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

TEMPLATES = Path(__file__).with_name("templates")


def add_pack(manifest: dict[str, Any], root: Path, files: dict[str, list[Path]],
             periods: dict[str, list[str]], anomalies: dict[str, str],
             summaries: tuple[str, ...] = ()) -> None:
    """Copy the pack's source and scheme templates into the workspace and record them.

    ``files`` maps each source to its data files (import order); ``periods`` maps each scheme,
    in run order, to its periods; ``summaries`` names the item schemes too large to print in
    full (the runner prints their level counts and first alerts instead).
    """
    for name in files:
        _copy(f"sources/{name}.yaml", root)
    for name in periods:
        _copy(f"schemes/{name}.yaml", root)
    manifest["sources"].update(
        {name: [str(Path(p).resolve()) for p in paths] for name, paths in files.items()})
    manifest["schemes"].extend(periods)
    manifest["periods"].update(periods)
    manifest["anomalies"].update(anomalies)
    manifest.setdefault("summaries", []).extend(summaries)


def _copy(relative: str, root: Path) -> None:
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text((TEMPLATES / relative).read_text(encoding="utf-8"), encoding="utf-8",
                      newline="\n")
