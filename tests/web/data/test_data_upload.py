"""Uploads: all-or-nothing, every bad row listed, scope, size and type checks.

Store rows are counted before and after with an independent DuckDB query."""

from __future__ import annotations

import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from viewtests import WorldTestCase

from kaohe.web.core.workspace import store_lock, workspace
from kaohe.web.data.models import DataLoad
from kaohe.web.data.services import OUTSIDE


def count(table: str, where: str = "true") -> int:
    ws = workspace()
    with store_lock, ws.store.connect() as con:
        return int(con.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0])


def csv_file(text: str, name: str = "quiz.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


class UploadTests(WorldTestCase):
    def upload(self, user: str, f: SimpleUploadedFile, source: str = "quiz",
               **extra: str) -> object:
        return self.post_as(user, reverse("data:upload"), {"source": source, "file": f, **extra})

    def test_bad_csv_lists_every_bad_row_and_stores_nothing(self) -> None:
        clerk = self.world.clerk.pk
        text = ("员工工号,答题日期,得分\n"
                f"{clerk},2026-11-01,90\n"      # row 2: fine
                f"{clerk},2026-11-31,80\n"      # row 3: no such day
                "NOPE999,2026-11-02,abc\n"      # row 4: unknown person, score not a number
                f"{clerk},2026-11-01,70\n")     # row 5: same person and day as row 2
        before = count("fact_quiz")
        response = self.upload("admin", csv_file(text))
        load = DataLoad.objects.get()
        self.assertRedirects(response, reverse("data:load", args=[load.pk]),
                             fetch_redirect_response=False)
        self.assertEqual(load.status, DataLoad.Status.REJECTED)
        self.assertEqual(load.rows, 0)
        got = [(e["row"], e["column"], e["value"]) for e in load.errors]
        self.assertEqual(got, [(3, "答题日期", "2026-11-31"), (4, "员工工号", "NOPE999"),
                               (4, "得分", "abc"), (5, "员工工号+答题日期", f"{clerk}/2026-11-01")])
        self.assertEqual(count("fact_quiz"), before)
        page = self.get_as("admin", reverse("data:load", args=[load.pk])).content.decode()
        for needle in ("2026-11-31", "NOPE999", "abc", "4 个错误"):
            self.assertIn(needle, page)
        errors_csv = self.get_as("admin", reverse("data:load_errors", args=[load.pk]))
        self.assertEqual(errors_csv.content.decode("utf-8-sig").count("\n"), 5)

    def test_good_csv_is_stored(self) -> None:
        clerk = self.world.clerk.pk
        before = count("fact_quiz")
        text = f"员工工号,答题日期,得分\n{clerk},2026-11-02,90\n{clerk},2026-11-03,100\n"
        self.upload("assessor", csv_file(text))
        load = DataLoad.objects.get()
        self.assertEqual((load.status, load.rows, load.unit), (DataLoad.Status.STORED, 2,
                                                               self.world.branch))
        self.assertEqual(count("fact_quiz"), before + 2)
        self.assertEqual(count("fact_quiz", f"person_id = '{clerk}' AND day >= DATE '2026-11-02'"
                               " AND day <= DATE '2026-11-03'"), 2)

    def test_gb18030_csv_is_accepted(self) -> None:
        clerk = self.world.clerk.pk
        before = count("fact_quiz")
        text = f"员工工号,答题日期,得分\n{clerk},2026-11-04,80\n"
        self.upload("admin", csv_file(text, encoding="gb18030"))
        self.assertEqual(DataLoad.objects.get().status, DataLoad.Status.STORED)
        self.assertEqual(count("fact_quiz"), before + 1)

    def test_xlsx_with_title_row_and_sheet(self) -> None:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "封面"
        sheet = wb.create_sheet("成绩")
        sheet.append(["2026年11月 每日一题"])
        sheet.append(["员工工号", "答题日期", "得分"])
        sheet.append([self.world.clerk.pk, "2026-11-05", 70])
        buf = io.BytesIO()
        wb.save(buf)
        before = count("fact_quiz")
        f = SimpleUploadedFile("quiz.xlsx", buf.getvalue())
        self.upload("admin", f, header_row="2", sheet="成绩")
        load = DataLoad.objects.get()
        self.assertEqual((load.status, load.rows), (DataLoad.Status.STORED, 1), load.message)
        self.assertEqual(count("fact_quiz"), before + 1)

    def test_assessor_may_not_load_rows_outside_the_subtree(self) -> None:
        clerk, other = self.world.clerk.pk, self.world.other_clerk.pk
        text = (f"员工工号,答题日期,得分\n{clerk},2026-11-06,90\n{other},2026-11-06,80\n"
                f"{clerk},2026-11-07,90\n{other},2026-11-07,70\n")
        before = count("fact_quiz")
        self.upload("assessor", csv_file(text))
        load = DataLoad.objects.get()
        self.assertEqual(load.status, DataLoad.Status.REJECTED)
        self.assertEqual([(e["row"], e["column"], e["value"], e["reason"]) for e in load.errors],
                         [(3, "员工工号", other, OUTSIDE), (5, "员工工号", other, OUTSIDE)])
        self.assertEqual(count("fact_quiz"), before)
        # the same file is fine for the other branch's assessor? No: the first clerk is not theirs
        self.upload("assessor_out", csv_file(text))
        load = DataLoad.objects.exclude(pk=load.pk).get()
        self.assertEqual([e["row"] for e in load.errors], [2, 4])
        # and admins are unrestricted
        self.upload("admin", csv_file(text))
        self.assertEqual(DataLoad.objects.order_by("-pk").first().status, DataLoad.Status.STORED)
        self.assertEqual(count("fact_quiz"), before + 4)

    def test_unit_column_is_checked_too(self) -> None:
        text = ("检查编号,营业厅编码,检查时间,检查人,检查方式,检查项目,扣分\n"
                f"MCX1,{self.world.other_hall.pk},2026-11-08 10:00,张三,明查,微笑服务,1\n")
        before = count("fact_inspections")
        self.upload("assessor", csv_file(text, "ins.csv"), source="inspections")
        load = DataLoad.objects.get()
        self.assertEqual([(e["row"], e["column"]) for e in load.errors], [(2, "营业厅编码")])
        self.assertEqual(count("fact_inspections"), before)

    def test_replace_period(self) -> None:
        clerk = self.world.clerk.pk
        # an assessor may not replace a period holding other branches' rows
        in_sep = count("fact_quiz", "day >= DATE '2026-09-01' AND day < DATE '2026-10-01'")
        self.assertGreater(in_sep, 0)
        text = f"员工工号,答题日期,得分\n{clerk},2026-09-15,90\n"
        self.upload("assessor", csv_file(text), replace_period="2026-09")
        load = DataLoad.objects.get()
        self.assertEqual(load.status, DataLoad.Status.REJECTED)
        self.assertIn("2026-09", load.message)
        self.assertEqual(count("fact_quiz", "day >= DATE '2026-09-01' AND day < DATE "
                                            "'2026-10-01'"), in_sep)
        # an admin may: October has no rows yet; load two, then replace them by one
        text = f"员工工号,答题日期,得分\n{clerk},2026-10-15,90\n{clerk},2026-10-16,90\n"
        self.upload("admin", csv_file(text), replace_period="2026-10")
        text = f"员工工号,答题日期,得分\n{clerk},2026-10-16,60\n"
        self.upload("admin", csv_file(text), replace_period="2026-10")
        last = DataLoad.objects.order_by("-pk").first()
        self.assertEqual((last.status, last.rows, last.replaced),
                         (DataLoad.Status.STORED, 1, 2))
        self.assertEqual(count("fact_quiz", "day >= DATE '2026-10-01' AND day < DATE "
                                            "'2026-11-01'"), 1)

    def test_a_replaced_row_outside_the_period_is_refused(self) -> None:
        text = f"员工工号,答题日期,得分\n{self.world.clerk.pk},2026-11-20,90\n"
        self.upload("admin", csv_file(text), replace_period="2026-10")
        load = DataLoad.objects.get()
        self.assertEqual([(e["row"], e["column"]) for e in load.errors], [(2, "答题日期")])


class RefusedFileTests(WorldTestCase):
    def refused(self, f: SimpleUploadedFile, text: str) -> None:
        before = count("fact_quiz")
        response = self.post_as("admin", reverse("data:upload"), {"source": "quiz", "file": f})
        self.assertEqual(response.status_code, 400)
        self.assertIn(text, response.content.decode())
        self.assertFalse(DataLoad.objects.exists())
        self.assertEqual(count("fact_quiz"), before)

    @override_settings(KAOHE_MAX_UPLOAD_BYTES=100)
    def test_oversized(self) -> None:
        self.refused(csv_file("员工工号,答题日期,得分\n" + "0010001,2026-11-01,90\n" * 10),
                     "文件过大")

    def test_wrong_extension(self) -> None:
        self.refused(SimpleUploadedFile("quiz.exe", b"MZ\x90\x00"), "不支持的文件类型")

    def test_csv_content_in_an_xlsx(self) -> None:
        self.refused(csv_file("员工工号,答题日期,得分\n", "quiz.xlsx"), "不是 Excel 工作簿")

    def test_zip_that_is_not_a_workbook(self) -> None:
        import zipfile

        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("hello.txt", "hi")
        self.refused(SimpleUploadedFile("quiz.xlsx", buf.getvalue()), "不是 Excel 工作簿")

    def test_parquet_without_magic(self) -> None:
        self.refused(SimpleUploadedFile("quiz.parquet", b"PAR1 not really"), "不是 Parquet")

    def test_binary_csv(self) -> None:
        self.refused(SimpleUploadedFile("quiz.csv", b"a,b\n\x00\x01\x02\xff\xfe"),
                     "UTF-8 或 GB18030")

    def test_empty_file(self) -> None:
        self.refused(SimpleUploadedFile("quiz.csv", b""), "")

    def test_staff_may_not_upload(self) -> None:
        response = self.post_as("staff", reverse("data:upload"),
                                {"source": "quiz", "file": csv_file("a\n")})
        self.assertEqual(response.status_code, 403)
        self.assertFalse(DataLoad.objects.exists())


class EverythingAtOnceTests(WorldTestCase):
    """Issue 13 §3: an upload with seven bad rows once listed only the row outside the
    assessor's scope; the others appeared after a second upload. Now one upload lists all
    seven, each with its row, the file's own header and a Chinese reason."""

    HEADER = "投诉编号,被投诉人工号,营业厅编码,投诉时间,投诉级别,投诉类别\n"

    def test_seven_bad_rows_in_one_upload(self) -> None:
        clerk, other = self.world.clerk.pk, self.world.other_clerk.pk
        hall = self.world.hall.pk
        text = (self.HEADER
                + f"TSX1,{clerk},{hall},2026-11-02 10:00,一般,服务态度\n"    # row 2: fine
                + f"TSX2,{other},,2026-11-02 11:00,一般,服务态度\n"          # 3: other branch
                + f"TSX3,NOPE9,{hall},2026-11-02 12:00,一般,服务态度\n"      # 4: unknown person
                + f"TSX4,{clerk},{hall},2026-11-31 09:00,一般,服务态度\n"    # 5: no 31 Nov
                + f"TSX5,{clerk},{hall},2026-11-03 09:00,很严重,服务态度\n"  # 6: not a level
                + f"TSX1,{clerk},{hall},2026-11-03 10:00,重大,服务态度\n"    # 7: repeats row 2
                + f",{clerk},{hall},2026-11-03 11:00,一般,服务态度\n"        # 8: no id
                + "TSX8,,,2026-11-03 12:00,一般,等候时间\n")                 # 9: nobody named
        before = count("fact_complaints")
        self.post_as("assessor", reverse("data:upload"),
                     {"source": "complaints", "file": csv_file(text, "complaints.csv")})
        load = DataLoad.objects.get()
        self.assertEqual(load.status, DataLoad.Status.REJECTED)
        got = [(e["row"], e["column"], e["value"], e["reason"]) for e in load.errors]
        self.assertEqual(got, [
            (3, "被投诉人工号", other, "不在您的管辖范围内：只能导入您所管单位及其人员的数据"),
            (4, "被投诉人工号", "NOPE9", "人员编号不存在：组织架构中没有此人员"),
            (5, "投诉时间", "2026-11-31 09:00", "格式错误：应为日期时间，如 2026-10-01 09:30"),
            (6, "投诉级别", "很严重", "不是允许的值：应为 一般、较大、重大 之一"),
            (7, "投诉编号", "TSX1", "主键重复：与本文件第 2 行相同"),
            (8, "投诉编号", "", "必填：此格不能为空"),
            (9, "被投诉人工号/营业厅编码", "", "人员与单位至少填一个"),
        ])
        self.assertEqual(load.error_count, 7)
        self.assertEqual(count("fact_complaints"), before)
        page = self.get_as("assessor", reverse("data:load", args=[load.pk])).content.decode()
        for needle in ("很严重", "不是允许的值", "被投诉人工号/营业厅编码", "7 个错误"):
            self.assertIn(needle, page)
        for internal in ("complaint_id", "person_id", "unit_id", "outside your scope"):
            self.assertNotIn(internal, page)

    def test_reasons_in_english_for_the_english_interface(self) -> None:
        from django.utils import translation

        from kaohe.web.data.services import shown_reason
        from kaohe.workspace.reasons import REASONS

        error = {"row": 6, "column": "投诉级别", "value": "很严重", "code": "not_allowed",
                 "params": {"values": "一般、较大、重大"}, "reason": "不是允许的值：…"}
        with translation.override("en"):
            self.assertEqual(shown_reason(error),
                             "Not an allowed value: expected one of 一般、较大、重大")
            # every reason the importer can give has its English sentence
            untranslated = [t for t in REASONS.values() if translation.gettext(t) == t]
            self.assertEqual(untranslated, [])
        with translation.override("zh-hans"):
            self.assertEqual(shown_reason(error), "不是允许的值：应为 一般、较大、重大 之一")
        # loads stored before reasons had codes show their text as it was
        self.assertEqual(shown_reason({"reason": "bad"}), "bad")
