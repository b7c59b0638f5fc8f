"""S5 集团客户: group customers of the county group-customer managers, their visits and targets.

Adds to the demo (DOMAIN S5, seed article 8): ``group_customers`` (monthly snapshot: class A/B,
members, VPMN members, contact person), ``group_visits`` and ``group_targets`` (targets issued
per manager and month), and the schemes ``group_customer`` (each group as an item) and
``group_manager`` (the managers against their targets, rolled up from their groups).

Planted (ids in the manifest's anomalies): ``weak_group``, an A-class group without a contact
person whose VPMN penetration fell to about 70%, which must be a 预警 group every month.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kaohe.demo.calendar import Calendar
from kaohe.demo.names import person_names
from kaohe.demo.org import ACCOUNT_MANAGER, Org
from kaohe.demo.packs import Pack, copy_templates, csv_with_aliases

SOURCES = ("group_customers", "group_visits", "group_targets")
SCHEMES = ("group_customer", "group_manager")  # run order: the managers read the groups
ORGANISATIONS = ("人民医院", "第一中学", "实验小学", "机械制造有限公司", "物流有限公司", "县政府办公室",
                 "供电公司", "水务集团", "商贸城管理处", "电子科技有限公司", "农村信用社", "建筑工程公司",
                 "汽车运输公司", "酒店管理有限公司", "食品有限公司", "税务局")
INDUSTRIES = ("医疗卫生", "教育", "教育", "制造业", "交通物流", "党政军", "能源", "公用事业", "商贸",
              "信息技术", "金融", "建筑", "交通物流", "住宿餐饮", "制造业", "党政军")
VISIT_KINDS = ("上门走访", "联系人座谈会", "免费印制通讯录", "业务宣讲")


def build(root: Path, org: Org, cal: Calendar, rng: np.random.Generator) -> Pack:
    managers = _managers(org)
    groups = _groups(rng, org, managers)
    weak = groups.index[(groups["group_class"] == "A类")][0]
    groups.loc[weak, ["vpmn_share", "contact"]] = [0.70, ""]
    snapshots = _snapshots(rng, groups, cal)
    visits = _visits(rng, groups, cal)
    targets = _targets(groups, snapshots, cal)
    pack = Pack(anomalies={"weak_group": str(groups.at[weak, "group_id"])})
    data = root / "data" / "groups"
    span = f"{cal.months[0]}_{cal.months[-1]}"
    for name, frame in (("group_customers", snapshots), ("group_visits", visits),
                        ("group_targets", targets)):
        pack.sources[name] = [csv_with_aliases(frame, name, data / f"{name}_{span}.csv")]
    copy_templates(root, SOURCES, SCHEMES)
    pack.schemes = list(SCHEMES)
    pack.periods = {s: list(cal.months) for s in SCHEMES}
    return pack


def _managers(org: Org) -> list[str]:
    """The group-customer managers: 客户经理 of a county company on the last day."""
    kind = org.units["kind"].to_numpy()
    last = org.unit_of[:, -1]
    at_county = (last >= 0) & (kind[np.maximum(last, 0)] == "县公司")
    chosen = np.flatnonzero((org.pos_of[:, -1] == ACCOUNT_MANAGER) & at_county)
    return [str(org.people["id"].iat[i]) for i in chosen]


def _groups(rng: np.random.Generator, org: Org, managers: list[str]) -> pd.DataFrame:
    rows = []
    for m, manager in enumerate(managers):
        care = rng.uniform(0.8, 1.0)  # how well this manager looks after the groups
        for _ in range(int(rng.poisson(22)) + 5):
            a = rng.random() < 0.25
            members = rng.lognormal(np.log(420 if a else 60), 0.6)
            k = int(rng.integers(len(ORGANISATIONS)))
            rows.append({
                "manager_id": manager, "group_class": "A类" if a else "B类",
                "organisation": ORGANISATIONS[k], "industry": INDUSTRIES[k],
                "members0": max(8, int(members)),
                "vpmn_share": min(1.0, rng.beta(30 * care, 0.9)),
                "contact": "" if rng.random() > 0.9 + 0.1 * care else "?",
                "care": care, "m": m,
            })
    frame = pd.DataFrame(rows)
    frame["group_id"] = [f"JT{i + 1:06d}" for i in range(len(frame))]
    places = ("江南", "临江", "青州", "云川", "安平", "石门", "清溪", "龙泉", "桃源", "永宁")
    frame["group_name"] = [f"{places[int(rng.integers(len(places)))]}{o}"
                           for o in frame["organisation"]]
    names = person_names(rng, rng.random(len(frame)) < 0.4)
    frame["contact"] = [n if c else "" for n, c in zip(names, frame["contact"], strict=True)]
    return frame


def _snapshots(rng: np.random.Generator, groups: pd.DataFrame, cal: Calendar) -> pd.DataFrame:
    rows = []
    members = groups["members0"].to_numpy(dtype=float)
    share = groups["vpmn_share"].to_numpy(dtype=float)
    for month in cal.months:
        members = np.maximum(5, members * rng.lognormal(0.01, 0.03, len(members)))
        drift = np.clip(share + rng.normal(0, 0.01, len(share)), 0, 1)
        for g, row in enumerate(groups.itertuples(index=False)):
            n = int(round(members[g]))
            rows.append((row.group_id, row.group_name, row.manager_id, f"{month}-01",
                         row.group_class, row.industry, n, int(np.floor(n * drift[g])),
                         row.contact))
    return pd.DataFrame(rows, columns=["group_id", "group_name", "manager_id", "month",
                                       "group_class", "industry", "members", "vpmn_members",
                                       "contact"])


def _visits(rng: np.random.Generator, groups: pd.DataFrame, cal: Calendar) -> pd.DataFrame:
    rows = []
    for m in range(len(cal.months)):
        lo, hi = int(cal.month_bounds[m]), int(cal.month_bounds[m + 1])
        for row in groups.itertuples(index=False):
            due = 2 if row.group_class == "A类" else 1
            # mostly on schedule; a less careful manager misses one now and then
            n = due - int(rng.random() > row.care) + int(rng.random() < 0.15)
            for _ in range(n):
                day = cal.days[int(rng.integers(lo, hi))].astype("datetime64[s]")
                at = day + np.timedelta64(int(rng.integers(9 * 3600, 17 * 3600)), "s")
                rows.append((row.group_id, row.manager_id, at,
                             VISIT_KINDS[int(rng.integers(len(VISIT_KINDS)))]))
    frame = pd.DataFrame(rows, columns=["group_id", "manager_id", "at", "kind"])
    frame = frame.sort_values(["at", "group_id"], kind="stable", ignore_index=True)
    frame.insert(0, "visit_id", [f"ZF{i + 1:06d}" for i in range(len(frame))])
    return frame


def _targets(groups: pd.DataFrame, snapshots: pd.DataFrame, cal: Calendar) -> pd.DataFrame:
    """Issued at the start of the window: 2% more members each month than the first month's,
    rounded to tens; VPMN 95%; visits due by class."""
    first = snapshots[snapshots["month"] == f"{cal.months[0]}-01"]
    base = first.groupby("manager_id")["members"].sum()
    due = groups.assign(due=np.where(groups["group_class"] == "A类", 2, 1)) \
        .groupby("manager_id")["due"].sum()
    rows = []
    for m, month in enumerate(cal.months):
        for manager in base.index:
            target = int(round(base[manager] * (1 + 0.02 * (m + 1)) / 10.0)) * 10
            rows.append((manager, f"{month}-01", target, 0.95, int(due[manager])))
    return pd.DataFrame(rows, columns=["manager_id", "month", "target_members", "target_vpmn",
                                       "target_visits"])
