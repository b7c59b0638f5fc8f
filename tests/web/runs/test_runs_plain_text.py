"""Issue 13: a clerk's scorecard speaks plain Chinese — the 口径, the value in its format and the
rule as a sentence — and shows no SQL or engine parameters; admins and assessors find the formula
one click away (a <details>). Runs the demo's clerk_star (its scheme carries 口径 and formats)."""

from __future__ import annotations

import re

from django.urls import reverse
from viewtests import WorldTestCase

from kaohe.web.runs.models import Score

# what must never reach staff: SQL, engine rule parameters, source table names
ENGINE_TEXT = ("count(", "filter (where", "floor=", "target=", "per=", "cap=", "linear",
               "percentile", "vs_mean", "deduct", "transactions", "<details")


class PlainScorecardTests(WorldTestCase):
    def url(self) -> str:
        return reverse("runs:scorecard", args=[self.world.runs["clerk_star"].pk,
                                               self.world.clerk.pk])

    def body(self, user: str) -> str:
        response = self.get_as(user, self.url())
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def test_staff_see_no_sql_or_engine_parameters(self) -> None:
        html = self.body("staff")
        table = html[html.index('<table class="data scorecard">'):]
        for text in ENGINE_TEXT:
            self.assertNotIn(text, table, text)

    def test_staff_see_the_definition_the_sentence_and_formatted_values(self) -> None:
        html = self.body("staff")
        # the 口径 of two indicators as written in the demo scheme
        self.assertIn("本月在营业系统中以本人工号办理的全部业务笔数", html)
        self.assertIn("厅经理本月抽查“多说一句话”", html)
        # rule sentences; the deduction: weight 10, 0.5 per point, no max → "扣完为止"
        self.assertIn("满分 10 分，每 1 分扣 0.5 分，扣完为止", html)
        self.assertIn("每次加 2 分，最多加 5 分", html)
        self.assertIn("出现即一票否决：总分记 0 分，等级记为「一星」", html)
        # the upsell rate in percent with 1 decimal, the volume as a whole count of 笔
        result = self.world.result("clerk_star", self.world.clerk.pk)
        scores = {s.code: s for s in Score.objects.filter(result=result)}
        upsell = scores["upsell"]
        if not upsell.missing and upsell.value is not None:
            self.assertIn(f"{float(upsell.value) * 100:.1f}%", html)
        volume = scores["volume"].value
        self.assertIsNotNone(volume)
        self.assertIn(f"{int(volume)} 笔", html)
        self.assertNotRegex(html, r"\d\.\d{4}\b")  # no 82.6923-style decimals

    def test_admin_and_assessor_have_the_formula_one_click_away(self) -> None:
        for user in ("admin", "assessor"):
            html = self.body(user)
            self.assertIn('<details class="formula">', html)
            self.assertIn("count(*) filter (where biz_type in (", html.replace("&#x27;", "'"))

    def test_head_sees_no_formula(self) -> None:
        html = self.body("head")
        self.assertNotIn("<details", html)
        self.assertNotIn("count(", html)

    def test_english_ui_has_english_sentences(self) -> None:
        client = self.client_for("staff")
        from django.conf import settings
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        html = client.get(self.url()).content.decode()
        self.assertIn("Plus 2 points for each one, at most 5 points in all", html)
        self.assertIsNone(re.search("每次加 2 分", html))
