"""The power pages (web/power): the station dashboard, the 台区 line-loss table and the yearly
payout sheet, over the power demo at test scale (``kaohe demo --kind power --scale 0.02``, its
runs adopted as ``kaohe serve --demo`` adopts them). Who sees which 台区 and which person is
worked out here from the generated files (area_energy.csv, org/assignments.csv), never from the
scope code: a 台区经理 sees only their own areas, a 所长 only their station's."""

from __future__ import annotations

import atexit
import io
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, ClassVar

import openpyxl
import pandas as pd
from django.test import Client, TestCase, override_settings
from django.urls import reverse
from django.utils import timezone
from rich.console import Console
from rich.progress import Progress

from kaohe.demo.power.runner import run_power_demo

_built: dict[str, Path] = {}


def power_workspace() -> Path:
    """The power demo at scale 0.02 without daily runs, built once per test process."""
    if "root" not in _built:
        base = Path(tempfile.mkdtemp(prefix="kaohe-power-web-"))
        atexit.register(shutil.rmtree, base, True)
        run_power_demo(base / "ws", scale=0.02, daily_days=0, console=Console(quiet=True),
                       progress=lambda: Progress(disable=True))
        _built["root"] = base / "ws"
    return _built["root"]


def area_ids(html: str) -> set[str]:
    return set(re.findall(r"/items/(\d{10})/", html))


