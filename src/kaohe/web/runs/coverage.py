"""A run covers its scheme's scope (适用范围), and nothing beyond it.

A scheme scoped to a unit subtree (``Scheme.unit``) is configured, run and published by that
subtree's assessor (``roles.WHOLE_SCHEME``); the engine, though, computes the scheme's
``population`` over the whole org. A run whose results reach outside the scope would let that
assessor compute, rank and publish other branches' results, so it fails, all or nothing, and
says how to fix the scheme: restrict the population to the scope (``ancestor:<kind>: <id>``).
Company-wide schemes (no unit) cover everything.
"""

from __future__ import annotations

from collections.abc import Iterable

from kaohe.web.org.models import Unit
from kaohe.web.schemes.models import Scheme


class OutsideSchemeScope(ValueError):
    """Results of a run lie outside its scheme's scope; the run stores nothing."""


def check_coverage(scheme: Scheme, unit_ids: Iterable[str | None]) -> None:
    """Raise ``OutsideSchemeScope`` unless every result's unit lies in ``scheme``'s scope."""
    if scheme.unit_id is None:
        return
    scope = Unit.objects.get(pk=scheme.unit_id)
    inside = set(Unit.objects.filter(path__startswith=scope.path).values_list("pk", flat=True))
    outside = sum(1 for u in unit_ids if u not in inside)
    if outside:
        # Counts and the scheme's own scope only: no entity of any other branch is named.
        raise OutsideSchemeScope(
            f"方案 {scheme.code} 的适用范围为 {scope.name}（{scope.pk}），但有 {outside} 个考核对象"
            f"不在该范围内，未保存任何结果：请在方案的 population 中限定范围（如 "
            f"ancestor:<单位类型>: {scope.pk}），或请考核管理员调整方案的适用范围。 "
            f"{outside} result(s) lie outside the scheme's scope {scope.pk}: restrict its "
            f"population (e.g. ancestor:<kind>: {scope.pk}) or ask an admin to change its scope.")
