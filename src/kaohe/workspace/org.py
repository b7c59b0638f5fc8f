"""The organisation (spec §1): units tree, people and their assignments over time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from kaohe.errors import ConfigError, RowError
from kaohe.workspace.tables import RawTable, read_table


@dataclass(frozen=True)
class Org:
    """Units (id → attributes), people (id → attributes) and assignments over time.

    Every attribute value is a string (or None): ids keep their leading zeros.
    """

    units: dict[str, dict[str, str | None]]  # id -> {name, kind, parent_id, ...}
    people: dict[str, dict[str, str | None]]  # id -> {name, ...}
    assignments: pd.DataFrame  # person_id, unit_id, position, start (date), end (date|None)

    def children(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for uid, u in self.units.items():
            parent = u.get("parent_id")
            if parent:
                out.setdefault(parent, []).append(uid)
        return out

    def ancestors(self, unit_id: str) -> list[str]:
        """The unit itself, then its parent, up to the root."""
        chain: list[str] = []
        cur: str | None = unit_id
        while cur is not None and cur in self.units:
            chain.append(cur)
            cur = self.units[cur].get("parent_id")
        return chain

    def ancestor_of_kind(self, unit_id: str, kind: str) -> str | None:
        for uid in self.ancestors(unit_id):
            if self.units[uid].get("kind") == kind:
                return uid
        return None

    def closure(self) -> pd.DataFrame:
        """(ancestor_id, unit_id) for every unit and each unit at or above it."""
        pairs = [(a, u) for u in self.units for a in self.ancestors(u)]
        return pd.DataFrame(pairs, columns=["ancestor_id", "unit_id"], dtype="string")

    def positions_on(self, day: date) -> pd.DataFrame:
        """person_id, unit_id, position as of ``day``: the matching assignment with the latest
        start (spec §1); people with no matching assignment are absent."""
        a = self.assignments
        on = a[(a["start"] <= day) & (a["end"].isna() | (a["end"] >= day))]
        on = on.sort_values(["person_id", "start"], kind="stable")
        on = on.drop_duplicates("person_id", keep="last")
        return on[["person_id", "unit_id", "position"]].reset_index(drop=True)

    def unit_name(self, unit_id: str | None) -> str | None:
        if unit_id is None or unit_id not in self.units:
            return None
        return self.units[unit_id].get("name")


def _find(folder: Path, stem: str) -> Path | None:
    for suffix in (".csv", ".xlsx"):
        p = folder / f"{stem}{suffix}"
        if p.exists():
            return p
    return None


def _records(raw: RawTable, required: Iterable[str], errors: list[RowError]) -> list[dict[str, str | None]]:
    headers = [h.strip() for h in raw.headers]
    missing = [c for c in required if c not in headers]
    if missing:
        errors.append(RowError(str(raw.path), raw.row_offset - 1, ",".join(missing), "",
                               "缺少列 missing column(s)"))
        return []
    data = raw.table.to_pydict()
    cols = [data[f"c{i}"] for i in range(len(headers))]
    out: list[dict[str, str | None]] = []
    for i in range(raw.table.num_rows):
        rec = {h: (v.strip() if isinstance(v, str) else v) for h, v in
               zip(headers, (c[i] for c in cols), strict=True)}
        out.append({k: (v if v != "" else None) for k, v in rec.items()})
    return out


def _parse_day(text: str | None) -> date | None:
    if text is None:
        return None
    return date.fromisoformat(text.replace("/", "-")[:10])


def load_org(root: Path) -> Org:
    """Read org/units, org/people, org/assignments (.csv or .xlsx); list every problem."""
    folder = root / "org"
    errors: list[RowError] = []
    paths = {stem: _find(folder, stem) for stem in ("units", "people", "assignments")}
    absent = [stem for stem, p in paths.items() if p is None]
    if absent:
        raise ConfigError(f"{folder}: 缺少组织文件 missing org files: "
                          + ", ".join(f"{s}.csv|.xlsx" for s in absent))
    units_raw = read_table(paths["units"])  # type: ignore[arg-type]
    people_raw = read_table(paths["people"])  # type: ignore[arg-type]
    asg_raw = read_table(paths["assignments"])  # type: ignore[arg-type]
    unit_recs = _records(units_raw, ["id", "name", "kind", "parent_id"], errors)
    people_recs = _records(people_raw, ["id", "name"], errors)
    asg_recs = _records(asg_raw, ["person_id", "unit_id", "position", "start", "end"], errors)

    units: dict[str, dict[str, str | None]] = {}
    for i, rec in enumerate(unit_recs):
        row = units_raw.row_offset + i
        uid = rec.get("id")
        if not uid:
            errors.append(RowError(str(units_raw.path), row, "id", "", "编号为空 empty id"))
        elif uid in units:
            errors.append(RowError(str(units_raw.path), row, "id", uid, "编号重复 duplicate id"))
        else:
            units[uid] = {k: v for k, v in rec.items() if k != "id"}
    for i, rec in enumerate(unit_recs):
        parent = rec.get("parent_id")
        if parent and parent not in units:
            errors.append(RowError(str(units_raw.path), units_raw.row_offset + i, "parent_id",
                                   parent, "上级单位不存在 unknown parent unit"))
    for uid in units:  # a cycle would make "the subtree" infinite
        seen: set[str] = set()
        cur: str | None = uid
        while cur is not None and cur in units:
            if cur in seen:
                errors.append(RowError(str(units_raw.path), 0, "parent_id", uid,
                                       "上级关系成环 the parent chain loops"))
                break
            seen.add(cur)
            cur = units[cur].get("parent_id")
        if errors and errors[-1].reason.startswith("上级关系成环"):
            break

    people: dict[str, dict[str, str | None]] = {}
    for i, rec in enumerate(people_recs):
        row = people_raw.row_offset + i
        pid = rec.get("id")
        if not pid:
            errors.append(RowError(str(people_raw.path), row, "id", "", "编号为空 empty id"))
        elif pid in people:
            errors.append(RowError(str(people_raw.path), row, "id", pid, "编号重复 duplicate id"))
        else:
            people[pid] = {k: v for k, v in rec.items() if k != "id"}

    rows: list[tuple[str, str, str | None, date, date | None]] = []
    for i, rec in enumerate(asg_recs):
        row = asg_raw.row_offset + i
        f = str(asg_raw.path)
        pid, uid = rec.get("person_id"), rec.get("unit_id")
        ok = True
        if not pid or pid not in people:
            errors.append(RowError(f, row, "person_id", pid or "", "人员不存在 unknown person"))
            ok = False
        if not uid or uid not in units:
            errors.append(RowError(f, row, "unit_id", uid or "", "单位不存在 unknown unit"))
            ok = False
        days: dict[str, date | None] = {}
        for col in ("start", "end"):
            try:
                days[col] = _parse_day(rec.get(col))
            except ValueError:
                errors.append(RowError(f, row, col, rec.get(col) or "",
                                       "日期无效 expected a date YYYY-MM-DD"))
                ok = False
        if ok and days["start"] is None:
            errors.append(RowError(f, row, "start", "", "开始日期必填 start is required"))
            ok = False
        if ok and days["end"] is not None and days["end"] < days["start"]:  # type: ignore[operator]
            errors.append(RowError(f, row, "end", rec.get("end") or "",
                                   "结束早于开始 end is before start"))
            ok = False
        if ok:
            rows.append((pid, uid, rec.get("position"), days["start"], days["end"]))  # type: ignore[arg-type]
    if errors:
        lines = [str(e) for e in errors[:50]]
        if len(errors) > 50:
            lines.append(f"… 另有 {len(errors) - 50} 个错误 / and {len(errors) - 50} more")
        raise ConfigError("组织数据有误 org files have errors:\n" + "\n".join(lines))
    assignments = pd.DataFrame(rows, columns=["person_id", "unit_id", "position", "start", "end"])
    assignments["end"] = assignments["end"].astype(object)
    return Org(units=units, people=people, assignments=assignments)
