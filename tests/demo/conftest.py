"""Shared demo workspaces of the regime tests: ``demo``, the whole small demo (scale 0.05) built
and run once per session (S3, S4); ``packs_demo``, a smaller one (scale 0.02) with only the S9
and S5 packs imported and run, to keep those tests quick; ``power_demo``, the power demo
(``kaohe demo --kind power --scale 0.02``: ~35 台区, ~5,000 meters, two days of daily
monitoring) for tests/demo/test_power_*.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from rich.console import Console
from rich.progress import Progress

from kaohe.demo import telecom_s5, telecom_s9
from kaohe.demo.generate import generate_workspace
from kaohe.engine.run import run_scheme
from kaohe.workspace import Workspace
from kaohe.workspace.importer import import_file

PACKS = (telecom_s9, telecom_s5)
POWER_SCALE = 0.02


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    from kaohe.demo import run_demo

    root = tmp_path_factory.mktemp("demo-run") / "demo"
    out = run_demo(root, scale=0.05, console=Console(quiet=True),
                   progress=lambda: Progress(disable=True))
    return root, out


@pytest.fixture(scope="session")
def packs_demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """root, manifest, results[(scheme, period)] tables, latest[scheme] RunResult, facts
    (every pack source read back from its CSV export, Chinese headers mapped to columns, all
    values as text) and units (org/units.csv)."""
    root = tmp_path_factory.mktemp("packs")
    manifest = generate_workspace(root, scale=0.02)
    ws = Workspace.open(root)
    sources = [s for pack in PACKS for s in pack.SOURCES]
    for source in sources:
        for file in manifest["sources"][source]:
            import_file(ws.store, ws.org, ws.source(source), Path(file))
    results: dict[tuple[str, str], pd.DataFrame] = {}
    latest: dict[str, Any] = {}
    for scheme in (s for pack in PACKS for s in pack.SCHEMES):
        for period in manifest["periods"][scheme]:
            latest[scheme] = run_scheme(ws, scheme, period).result
            results[scheme, period] = latest[scheme].table
    facts = {s: _facts(root, manifest, s) for s in sources}
    units = pd.read_csv(root / "org" / "units.csv", dtype=str, keep_default_na=False)
    return {"root": root, "manifest": manifest, "results": results, "latest": latest,
            "facts": facts, "units": units}


def _facts(root: Path, manifest: dict[str, Any], source: str) -> pd.DataFrame:
    spec = yaml.safe_load((root / "sources" / f"{source}.yaml").read_text(encoding="utf-8"))
    names = {c["aliases"][0]: col for col, c in spec["columns"].items()}
    frames = [pd.read_csv(f, dtype=str, keep_default_na=False) for f in manifest["sources"][source]]
    return pd.concat(frames, ignore_index=True).rename(columns=names)


@pytest.fixture(scope="session")
def power_demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from kaohe.demo.power.runner import run_power_demo

    root = tmp_path_factory.mktemp("power") / "ws"
    out = run_power_demo(root, scale=POWER_SCALE, daily_days=2, console=Console(quiet=True),
                         progress=lambda: Progress(disable=True))
    out["root"] = root
    return out
