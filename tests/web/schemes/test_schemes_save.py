"""Saving a scheme version from the web: validated inside the transaction, stored as the next
version, written back to the workspace file, audited; refused with every problem at its line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from unittest import mock

from django.urls import reverse
from test_schemes_views import RestoresSchemeFiles, schemes_dir
from viewtests import WorldTestCase

from kaohe.web.audit.models import ChangeLog
from kaohe.web.schemes import services
from kaohe.web.schemes.models import Scheme, SchemeVersion


def clerk_file() -> Path:
    return schemes_dir() / "clerk_star.yaml"


class SaveTests(RestoresSchemeFiles, WorldTestCase):
    def setUp(self) -> None:
        super().setUp()
        # scoped to the assessor's branch, so that the assessor may edit it (WHOLE_SCHEME)
        Scheme.objects.filter(code="clerk_star").update(unit=self.world.branch)
        self.scheme = Scheme.objects.get(code="clerk_star")
        assert self.scheme.current is not None
        self.v1 = self.scheme.current
        self.text = clerk_file().read_text(encoding="utf-8")
        self.url = reverse("schemes:edit", args=["clerk_star"])
        self.logs = ChangeLog.objects.filter(object_type__startswith="schemes.").count()

    def edit(self, text: str, base: int | None = 1, user: str = "assessor",
             note: str = "") -> Any:
        data = {"text": text, "note": note}
        if base is not None:
            data["base"] = str(base)
        return self.post_as(user, self.url, data)

    def assert_nothing_stored(self) -> None:
        self.scheme.refresh_from_db()
        self.assertEqual(self.scheme.current_id, self.v1.pk)
        self.assertEqual(SchemeVersion.objects.filter(scheme=self.scheme).count(), 1)
        self.assertEqual(clerk_file().read_text(encoding="utf-8"), self.text)
        self.assertEqual(ChangeLog.objects.filter(object_type__startswith="schemes.").count(),
                         self.logs)

    def test_a_good_version_is_saved_written_and_audited(self) -> None:
        ChangeLog.objects.all().delete()
        new = self.text.replace("weight: 25", "weight: 30")
        self.assertNotEqual(new, self.text)
        # the browser sends CRLF; the stored text and the file have LF
        response = self.edit(new.replace("\n", "\r\n"), note="调整业务量权重")
        self.assertRedirects(response, reverse("schemes:detail", args=["clerk_star"]),
                             fetch_redirect_response=False)
        self.scheme.refresh_from_db()
        v2 = self.scheme.current
        assert v2 is not None
        self.assertEqual((v2.number, v2.note, v2.author), (2, "调整业务量权重",
                                                            self.world.users["assessor"]))
        self.assertEqual(v2.text, new)
        self.assertEqual(clerk_file().read_text(encoding="utf-8"), new)
        log = ChangeLog.objects.get(object_type="schemes.scheme", action="update")
        self.assertEqual(log.user_name, "assessor")
        self.assertEqual((log.before["current_id"], log.after["current_id"]), (self.v1.pk, v2.pk))
        created = ChangeLog.objects.get(object_type="schemes.schemeversion", action="create")
        self.assertIsNone(created.before)
        self.assertEqual((created.after["number"], created.after["text"]), (2, new))
        # the runs made with v1 keep v1
        self.assertEqual(self.world.runs["clerk_star"].version_id, self.v1.pk)

    def test_a_bad_version_is_refused_at_its_line(self) -> None:
        lines = self.text.splitlines()
        n = lines.index("    weight: 25") + 1  # 1-based, counted in the file itself
        bad = self.text.replace("    weight: 25", "    weight: lots")
        response = self.edit(bad)
        self.assertEqual(response.status_code, 400)
        body = response.content.decode()
        self.assertIn(f"第 {n} 行", body)
        self.assertIn("应为数字 expected a number, got &#x27;lots&#x27;", body)
        self.assertIn("weight: lots", body)  # the text is kept in the editor
        self.assert_nothing_stored()

    def test_a_hostile_formula_is_refused(self) -> None:
        n = self.text.splitlines().index("    value: count(*)") + 1
        bad = self.text.replace("    value: count(*)\n", "    value: read_csv('/etc/passwd')\n", 1)
        response = self.edit(bad)
        self.assertEqual(response.status_code, 400)
        body = response.content.decode()
        self.assertIn(f"第 {n} 行", body)
        self.assertIn("不允许的函数 function not allowed (read_csv)", body)
        self.assert_nothing_stored()

    def test_invalid_yaml_is_refused(self) -> None:
        response = self.edit("name: x\nentity: person\n  period: month\n")
        self.assertEqual(response.status_code, 400)
        self.assertIn("第 3 行", response.content.decode())
        self.assert_nothing_stored()

    def test_a_failed_file_write_stores_nothing(self) -> None:
        new = self.text + "# a comment\n"
        with mock.patch.object(services, "write_text", side_effect=OSError(28, "No space left")):
            response = self.edit(new)
        self.assertEqual(response.status_code, 400)
        self.assertIn("No space left", response.content.decode())
        self.assert_nothing_stored()

    def test_an_edit_of_an_old_version_is_refused(self) -> None:
        self.assertEqual(self.edit(self.text + "# one\n").status_code, 302)
        response = self.edit(self.text + "# two\n", base=1, user="admin")
        self.assertEqual(response.status_code, 400)
        self.assertIn("第 2 版", response.content.decode())
        self.assertEqual(SchemeVersion.objects.filter(scheme=self.scheme).count(), 2)

    def test_an_unchanged_text_is_not_a_new_version(self) -> None:
        self.assertEqual(self.edit(self.text).status_code, 400)
        self.assert_nothing_stored()

    def test_a_file_edited_outside_the_web_must_be_imported_first(self) -> None:
        outside = self.text + "# edited with the CLI\n"
        clerk_file().write_text(outside, encoding="utf-8")
        self.assertEqual(self.edit(self.text + "# web\n").status_code, 400)
        self.assertEqual(SchemeVersion.objects.filter(scheme=self.scheme).count(), 1)
        self.assertEqual(self.post_as("admin", reverse("schemes:sync")).status_code, 302)
        self.scheme.refresh_from_db()
        assert self.scheme.current is not None
        self.assertEqual((self.scheme.current.number, self.scheme.current.text), (2, outside))
        self.assertEqual(self.edit(outside + "# web\n", base=2).status_code, 302)

    def test_the_service_refuses_users_who_may_not_configure(self) -> None:
        with self.assertRaises(Scheme.DoesNotExist):
            services.save_version(self.world.users["head"], "clerk_star", self.text + "#\n")
        self.assert_nothing_stored()


class NewSchemeTests(RestoresSchemeFiles, WorldTestCase):
    TEXT = ("name: 小方案\nentity: person\nperiod: month\nindicators:\n  - code: volume\n"
            "    source: transactions\n    value: count(*)\n    weight: 100\n"
            "    score: {rule: linear, floor: 0, target: 50}\n")

    def test_a_new_scheme_gets_version_one_and_a_file(self) -> None:
        response = self.post_as("admin", reverse("schemes:new"),
                                {"code": "small", "text": self.TEXT, "note": "新方案"})
        self.assertEqual(response.status_code, 302)
        scheme = Scheme.objects.get(code="small")
        self.assertEqual((scheme.name, scheme.entity, scheme.period), ("小方案", "person", "month"))
        assert scheme.current is not None
        self.assertEqual((scheme.current.number, scheme.current.note), (1, "新方案"))
        self.assertEqual((schemes_dir() / "small.yaml").read_text(encoding="utf-8"), self.TEXT)

    def test_a_taken_code_a_reserved_code_or_a_bad_text_is_refused(self) -> None:
        url = reverse("schemes:new")
        for code, text, status in (("clerk_star", self.TEXT, 400), ("new", self.TEXT, 400),
                                   ("small", self.TEXT.replace("count(*)", "read_csv('x')"),
                                    400)):
            with self.subTest(code=code):
                response = self.post_as("admin", url, {"code": code, "text": text})
                self.assertEqual(response.status_code, status)
        self.assertFalse(Scheme.objects.filter(code__in=["small", "new"]).exists())
        self.assertFalse((schemes_dir() / "small.yaml").exists())


class ValidateEndpointTests(WorldTestCase):
    def test_problems_with_lines_as_json(self) -> None:
        text = ("name: x\nentity: person\nperiod: month\nindicators:\n  - code: a\n"
                "    source: transactions\n    value: read_csv('/etc/passwd')\n    weight: 1\n"
                "    score: {rule: linear, target: 1}\n")
        response = self.post_as("assessor", reverse("schemes:validate"),
                                {"code": "x", "text": text})
        data = json.loads(response.content)
        self.assertFalse(data["ok"])
        [p] = data["problems"]
        self.assertEqual((p["line"], p["path"]), (7, "indicator a"))
        self.assertIn("read_csv", p["message"])

    def test_a_good_text_is_ok(self) -> None:
        text = (schemes_dir() / "clerk_star.yaml").read_text(encoding="utf-8")
        response = self.post_as("assessor", reverse("schemes:validate"),
                                {"code": "clerk_star", "text": text})
        self.assertEqual(json.loads(response.content), {"ok": True, "problems": []})

    def test_get_is_not_allowed(self) -> None:
        self.assertEqual(self.get_as("admin", reverse("schemes:validate")).status_code, 405)


class DiffAndVersionTests(RestoresSchemeFiles, WorldTestCase):
    def test_diff_between_two_versions(self) -> None:
        text = (schemes_dir() / "clerk_star.yaml").read_text(encoding="utf-8")
        new = text.replace("name: 营业员星级考核", "name: 营业员星级评定")
        services.save_version(self.world.users["admin"], "clerk_star", new, "改名")
        n = text.splitlines().index("name: 营业员星级考核") + 1
        url = reverse("schemes:diff", args=["clerk_star"])
        body = self.get_as("admin", url + "?a=1&b=2").content.decode()
        self.assertIn(f'<tr class="del"><td class="ln">{n}</td><td class="ln"></td>'
                      '<td class="src">-name: 营业员星级考核</td></tr>', body)
        self.assertIn(f'<tr class="add"><td class="ln"></td><td class="ln">{n}</td>'
                      '<td class="src">+name: 营业员星级评定</td></tr>', body)
        self.assertEqual(body.count('<tr class="add">'), 1)
        self.assertEqual(body.count('<tr class="del">'), 1)
        # the default is the current version against the one before it
        self.assertIn("+name: 营业员星级评定", self.get_as("admin", url).content.decode())
        # the new name is the scheme's name now; the detail page offers the comparison
        detail = self.get_as("admin", reverse("schemes:detail", args=["clerk_star"]))
        self.assertIn("营业员星级评定", detail.content.decode())
        self.assertIn(f'{url}?a=1&amp;b=2', detail.content.decode())

    def test_missing_versions_and_bad_parameters(self) -> None:
        url = reverse("schemes:diff", args=["clerk_star"])
        self.assertEqual(self.get_as("admin", url + "?a=1&b=9").status_code, 404)
        self.assertEqual(self.get_as("admin", url + "?a=x&b=1").status_code, 400)
        self.assertEqual(self.get_as("admin", reverse("schemes:version",
                                                      args=["clerk_star", 9])).status_code, 404)
        self.assertEqual(self.get_as("admin", reverse("schemes:detail",
                                                      args=["nothing"])).status_code, 404)

    def test_list_counts_runs(self) -> None:
        body = self.get_as("admin", reverse("schemes:list")).content.decode()
        # the world ran each scheme once (build_world: one period)
        self.assertIn('<td class="num">1</td>', body)
