"""Log in as each role in a real browser and see only what is theirs."""

from __future__ import annotations

from browser import BrowserTestCase, text_of


class LoginTests(BrowserTestCase):
    def test_each_role_logs_in_and_sees_its_menu(self) -> None:
        # Menu entries by role (core/context.py MENU and core/roles.py ALLOWED), by hand:
        must = {
            "admin": ["考核结果", "审计日志"],
            "assessor": ["考核结果", "审计日志"],
            "head": ["考核结果"],
            "staff": ["考核结果", "申诉"],
            "inspector": [],
            "partner": ["考核结果"],
        }
        never = {
            "head": ["审计日志"], "staff": ["审计日志"], "inspector": ["审计日志"],
            "partner": ["审计日志"],
        }
        for name, shown in must.items():
            with self.subTest(role=name), self.page_for(name) as page:
                menu = page.inner_text("nav.menu")
                for label in shown:
                    self.assertIn(label, menu)
                for label in never.get(name, []):
                    self.assertNotIn(label, menu)
                # the header names the person (the org's name) when the account has one,
                # else the account's own name; never the login of a person's account
                user = self.world.users[name]
                person = getattr(user.profile, "person", None)
                header = page.inner_text("header")
                self.assertIn(person.name if person is not None else
                              (user.get_full_name() or name), header)
                if person is not None:
                    self.assertNotIn(name, header)

    def test_wrong_password_is_refused(self) -> None:
        with self.page_for(None) as page:
            page.goto(self.url("/accounts/login/"))
            page.fill("#id_username", "staff")
            page.fill("#id_password", "not-the-password")
            page.click("button[type=submit]")
            self.assertIn("/accounts/login/", page.url)
            self.assertNotIn("退出", text_of(page))

    def test_language_switch_to_english(self) -> None:
        with self.page_for("admin") as page:
            page.click("form.lang button")
            page.wait_for_load_state()
            self.assertIn("Log out", page.inner_text("header"))


class ScopeInTheBrowserTests(BrowserTestCase):
    schemes = ("clerk_star",)

    def names_on_ranking(self, user: str, search: str = "") -> str:
        run = self.world.runs["clerk_star"]
        with self.page_for(user) as page:
            page.goto(self.url(f"/runs/{run.pk}/ranking/"))
            if search:  # the ranking is paginated: look a person up with the filter form
                page.fill("input[name=q]", search)
                page.click("form.filters button[type=submit], main form button[type=submit]")
                page.wait_for_load_state()
            return page.inner_text("main")

    def test_each_role_sees_only_its_people(self) -> None:
        from kaohe.web.org.models import Person

        w = self.world
        # staff: themselves only
        text = self.names_on_ranking("staff")
        self.assertIn(w.clerk.name, text)
        colleagues = Person.objects.filter(unit=w.hall, position="营业员").exclude(pk=w.clerk.pk)
        for p in colleagues:
            self.assertNotIn(p.pk, text)
        # head: the clerks of the hall, no one from the other hall
        text = self.names_on_ranking("head")
        for p in colleagues:
            self.assertIn(p.pk, text)
        self.assertNotIn(w.other_clerk.pk, text)
        # assessor: the branch, not the other branch
        self.assertIn(w.clerk.pk, self.names_on_ranking("assessor", w.clerk.pk))
        self.assertNotIn(w.other_clerk.pk, self.names_on_ranking("assessor", w.other_clerk.pk))
        # the other assessor: the mirror image
        self.assertIn(w.other_clerk.pk, self.names_on_ranking("assessor_out", w.other_clerk.pk))
        self.assertNotIn(w.clerk.pk, self.names_on_ranking("assessor_out", w.clerk.pk))
