"""Hostile uploads through the web: a rejected file of 200,000 bad rows stores only its first
errors and a summary in the audit log; an xlsx bomb is refused fast; files are read before the
store lock is taken."""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from bombs import write_workbook
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from viewtests import WorldTestCase

from kaohe.web.audit.models import ChangeLog
from kaohe.web.core.workspace import store_lock
from kaohe.web.data import services
from kaohe.web.data.models import DataLoad

pytestmark = pytest.mark.usefixtures("private_web_workspace")
ROWS = 200_000


class HugeErrorFileTests(WorldTestCase):
    def test_only_the_first_errors_are_kept_and_the_audit_log_has_a_summary(self) -> None:
        clerk = self.world.clerk.pk
        text = "员工工号,答题日期,得分\n" + f"{clerk},2026-13-01,90\n" * ROWS
        f = SimpleUploadedFile("quiz.csv", text.encode(), "text/csv")
        started = time.monotonic()
        self.post_as("admin", reverse("data:upload"), {"source": "quiz", "file": f})
        self.assertLess(time.monotonic() - started, 20)
        load = DataLoad.objects.get()
        self.assertEqual(load.status, DataLoad.Status.REJECTED)
        self.assertEqual(load.error_count, ROWS)  # every row: a day that does not exist
        self.assertEqual(len(load.errors), 1_000)
        self.assertEqual([e["row"] for e in load.errors], list(range(2, 1_002)))
        self.assertIn(str(ROWS), load.message)

        entry = ChangeLog.objects.get(object_type="data.dataload", object_id=str(load.pk))
        self.assertNotIn("errors", entry.after)
        self.assertEqual((entry.after["error_count"], entry.after["source"],
                          entry.after["file_name"], entry.after["rows"]),
                         (ROWS, "quiz", "quiz.csv", 0))
        self.assertLess(len(str(entry.after)), 2_000)

        page = self.get_as("admin", reverse("data:load", args=[load.pk])).content.decode()
        self.assertIn(f"及另外 {ROWS - 1_000} 处错误", page)
        response = self.get_as("admin", reverse("data:load_errors", args=[load.pk]))
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        self.assertEqual(len(rows), 1 + 1_000 + 1)  # header, the kept errors, the count
        self.assertIn(f"及另外 {ROWS - 1_000} 处错误", rows[-1][3])


class BombUploadTests(WorldTestCase):
    def test_an_xlsx_bomb_is_refused_fast(self) -> None:
        path = Path(self._tmp()) / "bomb.xlsx"  # > 200 MB of sheet XML in about 3 MB
        write_workbook(path, ["员工工号", "答题日期", "得分"], ["0010115", "2026-10-01", "1"],
                       1_500_000)
        f = SimpleUploadedFile("bomb.xlsx", path.read_bytes())
        started = time.monotonic()
        self.post_as("admin", reverse("data:upload"), {"source": "quiz", "file": f})
        self.assertLess(time.monotonic() - started, 5)
        load = DataLoad.objects.get()
        self.assertEqual(load.status, DataLoad.Status.REJECTED)
        self.assertIn("limits.xlsx_uncompressed_mb", load.message)
        self.assertIn("bomb.xlsx", load.message)
        self.assertNotIn(str(path), load.message)  # the server's temporary path is not shown

    def test_the_file_is_read_before_the_store_lock_is_taken(self) -> None:
        held: list[bool] = []
        real = services.read_table

        def spy(*args: Any, **kwargs: Any) -> Any:
            got: list[bool] = []

            def probe() -> None:  # another thread gets the lock only if this one has it not
                ok = store_lock.acquire(blocking=False)
                if ok:
                    store_lock.release()
                got.append(ok)

            t = threading.Thread(target=probe)
            t.start()
            t.join()
            held.append(not got[0])
            return real(*args, **kwargs)

        clerk = self.world.clerk.pk
        f = SimpleUploadedFile("quiz.csv", f"员工工号,答题日期,得分\n{clerk},2026-11-02,90\n"
                               .encode(), "text/csv")
        with mock.patch.object(services, "read_table", spy):
            self.post_as("admin", reverse("data:upload"), {"source": "quiz", "file": f})
        self.assertEqual(held, [False])
        self.assertEqual(DataLoad.objects.get().status, DataLoad.Status.STORED)

    def _tmp(self) -> str:
        d = tempfile.mkdtemp(prefix="kaohe-bomb-")
        self.addCleanup(shutil.rmtree, d, True)
        return d
