"""What the result pages show: the rows of each user's scope, sorting and filtering, the .xlsx
export, fact rows against DuckDB, trends over periods, statement totals to the fen.

Expected values are computed here from the org (paths, halls, people), the unrestricted
``Result`` rows and the store, never read back from the pages' own code.
"""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from typing import Any

import duckdb
import openpyxl
from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from viewtests import RetireRevisions, WorldTestCase

from kaohe.web.org.models import Unit
from kaohe.web.runs.explain import fact_rows
from kaohe.web.runs.models import Result, Run, Score
from kaohe.web.appeals.models import Appeal
from kaohe.web.appeals.services import decide_appeal
from kaohe.web.runs.services import create_run, execute_run
from kaohe.web.schemes.models import Scheme

SEPT = (datetime(2026, 9, 1), datetime(2026, 10, 1))


def expected_ids(world: Any, user: str, run: Run) -> set[str]:
    """Who ``user`` may see in ``run``, from the world's org (not from the scope code)."""
    rows = Result.objects.filter(run=run)
    other_partner = Unit.objects.filter(path__startswith=world.other_branch.path,
                                        kind="合作厅").order_by("path").first()
    person = run.entity == "person"
    q = {
        "admin": Q(),
        "assessor": Q(unit__path__startswith=world.branch.path),
        "assessor_out": Q(unit__path__startswith=world.other_branch.path),
        "head": Q(unit=world.hall),
        "head_out": Q(unit=world.other_hall),
        "staff": Q(entity_id=world.clerk.pk) if person else Q(pk__in=[]),
        "staff_out": Q(entity_id=world.other_clerk.pk) if person else Q(pk__in=[]),
        "inspector": Q(pk__in=[]) if person else Q(unit=world.hall),
        "inspector_out": Q(pk__in=[]) if person else Q(unit=world.other_hall),
        "partner": Q(pk__in=[]) if person else Q(unit=world.partner_hall),
        "partner_out": Q(pk__in=[]) if person else Q(unit=other_partner),
    }[user]
    return set(rows.filter(q).values_list("entity_id", flat=True))


def xlsx_rows(content: bytes) -> tuple[list[str], list[tuple[Any, ...]], Any]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    return [str(h) for h in values[0]], values[1:], sheet


