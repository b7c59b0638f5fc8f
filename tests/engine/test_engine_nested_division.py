"""x / 0 is missing also when the division is inside another division (spec §3).

Found while nesting wavg: the compiler guarded only the outermost division of a nest, so
(a / b) / 2 with b = 0 reached DuckDB as a / 0 = inf (IEEE doubles), and the run failed
casting it. P1: a = sum(n) = 6, b = count of rows with c = 'zzz' = 0.
"""

from __future__ import annotations

from pathlib import Path

from wsbuilder import WsBuilder, col, person_scheme, role


def test_nested_division_by_zero_is_missing(tmp_path: Path) -> None:
    b = WsBuilder(tmp_path).standard_org().standard_sources()
    b.scheme("s", person_scheme([
        role("a", "sum(n)", "info", source="pz"),
        role("b", "count(*) filter (where c = 'zzz')", "info", source="pz"),
        role("d", "(a / b) / 2", "info", source=None),
        role("e", "a / (a / b)", "info", source=None),
        role("f", "sum(n) / (count(*) / count(*) filter (where c = 'zzz'))", "info",
             source="pz"),
        role("g", "(a / 3) / 2", "info", source=None)]))
    b.facts("pz", [{"person_id": "P1", "at": "2026-10-10 10:00:00", "n": 6, "c": "x"}])
    t = b.run("s", "2026-10", save=False)
    assert col(t, "v_d")["P1"] is None and col(t, "v_e")["P1"] is None
    assert col(t, "v_f")["P1"] is None
    assert col(t, "v_g")["P1"] == 1  # 6 / 3 / 2
