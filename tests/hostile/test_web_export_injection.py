"""Formula injection through the web's files: the notice workbook, the ranking workbook and a
rejected load's errors.csv, with results and cells named like formulas."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from corpus import FORMULAS, is_neutral_csv
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from viewtests import WorldTestCase

from kaohe.web.data.models import DataLoad
from kaohe.web.runs.models import Result, Run

pytestmark = pytest.mark.usefixtures("private_web_workspace")


def cells(data: bytes) -> list[openpyxl.cell.cell.Cell]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]


class WorkbookTests(WorldTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.star = cls.world.runs["clerk_star"]
        Run.objects.filter(pk=cls.star.pk).update(published_at="2026-10-08T09:00:00+08:00",
                                                published_by=cls.world.users["admin"])
        results = list(Result.objects.filter(run=cls.star).order_by("entity_id"))
        assert len(results) >= len(FORMULAS)
        for r, name in zip(results, FORMULAS, strict=False):
            r.name = name
            r.unit_name = "=1+1"
            r.group_name = '=HYPERLINK("http://x","y")'
            r.grade = r.grade = "@SUM(1,1)"
            r.save()

    def assert_text_only(self, data: bytes) -> None:
        texts = set()
        for c in cells(data):
            self.assertNotEqual(c.data_type, "f", (c.coordinate, c.value))
            if isinstance(c.value, str):  # xlsx stores a CR as _x000D_; openpyxl keeps it so
                texts.add(c.value.replace("_x000D_", "\r"))
        for name in [*FORMULAS, "=1+1", '=HYPERLINK("http://x","y")', "@SUM(1,1)"]:
            self.assertTrue(name in texts, name)

    def test_notice_workbook_writes_names_as_text(self) -> None:
        response = self.get_as("admin", reverse("runs:notice_xlsx", args=[self.star.pk]))
        self.assertEqual(response.status_code, 200)
        self.assert_text_only(response.content)

    def test_ranking_workbook_writes_names_as_text(self) -> None:
        response = self.get_as("admin", reverse("runs:ranking_xlsx", args=[self.star.pk]))
        self.assertEqual(response.status_code, 200)
        self.assert_text_only(response.content)


class ErrorsCsvTests(WorldTestCase):
    def test_errors_csv_neutralises_hostile_cell_values(self) -> None:
        clerk = self.world.clerk.pk
        hostile = ['=HYPERLINK("http://x","y")', "+1+1", "-1+1", "@SUM(1,1)", "=1+1"]
        lines = ["员工工号,答题日期,得分"]
        lines += [f'{clerk},2026-11-0{i + 1},"{v.replace(chr(34), chr(34) * 2)}"'
                  for i, v in enumerate(hostile)]
        f = SimpleUploadedFile("quiz.csv", ("\n".join(lines) + "\n").encode(), "text/csv")
        self.post_as("admin", reverse("data:upload"), {"source": "quiz", "file": f})
        load = DataLoad.objects.get()
        self.assertEqual(load.status, DataLoad.Status.REJECTED)
        self.assertEqual(sorted(e["value"] for e in load.errors), sorted(hostile))
        response = self.get_as("admin", reverse("data:load_errors", args=[load.pk]))
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        values = [r[2] for r in rows[1:]]
        self.assertEqual(sorted(values), sorted("'" + v for v in hostile))
        for r in rows:
            for c in r:
                self.assertTrue(is_neutral_csv(c), c)
