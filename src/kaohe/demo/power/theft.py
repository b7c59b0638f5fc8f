"""S13 营业稽查与反窃电: monthly consumption and load per meter from the collection system
(用电信息采集), for the last six months and the demo's months a year before, and the results of
the inspections (稽查) that followed earlier suspicions.

Each meter has a steady level (±10% a month); the planted thefts break it the way DOMAIN.md's
anomaly rules look for: a collapse against the same month last year with reversed phases, zero
energy while the meter sees load, a sudden drop against the meter's own 3-month average with an
unbalanced phase.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kaohe.demo.power.facts import MONTHS, YEAR_BEFORE
from kaohe.demo.power.org import PowerOrg

HISTORY = ("2026-04", "2026-05", "2026-06")


def consumption(rng: np.random.Generator, org: PowerOrg,
                meter: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    n = len(meter)
    level = np.where(meter["big"], rng.gamma(4, 2500, n), rng.gamma(3, 60, n)) + 5
    manager = org.areas.set_index("area_id").loc[meter["area_id"], "manager_id"].to_numpy()
    thieves = rng.choice(n, size=3, replace=False)
    kinds = ("drop_reversed", "zero_with_load", "sudden_unbalanced")
    for kind, i in zip(kinds, thieves, strict=True):
        org.anomalies[f"theft_{kind}"] = str(meter["meter_id"].iloc[int(i)])
    out = []
    for month in (*YEAR_BEFORE, *HISTORY, *MONTHS):
        kwh = level * rng.normal(1.0, 0.1, n).clip(0.6)
        load = kwh / 720 * rng.uniform(2.0, 4.0, n)  # peak kW ≈ 2–4 × the mean
        reversed_ = rng.random(n) < 0.0005
        unbalanced = rng.random(n) < 0.003
        fault = np.where(rng.random(n) < 0.001, "E03时钟异常", "")
        if month == MONTHS[-1]:
            a, b, c = (int(i) for i in thieves)
            kwh[a] *= 0.2
            reversed_[a] = True
            kwh[b] = 0.0
            kwh[c] *= 0.3
            unbalanced[c] = True
        out.append((month, pd.DataFrame({
            "meter_id": meter["meter_id"], "station_id": meter["station_id"],
            "manager_id": manager, "month": pd.Timestamp(f"{month}-01").date(),
            "kwh": np.round(kwh).astype("int64"), "max_load_kw": np.round(load, 2),
            "reversed_phase": reversed_, "unbalanced": unbalanced, "fault": fault,
        })))
    return out


def inspections(rng: np.random.Generator, org: PowerOrg, meter: pd.DataFrame) -> pd.DataFrame:
    """Inspections done in the demo's months: ~0.2% of meters visited, a quarter confirmed as
    theft or violation, with the money recovered (追补电费及违约使用电费)."""
    rows = []
    k = 0
    for month in MONTHS:
        start = pd.Timestamp(f"{month}-01")
        visited = rng.choice(len(meter), size=max(5, len(meter) // 500), replace=False)
        for i in visited:
            k += 1
            confirmed = bool(rng.random() < 0.25)
            rows.append({
                "inspection_id": f"JC{month.replace('-', '')}{k:05d}",
                "meter_id": str(meter["meter_id"].iloc[int(i)]),
                "station_id": str(meter["station_id"].iloc[int(i)]),
                "day": (start + pd.Timedelta(days=int(rng.integers(0, 28)))).strftime("%Y-%m-%d"),
                "confirmed": confirmed,
                "recovered": float(round(rng.gamma(2, 1500), 2)) if confirmed else 0.0,
            })
    return pd.DataFrame(rows)
