"""One root exception; every error a user can cause says where and what was expected.

Exit statuses (spec §5): 0 done, 2 bad input (usage, config, data), 1 anything else.
"""

from __future__ import annotations

from dataclasses import dataclass


class KaoheError(Exception):
    """Root of every error kaohe raises on purpose."""

    exit_status = 1


class InputError(KaoheError):
    """Bad input the user can fix: usage, configuration, schemes, data."""

    exit_status = 2


class ConfigError(InputError):
    """kaohe.yaml, org files or source definitions are wrong."""


class SchemeError(InputError):
    """A scheme definition is wrong; ``path`` points at the bad key (e.g. indicators[2].score)."""

    def __init__(self, scheme: str, path: str, message: str) -> None:
        self.scheme = scheme
        self.path = path
        self.message = message
        where = f"{path}: " if path else ""
        super().__init__(f"方案 scheme {scheme}: {where}{message}")


class FormulaError(SchemeError):
    """A formula is not allowed or cannot be parsed; names the offending text."""

    def __init__(self, scheme: str, indicator: str, message: str, offending: str = "") -> None:
        self.indicator = indicator
        self.offending = offending
        detail = f"{message}: {offending!r}" if offending else message
        super().__init__(scheme, f"indicator {indicator}", detail)


@dataclass(frozen=True)
class RowError:
    """One problem in an imported file."""

    file: str
    row: int  # 1-based row number as a spreadsheet shows it (header row included)
    column: str
    value: str
    reason: str
    # what kind of problem (kaohe.workspace.reasons.REASONS) and its parameters, so that the
    # web can show the reason in the reader's language; empty for reasons without a code
    code: str = ""
    params: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return f"{self.file}:{self.row} [{self.column}] {self.value!r}: {self.reason}"


class DataError(InputError):
    """An import failed validation; nothing was stored.

    ``errors`` may be only the first of ``total`` errors: importers keep a bounded number
    (workspace.limits.ImportLimits.errors_kept) and count the rest."""

    SHOWN = 50

    def __init__(self, source: str, errors: list[RowError], total: int | None = None) -> None:
        self.source = source
        self.errors = errors
        self.total = max(total or 0, len(errors))
        lines = [str(e) for e in errors[: self.SHOWN]]
        more = self.total - len(lines)
        if more > 0:
            lines.append(f"… 另有 {more} 个错误 / and {more} more errors")
        head = f"导入失败，未保存任何数据 / import of {source} failed, nothing stored: " \
               f"{self.total} error(s)"
        super().__init__("\n".join([head, *lines]))


class EngineError(KaoheError):
    """The engine failed while computing a run (not the user's input)."""


class Problems(InputError):
    """Several problems found at once (``kaohe check`` lists every one)."""

    def __init__(self, problems: list[InputError]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
