"""Regime packs of the demo (S3, S4, S5, S9 …): each writes its own facts, sources, schemes and
run plan and folds them into the manifest of ``generate_workspace``, so the runner imports and
runs them like the core demo, in the order each pack lists its schemes. A new regime is one
module plus one line in ``generate_workspace``.

Two ways in, the same manifest: ``add_pack`` (a pack that copies its templates and gives its
files, periods and anomalies; S3, S4) and ``Pack`` with ``add_to_manifest`` (a pack module with
``build(root, org, cal, rng) -> Pack`` that may add unit attribute columns before the org files
are written; S5, S9).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kaohe.demo.files import write_csv

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


@dataclass
class Pack:
    """What one regime adds to the demo."""

    sources: dict[str, list[Path]] = field(default_factory=dict)  # source → files, import order
    schemes: list[str] = field(default_factory=list)  # run order
    periods: dict[str, list[str]] = field(default_factory=dict)
    header_rows: dict[str, int] = field(default_factory=dict)
    anomalies: dict[str, str] = field(default_factory=dict)


def add_to_manifest(manifest: dict[str, Any], pack: Pack) -> None:
    for name, paths in pack.sources.items():
        manifest["sources"][name] = [str(Path(p).resolve()) for p in paths]
    manifest["schemes"].extend(pack.schemes)
    manifest["periods"].update(pack.periods)
    manifest["header_rows"].update(
        {str(Path(p).resolve()): row for p, row in pack.header_rows.items()}
    )
    manifest["anomalies"].update(pack.anomalies)


def copy_templates(root: Path, sources: tuple[str, ...], schemes: tuple[str, ...]) -> None:
    """Copy the pack's source and scheme YAML (with their Chinese 口径 comments) verbatim."""
    for kind, names in (("sources", sources), ("schemes", schemes)):
        for name in names:
            text = (TEMPLATES / kind / f"{name}.yaml").read_text(encoding="utf-8")
            path = root / kind / f"{name}.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")


def csv_with_aliases(frame: Any, source: str, path: Path) -> Path:
    """Write a CSV export with the Chinese headers of the source template (first alias)."""
    import yaml

    spec = yaml.safe_load((TEMPLATES / "sources" / f"{source}.yaml").read_text(encoding="utf-8"))
    headers = {c: s["aliases"][0] for c, s in spec["columns"].items()}
    return write_csv(frame, path, headers)
