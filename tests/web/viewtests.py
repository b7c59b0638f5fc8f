"""Base-class view test suites, the NetBox way (utilities/testing/views.py).

``WorldTestCase`` builds the shared world once per class. ``RoleMatrix`` tests one URL for the
anonymous user and for every user of the world: a subclass gives ``url()`` and ``expect``, the
status each user must get (every user must be listed, so a new role cannot be forgotten):

    class RankingViewTests(RoleMatrix, WorldTestCase):
        expect = {"admin": 200, "assessor": 200, "assessor_out": 404, ...}
        def url(self) -> str: return reverse("runs:ranking", args=[self.world.runs["clerk_star"].pk])

Statuses: 200 allowed, 403 role may not take the action, 404 object outside the user's scope.
``must_show`` / ``must_hide`` check in-scope and out-of-scope content on 200 pages.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.test import TestCase
from django.test.client import Client
from world import PASSWORD, World, build_world

USERS = ("admin", "assessor", "assessor_out", "head", "head_out", "staff", "staff_out",
         "inspector", "inspector_out", "partner", "partner_out")


class WorldTestCase(TestCase):
    world: ClassVar[World]

    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()

    def client_for(self, name: str) -> Client:
        client = Client()
        client.force_login(self.world.users[name])
        return client

    def get_as(self, name: str, url: str, **kwargs: Any) -> Any:
        return self.client_for(name).get(url, **kwargs)

    def post_as(self, name: str, url: str, data: dict[str, Any] | None = None,
                **kwargs: Any) -> Any:
        return self.client_for(name).post(url, data or {}, **kwargs)


class RoleMatrix:
    """Mixin for ``WorldTestCase``: one URL, every user, the expected status."""

    expect: ClassVar[dict[str, int]] = {}
    method: ClassVar[str] = "get"

    def url(self) -> str:
        raise NotImplementedError

    def data(self) -> dict[str, Any]:
        return {}

    def must_show(self, name: str) -> list[str]:
        """Texts a 200 page must contain for user ``name``."""
        return []

    def must_hide(self, name: str) -> list[str]:
        """Texts a 200 page must not contain for user ``name``."""
        return []

    def test_matrix_lists_every_user(self) -> None:
        self.assertEqual(sorted(self.expect), sorted(USERS))  # type: ignore[attr-defined]

    def test_anonymous_is_sent_to_login(self) -> None:
        client = Client()
        response = getattr(client, self.method)(self.url(), self.data())
        self.assertEqual(response.status_code, 302)  # type: ignore[attr-defined]
        self.assertIn("/accounts/login/", response["Location"])  # type: ignore[attr-defined]

    def test_every_user_gets_the_expected_status(self) -> None:
        for name in USERS:
            with self.subTest(user=name):  # type: ignore[attr-defined]
                client = self.client_for(name)  # type: ignore[attr-defined]
                response = getattr(client, self.method)(self.url(), self.data())
                want = self.expect[name]
                got = response.status_code
                if want == 200 and got == 302 and self.method == "post":
                    got = 200  # a successful POST redirects
                self.assertEqual(got, want)  # type: ignore[attr-defined]
                download = "attachment" in response.get("Content-Disposition", "")
                if want == 200 and self.method == "get" and not download:
                    text = response.content.decode()
                    for s in self.must_show(name):
                        self.assertIn(s, text)  # type: ignore[attr-defined]
                    for s in self.must_hide(name):
                        self.assertNotIn(s, text)  # type: ignore[attr-defined]


__all__ = ["PASSWORD", "USERS", "RoleMatrix", "World", "WorldTestCase"]


class RetireRevisions:
    """Tests that accept appeals store new revisions in the shared workspace's engine store,
    which a test's rollback does not undo: retire them afterwards (engine/history.retire_run),
    so that the latest revision of every period is again the one the world computed."""

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        self._done_before = _done_runs()

    def tearDown(self) -> None:
        from kaohe.engine.history import retire_run
        from kaohe.web.core.workspace import workspace

        store = workspace().store
        for run_id in _done_runs() - self._done_before:
            retire_run(store, run_id)
        super().tearDown()  # type: ignore[misc]


def _done_runs() -> set[str]:
    from kaohe.web.core.workspace import workspace

    store = workspace().store
    with store.connect(read_only=True) as con:
        return {r[0] for r in con.execute("SELECT run_id FROM runs WHERE status = 'done'")
                .fetchall()}
