"""The county power-supply company: stations, halls, posts, 台区 and 抄表段.

江南县供电公司 (县公司) → 营销部 (部门), 12 township supply stations (供电所), 3 city service halls
(供电营业厅) and the dispatch seat group (坐席). Each station has the posts of article 9: 所长,
台区经理 (A/B pairs), 抄表员, 营销技术员, 配网技术员, 安全员, 综合事务员. Ids are numeric-looking
strings with leading zeros, as in the telecom demo.

台区 (transformer areas) belong to a station and a 台区经理; 抄表段 (reading segments) group 1–3
台区 and are kept by one 抄表员 since a date (the "no more than two years" rule of S7).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kaohe.demo.names import TOWNS, person_names

COMPANY = "3301"
STATION_POSTS = ("所长", "营销技术员", "配网技术员", "安全员", "综合事务员")
# Monthly post budgets (目标费用, yuan): the money a post earns at a full score.
BUDGET = {"所长": 5000, "台区经理": 3500, "抄表员": 3000, "营销技术员": 3200, "配网技术员": 3200,
          "安全员": 3000, "综合事务员": 2600, "营业员": 2800, "坐席": 2800, "营销部专责": 4000}
AREAS_PER_MANAGER = 20
METERS_PER_READER = 4000
HALLS = ("城关人民路供电营业厅", "城关滨江路供电营业厅", "开发区供电营业厅")


@dataclass
class PowerOrg:
    units: pd.DataFrame
    people: pd.DataFrame
    assignments: pd.DataFrame
    areas: pd.DataFrame  # area_id, station_id, manager_id, segment_id, meters, quality
    segments: pd.DataFrame  # segment_id, station_id, reader_id, held_since, reading_day
    traits: dict[str, dict[str, float]] = field(default_factory=dict)  # person id → trait → value
    anomalies: dict[str, str] = field(default_factory=dict)


def build_org(rng: np.random.Generator, scale: float) -> PowerOrg:
    n_areas = max(24, int(round(2000 * scale)))
    units: list[dict[str, str]] = [
        {"id": COMPANY, "name": "江南县供电公司", "kind": "县公司", "parent_id": "", "area": ""},
        {"id": f"{COMPANY}90", "name": "营销部", "kind": "部门", "parent_id": COMPANY, "area": ""},
        {"id": f"{COMPANY}80", "name": "供电服务指挥中心", "kind": "坐席", "parent_id": COMPANY,
         "area": "城区"},
    ]
    towns = list(rng.permutation(TOWNS))[:12]
    stations = []
    for s, town in enumerate(towns):
        sid = f"{COMPANY}{s + 1:02d}"
        area = "城郊" if s < 3 else "农村"
        units.append({"id": sid, "name": f"{town.rstrip('镇乡')}供电所", "kind": "供电所",
                      "parent_id": COMPANY, "area": area})
        stations.append(sid)
    for h, name in enumerate(HALLS):
        units.append({"id": f"{COMPANY}{21 + h:02d}", "name": name, "kind": "供电营业厅",
                      "parent_id": COMPANY, "area": "城区"})
    # Areas per station: larger stations near the town, uneven like a real county.
    weights = rng.gamma(4.0, 1.0, len(stations))
    per_station = np.maximum(2, np.floor(weights / weights.sum() * n_areas)).astype(int)

    people: list[dict[str, object]] = []
    assignments: list[dict[str, str]] = []
    traits: dict[str, dict[str, float]] = {}
    names = iter(person_names(rng, rng.random(800) < 0.4))

    def hire(unit: str, position: str, **extra: object) -> str:
        pid = f"{len(people) + 1:06d}"
        people.append({"id": pid, "name": next(names), "budget": BUDGET[position],
                       "ab_role": "", **extra})
        start = f"20{int(rng.integers(12, 25)):02d}-{int(rng.integers(1, 13)):02d}-01"
        assignments.append({"person_id": pid, "unit_id": unit, "position": position,
                            "start": start, "end": ""})
        traits[pid] = {"skill": float(rng.beta(8, 2)), "care": float(rng.beta(6, 2))}
        return pid

    hire(f"{COMPANY}90", "营销部专责")
    hire(f"{COMPANY}90", "营销部专责")
    for _ in range(8):
        hire(f"{COMPANY}80", "坐席")
    for h in range(len(HALLS)):
        for _ in range(int(rng.integers(3, 6))):
            hire(f"{COMPANY}{21 + h:02d}", "营业员")

    area_rows: list[dict[str, object]] = []
    seg_rows: list[dict[str, object]] = []
    for s, sid in enumerate(stations):
        for post in STATION_POSTS:
            hire(sid, post)
        n = int(per_station[s])
        n_mgr = max(2, int(round(n / AREAS_PER_MANAGER)))
        n_mgr += n_mgr % 2  # A/B pairs
        managers = [hire(sid, "台区经理", ab_role="A" if k % 2 == 0 else "B")
                    for k in range(n_mgr)]
        meters = np.maximum(20, rng.normal(150, 45, n)).astype(int)
        sizes = _segment_sizes(rng, n)
        # Every reader keeps at least one segment (a tiny test-scale station has fewer readers).
        n_readers = min(len(sizes), max(2, int(round(meters.sum() / METERS_PER_READER))))
        readers = [hire(sid, "抄表员") for _ in range(n_readers)]
        quality = float(rng.normal(0.0, 0.012))  # the station's line-loss level, shared by areas
        a = 0
        seg = 0
        for size in sizes:
            seg += 1
            seg_id = f"{sid}D{seg:03d}"
            reader = readers[(seg - 1) % len(readers)]
            months_held = int(rng.integers(1, 21))  # rotated within two years
            since = pd.Timestamp("2026-07-01") - pd.DateOffset(months=months_held)
            # 70% of segments are read in the last week of the month (月末抄表).
            day = int(rng.integers(24, 29)) if rng.random() < 0.7 else int(rng.integers(5, 24))
            seg_rows.append({"segment_id": seg_id, "station_id": sid, "reader_id": reader,
                             "held_since": since.strftime("%Y-%m-%d"), "reading_day": day})
            for _ in range(size):
                area_rows.append({
                    "area_id": f"{sid}{a + 1:04d}", "station_id": sid,
                    "manager_id": managers[(a * n_mgr) // n], "segment_id": seg_id,
                    "meters": int(meters[a]),
                    "quality": quality + float(rng.normal(0.0, 0.015)),
                })
                a += 1
    org = PowerOrg(
        units=pd.DataFrame(units), people=pd.DataFrame(people),
        assignments=pd.DataFrame(assignments), areas=pd.DataFrame(area_rows),
        segments=pd.DataFrame(seg_rows), traits=traits,
    )
    _plant(rng, org)
    return org


def _segment_sizes(rng: np.random.Generator, n: int) -> list[int]:
    """How many 台区 each 抄表段 of a station holds (1–3), adding up to ``n``."""
    sizes: list[int] = []
    while sum(sizes) < n:
        sizes.append(min(n - sum(sizes), int(rng.integers(1, 4))))
    return sizes


def _plant(rng: np.random.Generator, org: PowerOrg) -> None:
    """Anomalies the schemes must catch, recorded by id for the tests and the README."""
    seg = org.segments
    # A reader who has kept one segment for three years (S7: at most two).
    first = seg.index[0]
    seg.loc[first, "held_since"] = "2023-06-01"
    org.anomalies["segment_kept_3y"] = str(seg.loc[first, "segment_id"])
    org.anomalies["reader_kept_segment"] = str(seg.loc[first, "reader_id"])
    # A reader with many misreads: another station's reader, skill low.
    second_station = org.units.query("kind == '供电所'")["id"].iloc[1]
    reader = seg.query("station_id == @second_station")["reader_id"].iloc[0]
    org.traits[reader]["skill"] = 0.2
    org.anomalies["reader_misreads"] = str(reader)
    areas = org.areas
    # A 台区 with negative loss (a meter wired to the wrong 台区 in the archive).
    org.anomalies["area_negative"] = str(areas["area_id"].iloc[len(areas) // 3])
    # A station given a collection target 10% above what it bills (S6), and a hall with many
    # complaints.
    org.anomalies["station_short"] = str(org.units.query("kind == '供电所'")["id"].iloc[2])
    org.anomalies["hall_complaints"] = f"{COMPANY}21"
    # S11: a 配网技术员 who handles tickets slowly, and a seat who filters almost nothing.
    asg = org.assignments
    fifth = org.units.query("kind == '供电所'")["id"].iloc[4]
    org.anomalies["slow_handler"] = str(
        asg.query("unit_id == @fifth and position == '配网技术员'")["person_id"].iloc[0])
    org.anomalies["seat_low_filter"] = str(asg.query("position == '坐席'")["person_id"].iloc[3])
    # A 台区 with high loss (theft on the line).
    org.anomalies["area_high"] = str(areas["area_id"].iloc[(2 * len(areas)) // 3])
