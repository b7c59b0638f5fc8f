"""S11 工单 in the power demo: timeliness, repeat complaints with 24-hour duplicates dropped,
the seats' filter rate; checked against pandas over the generated ticket file, and the planted
callers, slow handler and seat found."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest


@pytest.fixture(scope="module")
def demo(power_demo: dict[str, Any]) -> dict[str, Any]:
    return power_demo


@pytest.fixture(scope="module")
def tickets(demo: dict[str, Any]) -> pd.DataFrame:
    frame = pd.read_csv(demo["manifest"]["sources"]["tickets"][0],
                        dtype={"unit_id": str, "handler_id": str, "seat_id": str,
                               "customer_id": str},
                        parse_dates=["received_at", "dispatched_at", "accepted_at",
                                     "arrived_at", "finished_at"])
    return frame


def _by_id(demo: dict[str, Any], code: str) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in demo["results"][code].entities()}


def _complaints_deduplicated(tickets: pd.DataFrame) -> pd.DataFrame:
    """Complaints with hours since the same customer's previous complaint (all months)."""
    c = tickets[tickets["category"] == "投诉"].sort_values("received_at", kind="stable").copy()
    prev = c.groupby("customer_id")["received_at"].shift()
    c["since"] = (c["received_at"] - prev).dt.total_seconds() // 3600
    return c[c["received_at"] >= "2026-09-01"]


def test_duplicates_within_24_hours_count_once(demo: dict[str, Any],
                                               tickets: pd.DataFrame) -> None:
    anomalies = demo["manifest"]["anomalies"]
    c = _complaints_deduplicated(tickets)
    mine = c[c["customer_id"] == anomalies["customer_duplicates"]]
    assert len(mine) == 3
    assert mine["since"].isna().sum() + (mine["since"] >= 24).sum() == 1
    stations = _by_id(demo, "tickets_station")
    for unit, rows in c.groupby("unit_id"):
        counted = int((rows["since"].isna() | (rows["since"] >= 24)).sum())
        assert stations[str(unit)]["indicators"]["complaints"]["value"] == counted, unit


def test_repeat_complaint_rate_matches_pandas(demo: dict[str, Any],
                                              tickets: pd.DataFrame) -> None:
    anomalies = demo["manifest"]["anomalies"]
    c = _complaints_deduplicated(tickets)
    station = str(c.loc[c["customer_id"] == anomalies["customer_repeat"], "unit_id"].iloc[0])
    rows = c[c["unit_id"] == station]
    repeat = rows.loc[rows["since"] >= 24, "customer_id"].nunique()
    assert anomalies["customer_repeat"] in set(rows.loc[rows["since"] >= 24, "customer_id"])
    expected = repeat / rows["customer_id"].nunique()
    got = _by_id(demo, "tickets_station")[station]["indicators"]["repeat_rate"]["value"]
    assert got == pytest.approx(expected, abs=1e-12)


def test_handler_timeliness_matches_pandas_and_the_slow_one_is_warned(
        demo: dict[str, Any], tickets: pd.DataFrame) -> None:
    sep = tickets[(tickets["received_at"] >= "2026-09-01") & tickets["handler_id"].notna()]
    hours = (sep["finished_at"] - sep["dispatched_at"]).dt.total_seconds() // 3600
    timely = (sep["finished_at"].notna() & (hours < 24)).groupby(sep["handler_id"]).mean()
    handlers = _by_id(demo, "tickets_handler")
    for person, rate in timely.items():
        assert handlers[str(person)]["indicators"]["timely_rate"]["value"] == pytest.approx(rate)
    slow = demo["manifest"]["anomalies"]["slow_handler"]
    assert handlers[slow]["alert"] is True
    assert handlers[slow]["total"] == min(h["total"] for h in handlers.values())


def test_seat_filter_rate_and_the_seat_that_filters_nothing(demo: dict[str, Any],
                                                            tickets: pd.DataFrame) -> None:
    sep = tickets[tickets["received_at"] >= "2026-09-01"]
    rates = sep.groupby("seat_id")["filtered"].mean()
    seats = _by_id(demo, "tickets_seat")
    for seat, rate in rates.items():
        assert seats[str(seat)]["indicators"]["filter_rate"]["value"] == pytest.approx(rate)
    assert rates.idxmin() == demo["manifest"]["anomalies"]["seat_low_filter"]
