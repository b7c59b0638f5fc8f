"""YAML reading with errors that name the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kaohe.errors import ConfigError


def read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: 无法读取 cannot read: {exc.strerror}") from exc
    return parse_yaml(text, str(path))


def parse_yaml(text: str, where: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}{line}: YAML 格式错误 invalid YAML: {problem}") from exc
