"""The README's tour ("A tour 快速上手") runs as written on the demo: every ``kaohe`` line of its
code block, in order, on a copy of the small demo workspace. The one placeholder,
``<person id>``, is filled with an id from the ranking the tour's own ``kaohe run`` wrote."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kaohe.cli.main import _register, cli

README = Path(__file__).parents[2] / "README.md"


def tour_lines() -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index("## A tour 快速上手")
    block = re.search(r"```sh\n(.*?)```", text[start:], re.S)
    assert block is not None
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines()
            if line.strip()]


def test_the_tour_runs_as_written(demo: tuple[Path, dict[str, Any]], tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "demo-workspace"
    shutil.copytree(demo[0], root, ignore=shutil.ignore_patterns("reports"))
    monkeypatch.chdir(root)  # the tour's `cd demo-workspace`
    lines = tour_lines()
    assert lines[:2] == [". .venv/bin/activate", "cd demo-workspace"]
    commands = lines[2:]
    assert commands and all(c.startswith("kaohe ") for c in commands)
    _register()
    runner = CliRunner()
    ran = []
    for command in commands:
        args = shlex.split(command.replace("<person id>", "PERSON"))[1:]
        for arg in args:  # every file the tour imports is in the demo
            if arg.startswith("data/"):
                assert (root / arg).is_file(), arg
        if "PERSON" in args:
            ranking = json.loads((root / "clerk_star.json").read_text(encoding="utf-8"))
            args[args.index("PERSON")] = str(ranking["entities"][0]["id"])
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, (command, result.output)
        ran.append(args[0])
        if args[0] == "run" and "--out" in args:
            # the same run as JSON, to read an id for explain (an .xlsx is for people)
            out = runner.invoke(cli, ["run", args[1], "--period", args[3],
                                      "--out", "clerk_star.json"])
            assert out.exit_code == 0, out.output
            assert (root / args[args.index("--out") + 1]).is_file()
    assert ran == ["check", "run", "explain", "import", "import", "run", "alerts"]