class PowerPagesTests(TestCase):
    root: ClassVar[Path]
    energy: ClassVar[pd.DataFrame]
    people: ClassVar[dict[str, Any]]

    @classmethod
    def setUpClass(cls) -> None:
        cls.root = power_workspace()
        cls._settings = override_settings(WORKSPACE=cls.root)
        cls._settings.enable()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()
        cls._settings.disable()

    @classmethod
    def setUpTestData(cls) -> None:
        from django.contrib.auth import get_user_model

        from kaohe.web.accounts.demo_power import create_power_accounts
        from kaohe.web.core.management.commands.kaohe_setup import stored_periods
        from kaohe.web.core.workspace import workspace
        from kaohe.web.org.sync import sync_org
        from kaohe.web.runs.adopt import adopt_stored
        from kaohe.web.schemes.services import sync_schemes

        ws = workspace()
        sync_org(ws.org)
        schemes = {s.code: s for s in sync_schemes(ws)}
        create_power_accounts()
        for code, period in stored_periods():
            run = adopt_stored(schemes[code], period)
            assert run is not None, (code, period)
            run.published_at = timezone.now()
            run.save(update_fields=["published_at"])
        energy = pd.read_csv(cls.root / "data" / "area_energy" / "area_energy.csv",
                             dtype=str)
        cls.energy = energy[energy["month"] == "2026-09-01"]
        cls.people = {u.username: u.profile for u in get_user_model().objects.all()}

    def client_for(self, username: str) -> Client:
        from django.contrib.auth import get_user_model

        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        return client

    def loss_pages(self, username: str) -> tuple[set[str], int]:
        """Every 台区 id the user's line-loss table lists (all pages) and the count shown."""
        client = self.client_for(username)
        seen: set[str] = set()
        page, count = 1, -1
        while True:
            r = client.get(reverse("power:loss"), {"page": page})
            self.assertEqual(r.status_code, 200)
            html = r.content.decode()
            found = re.search(r"共 (\d+) 个台区", html)
            assert found is not None
            count = int(found.group(1))
            seen |= area_ids(html)
            if f"page={page + 1}" not in html:
                return seen, count
            page += 1

    def test_an_area_manager_sees_only_their_own_areas(self) -> None:
        manager = self.people["manager"].person_id
        mine = set(self.energy.loc[self.energy["manager_id"] == manager, "area_id"])
        self.assertTrue(mine)
        seen, count = self.loss_pages("manager")
        self.assertEqual(seen, mine)
        self.assertEqual(count, len(mine))

    def test_a_station_head_sees_only_their_station(self) -> None:
        station = self.people["head"].unit_id
        mine = set(self.energy.loc[self.energy["station_id"] == station, "area_id"])
        seen, count = self.loss_pages("head")
        self.assertEqual(seen, mine)
        self.assertEqual(count, len(mine))
        self.assertLess(len(mine), len(self.energy))

    def test_the_loss_table_colours_bands_and_draws_the_trend(self) -> None:
        html = self.client_for("admin").get(reverse("power:loss")).content.decode()
        self.assertIn('class="band-', html)
        self.assertIn("data-chart=", html)
        self.assertIn("vendor/echarts/echarts.min.js", html)
        self.assertNotIn("cdn", html.lower())
        for month in ("2026-07", "2026-08", "2026-09"):
            self.assertIn(f"<th class=\"num\">{month}</th>", html)
        # the high-loss band filter lists only 高损 areas, and the planted one is among them
        r = self.client_for("admin").get(reverse("power:loss"), {"grade": "高损"})
        rows = re.findall(r'<tr class="([^"]*)"><td>(\d{10})</td>', r.content.decode())
        self.assertTrue(rows)
        self.assertEqual({css for css, _area in rows}, {"band-high"})

    def test_dashboard_shows_the_post_and_only_the_station_in_scope(self) -> None:
        from kaohe.web.org.models import Unit

        html = self.client_for("head").get(reverse("power:dashboard")).content.decode()
        station = Unit.objects.get(pk=self.people["head"].unit_id)
        self.assertIn("所长", html)
        self.assertIn(station.name, html)
        self.assertIn("供电所规范化管理考核", html)
        # the power workspace's menu offers the station dashboard, not the telecom channel pages
        self.assertIn(f'href="{reverse("power:dashboard")}"', html)
        self.assertNotIn(f'href="{reverse("channels:warnings")}"', html)
        others = Unit.objects.filter(kind="供电所").exclude(pk=station.pk)
        for other in others:
            self.assertNotIn(other.name, html)
        for title in ("高损、负损台区", "窃电嫌疑清单"):  # no daily runs at this test's build
            self.assertIn(title, html)
        # a 抄表员 sees their post and their own results, not a colleague's
        from kaohe.web.org.models import Person

        reader = self.people["reader"].person
        page = self.client_for("reader").get(reverse("power:dashboard")).content.decode()
        self.assertIn(f"抄表员 · {reader.name}", page)
        self.assertIn(f"/entity/{reader.pk}/", page)
        for other in Person.objects.filter(unit=station, position="抄表员").exclude(
                pk=reader.pk):
            self.assertNotIn(f"/entity/{other.pk}/", page)

    def test_yearly_payout_sheet_lists_the_people_in_scope(self) -> None:
        from kaohe.web.runs.models import Run

        run = Run.objects.get(scheme__code="reading_year")
        readers = pd.read_csv(self.root / "org" / "assignments.csv", dtype=str)
        station = self.people["head"].unit_id
        expected = set(readers.loc[(readers["position"] == "抄表员")
                                   & (readers["unit_id"] == station), "person_id"])

        def ids(username: str) -> set[str]:
            r = self.client_for(username).get(reverse("power:payout_xlsx", args=[run.pk]))
            self.assertEqual(r.status_code, 200)
            sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
            self.assertIn("月度兑现合计", [c.value for c in sheet[3]])
            return {str(row[0].value) for row in sheet.iter_rows(min_row=4)}

        self.assertEqual(ids("head"), expected)
        self.assertEqual(ids("reader"), {self.people["reader"].person_id})
        self.assertEqual(
            self.client_for("manager").get(reverse("power:payout_xlsx", args=[run.pk]))
            .status_code, 404)  # a 台区经理 has no 抄核收 payout

    def test_pages_need_a_login(self) -> None:
        for url in (reverse("power:dashboard"), reverse("power:loss")):
            self.assertEqual(Client().get(url).status_code, 302)
