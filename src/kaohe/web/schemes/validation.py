"""Validate a scheme's YAML the way ``kaohe check`` does, and place every problem at its line.

The checks are the CLI's (``kaohe.cli.checking``): ``parse_scheme`` (YAML, keys, values), the
workspace's org and sources, ``compile_for`` (every formula through the formula allow-list) and
the population and peer attributes. Nothing here writes anything.

Errors name the bad key by a path such as ``indicators[3] (quiz).score.steps[1][0]`` or, from
the formula compiler, ``indicator quiz.source``; ``line_of`` walks the YAML's node tree
(``yaml.compose``) along that path and returns the 1-based line of the deepest node it reaches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from kaohe.errors import ConfigError, InputError, Problems, SchemeError
from kaohe.scheme.loader import CODE, KEY_ALIASES, parse_scheme
from kaohe.scheme.model import Scheme
from kaohe.workspace import Workspace

# One step of a path: a key (``indicators``, ``score``) or an index (``[3]``). The loader
# decorates an indicator's index with its code (``indicators[3] (quiz)``): dropped here.
_STEP = re.compile(r"\[(\d+)\]|([^.\[\]]+)")
_CODE_NOTE = re.compile(r"\[(\d+)\] \([^)]*\)")


@dataclass(frozen=True)
class Problem:
    """One problem: the 1-based ``line`` (None when it concerns no line, e.g. a missing source
    definition), the loader's ``path`` ("" when none) and the ``message``."""

    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"第 {self.line} 行: " if self.line is not None else ""
        return f"{where}{self.message}"

    def as_json(self) -> dict[str, Any]:
        return {"line": self.line, "path": self.path, "message": self.message}


@dataclass(frozen=True)
class Validation:
    """The outcome: ``scheme`` is the parsed scheme when the YAML and keys were valid."""

    scheme: Scheme | None
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


def normalize(text: str) -> str:
    """The text as stored: browsers send a textarea's newlines as CRLF; files end with one."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if text.endswith("\n") or not text else text + "\n"


def _steps(path: str) -> list[str | int]:
    path = _CODE_NOTE.sub(r"[\1]", path)
    out: list[str | int] = []
    for index, key in _STEP.findall(path):
        out.append(int(index) if index else key)
    return out


def _lookup(node: yaml.Node, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    """The (key node, value node) of ``key`` in a mapping node, also under its old alias."""
    if not isinstance(node, yaml.MappingNode):
        return None
    names = [key] + [old for old, new in KEY_ALIASES.items() if new == key]
    for name in names:
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == name:
                return k, v
    return None


def _indicator(root: yaml.Node, code: str) -> yaml.Node | None:
    found = _lookup(root, "indicators")
    if found is None or not isinstance(found[1], yaml.SequenceNode):
        return None
    for item in found[1].value:
        pair = _lookup(item, "code")
        if pair is not None and isinstance(pair[1], yaml.ScalarNode) and pair[1].value == code:
            return item
    return None


def _walk(node: yaml.Node, steps: list[str | int]) -> int:
    """The 0-based line of the deepest node reached along ``steps`` from ``node``. A key step
    lands on the key's line (a block value starts on the next one); an index on the item."""
    line = node.start_mark.line
    for step in steps:
        if isinstance(step, int):
            if not isinstance(node, yaml.SequenceNode) or step >= len(node.value):
                break
            node = node.value[step]
            line = node.start_mark.line
        else:
            pair = _lookup(node, step)
            if pair is None:
                break
            line, node = pair[0].start_mark.line, pair[1]
    return line


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None


def line_of(text: str, path: str) -> int | None:
    """The 1-based line ``path`` points at in ``text``; None when the YAML does not parse.

    Paths come from the loader (``indicators[2] (x).score.target``, ``payout.coefficient.A``,
    ``grades[0][0]``, an unknown key ``foo``) or from the compiler (``indicator x`` and
    ``indicator x.value`` → the formula, ``indicator x.source``, ``indicator payout.base``).
    A path whose end does not exist (a missing key) stops at the deepest part that does; an
    empty path is the document's first line.
    """
    root = _compose(text)
    if root is None:
        return None
    if path.startswith("indicator "):
        rest = path[len("indicator "):]
        if rest == "payout.base":
            return _walk(root, ["payout", "base"]) + 1
        code, _, key = rest.partition(".")
        item = _indicator(root, code)
        if item is None:
            # a formula outside the indicators, e.g. ``indicator payout[1] (b).amount`` (spec
            # §10 lines): the path from the document's top
            steps = _steps(rest)
            if steps and isinstance(steps[0], str) and _lookup(root, steps[0]) is not None:
                return _walk(root, steps) + 1
            return _walk(root, ["indicators"]) + 1
        return _walk(item, [key or "value"]) + 1
    return _walk(root, _steps(path)) + 1


def _yaml_problem(exc: ConfigError) -> Problem:
    cause = exc.__cause__
    mark = getattr(cause, "problem_mark", None) or getattr(cause, "context_mark", None)
    problem = getattr(cause, "problem", None) or str(cause or exc)
    return Problem(mark.line + 1 if mark is not None else None, "",
                   f"YAML 格式错误 invalid YAML: {problem}")


def _problem(text: str, exc: InputError) -> Problem:
    if isinstance(exc, SchemeError):
        return Problem(line_of(text, exc.path), exc.path, exc.message)
    return Problem(None, "", str(exc))


def _flatten(exc: InputError) -> list[InputError]:
    return list(exc.problems) if isinstance(exc, Problems) else [exc]


def validate(ws: Workspace, code: str, text: str) -> Validation:
    """Check scheme ``code`` with YAML ``text`` against workspace ``ws``; never raises for bad
    input. Problems come in the CLI's order: parsing first, then (only when parsing passed) the
    workspace's org and sources, then formulas and attributes."""
    from kaohe.cli.checking import _check_attr
    from kaohe.engine.run import compile_for

    if not CODE.match(code):
        return Validation(None, [Problem(None, "code", "代码须为标识符 code must be letters, "
                                                      f"digits, _ , got {code!r}")])
    try:
        scheme = parse_scheme(text, code)
    except ConfigError as exc:  # the YAML itself (parse_yaml wraps yaml's error)
        return Validation(None, [_yaml_problem(exc)])
    except InputError as exc:
        return Validation(None, [_problem(text, e) for e in _flatten(exc)])
    problems: list[Problem] = []
    for load in (lambda: ws.org, lambda: ws.sources):
        try:
            load()
        except InputError as exc:
            problems.extend(Problem(None, "", str(e)) for e in _flatten(exc))
    if problems:
        return Validation(scheme, problems)
    try:
        compile_for(ws, scheme)
    except InputError as exc:
        problems.extend(_problem(text, e) for e in _flatten(exc))
    attributes = ws.attributes()
    checks = [(a, "population") for a, _v in scheme.population]
    checks += [(a, "peers") for a in scheme.peers]
    for attr, where in checks:
        try:
            _check_attr(attr, attributes, code, where)
        except SchemeError as exc:
            problems.append(_problem(text, exc))
    return Validation(scheme, problems)
