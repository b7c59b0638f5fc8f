"""A workspace folder: settings, org, sources, schemes and the store, loaded on demand."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from kaohe.errors import ConfigError, InputError
from kaohe.scheme.loader import load_scheme
from kaohe.scheme.model import Scheme
from kaohe.workspace.calendar import Calendar, load_calendar
from kaohe.workspace.config import Settings, load_settings
from kaohe.workspace.filecache import FileCache
from kaohe.workspace.org import Org, cached_org
from kaohe.workspace.sources import RESULTS_PREFIX, Source, load_sources, results_source
from kaohe.workspace.store import Store


# each scheme file parsed once per process while it stays the same (a Scheme is immutable)
_schemes: FileCache[Scheme] = FileCache(size=256)


class Workspace:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.settings: Settings = load_settings(root)
        store = Path(self.settings.store)
        self.store = Store(store if store.is_absolute() else root / store)

    @classmethod
    def open(cls, root: Path | str) -> Workspace:
        path = Path(root)
        if not path.is_dir():
            raise ConfigError(f"{path}: 工作区不存在 workspace folder not found")
        if not (path / "kaohe.yaml").exists() and not (path / "schemes").is_dir():
            raise ConfigError(f"{path}: 不是 kaohe 工作区 not a kaohe workspace "
                              "(no kaohe.yaml and no schemes/)")
        return cls(path)

    @cached_property
    def org(self) -> Org:
        """The org as its files say now; parsed once per process while they stay the same
        (``org.cached_org``), so it is shared: read-only."""
        return cached_org(self.root)

    @cached_property
    def calendar(self) -> Calendar:
        """org/calendar.csv's working days (spec §17); the default week without one."""
        return load_calendar(self.root)

    @cached_property
    def sources(self) -> dict[str, Source]:
        return load_sources(self.root / "sources", cached=True)

    def scheme_codes(self) -> list[str]:
        folder = self.root / "schemes"
        return sorted(p.stem for p in folder.glob("*.y*ml")) if folder.is_dir() else []

    def scheme(self, code: str) -> Scheme:
        for suffix in (".yaml", ".yml"):
            path = self.root / "schemes" / f"{code}{suffix}"
            if path.exists():
                return _schemes.get(str(path.absolute()), [path], lambda p=path: load_scheme(p))
        raise InputError(f"未知方案 unknown scheme {code!r}; schemes: "
                         + (", ".join(self.scheme_codes()) or "(none)"))

    def source(self, name: str) -> Source:
        if name.startswith(RESULTS_PREFIX):
            ref = self.scheme(name[len(RESULTS_PREFIX):])
            return results_source(ref.code, ref.entity, [i.code for i in ref.indicators])
        if name not in self.sources:
            raise InputError(f"未知数据源 unknown source {name!r}; sources: "
                             + (", ".join(sorted(self.sources)) or "(none)"))
        return self.sources[name]

    def sources_for(self, scheme: Scheme) -> dict[str, Source]:
        out = dict(self.sources)
        for name in scheme.sources:
            if name.startswith(RESULTS_PREFIX):
                if name[len(RESULTS_PREFIX):] == scheme.code:
                    raise InputError(f"方案 {scheme.code} 不能读取自己的结果 a scheme cannot read "
                                     "its own results")
                out[name] = self.source(name)
        return out

    def attributes(self) -> set[str]:
        """Attribute names usable in population, peers and payout formulas."""
        names: set[str] = {"unit", "position", "parent", "kind", "name"}
        for rec in list(self.org.units.values())[:1] + list(self.org.people.values())[:1]:
            names.update(rec)
        return names
