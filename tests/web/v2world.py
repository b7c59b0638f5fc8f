"""A version-2 copy of the web tests' demo workspace: the same org and schemes, plus

- ``clerk_alert`` (clerks, monthly): 办理笔数 = the clerk's transactions of the month, 100 points
  at ``T`` (the most any clerk handled in 2026-09, so everyone else is below), grades
  [[60, 合格], [0, 待改进]], alerts [待改进], two payout lines 基本奖 (100 × {合格 1, 待改进 0.5})
  and 笔数酬金 (2 × 办理笔数);
- ``zero_use`` (items, spec §8): ``ITEMS`` customers of ``usage``, customer ``C%05d`` (i) with
  one row in 2026-09, amount = i mod 150, manager = the i-th clerk in turn and hall = that clerk's
  hall, except every tenth customer, who has no hall (its person's hall scopes it). Points =
  amount capped at 100, so grade 正常 from 60, 黄色 from 30, else 红色; alerts [红色, 黄色].

Built once per test session (``v2_workspace``) beside the shared demo workspace; a test class
serves it with ``V2WorldTestCase``.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from django.conf import settings
from django.test import override_settings
from viewtests import WorldTestCase
from world import World, build_world

from kaohe.web.org.models import Unit
from kaohe.workspace import Workspace
from kaohe.workspace.importer import import_file

PERIOD = "2026-09"
LAST_DAY = date(2026, 9, 30)
ITEMS = 20_000

USAGE_SOURCE = """name: usage
title: 客户消费
time: day
person: manager
unit: hall
columns:
  customer: {type: string, aliases: [客户编号]}
  manager:  {type: string, aliases: [客户经理]}
  hall:     {type: string, aliases: [营业厅]}
  day:      {type: date, aliases: [日期]}
  amount:   {type: decimal, aliases: [消费金额]}
"""

ZERO_USE = """name: 零消费客户预警
entity: {source: usage, key: customer}
period: month
indicators:
  - {code: spend, name: 当月消费, source: usage, value: sum(amount), weight: 100,
     score: {rule: linear, floor: 0, target: 100}}
grades: [[60, 正常], [30, 黄色], [0, 红色]]
alerts: [红色, 黄色]
"""

CLERK_ALERT = """name: 营业员预警
entity: person
period: month
population: {{position: 营业员}}
indicators:
  - {{code: tx, name: 办理笔数, source: transactions, value: count(*), weight: 100,
     score: {{rule: linear, floor: 0, target: {target}}}}}
grades: [[60, 合格], [0, 待改进]]
alerts: [待改进]
payout:
  - {{name: 基本奖, base: 100, coefficient: {{合格: 1, 待改进: 0.5}}}}
  - {{name: 笔数酬金, amount: 2 * tx}}
