"""Regime packs of the demo: each adds its own sources, schemes, facts and run plan.

A pack module (``telecom_s9``, ``telecom_s5`` …) exposes ``build(root, org, cal, rng) -> Pack``.
It writes its source and scheme YAML and its fact files under ``root`` and may add attribute
columns to ``org.units`` (it runs before the org files are written). ``add_to_manifest`` folds
the pack into the manifest of ``generate_workspace``, so the runner imports and runs it like
the core demo, in the order the pack lists its schemes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kaohe.demo.files import write_csv

TEMPLATES = Path(__file__).with_name("templates")


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
