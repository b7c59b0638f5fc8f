"""The audit log names each object with its id once ("申诉 #1", not "申诉 #1 #1"), and each
actor by their real name."""

from __future__ import annotations

from types import SimpleNamespace

from django.test import SimpleTestCase
from django.urls import reverse
from viewtests import WorldTestCase
from world import build_world

from kaohe.web.audit.models import ChangeLog
from kaohe.web.audit.templatetags.audit_tags import audit_object


class ObjectLabelTests(SimpleTestCase):
    def test_the_id_is_shown_once(self) -> None:
        cases = [("申诉 #1", "1", "申诉 #1"), ("营业员星级考核 2026-09 #12", "12",
                                                "营业员星级考核 2026-09 #12"),
                 ("张三（P001）", "P001", "张三（P001）"), ("clerk_star v2", "7", "clerk_star v2 #7"),
                 ("", "3", "#3")]
        for name, pk, want in cases:
            with self.subTest(name=name):
                self.assertEqual(audit_object(SimpleNamespace(object_repr=name, object_id=pk)),
                                 want)


class AuditListNamesTests(WorldTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world(schemes=("clerk_star",), publish=False)

    def test_a_runs_entry_reads_once_and_names_the_actor(self) -> None:
        admin = self.world.users["admin"]
        admin.last_name = "王立新"
        admin.save()
        run = self.world.runs["clerk_star"]
        self.post_as("admin", reverse("runs:publish", args=[run.pk]), {"confirm": "1"})
        entry = ChangeLog.objects.filter(object_type="runs.run", object_id=str(run.pk),
                                         action="update").latest("pk")
        self.assertTrue(entry.object_repr.endswith(f"#{run.pk}"))
        page = self.get_as("admin", reverse("audit:list")).content.decode()
        self.assertIn(entry.object_repr, page)
        self.assertNotIn(f"#{run.pk}</a> <span class=\"muted\">#{run.pk}", page)
        self.assertNotIn(f"{entry.object_repr} #{run.pk}", page)
        self.assertIn("<td>王立新</td>", page)
