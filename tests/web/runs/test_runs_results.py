"""Role matrices of the result pages: ranking, its .xlsx, scorecard, fact drill-down, trend,
commission statement. Who may see what is worked out here from the world's org (paths, halls,
people), never from the scope code under test."""

from __future__ import annotations

from typing import ClassVar

from django.urls import NoReverseMatch, reverse
from viewtests import USERS, RoleMatrix, WorldTestCase

from kaohe.web.runs.models import Result

ALL_200 = {name: 200 for name in (
    "admin", "assessor", "assessor_out", "head", "head_out", "staff", "staff_out",
    "inspector", "inspector_out", "partner", "partner_out")}

# Results of a person run (clerk_star) as seen by each role: inspectors and partners see
# outlets' results, never people's (403); everyone else sees some of the run's clerks.
PERSON_RANKING = {**ALL_200, "inspector": 403, "inspector_out": 403, "partner": 403,
                  "partner_out": 403}
# The in-scope clerk's own scorecard.
CLERK_CARD = {"admin": 200, "assessor": 200, "assessor_out": 404, "head": 200, "head_out": 404,
              "staff": 200, "staff_out": 404, "inspector": 403, "inspector_out": 403,
              "partner": 403, "partner_out": 403}
# The in-scope hall's scorecard in the unit run (hall_service): staff see only their own
# person results, the hall's inspector sees it.
HALL_CARD = {"admin": 200, "assessor": 200, "assessor_out": 404, "head": 200, "head_out": 404,
             "staff": 404, "staff_out": 404, "inspector": 200, "inspector_out": 404,
             "partner": 404, "partner_out": 404}
# The unit run's ranking: staff have no unit result in scope (404), everyone else has one.
UNIT_RANKING = {**ALL_200, "staff": 404, "staff_out": 404}


def _unique_name(result: Result) -> str:
    """The result's name when no other result of the run carries it (so must_hide is sound)."""
    assert Result.objects.filter(run=result.run, name=result.name).count() == 1
    return result.name


class RankingPersonRunTests(RoleMatrix, WorldTestCase):
    expect: ClassVar[dict[str, int]] = PERSON_RANKING

    def url(self) -> str:
        return reverse("runs:ranking", args=[self.world.runs["clerk_star"].pk])


class RankingUnitRunTests(RoleMatrix, WorldTestCase):
    expect: ClassVar[dict[str, int]] = UNIT_RANKING

    def url(self) -> str:
        # both halls are self-owned halls (自营厅): one peer group, fewer than a page of rows
        return reverse("runs:ranking", args=[self.world.runs["hall_service"].pk]) \
            + "?group=自营厅"

    def must_show(self, name: str) -> list[str]:
        w = self.world
        if name in ("admin", "assessor", "head", "inspector"):
            return [w.result("hall_service", w.hall.pk).entity_id]
        return []

    def must_hide(self, name: str) -> list[str]:
        w = self.world
        if name in ("head", "inspector", "partner", "assessor"):
            return [_unique_name(w.result("hall_service", w.other_hall.pk))]
        return []


class RankingXlsxTests(RoleMatrix, WorldTestCase):
    expect: ClassVar[dict[str, int]] = PERSON_RANKING

    def url(self) -> str:
        return reverse("runs:ranking_xlsx", args=[self.world.runs["clerk_star"].pk])

    def test_every_user_gets_the_expected_status(self) -> None:
        # the shared suite decodes a 200 body as text; a workbook is binary
        for name in USERS:
            with self.subTest(user=name):
                response = self.get_as(name, self.url())
                self.assertEqual(response.status_code, self.expect[name])
                if response.status_code == 200:
                    self.assertTrue(response.content.startswith(b"PK"))  # a zip: .xlsx


class ScorecardClerkTests(RoleMatrix, WorldTestCase):
    expect: ClassVar[dict[str, int]] = CLERK_CARD

    def url(self) -> str:
        return reverse("runs:scorecard", args=[self.world.runs["clerk_star"].pk,
                                               self.world.clerk.pk])

    def must_show(self, name: str) -> list[str]:
        run = self.world.runs["clerk_star"]
        return [self.world.clerk.name, *[i["name"] for i in run.indicators]]

    def test_appeal_link_only_for_the_staff_member(self) -> None:
        result = self.world.result("clerk_star", self.world.clerk.pk)
        try:
            link = reverse("appeals:new", args=[result.pk])
        except NoReverseMatch:
            self.skipTest("appeals:new is not routed yet")
        self.assertIn(link, self.get_as("staff", self.url()).content.decode())
        for name in ("admin", "assessor", "head"):
            self.assertNotIn(link, self.get_as(name, self.url()).content.decode())


class ScorecardOtherClerkTests(RoleMatrix, WorldTestCase):
    """The out-of-scope clerk: the mirror image of ``ScorecardClerkTests``."""

    expect: ClassVar[dict[str, int]] = {"admin": 200, "assessor": 404, "assessor_out": 200, "head": 404, "head_out": 200,
              "staff": 404, "staff_out": 200, "inspector": 403, "inspector_out": 403,
              "partner": 403, "partner_out": 403}

    def url(self) -> str:
        return reverse("runs:scorecard", args=[self.world.runs["clerk_star"].pk,
                                               self.world.other_clerk.pk])


class ScorecardHallTests(RoleMatrix, WorldTestCase):
    expect: ClassVar[dict[str, int]] = HALL_CARD

    def url(self) -> str:
        return reverse("runs:scorecard", args=[self.world.runs["hall_service"].pk,
                                               self.world.hall.pk])

    def must_show(self, name: str) -> list[str]:
        return [self.world.hall.name]


class ScorecardPartnerHallTests(RoleMatrix, WorldTestCase):
    expect: ClassVar[dict[str, int]] = {"admin": 200, "assessor": 200, "assessor_out": 404, "head": 404, "head_out": 404,
              "staff": 404, "staff_out": 404, "inspector": 404, "inspector_out": 404,
              "partner": 200, "partner_out": 404}

    def url(self) -> str:
        return reverse("runs:scorecard", args=[self.world.runs["hall_service"].pk,
                                               self.world.partner_hall.pk])


class FactsClerkTests(RoleMatrix, WorldTestCase):
    expect: ClassVar[dict[str, int]] = CLERK_CARD

    def url(self) -> str:
        return reverse("runs:facts", args=[self.world.runs["clerk_star"].pk,
                                           self.world.clerk.pk, "volume"])


class FactsHallTests(RoleMatrix, WorldTestCase):
    expect: ClassVar[dict[str, int]] = HALL_CARD

    def url(self) -> str:
        return reverse("runs:facts", args=[self.world.runs["hall_service"].pk,
                                           self.world.hall.pk, "visits"])


class TrendClerkTests(RoleMatrix, WorldTestCase):
    expect: ClassVar[dict[str, int]] = CLERK_CARD

    def url(self) -> str:
        return reverse("runs:trend", args=["clerk_star", self.world.clerk.pk])

    def must_show(self, name: str) -> list[str]:
        return [self.world.clerk.name, "2026-09"]


class TrendHallTests(RoleMatrix, WorldTestCase):
    expect: ClassVar[dict[str, int]] = HALL_CARD

    def url(self) -> str:
        return reverse("runs:trend", args=["hall_service", self.world.hall.pk])


class StatementTests(RoleMatrix, WorldTestCase):
    """Everyone may open the statement; what it lists is their scope (test_runs_results_data)."""

    expect: ClassVar[dict[str, int]] = ALL_200

    def url(self) -> str:
        return reverse("runs:statement")
