"""The main jobs of each role, end to end in a real browser."""

from __future__ import annotations

from decimal import Decimal

from browser import PHONE, BrowserTestCase, text_of
from viewtests import RetireRevisions
from django.test import override_settings

from kaohe.web.data.checklist import ITEMS
from kaohe.web.runs.models import Result, Run


class UploadTests(BrowserTestCase):
    schemes = ()

    def test_bad_file_lists_its_row_errors_and_stores_nothing(self) -> None:
        from kaohe.web.core.workspace import workspace

        clerk = self.world.clerk
        # quiz: 员工工号, 答题日期, 得分. File rows 3 and 4 (the header is row 1) are bad.
        csv = ("员工工号,答题日期,得分\n"
               f"{clerk.pk},2026-10-01,90\n"
               f"{clerk.pk},2026-13-01,80\n"
               f"{clerk.pk},2026-10-03,abc\n").encode()
        ws = workspace()
        with ws.store.connect(read_only=True) as con:
            before = con.execute("SELECT count(*) FROM fact_quiz").fetchone()[0]
        with self.page_for("assessor") as page:
            page.goto(self.url("/data/upload/"))
            page.select_option("select[name=source]", "quiz")
            page.set_input_files("input[name=file]", files=[
                {"name": "quiz-bad.csv", "mimeType": "text/csv", "buffer": csv}])
            page.click("form.stack button[type=submit]")
            page.wait_for_load_state()
            body = text_of(page)
            self.shot(page, "data-upload-errors")
        self.assertIn("已拒绝", body)
        self.assertIn("2026-13-01", body)
        self.assertIn("abc", body)
        rows = [line for line in body.splitlines() if "2026-13-01" in line or "abc" in line]
        self.assertTrue(any("3" in line.split("2026-13-01")[0] for line in rows), rows)
        with ws.store.connect(read_only=True) as con:
            after = con.execute("SELECT count(*) FROM fact_quiz").fetchone()[0]
        self.assertEqual(before, after)


@override_settings(KAOHE_RUNS_INLINE=False)
class RunProgressTests(BrowserTestCase):
    schemes = ()

    def tearDown(self) -> None:
        from kaohe.web.runs import jobs

        jobs.stop()  # the run worker ends before the database is flushed under it
        super().tearDown()

    def test_start_a_run_and_watch_it_finish(self) -> None:
        # a company-wide scheme: an admin runs it (roles.WHOLE_SCHEME)
        with self.page_for("admin") as page:
            page.goto(self.url("/runs/new/"))
            page.select_option("select[name=scheme]", label="营业员星级考核")
            page.fill("input[name=period]", "2026-09")
            page.click("main form button[type=submit]")
            page.wait_for_url("**/runs/*/")
            self.assertTrue(page.locator(".progress").count() >= 1)
            # (wait_for_function would evaluate a string, which the CSP rightly forbids)
            page.get_by_text("已完成").first.wait_for(timeout=120_000)
            self.shot(page, "run-detail")
            body = text_of(page)
        run = Run.objects.latest("created")
        self.assertEqual(run.status, Run.Status.DONE)
        self.assertEqual(run.progress, 100)
        self.assertIn(run.scheme.name, body)


class AppealTests(RetireRevisions, BrowserTestCase):
    schemes = ("clerk_star",)

    def test_staff_appeals_assessor_accepts_staff_sees_new_rank(self) -> None:
        w = self.world
        run = w.runs["clerk_star"]
        mine = Result.objects.get(run=run, entity_id=w.clerk.pk)
        points = Decimal("30.00")
        # By hand: the new total and the rank it gives among the group's other totals.
        new_total = min(mine.total + points, Decimal("1e9"))
        others = Result.objects.filter(run=run, group_key=mine.group_key).exclude(pk=mine.pk)
        want_rank = 1 + sum(1 for o in others if o.total > new_total)
        scorecard = f"/runs/{run.pk}/entity/{w.clerk.pk}/"
        with self.page_for("staff") as page:
            page.goto(self.url(scorecard))
            page.click("a[href*='/appeals/new/']")
            page.fill("textarea[name=reason]", "9月22日系统故障，业务量未计入，附工单截图。")
            page.click("main form button[type=submit]")
            page.wait_for_load_state()
            self.assertIn("待处理", text_of(page))
            self.shot(page, "appeal-filed")
        appeal_url = page.url.replace(self.live_server_url, "")
        with self.page_for("assessor") as page:
            page.goto(self.url(appeal_url))
            page.check("input[name=outcome][value=accept]")
            page.fill("input[name=points]", str(points))
            page.fill("textarea[name=reason]", "核实系统故障，补计业务量。")
            page.click("form.decision button[type=submit], main form button[type=submit]")
            page.wait_for_load_state()
            self.assertIn("已采纳", text_of(page))
        mine.refresh_from_db()
        self.assertEqual(mine.total, new_total)
        self.assertEqual(mine.rank, want_rank)
        with self.page_for("staff") as page:
            page.goto(self.url(scorecard))
            body = text_of(page)
            self.shot(page, "scorecard-after-appeal")
        self.assertIn(f"{new_total:.2f}", body)
        self.assertIn(f"{want_rank}/", body.replace(" ", ""))
        self.assertIn("（含 1 项申诉调整）", body)  # the revision the engine computed (spec §19)


class InspectionTests(BrowserTestCase):
    schemes = ()

    def test_inspector_fills_the_checklist_on_a_phone(self) -> None:
        w = self.world
        ticked = ITEMS[:2]
        want = sum((i.deduction for i in ticked), Decimal(0))
        with self.page_for("inspector", viewport=PHONE) as page:
            page.goto(self.url("/data/inspections/new/"))
            width = page.evaluate("document.scrollingElement.scrollWidth")
            self.assertLessEqual(width, PHONE["width"])
            page.select_option("select[name=unit]", w.hall.pk)
            for item in ticked:
                page.check(f"input[name=items][value={item.code}]")
            self.assertEqual(Decimal(page.inner_text("#total")), want)
            self.shot(page, "inspection-phone")
            page.click("#checklist button[type=submit]")
            page.wait_for_load_state()
            body = text_of(page)
        from kaohe.web.data.models import Inspection

        visit = Inspection.objects.get(unit=w.hall)
        self.assertEqual(visit.total_deduction, want)
        self.assertIn(w.hall.name, body)