"""

_built: dict[str, Any] = {}


def tx_counts(ws: Workspace) -> dict[str, int]:
    """Transactions per person in 2026-09, counted straight from the store."""
    with ws.store.connect(read_only=True) as con:
        rows = con.execute(
            f'SELECT person_id, count(*) FROM "{ws.source("transactions").table}" WHERE '
            "\"at\" >= DATE '2026-09-01' AND \"at\" < DATE '2026-10-01' "
            "GROUP BY person_id").fetchall()
    return {str(p): int(n) for p, n in rows}


def clerks_on_last_day(ws: Workspace) -> list[tuple[str, str]]:
    on = ws.org.positions_on(LAST_DAY)
    on = on[on["position"] == "营业员"].sort_values("person_id")
    return [(str(p), str(u)) for p, u in zip(on["person_id"], on["unit_id"], strict=True)]


def customer(i: int) -> dict[str, Any]:
    """Customer i as generated (see the module docstring)."""
    clerks = _built["clerks"]
    person, hall = clerks[i % len(clerks)]
    amount = i % 150
    grade = "正常" if amount >= 60 else "黄色" if amount >= 30 else "红色"
    return {"id": f"C{i:05d}", "person": person, "unit": None if i % 10 == 0 else hall,
            "hall": hall, "amount": amount, "grade": grade}


def v2_workspace() -> Path:
    """The v2 workspace (built on first use from ``settings.WORKSPACE``)."""
    if "root" in _built:
        return _built["root"]
    base = Path(settings.WORKSPACE)
    root = base.parent / "demo_v2"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(base, root, ignore=shutil.ignore_patterns("*.lock", "uploads"))
    ws = Workspace.open(root)
    _built["clerks"] = clerks_on_last_day(ws)
    counts = tx_counts(ws)
    _built["tx"] = counts
    _built["target"] = target = max(counts.values())
    (root / "sources" / "usage.yaml").write_text(USAGE_SOURCE, encoding="utf-8")
    (root / "schemes" / "zero_use.yaml").write_text(ZERO_USE, encoding="utf-8")
    (root / "schemes" / "clerk_alert.yaml").write_text(CLERK_ALERT.format(target=target),
                                                       encoding="utf-8")
    path = root / "usage.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["customer", "manager", "hall", "day", "amount"])
        for i in range(ITEMS):
            c = customer(i)
            out.writerow([c["id"], c["person"], c["unit"] or "", "2026-09-15", c["amount"]])
    ws = Workspace.open(root)
    import_file(ws.store, ws.org, ws.source("usage"), path)
    _built["root"] = root
    return root


def built(key: str) -> Any:
    return _built[key]


class V2WorldTestCase(WorldTestCase):
    """``WorldTestCase`` over the v2 workspace, with runs of clerk_star, hall_service,
    clerk_alert and zero_use for 2026-09, all published."""

    schemes: ClassVar[tuple[str, ...]] = ("clerk_star", "hall_service", "clerk_alert",
                                          "zero_use")
    world: ClassVar[World]

    @classmethod
    def setUpClass(cls) -> None:
        cls._v2 = override_settings(WORKSPACE=v2_workspace())
        cls._v2.enable()
        try:
            super().setUpClass()
        except Exception:
            cls._v2.disable()
            raise

    @classmethod
    def tearDownClass(cls) -> None:
        try:
            super().tearDownClass()
        finally:
            cls._v2.disable()

    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world(schemes=cls.schemes, period=PERIOD)


# --- expectations by hand (shared by the v2 tests) ---------------------------------------

def clerk_expected(person: str) -> dict[str, object]:
    """clerk_alert for one clerk, by hand: points 100 × min(tx / T, 1), 合格 from 60."""
    tx = built("tx").get(person, 0)
    points = round(100 * min(tx / built("target"), 1), 2)
    grade = "合格" if points >= 60 else "待改进"
    lines = {"基本奖": 100.0 if grade == "合格" else 50.0, "笔数酬金": 2.0 * tx}
    return {"tx": tx, "points": points, "grade": grade, "lines": lines}


def visible(world: Any, name: str) -> list[dict[str, Any]] | None:
    """The customers ``name`` may see (None: the role sees no items, 403). A customer's unit
    is its hall, or, without one, its manager's hall on the period's last day — the generator
    gives both the same hall."""
    role = name.removesuffix("_out")
    out = name.endswith("_out")
    if role == "inspector":
        return None
    everyone = [customer(i) for i in range(ITEMS)]
    if role == "admin":
        return everyone
    if role == "assessor":
        branch = world.other_branch if out else world.branch
        halls = set(Unit.objects.filter(path__startswith=branch.path).values_list("pk", flat=True))
        return [c for c in everyone if c["hall"] in halls]
    if role == "staff":
        me = (world.other_clerk if out else world.clerk).pk
        return [c for c in everyone if c["person"] == me]
    unit = world.users[name].profile.unit_id  # heads and partners: their outlet
    return [c for c in everyone if c["hall"] == unit]


def ordered(cs: list[dict[str, Any]]) -> list[str]:
    """The result's order: rank (total = amount capped at 100, highest first), then id."""
    return [c["id"] for c in sorted(cs, key=lambda c: (-min(c["amount"], 100), c["id"]))]


def clerk_alerts(world: Any, name: str) -> list[tuple[str, str]]:
    """(id, cost text) of the alerted clerks ``name`` sees, in the page's order: rank (points
    highest first), then id. Admins all clerks, assessors their branch, heads their hall,
    staff themselves (clerks' units on the period's last day, as the generator recorded)."""
    role = name.removesuffix("_out")
    out = name.endswith("_out")
    clerks = built("clerks")
    if role == "assessor":
        branch = world.other_branch if out else world.branch
        halls = set(Unit.objects.filter(path__startswith=branch.path).values_list("pk", flat=True))
        clerks = [(p, u) for p, u in clerks if u in halls]
    elif role == "head":
        hall = (world.other_hall if out else world.hall).pk
        clerks = [(p, u) for p, u in clerks if u == hall]
    elif role == "staff":
        me = (world.other_clerk if out else world.clerk).pk
        clerks = [(p, u) for p, u in clerks if p == me]
    rows = []
    for p, _u in clerks:
        e = clerk_expected(p)
        if e["grade"] == "待改进":
            got = float(e["points"])  # type: ignore[arg-type]
            rows.append((-got, p, f"办理笔数 −{100 - got:.2f}（{got:.2f}/100）"))
    return [(p, text) for _g, p, text in sorted(rows)]


def item_alerts(world: Any, name: str) -> list[tuple[str, str, str]]:
    """(id, grade, cost) of the alerted customers ``name`` sees: 红色 (the first level) first,
    then rank (amount highest first), then id."""
    rows = [c for c in visible(world, name) or [] if c["grade"] != "正常"]
    rows.sort(key=lambda c: (c["grade"] != "红色", -c["amount"], c["id"]))
    return [(c["id"], c["grade"], f"当月消费 −{100 - c['amount']:.2f}（{c['amount']:.2f}/100）")
            for c in rows]
