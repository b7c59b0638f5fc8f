"""The world of the scope tests: the shared world plus a scheme scoped to each branch.

``branch_hall`` is the demo's 窗口服务考核 restricted to the in-scope assessor's branch (its
scope ``Scheme.unit`` and its population ``ancestor:分公司``), ``other_hall`` the same for the
other branch; each has a done, unpublished run for 2026-09. The schemes live in the database
only (a run computes the version's text), so no other test sees them in the workspace.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from world import World

from kaohe.web.org.models import Unit
from kaohe.web.runs.models import Run
from kaohe.web.runs.services import create_run, execute_run
from kaohe.web.schemes.models import Scheme, SchemeVersion

POPULATION = re.compile(r"^population: \{(.*)\}$", re.M)


def scoped_scheme(code: str, unit: Unit, population_unit: Unit | None = None) -> Scheme:
    """hall_service scoped to ``unit``; its population limited to ``population_unit``'s
    subtree (default: ``unit``), or to no subtree when that is the company root."""
    base = Scheme.objects.get(code="hall_service").current
    assert base is not None
    limit = population_unit or unit
    text = POPULATION.sub(lambda m: "population: {" + m.group(1)
                          + f', "ancestor:{limit.kind}": "{limit.pk}"' + "}", base.text)
    assert text != base.text
    text = text.replace("name: 窗口服务考核", f"name: 窗口服务考核（{unit.name}）")
    scheme = Scheme.objects.create(code=code, name=f"窗口服务考核（{unit.name}）", entity="unit",
                                   period="month", unit=unit)
    scheme.current = SchemeVersion.objects.create(scheme=scheme, number=1, text=text)
    scheme.save(update_fields=["current"])
    return scheme


def done_run(scheme: Scheme, period: str = "2026-09") -> Run:
    run = execute_run(create_run(scheme, period, None).pk)
    assert run.status == Run.Status.DONE, run.error
    return run


def add_branch_schemes(w: World) -> tuple[Run, Run]:
    """The draft runs of ``branch_hall`` (w.branch) and ``other_hall`` (w.other_branch)."""
    assert w.branch is not None and w.other_branch is not None
    return (done_run(scoped_scheme("branch_hall", w.branch)),
            done_run(scoped_scheme("other_hall", w.other_branch)))


@pytest.fixture(scope="module")
def private_workspace(web_workspace: Path, tmp_path_factory: pytest.TempPathFactory
                      ) -> Iterator[Path]:
    """A copy of the shared workspace for a module that writes facts, scheme files or runs."""
    root = tmp_path_factory.mktemp("scope") / "ws"
    shutil.copytree(web_workspace, root, ignore=shutil.ignore_patterns("reports", "uploads"))
    old = settings.WORKSPACE, settings.MEDIA_ROOT
    settings.WORKSPACE, settings.MEDIA_ROOT = root, root / "uploads"
    yield root
    settings.WORKSPACE, settings.MEDIA_ROOT = old