class RankingScopeTests(WorldTestCase):
    def all_rows(self, user: str, run: Run, **params: str) -> list[Result]:
        client = self.client_for(user)
        url = reverse("runs:ranking", args=[run.pk])
        rows: list[Result] = []
        page = 1
        while True:
            response = client.get(url, {**params, "page": page})
            self.assertEqual(response.status_code, 200)
            rows += response.context["rows"]
            if not response.context["page"].has_next():
                return rows
            page += 1

    def test_every_role_sees_exactly_its_scope(self) -> None:
        for code in ("clerk_star", "hall_service"):
            run = self.world.runs[code]
            for user in ("admin", "assessor", "assessor_out", "head", "head_out", "staff",
                         "staff_out", "inspector", "inspector_out", "partner", "partner_out"):
                want = expected_ids(self.world, user, run)
                with self.subTest(scheme=code, user=user):
                    if not want:
                        status = self.get_as(user, reverse("runs:ranking",
                                                           args=[run.pk])).status_code
                        self.assertIn(status, (403, 404))
                        continue
                    got = [r.entity_id for r in self.all_rows(user, run)]
                    self.assertEqual(len(got), len(set(got)))  # no row on two pages
                    self.assertEqual(set(got), want)

    def test_the_page_names_in_scope_rows_and_no_others(self) -> None:
        run = self.world.runs["clerk_star"]
        response = self.get_as("head", reverse("runs:ranking", args=[run.pk]))
        text = response.content.decode()
        mine = Result.objects.filter(run=run, unit=self.world.hall)
        for r in mine:
            self.assertIn(r.name, text)
        shown = set(mine.values_list("name", flat=True))
        hidden = Result.objects.filter(run=run, unit=self.world.other_hall) \
            .exclude(name__in=shown)
        self.assertTrue(hidden.exists())
        for r in hidden:
            self.assertNotIn(r.name, text)

    def test_sort_by_total_both_ways(self) -> None:
        run = self.world.runs["clerk_star"]
        up = [r.total for r in self.all_rows("assessor", run, sort="total")]
        self.assertEqual(up, sorted(up))
        down = [r.total for r in self.all_rows("assessor", run, sort="-total")]
        self.assertEqual(down, sorted(down, reverse=True))
        self.assertEqual(len(up), len(expected_ids(self.world, "assessor", run)))

    def test_sort_by_name_unit_grade_and_an_indicator(self) -> None:
        run = self.world.runs["clerk_star"]
        names = [(r.name, r.entity_id) for r in self.all_rows("admin", run, sort="-name")]
        self.assertEqual([n for n, _ in names], sorted((n for n, _ in names), reverse=True))
        order = [g[1] for g in run.grades]
        grades = [order.index(r.grade) for r in self.all_rows("admin", run, sort="grade")]
        self.assertEqual(grades, sorted(grades))
        rows = self.all_rows("admin", run, sort="-p.volume")
        points = {s.result_id: s.points for s in Score.objects.filter(result__run=run,
                                                                      code="volume")}
        got = [points[r.pk] for r in rows]
        self.assertEqual(got, sorted(got, reverse=True))

    def test_unknown_sort_keys_fall_back_to_the_ranking_order(self) -> None:
        run = self.world.runs["hall_service"]
        for sort in ("password", "p.nope", "-unit__path", "total; DROP TABLE x"):
            rows = self.all_rows("admin", run, sort=sort)
            keys = [(r.group_key, r.rank, r.entity_id) for r in rows]
            self.assertEqual(keys, sorted(keys))

    def test_filters(self) -> None:
        run = self.world.runs["clerk_star"]
        base = Result.objects.filter(run=run)
        grade = base.order_by("grade").values_list("grade", flat=True).first()
        got = self.all_rows("admin", run, grade=grade)
        self.assertEqual({r.entity_id for r in got},
                         set(base.filter(grade=grade).values_list("entity_id", flat=True)))
        flagged = self.all_rows("admin", run, flagged="on")
        want = {r.entity_id for r in base if r.vetoed or r.eliminate or r.bottom
                or r.adjustment != 0}
        self.assertTrue(want)
        self.assertEqual({r.entity_id for r in flagged}, want)
        hall = self.all_rows("admin", run, q=self.world.hall.name)
        self.assertEqual({r.entity_id for r in hall},
                         {r.entity_id for r in base if self.world.hall.name in r.unit_name
                          or self.world.hall.name in r.name})
        group = base.values_list("group_key", flat=True).first()
        in_group = self.all_rows("assessor", run, group=group)
        self.assertEqual({r.entity_id for r in in_group},
                         {r.entity_id for r in base.filter(
                             group_key=group, unit__path__startswith=self.world.branch.path)})
        # an assessor filtering on a grade still sees only their subtree
        mine = self.all_rows("assessor", run, grade=grade)
        self.assertTrue({r.entity_id for r in mine} <= expected_ids(self.world, "assessor", run))


class AdjustmentTests(RetireRevisions, WorldTestCase):
    def test_an_accepted_adjustment_shows_and_is_flagged(self) -> None:
        w = self.world
        result = w.result("clerk_star", w.clerk.pk)
        before = result.total
        appeal = Appeal.objects.create(result=result, reason="漏计", filed_by=w.users["staff"])
        decide_appeal(w.users["admin"], appeal.pk, accept=True, points=Decimal("3.5"),
                      reason="核实")
        result.refresh_from_db()
        self.assertEqual(result.total, before + Decimal("3.5"))  # no cap or floor reached
        text = self.get_as("staff", reverse("runs:scorecard", args=[result.run_id,
                                                                    w.clerk.pk])).content.decode()
        self.assertIn("申诉调整 +3.50", text)
        self.assertIn("加减分 3.50", text)
        self.assertIn(f"第 {result.run.revision} 版（含 1 项申诉调整）", text)
        flagged = self.get_as("head", reverse("runs:ranking", args=[result.run_id]),
                              data={"flagged": "on"}).context["rows"]
        self.assertIn(w.clerk.pk, [r.entity_id for r in flagged])


class RankingXlsxContentTests(WorldTestCase):
    def test_export_is_a_chinese_office_sheet(self) -> None:
        # 宋体 in every cell, A4 landscape fitted to one page wide (issue 13 §5)
        run = self.world.runs["clerk_star"]
        response = self.get_as("assessor", reverse("runs:ranking_xlsx", args=[run.pk]))
        _headers, _rows, sheet = xlsx_rows(response.content)
        self.assertEqual({c.font.name for row in sheet.iter_rows(max_row=5) for c in row},
                         {"宋体"})
        self.assertEqual(sheet.page_setup.orientation, "landscape")
        self.assertEqual(str(sheet.page_setup.paperSize), "9")
        # fit to page, as many pages down as needed (fitToWidth 1 is the file format's default)
        self.assertTrue(sheet.sheet_properties.pageSetUpPr.fitToPage)
        self.assertIn(sheet.page_setup.fitToWidth, (None, 1))
        self.assertEqual(sheet.page_setup.fitToHeight, 0)

    def test_export_holds_exactly_the_filtered_rows_in_scope(self) -> None:
        run = self.world.runs["clerk_star"]
        response = self.get_as("assessor", reverse("runs:ranking_xlsx", args=[run.pk]),
                               data={"flagged": "on", "sort": "-total"})
        self.assertEqual(response.status_code, 200)
        headers, rows, sheet = xlsx_rows(response.content)
        self.assertEqual(headers[:7], ["排名", "编号", "名称", "所属单位", "分组", "总分", "等级"])
        self.assertIn("兑现金额", headers)
        scored = [i["name"] for i in run.indicators if i["role"] in ("scored", "bonus",
                                                                      "penalty")]
        self.assertEqual(headers[-len(scored):], scored)
        want = Result.objects.filter(run=run, unit__path__startswith=self.world.branch.path) \
            .filter(Q(vetoed=True) | Q(eliminate=True) | Q(bottom=True) | ~Q(adjustment=0))
        self.assertEqual(len(rows), want.count())
        by_id = {r.entity_id: r for r in want}
        self.assertEqual({row[1] for row in rows}, set(by_id))
        totals = [row[5] for row in rows]
        self.assertEqual(totals, sorted(totals, reverse=True))
        for row in rows:
            r = by_id[row[1]]
            self.assertEqual(row[0], r.rank)
            self.assertEqual(row[2], r.name)
            self.assertEqual(Decimal(str(row[5])), r.total)
            self.assertEqual(row[6] or "", r.grade)
        self.assertEqual(sheet.freeze_panes, "A2")
        self.assertEqual(sheet.cell(row=2, column=6).number_format, "0.00")

    def test_unfiltered_export_of_each_scope(self) -> None:
        run = self.world.runs["hall_service"]
        for user in ("admin", "head", "inspector", "partner"):
            with self.subTest(user=user):
                response = self.get_as(user, reverse("runs:ranking_xlsx", args=[run.pk]))
                _h, rows, _s = xlsx_rows(response.content)
                self.assertEqual({row[1] for row in rows},
                                 expected_ids(self.world, user, run))

    def test_indicator_points_in_the_export(self) -> None:
        run = self.world.runs["hall_service"]
        response = self.get_as("head", reverse("runs:ranking_xlsx", args=[run.pk]))
        headers, rows, _s = xlsx_rows(response.content)
        (row,) = rows
        result = Result.objects.get(run=run, entity_id=row[1])
        for ind in run.indicators:
            if ind["role"] not in ("scored", "bonus", "penalty"):
                continue
            cell = row[headers.index(ind["name"])]
            points = Score.objects.get(result=result, code=ind["code"]).points
            self.assertEqual(None if cell is None else Decimal(str(cell)).quantize(
                Decimal("0.01")), points)


