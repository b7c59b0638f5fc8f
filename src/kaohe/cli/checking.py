"""kaohe check: every problem of the workspace and its schemes, listed at once."""

from __future__ import annotations

from pathlib import Path

from kaohe.errors import InputError, Problems


def _flatten(exc: InputError) -> list[InputError]:
    return list(exc.problems) if isinstance(exc, Problems) else [exc]


def check_workspace(root: Path, only: str | None = None) -> tuple[list[InputError], list[str]]:
    """Return (problems, what was checked). Never raises for bad input."""
    from kaohe.engine.payout_lines import pool_withins
    from kaohe.engine.run import compile_for
    from kaohe.workspace import Workspace

    problems: list[InputError] = []
    checked: list[str] = []
    try:
        ws = Workspace.open(root)
    except InputError as exc:
        return _flatten(exc), checked
    for what, load in (("org", lambda: ws.org), ("sources", lambda: ws.sources),
                       ("calendar", lambda: ws.calendar)):
        try:
            load()
            checked.append(what)
        except InputError as exc:
            problems.extend(_flatten(exc))
    if problems:
        return problems, checked
    codes = [only] if only else ws.scheme_codes()
    attributes = ws.attributes()
    for code in codes:
        try:
            scheme = ws.scheme(code)
            compile_for(ws, scheme)
            if scheme.item is not None:  # item attributes are checked while compiling
                checked.append(code)
                continue
            for attr, _values in scheme.population:
                _check_attr(attr, attributes, code, "population")
            for attr in scheme.peers:
                _check_attr(attr, attributes, code, "peers")
            for i, keys in pool_withins(scheme).items():  # pool lines (spec §4, §10)
                for attr in keys:
                    _check_attr(attr, attributes, code, f"payout[{i}].within")
            checked.append(code)
        except InputError as exc:
            problems.extend(_flatten(exc))
    return problems, checked


def _check_attr(attr: str, known: set[str], scheme: str, where: str) -> None:
    from kaohe.errors import SchemeError

    if attr.startswith("ancestor:") or attr in known:
        return
    raise SchemeError(scheme, where, f"未知属性 unknown attribute {attr!r}; known: "
                      + ", ".join(sorted(known)) + ", ancestor:KIND")
