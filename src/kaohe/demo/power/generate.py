"""Build the power demo workspace (``kaohe demo --kind power``): org, sources, schemes, facts.

Like the telecom demo's ``generate_workspace`` it writes a complete workspace and returns a
manifest (files to import in order, schemes and periods in run order, the planted anomalies).
Scale 1.0 is ~2,000 台区 and ~300,000 meters; tests use ~0.02.
"""

from __future__ import annotations

from pathlib import Path
from string import Template
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from kaohe.demo.files import write_csv, write_parquet
from kaohe.demo.power import facts, marketing, posts, standard, theft, tickets
from kaohe.demo.power.org import PowerOrg, build_org

TEMPLATES = Path(__file__).with_name("templates")
SOURCES = ("area_energy", "readings", "bills", "reading_faults", "segments",
           "collection_targets", "expansion", "service_ratings", "complaints",
           "tickets", "seat_tickets", "duty_roster", "post_failures",
           "consumption", "theft_inspections",
           "ledgers", "work_tickets", "voltage", "supply_customers", "outages", "defects",
           "repairs")
# Run order: items before their roll-ups, months before the quarter and the year. The web's
# demo setup runs a period's schemes in code order, so an item scheme's code sorts before its
# roll-ups' (area_loss < loss_*, theft_check < theft_station).
SCHEMES = ("area_loss", "loss_manager", "loss_station", "loss_county",
           "reading_month", "reading_daily", "reading_quarter", "reading_year", "marketing",
           "tickets_station", "tickets_handler", "tickets_seat", "duty_day", "station_posts",
           "theft_check", "theft_station", "station_standard")
# The line-loss bands of DOMAIN.md (one province's): every threshold stays configurable.
BANDS = {"high": "0.06", "negative": "-0.01", "economic": "0.04",
         # S12: the ledgers a station must keep (article 11: 27 paper, 22 electronic)
         "paper_ledgers": str(standard.PAPER_LEDGERS),
         "electronic_ledgers": str(standard.ELECTRONIC_LEDGERS)}
# Item schemes too large to print or write whole: the demo prints their counts per level and
# writes their warning list (the inspection list) only.
SUMMARIES = ("theft_check",)
# 2026 days off and 调休 working days within and around the demo's months (org/calendar.csv).
CALENDAR = (("2025-10-01", "否"), ("2025-10-02", "否"), ("2025-10-03", "否"),
            ("2026-09-25", "否"), ("2026-09-26", "是"), ("2026-10-01", "否"),
            ("2026-10-02", "否"), ("2026-10-05", "否"), ("2026-10-06", "否"),
            ("2026-10-07", "否"), ("2026-10-10", "是"))


