"""wavg (spec §11): multi-party rating with rater-role weights that survive a missing rater.

ratings (unit, day, rater, score), October:
    H1  公司 80, 合作方 90, 用户 70      H2  公司 80, 用户 60 (no partner rating)      H3  none
rating = wavg(r_company, 50, r_partner, 30, r_users, 20):
    H1 (80·50 + 90·30 + 70·20) / 100 = 81
    H2 (80·50 + 60·20) / (50 + 20) = 5200 / 70 = 74.2857…   (the partner's 30 drops out)
    H3 every x missing → missing (missing: zero → 0 points)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kaohe.errors import Problems
from wsbuilder import WsBuilder, col, role, scored

RATINGS = {"time": "day", "unit": "unit_id", "columns": {
    "unit_id": "string", "day": "date", "rater": "string", "score": "decimal"}}
LIN100 = {"rule": "linear", "floor": 0, "target": 100}


def by_role(code: str, rater: str) -> dict[str, Any]:
    return role(code, f"avg(score) filter (where rater = '{rater}')", "info", source="ratings")


SCHEME = {"entity": "unit", "period": "month", "population": {"kind": "hall"}, "indicators": [
    by_role("r_company", "公司"), by_role("r_partner", "合作方"), by_role("r_users", "用户"),
    scored("rating", "wavg(r_company, 50, r_partner, 30, r_users, 20)", 100, LIN100,
           source=None),
    role("nested", "wavg(r_company * 1.0, 1, wavg(r_partner, 1, r_users, 1), 1)", "info",
         source=None),
    role("fractional", "wavg(r_company, 0.5, r_users, 1.5)", "info", source=None)]}


@pytest.fixture(scope="module")
def t(tmp_path_factory: pytest.TempPathFactory) -> Any:
    b = WsBuilder(tmp_path_factory.mktemp("wavg")).standard_org().standard_sources()
    b.source("ratings", RATINGS).scheme("s", SCHEME)
    rows = [("H1", "公司", 80), ("H1", "合作方", 90), ("H1", "用户", 70), ("H2", "公司", 80),
            ("H2", "用户", 60)]
    b.facts("ratings", [{"unit_id": u, "day": "2026-10-20", "rater": r, "score": s}
                        for u, r, s in rows])
    return b.run("s", "2026-10", save=False)


def test_weighted_mean_over_the_raters_present(t: Any) -> None:
    got = col(t, "v_rating")
    assert got["H1"] == pytest.approx(81)
    assert got["H2"] == pytest.approx(5200 / 70)
    assert got["H3"] is None and col(t, "m_rating")["H3"] is True
    # points: linear 0..100, W 100 → the value itself, rounded; H3 missing: zero
    assert col(t, "p_rating") == {"H1": 81.0, "H2": 74.29, "H3": 0.0}


def test_nested_and_fractional_weights(t: Any) -> None:
    # nested: H1 (80 + (90 + 70)/2) / 2 = 80; H2 (80 + 60) / 2 = 70 (inner: users only)
    assert col(t, "v_nested") == {"H1": 80, "H2": 70, "H3": None}
    # fractional: H1 (80·0.5 + 70·1.5) / 2 = 72.5; H2 (40 + 90) / 2 = 65
    assert col(t, "v_fractional") == {"H1": 72.5, "H2": 65, "H3": None}


@pytest.mark.parametrize(("formula", "part"), [
    ("wavg(r_company, r_users)", "r_users"),
    ("wavg(r_company, 0)", "0"),
    ("wavg(r_company, -5)", "-5"),
    ("wavg(r_company, 1, r_users)", "wavg(r_company, 1, r_users)"),
    ("wavg()", "wavg()"),
    ("wavg(r_company, '50')", "'50'"),
    ("wavg(r_company, 20 + 30)", "20 + 30"),
    ("wavg(nobody, 1)", "nobody"),
])
def test_misused_wavg_is_refused_before_anything_runs(tmp_path: Path, formula: str,
                                                      part: str) -> None:
    b = WsBuilder(tmp_path).standard_org().standard_sources()
    b.source("ratings", RATINGS)
    b.scheme("bad", {**SCHEME, "indicators": [by_role("r_company", "公司"),
                                              by_role("r_users", "用户"),
                                              role("w", formula, "info", source=None)]})
    with pytest.raises(Problems) as exc:
        b.run("bad", "2026-10", save=False)
    text = str(exc.value)
    assert "scheme bad" in text and "indicator w" in text and part in text, text


def test_wavg_over_rows_is_refused(tmp_path: Path) -> None:
    b = WsBuilder(tmp_path).standard_org().standard_sources()
    b.source("ratings", RATINGS)
    b.scheme("bad", {**SCHEME, "indicators": [
        role("w", "sum(wavg(score, 1, score, 2))", "info", source="ratings")]})
    with pytest.raises(Problems) as exc:
        b.run("bad", "2026-10", save=False)
    assert "wavg" in str(exc.value) and "derived" in str(exc.value)
