"""Report writers: a RunResult to .json, .csv, .parquet or .xlsx, and the terminal ranking.

``write_result`` picks the format by the file's suffix. The file is written beside its target
and moved into place at the end, so a failed write never leaves half a report under the name.
"""

from __future__ import annotations

import os
from pathlib import Path

from kaohe.errors import InputError
from kaohe.report.terminal import print_ranking
from kaohe.results import RunResult

SUFFIXES: tuple[str, ...] = (".json", ".csv", ".parquet", ".xlsx")

__all__ = ["SUFFIXES", "print_ranking", "write_result"]


def _write(result: RunResult, suffix: str, path: Path) -> None:
    # Imported per format: a JSON export should not pay for pyarrow or xlsxwriter.
    if suffix == ".json":
        from kaohe.report.flat import write_json

        with path.open("w", encoding="utf-8") as out:
            write_json(result, out)
    elif suffix == ".csv":
        from kaohe.report.flat import write_csv

        with path.open("w", encoding="utf-8-sig", newline="") as out:
            write_csv(result, out)
    elif suffix == ".parquet":
        from kaohe.report.flat import write_parquet

        write_parquet(result, path)
    else:
        from kaohe.report.xlsx import write_xlsx

        write_xlsx(result, path)


def write_result(result: RunResult, path: Path) -> None:
    """Write ``result`` to ``path`` in the format its suffix names (.json .csv .parquet .xlsx).

    Raises InputError for any other suffix. Missing parent directories are created.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        allowed = " ".join(SUFFIXES)
        raise InputError(
            f"不支持的输出文件类型 {path.suffix or '（无后缀）'}：{path}；可用后缀 {allowed} / "
            f"unsupported output file type {path.suffix or '(no suffix)'}: {path}; "
            f"allowed suffixes: {allowed}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    # A hidden name in the same directory (so the final rename is atomic); created normally
    # rather than by mkstemp so the report gets the usual permissions, not 0600.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        _write(result, suffix, tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise

