"""The notice (通报): its content follows the downloader's scope and the adjustments, the PDF
carries the names, and "changes against the last period" are computed by hand on a tiny pair
of runs built row by row."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import openpyxl
from django.contrib.auth import get_user_model
from django.test import TestCase
from django.urls import reverse
from runs_pdftext import pdf_text
from viewtests import RetireRevisions, WorldTestCase

from kaohe.web.runs.models import Result, Run
from kaohe.web.runs.notice import (build_notice, effective_run, notice_pdf, notice_xlsx,
                                   previous_run)
from kaohe.web.appeals.models import Appeal
from kaohe.web.appeals.services import decide_appeal
from kaohe.web.schemes.models import Scheme, SchemeVersion


def sheet_rows(data: bytes, sheet: str) -> list[dict[str, Any]]:
    ws = openpyxl.load_workbook(io.BytesIO(data))[sheet]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


class NoticeScopeTests(RetireRevisions, WorldTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.star = cls.world.runs["clerk_star"]
        Run.objects.filter(pk=cls.star.pk).update(published_at="2026-10-08T09:00:00+08:00",
                                                 published_by=cls.world.users["admin"])

    def download(self, user: str, kind: str) -> bytes:
        response = self.get_as(user, reverse(f"runs:notice_{kind}", args=[self.star.pk]))
        self.assertEqual(response.status_code, 200)
        self.assertIn("attachment", response["Content-Disposition"])
        return bytes(response.content)

    def test_excel_rows_are_the_downloaders_results(self) -> None:
        w = self.world
        everyone = Result.objects.filter(run=self.star)
        expected = {
            "admin": set(everyone.values_list("entity_id", flat=True)),
            "assessor": set(everyone.filter(unit__path__startswith=w.branch.path)
                            .values_list("entity_id", flat=True)),
            "assessor_out": set(everyone.filter(unit__path__startswith=w.other_branch.path)
                                .values_list("entity_id", flat=True)),
            "head": set(everyone.filter(unit=w.hall).values_list("entity_id", flat=True)),
            "staff": {w.clerk.pk},
        }
        self.assertTrue(expected["assessor"] and expected["assessor_out"])
        self.assertFalse(expected["assessor"] & expected["assessor_out"])
        for user, ids in expected.items():
            with self.subTest(user=user):
                rows = sheet_rows(self.download(user, "xlsx"), "排名")
                self.assertEqual({r["编号"] for r in rows}, ids)

    def test_excel_has_chinese_frozen_headers_and_number_formats(self) -> None:
        wb = openpyxl.load_workbook(io.BytesIO(self.download("admin", "xlsx")))
        self.assertEqual(wb.sheetnames, ["概况", "排名", "标记人员", "与上期对比", "指标说明"])
        ws = wb["排名"]
        self.assertEqual([c.value for c in ws[1]][:6],
                         ["分组", "排名", "组内人数", "编号", "名称", "所属单位"])
        self.assertEqual(ws.freeze_panes, "A2")
        self.assertEqual(ws["I2"].number_format, "0.00")
        self.assertEqual(wb["概况"]["A1"].value, "营业员星级考核 2026-09 考核通报")
        # 指标说明: the demo scheme's 口径 and sentences, never a formula
        defs = {r["指标"]: r for r in sheet_rows(self.download("admin", "xlsx"), "指标说明")}
        self.assertEqual(defs["表扬加分"]["计分规则"], "每次加 2 分，最多加 5 分")
        self.assertTrue(defs["业务办理量"]["口径"].startswith("本月在营业系统中以本人工号办理"))
        self.assertFalse(any("count(" in str(v) for r in defs.values() for v in r.values()))

    def test_excel_flags_are_the_vetoed_and_eliminated(self) -> None:
        rows = sheet_rows(self.download("admin", "xlsx"), "标记人员")
        flagged = Result.objects.filter(run=self.star).filter(vetoed=True) | Result.objects.filter(
            run=self.star, eliminate=True)
        self.assertEqual({r["编号"] for r in rows if r["编号"]},
                         set(flagged.values_list("entity_id", flat=True)))

    def test_pdf_names_the_first_of_every_group(self) -> None:
        data = self.download("admin", "pdf")
        self.assertTrue(data.startswith(b"%PDF"))
        text = pdf_text(data)
        self.assertIn("营业员星级考核 2026-09 考核通报", text)
        firsts = Result.objects.filter(run=self.star, rank=1)
        self.assertTrue(firsts.exists())
        for r in firsts:
            self.assertIn(r.name, text)
        self.assertIn("范围：全部单位", text)

    def test_staff_pdf_covers_only_themselves(self) -> None:
        text = pdf_text(self.download("staff", "pdf"))
        self.assertIn("范围：本人", text)
        self.assertIn(self.world.clerk.pk, text)
        self.assertNotIn(self.world.other_clerk.pk, text)
        self.assertIn("人数：1", text)

    def test_notice_reflects_adjustments(self) -> None:
        w = self.world
        mine = Result.objects.filter(run=self.star, unit__path__startswith=w.branch.path)
        last = (mine.filter(group_size__gte=3, vetoed=False)
                .order_by("-rank", "entity_id").first())
        assert last is not None
        appeal = Appeal.objects.create(result=last, reason="漏计", filed_by=w.users["staff"])
        decide_appeal(w.users["admin"], appeal.pk, accept=True, points=Decimal("60"),
                      reason="核实")
        # by hand: the adjusted total, and its rank among the group's (unchanged) others
        total = last.total + Decimal("60.00")
        others = Result.objects.filter(run=self.star, group_key=last.group_key).exclude(pk=last.pk)
        rank = 1 + others.filter(total__gt=total).count()  # the others' totals are unchanged
        self.assertLess(rank, last.rank)  # the adjustment moved it up
        self.assertGreater(Run.objects.get(pk=self.star.pk).revision, self.star.revision)
        rows = {r["编号"]: r for r in sheet_rows(self.download("assessor", "xlsx"), "排名")}
        row = rows[last.entity_id]
        self.assertEqual(Decimal(str(row["总分"])).quantize(Decimal("0.01")), total)
        self.assertEqual(row["申诉调整"], 60)
        self.assertEqual(row["排名"], rank)


class ChangesTests(TestCase):
    """Two months of a tiny scheme, built row by row; the changes are worked out by hand."""

    GRADES = [[90, "A"], [60, "B"], [0, "C"]]

    @classmethod
    def setUpTestData(cls) -> None:
        cls.admin = get_user_model().objects.create_user("root", is_superuser=True)
        scheme = Scheme.objects.create(code="tiny", name="小方案", entity="person",
                                       period="month")
        version = SchemeVersion.objects.create(scheme=scheme, number=1, text="tiny")
        scheme.current = version
        scheme.save()

        def run(period: str, published: bool = False) -> Run:
            return Run.objects.create(
                scheme=scheme, version=version, period=period, status=Run.Status.DONE,
                progress=100, entity="person", grades=cls.GRADES,
                published_at="2026-09-05T10:00:00+08:00" if published else None)

        def results(r: Run, rows: list[tuple[Any, ...]]) -> None:
            sizes: dict[str, int] = {}
            for row in rows:
                sizes[row[1]] = sizes.get(row[1], 0) + 1
            for eid, group, total, rank, grade, *flags in rows:
                Result.objects.create(
                    run=r, entity_id=eid, name=f"人{eid}", group_key=group,
                    group_name=f"组{group}", total=total, rank=rank, grade=grade,
                    group_size=sizes[group], vetoed="veto" in flags, eliminate="elim" in flags)

        cls.august = run("2026-08", published=True)
        results(cls.august, [("e1", "g1", 95, 1, "A"), ("e2", "g1", 80, 2, "B"),
                             ("e3", "g1", 50, 3, "C"), ("e6", "g1", 30, 4, "C"),
                             ("e4", "g2", 70, 1, "B")])
        # a later recalculation of the published August: must not be compared with
        cls.august_rerun = run("2026-08")
        results(cls.august_rerun, [("e1", "g1", 10, 4, "C", "veto"), ("e2", "g1", 99, 1, "A")])
        cls.september = run("2026-09")
        results(cls.september, [("e2", "g1", 92, 1, "A"), ("e1", "g1", 85, 2, "B"),
                                ("e3", "g1", 40, 3, "C", "elim"),
                                ("e5", "g2", 60, 1, "B"), ("e4", "g2", 0, 2, "C", "veto"),
                                ("e6", "g2", 20, 3, "C")])

    def test_the_previous_run_is_the_published_one(self) -> None:
        self.assertEqual(previous_run(self.september), self.august)
        self.assertEqual(effective_run(self.september.scheme_id, "2026-08"), self.august)
        Run.objects.filter(pk=self.august.pk).update(published_at=None)
        self.assertEqual(previous_run(self.september), self.august_rerun)  # the latest done
        self.assertIsNone(previous_run(self.august))  # no July

    def test_changes_by_hand(self) -> None:
        n = build_notice(self.september, self.admin)
        got = {c.entity_id: (c.prev_rank, c.rank, c.rank_up, c.prev_grade, c.grade, c.grade_up,
                             c.newly_flagged, c.note) for c in n.changes}
        self.assertEqual(got, {
            "e2": (2, 1, 1, "B", "A", 1, [], ""),
            "e1": (1, 2, -1, "A", "B", -1, [], ""),
            "e3": (3, 3, 0, "C", "C", 0, ["末位淘汰"], ""),
            "e5": (None, 1, None, "", "B", None, [], "上期无结果"),
            "e4": (1, 2, -1, "B", "C", -1, ["一票否决"], ""),
            "e6": (4, 3, None, "C", "C", 0, [], "分组变化"),
        })
        self.assertEqual([c.entity_id for c in n.rank_ups], ["e2"])
        self.assertEqual([c.entity_id for c in n.rank_downs], ["e1", "e4"])
        self.assertEqual([c.entity_id for c in n.grade_changes], ["e2", "e1", "e4"])
        self.assertEqual([c.entity_id for c in n.newly_flagged], ["e3", "e4"])
        self.assertEqual(n.grades, [("A", 1), ("B", 2), ("C", 3)])
        self.assertEqual([r.entity_id for r in n.vetoed], ["e4"])
        self.assertEqual([r.entity_id for r in n.eliminated], ["e3"])

    def test_changes_in_the_workbook_and_the_pdf(self) -> None:
        n = build_notice(self.september, self.admin)
        rows = {r["编号"]: r for r in sheet_rows(notice_xlsx(n), "与上期对比")}
        self.assertEqual(
            [rows["e2"][k] for k in ("上期排名", "本期排名", "排名升降", "上期等级", "本期等级",
                                     "等级升降")],
            [2, 1, 1, "B", "A", 1])
        self.assertEqual(rows["e4"]["新增标记"], "一票否决")
        self.assertEqual(rows["e6"]["备注"], "分组变化")
        text = pdf_text(notice_pdf(n))
        self.assertIn("小方案 2026-09 考核通报（草稿）", text)
        self.assertIn(f"对比运行 #{self.august.pk}", text)
        self.assertIn("排名上升 1 人，下降 2 人；等级上升 1 人，下降 2 人；新增标记 2 人", text)

    def test_formal_notice_by_hand(self) -> None:
        """The red header, 文号, body paragraphs and 落款 (issue 13), every number worked out
        by hand from the rows above."""
        from django.utils import timezone

        n = build_notice(self.september, self.admin)
        text = pdf_text(notice_pdf(n))
        # paragraphs wrap over several lines, and a space at a line break is not written
        flat = "".join(text.split())

        def has(expected: str) -> None:
            self.assertIn("".join(expected.split()), flat)

        # the header: the demo workspace's kaohe.yaml names the company; 2026-09 is number 9
        has("江南移动通信公司市场部文件")
        has("市场部〔2026〕第 9 号")
        # September: 92 + 85 + 40 + 60 + 0 + 20 = 297 over 6 → 49.50; best e2 92, worst e4 0
        has("小方案 2026-09 考核已完成，共考核 6 人，分 2 个组。平均总分 49.50 分；"
            "最高 92.00 分（人e2，组g1），最低 0.00 分（人e4，组g2）。")
        # grades A 1, B 2 (e1, e5), C 3 (e3, e4, e6): 1/6 = 16.7%, 2/6 = 33.3%, 3/6 = 50.0%
        has("等级分布：A 1 人（16.7%），B 2 人（33.3%），C 3 人（50.0%）。")
        has("各组第一名：组g1 人e2（92.00 分）；组g2 人e5（60.00 分）。")
        has("一票否决 1 人：人e4（组g2）；末位淘汰 1 人：人e3（组g1）。")
        # August (the published run): 95 + 80 + 50 + 30 + 70 = 325 over 5 → 65.00;
        # 49.50 − 65.00 = −15.50; e2 climbed from 2nd to 1st in g1
        has("与上期（2026-08）相比，平均总分由 65.00 分降至 49.50 分（-15.50 分）；"
            "排名上升 1 人、下降 2 人，等级上升 1 人、下降 2 人。"
            "进步最大的是人e2（组g1，排名由第 2 名升至第 1 名）。")
        # 落款: the department and the date (a draft: the day it was generated)
        day = timezone.localtime(n.generated).date()
        lines = text.splitlines()
        at = lines.index(f"{day.year} 年 {day.month} 月 {day.day} 日")
        self.assertEqual(lines[at - 1], "江南移动通信公司市场部")
        self.assertGreater(at, lines.index("新增末位淘汰或一票否决"))  # after the body
