"""Build the demo workspace: a fictional China-Mobile-style branch with three months of facts.

``generate_workspace(root)`` writes a complete workspace (spec §1) — kaohe.yaml, org/*.csv,
sources/*.yaml, schemes/*.yaml — plus the fact files under ``root/data/`` in the shapes real
exports come in (Parquet from the BOSS system, Excel checklists with a title row, CSV exports
with Chinese headers), and returns a manifest telling the caller what to import and run.

The default window is 2026-07 … 2026-09, exactly the quarter 2026-Q3, so the quarterly scheme
built from the monthly results sees all three of its months.
"""

from __future__ import annotations

from pathlib import Path
from string import Template
from typing import Any

import numpy as np
import yaml

from kaohe.demo import events, facts, telecom_s3, telecom_s4, telecom_s5, telecom_s9
from kaohe.demo.calendar import Calendar, make_calendar, quarter_of
from kaohe.demo.files import write_csv, write_parquet, write_titled_xlsx
from kaohe.demo.org import Org, build_org
from kaohe.demo.packs import add_to_manifest

TEMPLATES = Path(__file__).with_name("templates")
SOURCES = ("transactions", "tickets", "inspections", "quiz", "upsell", "complaints", "praises")
SCHEMES = ("clerk_star", "hall_service", "clerk_quarter")  # run order: the quarter reads months
EXCEL_HEADER_ROW = 2


def generate_workspace(
    root: Path,
    *,
    seed: int = 2026,
    scale: float = 1.0,
    end_month: str = "2026-09",
    months: int = 3,
) -> dict[str, Any]:
    """Write the demo workspace into ``root`` (created if needed; our files are overwritten).

    ``scale`` below 1 thins the high-volume facts (transactions, tickets) for quick tests while
    the org and the sparse facts keep their realistic size; above 1 the org grows (more counties)
    and the facts with it. Scale 1.0 is ~80 outlets, ~540 people and ~2M transactions.

    The same ``seed`` gives the same workspace: byte-identical CSV and YAML, equal Parquet and
    Excel contents.

    Returns the manifest::

        {"sources": {source: [absolute file paths, in import order]},
         "schemes": [scheme names in run order],
         "periods": {scheme: [period strings in run order]},
         "header_rows": {xlsx path: 1-based spreadsheet row of the header},
         "months": [month strings], "anomalies": {what: id or month}}
    """
    if scale <= 0:
        raise ValueError("scale must be positive")
    root = Path(root)
    cal = make_calendar(end_month, months)
    bits = np.random.PCG64(seed)

    def stream(k: int) -> np.random.Generator:
        # One independent stream per generator, so a change in one leaves the others' data alone.
        return np.random.Generator(bits.jumped(k))

    org = build_org(stream(1), cal, scale)
    duty = facts.duty(stream(2), org, cal)
    sources = {name: _load_template(f"sources/{name}.yaml") for name in SOURCES}
    headers = {
        name: {c: spec["aliases"][0] for c, spec in src["columns"].items()}
        for name, src in sources.items()
    }

    files: dict[str, list[Path]] = {name: [] for name in SOURCES}
    header_rows: dict[str, int] = {}
    data = root / "data"
    span = f"{cal.months[0]}_{cal.months[-1]}"

    txn, volume_target = facts.transactions(stream(3), org, cal, duty, scale)
    for month, table in zip(cal.months, txn, strict=True):
        files["transactions"].append(
            write_parquet(table, data / "transactions" / f"transactions_{month}.parquet")
        )
    tickets = facts.tickets(stream(4), org, cal, duty, scale)
    for month, table in zip(cal.months, tickets, strict=True):
        files["tickets"].append(write_parquet(table, data / "tickets" / f"tickets_{month}.parquet"))
    for month, frame in zip(cal.months, events.inspections(stream(5), org, cal), strict=True):
        path = data / "inspections" / f"inspections_{month}.xlsx"
        year, mon = month.split("-")
        title = f"{year}年{int(mon)}月 营业厅明查暗访检查明细表"
        header_rows[str(path)] = write_titled_xlsx(
            frame, path, title, headers["inspections"], sheet="明查暗访"
        )
        files["inspections"].append(path)
    for month, table in zip(cal.months, facts.quiz(stream(6), org, cal, duty), strict=True):
        files["quiz"].append(write_parquet(table, data / "quiz" / f"quiz_{month}.parquet"))
    upsell = facts.upsell(stream(7), org, cal, duty)
    files["upsell"].append(write_parquet(upsell, data / "upsell" / f"upsell_{span}.parquet"))
    files["complaints"].append(
        write_csv(
            events.complaints(stream(8), org, cal, duty),
            data / "complaints" / f"complaints_{span}.csv",
            headers["complaints"],
        )
    )
    files["praises"].append(
        write_csv(
            events.praises(stream(9), org, cal, duty),
            data / "praises" / f"praises_{span}.csv",
            headers["praises"],
        )
    )

    packs = [  # regime packs (kaohe.demo.packs); they may add unit attributes before the org
        telecom_s9.build(root, org, cal, stream(20)),
        telecom_s5.build(root, org, cal, stream(21)),
    ]
    _write_org(root, org)
    _write_text(root / "kaohe.yaml", _template_text("kaohe.yaml"))
    for name in SOURCES:
        _write_text(root / "sources" / f"{name}.yaml", _template_text(f"sources/{name}.yaml"))
    # Round the volume target to tens: a number a real admin would write into the scheme.
    values = {"volume_target": str(max(10, int(round(volume_target / 10.0)) * 10))}
    for name in SCHEMES:
        text = Template(_template_text(f"schemes/{name}.yaml")).substitute(values)
        _write_text(root / "schemes" / f"{name}.yaml", text)

    manifest: dict[str, Any] = {
        "sources": {name: [str(p.resolve()) for p in paths] for name, paths in files.items()},
        "schemes": list(SCHEMES),
        "periods": _periods(cal),
        "header_rows": {str(Path(p).resolve()): row for p, row in header_rows.items()},
        "months": list(cal.months),
        "anomalies": dict(org.anomalies),
    }
    for pack in packs:
        add_to_manifest(manifest, pack)
    telecom_s4.extend(manifest, root, stream(41), org, cal, scale)
    telecom_s3.extend(manifest, root, stream(42), org, cal)
    return manifest


def _periods(cal: Calendar) -> dict[str, list[str]]:
    # The quarter containing the last month; with the default window it is fully covered.
    return {
        "clerk_star": list(cal.months),
        "hall_service": list(cal.months),
        "clerk_quarter": [quarter_of(cal.months[-1])],
    }


def _write_org(root: Path, org: Org) -> None:
    write_csv(org.units, root / "org" / "units.csv")
    write_csv(org.people, root / "org" / "people.csv")
    write_csv(org.assignments, root / "org" / "assignments.csv")


def _template_text(relative: str) -> str:
    return (TEMPLATES / relative).read_text(encoding="utf-8")


def _load_template(relative: str) -> dict[str, Any]:
    loaded = yaml.safe_load(_template_text(relative))
    assert isinstance(loaded, dict)
    return loaded


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
