"""The organisation (spec §1): units tree, people and their assignments over time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kaohe.errors import ConfigError, RowError
from kaohe.workspace.filecache import FileCache
from kaohe.workspace.tables import RawTable, read_table


@dataclass(frozen=True)
class Org:
    """Units (id → attributes), people (id → attributes) and assignments over time.

    Every attribute value is a string (or None): ids keep their leading zeros. An Org is
    shared by everyone in the process who opens the same workspace (``cached_org``): treat it,
    its dicts and its frame as read-only (methods return new frames).
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


ORG_FILES = ("units", "people", "assignments")

_orgs: FileCache[Org] = FileCache(size=8)


def cached_org(root: Path) -> Org:
    """``load_org(root)``, parsed once per process while the three org files stay the same
    (kaohe.workspace.filecache): the web opens a workspace per request."""
    folder = root / "org"
    paths = [_find(folder, stem) for stem in ORG_FILES]
    if None in paths:
        return load_org(root)  # says which are missing
    return _orgs.get(str(folder.resolve()), paths, lambda: load_org(root))  # type: ignore[arg-type]


def load_org(root: Path) -> Org:
    """Read org/units, org/people, org/assignments (.csv or .xlsx); list every problem."""
    folder = root / "org"
    paths = {stem: _find(folder, stem) for stem in ORG_FILES}
    absent = [stem for stem, p in paths.items() if p is None]
    if absent:
        raise ConfigError(f"{folder}: 缺少组织文件 missing org files: "
                          + ", ".join(f"{s}.csv|.xlsx" for s in absent))
    units_raw = read_table(paths["units"])  # type: ignore[arg-type]
    people_raw = read_table(paths["people"])  # type: ignore[arg-type]
    asg_raw = read_table(paths["assignments"])  # type: ignore[arg-type]
    org = _org_by_columns(units_raw, people_raw, asg_raw)
    return org if org is not None else _org_by_rows(units_raw, people_raw, asg_raw)


def _org_by_rows(units_raw: RawTable, people_raw: RawTable, asg_raw: RawTable) -> Org:
    """The org, checked row by row: raises ConfigError listing every problem."""
    errors: list[RowError] = []
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

    rows: list[Assignment] = []
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
    return Org(units=units, people=people, assignments=_assignment_frame(rows))


Assignment = tuple[str, str, str | None, date, date | None]


def _assignment_frame(rows: list[Assignment]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["person_id", "unit_id", "position", "start", "end"])
    frame["end"] = frame["end"].astype(object)
    return frame


# The characters str.strip() removes (str.isspace); a cell that starts or ends with one is
# stripped in Python, as _records does, so that both readers see the same text.
_SPACE = "\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_EDGE_SPACE = f"^[{_SPACE}]|[{_SPACE}]$"


def _cells(column: pa.ChunkedArray) -> list[str | None]:
    """A column's cells as _records reads them: stripped, empty → None."""
    if pc.any(pc.match_substring_regex(column, _EDGE_SPACE)).as_py():
        return [v.strip() or None if v is not None else None for v in column.to_pylist()]
    return pc.if_else(pc.equal(column, ""), None, column).to_pylist()  # type: ignore[no-any-return]


def _columns(raw: RawTable, required: Iterable[str]) -> dict[str, list[str | None]] | None:
    """The columns by (stripped) header; None if a required one is missing, a header repeats
    or a column is not text."""
    headers = [h.strip() for h in raw.headers]
    if len(set(headers)) < len(headers) or any(c not in headers for c in required):
        return None
    if any(not pa.types.is_string(raw.table.column(i).type) for i in range(len(headers))):
        return None
    return {h: _cells(raw.table.column(i)) for i, h in enumerate(headers)}


def _records_by_id(cols: dict[str, list[str | None]]) -> dict[str, dict[str, str | None]] | None:
    """id → the row's other cells; None if an id is empty or repeated."""
    ids = cols["id"]
    if None in ids or len(set(ids)) < len(ids):
        return None
    rest = [h for h in cols if h != "id"]
    return {i: dict(zip(rest, vals, strict=True))
            for i, *vals in zip(ids, *(cols[h] for h in rest), strict=True)}


def _days(texts: list[str | None]) -> list[date | None] | None:
    """Each cell as _parse_day reads it (each distinct text parsed once); None if one is not a
    date."""
    try:
        parsed = {t: _parse_day(t) for t in set(texts)}
    except ValueError:
        return None
    return [parsed[t] for t in texts]


def _has_cycle(units: dict[str, dict[str, str | None]]) -> bool:
    done: set[str] = set()  # units whose chain is known to end
    for uid in units:
        seen: set[str] = set()
        cur: str | None = uid
        while cur is not None and cur in units and cur not in done:
            if cur in seen:
                return True
            seen.add(cur)
            cur = units[cur].get("parent_id")
        done |= seen
    return False


def _org_by_columns(units_raw: RawTable, people_raw: RawTable, asg_raw: RawTable) -> Org | None:
    """The org read a column at a time: the same Org as ``_org_by_rows`` for files without
    problems; None at the first problem found (``_org_by_rows`` then lists them all)."""
    ucols = _columns(units_raw, ["id", "name", "kind", "parent_id"])
    pcols = _columns(people_raw, ["id", "name"])
    acols = _columns(asg_raw, ["person_id", "unit_id", "position", "start", "end"])
    if ucols is None or pcols is None or acols is None:
        return None
    units, people = _records_by_id(ucols), _records_by_id(pcols)
    if units is None or people is None:
        return None
    if not all(p is None or p in units for p in ucols["parent_id"]) or _has_cycle(units):
        return None
    pids, uids = acols["person_id"], acols["unit_id"]
    if not all(p in people for p in pids) or not all(u in units for u in uids):
        return None
    starts, ends = _days(acols["start"]), _days(acols["end"])
    if starts is None or ends is None or None in starts:
        return None
    if any(e is not None and e < s for s, e in zip(starts, ends, strict=True)):  # type: ignore[operator]
        return None
    rows = list(zip(pids, uids, acols["position"], starts, ends, strict=True))
    return Org(units=units, people=people, assignments=_assignment_frame(rows))  # type: ignore[arg-type]
