"""The data page shows what the store holds, CLI imports included: each source's rows and
covered people per month, and the store's imports. Company-wide counts are for admins."""

from __future__ import annotations

import duckdb
from click.testing import CliRunner
from django.conf import settings
from django.urls import reverse
from viewtests import WorldTestCase

from kaohe.cli.main import _register, cli
from kaohe.web.data.models import DataLoad


class CoverageTests(WorldTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        # `kaohe import` into the (private) workspace: 3 quiz scores of 2 people in 2026-10,
        # a month the demo has no data for. The web never sees this load happen.
        root = settings.WORKSPACE
        org = duckdb.connect(str(root / "store.duckdb"), read_only=True)
        cls.people = [r[0] for r in org.execute(
            "SELECT DISTINCT person_id FROM fact_quiz ORDER BY person_id LIMIT 2").fetchall()]
        org.close()
        path = root / "cli_quiz.csv"
        a, b = cls.people
        path.write_text(f"员工工号,答题日期,得分\n{a},2026-10-01,90\n{a},2026-10-02,80\n"
                        f"{b},2026-10-01,70\n", encoding="utf-8")
        _register()
        result = CliRunner().invoke(cli, ["-w", str(root), "import", "quiz", str(path)])
        assert result.exit_code == 0, result.output

    def test_a_cli_import_shows_on_the_data_page(self) -> None:
        self.assertFalse(DataLoad.objects.filter(source="quiz", rows=3).exists())
        page = self.get_as("admin", reverse("data:list")).content.decode()
        self.assertIn("各数据源的数据覆盖", page)
        self.assertIn("cli_quiz.csv", page)
        # 2026-10 of quiz: 3 rows, 2 people (the file above)
        self.assertIn("<th class=\"num\">2026-10</th>", page)
        self.assertIn("3 行 · 2 个对象", page)

    def test_a_demo_month_counts_as_the_store_does(self) -> None:
        con = duckdb.connect(str(settings.WORKSPACE / "store.duckdb"), read_only=True)
        rows, people = con.execute(
            "SELECT count(*), count(DISTINCT person_id) FROM fact_quiz "
            "WHERE day >= DATE '2026-09-01' AND day < DATE '2026-10-01'").fetchone()
        con.close()
        page = self.get_as("admin", reverse("data:list")).content.decode()
        self.assertIn(f"{rows} 行 · {people} 个对象", page)

    def test_assessors_do_not_see_company_wide_counts(self) -> None:
        page = self.get_as("assessor", reverse("data:list")).content.decode()
        self.assertNotIn("各数据源的数据覆盖", page)
        self.assertNotIn("cli_quiz.csv", page)