def generate_workspace(root: Path, *, seed: int = 2026, scale: float = 1.0,
                       daily_days: int | None = None) -> dict[str, Any]:
    """Write the power demo into ``root``; return the manifest.

    ``daily_days`` limits the daily monitoring runs to the last N days of the quarter (all the
    last month's days by default)."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    root = Path(root)
    bits = np.random.PCG64(seed)

    def stream(k: int) -> np.random.Generator:
        return np.random.Generator(bits.jumped(k))

    org = build_org(stream(1), scale)
    data = root / "data"
    files: dict[str, list[Path]] = {name: [] for name in SOURCES}
    energy = facts.area_energy(stream(2), org)
    files["area_energy"].append(write_csv(_dates(energy, "month"),
                                          data / "area_energy" / "area_energy.csv"))
    meter = facts.meters(org)
    readings, bills = facts.readings_and_bills(stream(3), org, meter)
    for month, frame in zip(facts.MONTHS, readings, strict=True):
        files["readings"].append(write_parquet(_table(frame),
                                               data / "readings" / f"readings_{month}.parquet"))
    for month, frame in zip(facts.MONTHS, bills, strict=True):
        files["bills"].append(write_parquet(_table(frame),
                                            data / "bills" / f"bills_{month}.parquet"))
    files["reading_faults"].append(write_csv(_dates(facts.faults(stream(4), org), "day"),
                                             data / "reading_faults" / "reading_faults.csv"))
    files["segments"].append(write_csv(_dates(facts.segment_snapshots(org), "as_of",
                                              "held_since"),
                                       data / "segments" / "segments.csv"))
    cal = marketing.WorkCalendar(CALENDAR)
    files["collection_targets"].append(write_csv(
        marketing.targets(org, bills), data / "collection_targets" / "collection_targets.csv"))
    files["expansion"].append(write_csv(marketing.expansion(stream(5), org, cal, scale),
                                        data / "expansion" / "expansion.csv"))
    files["service_ratings"].append(write_csv(marketing.ratings(stream(6), org),
                                              data / "service_ratings" / "service_ratings.csv"))
    files["complaints"].append(write_csv(marketing.complaints(stream(7), org),
                                         data / "complaints" / "complaints.csv"))
    ticket = tickets.tickets(stream(8), org, meter, scale)
    files["tickets"].append(write_csv(ticket, data / "tickets" / "tickets.csv"))
    files["seat_tickets"].append(write_csv(
        ticket[["ticket_id", "seat_id", "category", "received_at", "filtered", "filter_reason"]],
        data / "tickets" / "seat_tickets.csv"))
    files["duty_roster"].append(write_csv(_dates(posts.roster(stream(9), org), "day"),
                                          data / "duty_roster" / "duty_roster.csv"))
    files["post_failures"].append(write_csv(posts.failures(stream(10), org),
                                            data / "post_failures" / "post_failures.csv"))
    for month, frame in theft.consumption(stream(11), org, meter):
        files["consumption"].append(write_parquet(
            pa.Table.from_pandas(frame, preserve_index=False),
            data / "consumption" / f"consumption_{month}.parquet"))
    files["theft_inspections"].append(write_csv(
        theft.inspections(stream(12), org, meter),
        data / "theft_inspections" / "theft_inspections.csv"))
    standard.plant(org)
    for name, frame in (("ledgers", standard.ledgers(stream(13), org)),
                        ("work_tickets", standard.work_tickets(stream(14), org)),
                        ("voltage", standard.voltage(stream(15), org)),
                        ("supply_customers", standard.customers(org, meter)),
                        ("outages", standard.outages(stream(16), org, meter)),
                        ("defects", standard.defects(stream(17), org)),
                        ("repairs", standard.repairs(stream(18), org))):
        files[name].append(write_csv(frame, data / "standard" / f"{name}.csv"))
    _write_org(root, org)
    _write_text(root / "kaohe.yaml", _template("kaohe.yaml"))
    for name in SOURCES:
        _write_text(root / "sources" / f"{name}.yaml", _template(f"sources/{name}.yaml"))
    for name in SCHEMES:
        text = Template(_template(f"schemes/{name}.yaml")).substitute(BANDS)
        _write_text(root / "schemes" / f"{name}.yaml", text)
    return {
        "sources": {name: [str(p.resolve()) for p in paths] for name, paths in files.items()},
        "schemes": list(SCHEMES),
        "periods": _periods(daily_days),
        "header_rows": {},
        "months": list(facts.MONTHS),
        "anomalies": dict(org.anomalies),
        "counts": {"areas": len(org.areas), "meters": len(meter)},
        "summaries": list(SUMMARIES),
    }


def _periods(daily_days: int | None) -> dict[str, list[str]]:
    months = list(facts.MONTHS)
    last = pd.Timestamp(f"{months[-1]}-01")
    days = pd.date_range(last, last + pd.offsets.MonthEnd(0), freq="D")
    if daily_days is not None:
        days = days[-daily_days:] if daily_days > 0 else days[:0]
    return {
        "area_loss": months, "loss_manager": months, "loss_station": months,
        "loss_county": months, "reading_month": months,
        "reading_daily": [d.strftime("%Y-%m-%d") for d in days],
        "reading_quarter": ["2026-Q3"], "reading_year": ["2026"], "marketing": months,
        "tickets_station": months, "tickets_handler": months, "tickets_seat": months,
        "duty_day": months, "station_posts": months,
        # 300,000 meters per run: the inspection list of the last month only
        "theft_check": months[-1:], "theft_station": months[-1:],
        "station_standard": months,
    }


def _dates(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    out = frame.copy()
    for c in columns:
        out[c] = pd.to_datetime(out[c]).dt.strftime("%Y-%m-%d")
    return out


def _table(frame: pd.DataFrame) -> pa.Table:
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.date
    return pa.Table.from_pandas(out, preserve_index=False)


def _write_org(root: Path, org: PowerOrg) -> None:
    write_csv(org.units, root / "org" / "units.csv")
    write_csv(org.people, root / "org" / "people.csv")
    write_csv(org.assignments, root / "org" / "assignments.csv")
    write_csv(pd.DataFrame(CALENDAR, columns=["day", "working"]), root / "org" / "calendar.csv")


def _template(relative: str) -> str:
    return (TEMPLATES / relative).read_text(encoding="utf-8")


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
