"""Notifications: publishing a run tells every user with a result of it in scope (not the
publisher, not roles that see none of it), and the owners of alerted results; deciding an
appeal tells whoever filed it. Each user reads and marks only their own; mail only when
switched on."""

from __future__ import annotations

from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from viewtests import USERS, WorldTestCase
from v2world import V2WorldTestCase, visible
from world import build_world

from kaohe.web.appeals.models import Appeal
from kaohe.web.notify.models import Notification
from kaohe.web.runs.models import Result

# clerk_star rates clerks: staff see their own result, heads their hall's clerks, assessors
# their branch's; inspectors and partners see no clerk's result; admin publishes.
TOLD = {"assessor", "assessor_out", "head", "head_out", "staff", "staff_out"}


class NotifyTests(WorldTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world(schemes=("clerk_star",), publish=False)
        run = cls.world.runs["clerk_star"]
        # the staff member's own result is alerted (one result, in the head's hall)
        Result.objects.filter(run=run, entity_id=cls.world.clerk.pk).update(alert=True)

    def publish(self) -> None:
        run = self.world.runs["clerk_star"]
        self.post_as("admin", reverse("runs:publish", args=[run.pk]), {"confirm": "1"})

    def notes(self, name: str, kind: str) -> list[Notification]:
        return list(Notification.objects.filter(user=self.world.users[name], kind=kind))

    def test_publishing_tells_those_who_see_results(self) -> None:
        self.assertEqual(Notification.objects.count(), 0)
        self.publish()
        run = self.world.runs["clerk_star"]
        for name in USERS:
            with self.subTest(user=name):
                got = self.notes(name, Notification.Kind.PUBLISHED)
                self.assertEqual(len(got), 1 if name in TOLD else 0)
                if got:
                    self.assertEqual(got[0].url, reverse("runs:ranking", args=[run.pk]))
                    self.assertEqual(self.get_as(name, got[0].url).status_code, 200)
        self.publish()  # refused the second time: nobody is told twice
        self.assertEqual(Notification.objects.filter(kind="published").count(), len(TOLD))

    def test_alerts_go_to_their_owners(self) -> None:
        self.publish()
        alerted = {name: [n.detail for n in self.notes(name, Notification.Kind.ALERT)]
                   for name in USERS}
        # the clerk's own result, and the clerk's hall for the head: one each
        self.assertEqual({k: v for k, v in alerted.items() if v},
                         {"staff": ["1"], "head": ["1"]})

    def test_home_page_header_and_marking_read(self) -> None:
        self.publish()
        page = self.get_as("staff", reverse("core:dashboard")).content.decode()
        self.assertIn("未读通知", page)
        self.assertIn("考核结果已发布：营业员星级考核 2026-09", page)
        self.assertIn('<span class="count">2</span>', page)  # published + alert
        mine = self.notes("staff", Notification.Kind.PUBLISHED)[0]
        # another user cannot read or mark it
        self.assertEqual(self.post_as("head", reverse("notify:read", args=[mine.pk]))
                         .status_code, 404)
        self.assertNotIn("营业员星级考核 2026-09</button>",
                         self.get_as("partner", reverse("notify:list")).content.decode())
        response = self.post_as("staff", reverse("notify:read", args=[mine.pk]), {"open": "1"})
        self.assertRedirects(response, mine.url, fetch_redirect_response=False)
        mine.refresh_from_db()
        self.assertIsNotNone(mine.read_at)
        page = self.get_as("staff", reverse("core:dashboard")).content.decode()
        self.assertIn('<span class="count">1</span>', page)
        self.post_as("staff", reverse("notify:read_all"))
        self.assertFalse(Notification.objects.filter(user=self.world.users["staff"],
                                                     read_at__isnull=True).exists())

    def test_a_decided_appeal_tells_who_filed_it(self) -> None:
        self.publish()
        result = self.world.result("clerk_star", self.world.clerk.pk)
        appeal = Appeal.objects.create(result=result, reason="数据有误",
                                       filed_by=self.world.users["staff"])
        self.assertEqual(self.notes("staff", Notification.Kind.APPEAL), [])
        appeal.status = Appeal.Status.REJECTED
        appeal.decided_at = timezone.now()
        appeal.decided_by = self.world.users["assessor"]
        appeal.save()
        (note,) = self.notes("staff", Notification.Kind.APPEAL)
        self.assertEqual(note.detail, "已驳回")
        self.assertEqual(self.get_as("staff", note.url).status_code, 200)
        self.assertEqual(self.notes("head", Notification.Kind.APPEAL), [])

    def test_mail_only_when_switched_on(self) -> None:
        staff = self.world.users["staff"]
        staff.email = "clerk@example.com"
        staff.save()
        with self.captureOnCommitCallbacks(execute=True):
            self.publish()
        self.assertEqual(mail.outbox, [])  # the default: nothing leaves the machine
        Notification.objects.all().delete()
        run = self.world.runs["clerk_star"]
        with override_settings(KAOHE_NOTIFY_EMAIL=True), \
                self.captureOnCommitCallbacks(execute=True):
            run.refresh_from_db()
            run.save(update_fields=["published_at"])  # published again as far as signals go
        self.assertEqual([m.to for m in mail.outbox], [["clerk@example.com"]] * 2)
        self.assertIn("营业员星级考核 2026-09", mail.outbox[0].subject)


class ItemAlertTests(V2WorldTestCase):
    """An item run (zero_use, v2world): staff are told of the alerted customers they own."""

    def test_item_alerts_go_to_the_items_owners(self) -> None:
        from kaohe.web.notify.services import run_published

        run = self.world.runs["zero_use"]
        Notification.objects.all().delete()
        run_published(run)
        mine = [c for c in visible(self.world, "staff") or [] if c["grade"] != "正常"]
        got = Notification.objects.get(user=self.world.users["staff"],
                                       kind=Notification.Kind.ALERT)
        self.assertEqual(got.detail, str(len(mine)))
        self.assertEqual(self.get_as("staff", got.url).status_code, 200)
        for name in ("admin", "assessor", "inspector"):  # they own no customer
            self.assertFalse(Notification.objects.filter(user=self.world.users[name]).exists())