class FactsTests(WorldTestCase):
    def duck(self, sql: str, params: list[Any]) -> int:
        con = duckdb.connect(str(settings.WORKSPACE / "store.duckdb"), read_only=True)
        try:
            return int(con.execute(sql, params).fetchone()[0])
        finally:
            con.close()

    def test_a_clerks_transactions(self) -> None:
        w = self.world
        want = self.duck("SELECT count(*) FROM fact_transactions WHERE person_id = ? "
                         "AND \"at\" >= ? AND \"at\" < ?", [w.clerk.pk, *SEPT])
        self.assertGreater(want, 0)
        response = self.get_as("staff", reverse("runs:facts", args=[
            w.runs["clerk_star"].pk, w.clerk.pk, "volume"]))
        data = response.context["data"]
        self.assertEqual(data.count, want)
        self.assertEqual(len(data.rows), min(want, 200))
        self.assertIn(f"共 {want} 行", response.content.decode())
        if want > 200:
            self.assertIn("显示前 200 行", response.content.decode())

    def test_a_halls_inspections(self) -> None:
        w = self.world
        want = self.duck("SELECT count(*) FROM fact_inspections WHERE unit_id = ? "
                         "AND \"at\" >= ? AND \"at\" < ?", [w.hall.pk, *SEPT])
        self.assertGreater(want, 0)
        response = self.get_as("inspector", reverse("runs:facts", args=[
            w.runs["hall_service"].pk, w.hall.pk, "deductions"]))
        self.assertEqual(response.context["data"].count, want)
        self.assertEqual(len(response.context["data"].rows), want)

    def test_a_unit_source_of_a_person_counts_the_persons_hall(self) -> None:
        # clerk_star's inspection indicator: the hall's problems count against its clerks
        w = self.world
        want = self.duck("SELECT count(*) FROM fact_inspections WHERE unit_id = ? "
                         "AND \"at\" >= ? AND \"at\" < ?", [w.hall.pk, *SEPT])
        response = self.get_as("head", reverse("runs:facts", args=[
            w.runs["clerk_star"].pk, w.clerk.pk, "inspection"]))
        self.assertEqual(response.context["data"].count, want)

    def test_rows_are_capped_but_counted(self) -> None:
        w = self.world
        want = self.duck("SELECT count(*) FROM fact_transactions WHERE unit_id = ? "
                         "AND \"at\" >= ? AND \"at\" < ?", [w.hall.pk, *SEPT])
        self.assertGreater(want, 10)
        data = fact_rows(w.runs["hall_service"], w.hall.pk, "transactions", limit=10)
        self.assertEqual((data.count, len(data.rows)), (want, 10))

    def test_derived_and_unknown_indicators_have_no_facts(self) -> None:
        w = self.world
        run = w.runs["clerk_star"]
        for code in ("on_time", "nope", "'; DROP TABLE fact_quiz; --"):
            with self.subTest(code=code):
                response = self.get_as("admin", reverse("runs:facts",
                                                        args=[run.pk, w.clerk.pk, code]))
                self.assertEqual(response.status_code, 404)

    def test_the_scorecard_links_each_source(self) -> None:
        w = self.world
        run = w.runs["clerk_star"]
        text = self.get_as("staff", reverse("runs:scorecard", args=[run.pk, w.clerk.pk])) \
            .content.decode()
        self.assertIn(reverse("runs:facts", args=[run.pk, w.clerk.pk, "quiz"]), text)
        self.assertNotIn(reverse("runs:facts", args=[run.pk, w.clerk.pk, "on_time"]), text)
        result = w.result("clerk_star", w.clerk.pk)
        self.assertIn(f"{result.total:.2f}", text)
        self.assertIn(f"{result.rank}<span class=\"muted\"> / {result.group_size}", text)


class TrendTests(WorldTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        august = execute_run(create_run(Scheme.objects.get(code="clerk_star"), "2026-08",
                                        None).pk)
        assert august.status == Run.Status.DONE, august.error
        august.published_at = timezone.now()  # staff and heads see published runs only
        august.save(update_fields=["published_at"])
        cls.august = august

    def test_total_per_period_for_the_clerk(self) -> None:
        w = self.world
        response = self.get_as("staff", reverse("runs:trend", args=["clerk_star", w.clerk.pk]))
        self.assertEqual(response.status_code, 200)
        points = response.context["points"]
        self.assertEqual([run.period for run, _r in points], ["2026-09", "2026-08"])
        for run, r in points:
            want = Result.objects.get(run=run, entity_id=w.clerk.pk)
            self.assertEqual(r.total, want.total)
            self.assertEqual(r.rank, want.rank)
        self.assertIn("data-chart=", response.content.decode())
        self.assertIn("2026-08", response.context["chart"])

    def test_a_rerun_replaces_an_unpublished_run_of_its_period(self) -> None:
        w = self.world
        Run.objects.filter(pk=self.august.pk).update(published_at=None)
        rerun = execute_run(create_run(Scheme.objects.get(code="clerk_star"), "2026-08",
                                       None).pk)
        Result.objects.filter(run=rerun, entity_id=w.clerk.pk).update(total="12.34")
        response = self.get_as("assessor", reverse("runs:trend",
                                                   args=["clerk_star", w.clerk.pk]))
        august = [(run, r) for run, r in response.context["points"] if run.period == "2026-08"]
        self.assertEqual(august[0][0].pk, rerun.pk)
        self.assertEqual(august[0][1].total, Decimal("12.34"))

    def test_a_published_run_stands_against_a_later_rerun(self) -> None:
        w = self.world
        rerun = execute_run(create_run(Scheme.objects.get(code="clerk_star"), "2026-08",
                                       None).pk)
        self.assertEqual(rerun.status, Run.Status.DONE)
        response = self.get_as("assessor", reverse("runs:trend",
                                                   args=["clerk_star", w.clerk.pk]))
        august = [run for run, _r in response.context["points"] if run.period == "2026-08"]
        self.assertEqual(august[0].pk, self.august.pk)


class StatementTests(WorldTestCase):
    def want(self, unit: Unit, units_only: bool = False) -> tuple[int, Decimal]:
        # partners see the outlet's own results (not its clerks'), admins everything
        rows = Result.objects.filter(unit=unit, payout__isnull=False)
        if units_only:
            rows = rows.filter(run__entity="unit")
        return rows.count(), sum((r.payout for r in rows), Decimal("0.00"))

    def test_partner_sees_their_outlet_with_totals_to_the_fen(self) -> None:
        count, total = self.want(self.world.partner_hall, units_only=True)
        self.assertGreater(count, 0)
        response = self.get_as("partner", reverse("runs:statement"))
        self.assertEqual(len(response.context["rows"]), count)
        self.assertEqual(response.context["total"], total)
        self.assertEqual(sum((a for _n, a in response.context["by_scheme"]), Decimal(0)), total)
        self.assertIn(f"¥{total:.2f}</th>", response.content.decode())
        other = Result.objects.filter(unit=self.world.hall).first()
        self.assertNotIn(reverse("runs:scorecard", args=[other.run_id, other.entity_id]),
                         response.content.decode())

    def test_admin_and_assessor_choose_a_unit_in_scope(self) -> None:
        url = reverse("runs:statement")
        self.assertEqual(self.get_as("admin", url).context["rows"], [])
        count, total = self.want(self.world.partner_hall)
        for user in ("admin", "assessor"):
            response = self.get_as(user, url, data={"unit": self.world.partner_hall.pk})
            self.assertEqual(len(response.context["rows"]), count)
            self.assertEqual(response.context["total"], total)
        response = self.get_as("assessor_out", url,
                               data={"unit": self.world.partner_hall.pk})
        self.assertEqual(response.context["rows"], [])
        self.assertNotIn(self.world.partner_hall.name, response.content.decode())

    def test_staff_see_their_own_payouts(self) -> None:
        response = self.get_as("staff", reverse("runs:statement"))
        want = Result.objects.filter(entity_id=self.world.clerk.pk, run__entity="person",
                                     payout__isnull=False)
        self.assertEqual({r.pk for r in response.context["rows"]}, {r.pk for r in want})
        self.assertEqual(response.context["total"],
                         sum((r.payout for r in want), Decimal("0.00")))
