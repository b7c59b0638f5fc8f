"""Bad item schemes and via are refused before anything runs (spec §8, §18), with messages
naming the scheme, the key and the columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kaohe.engine.run import run_scheme
from kaohe.errors import ConfigError, InputError, Problems
from kaohe.scheme.loader import parse_scheme
from kaohe.workspace import Workspace
from kaohe.workspace.sources import load_source
from items_cases import ACTIVATIONS, CALLS
from wsbuilder import WsBuilder, dump_yaml


def _ws(tmp_path: Path, scheme: dict[str, Any]) -> WsBuilder:
    b = WsBuilder(tmp_path).standard_org().standard_sources()
    b.source("activations", ACTIVATIONS).source("calls", CALLS)
    return b.scheme("s", {"period": "month", **scheme})


def _refused(b: WsBuilder) -> str:
    with pytest.raises(InputError) as info:
        run_scheme(b.workspace(), "s", "2026-10")
    # nothing ran: no store was even created
    assert not b.workspace().store.path.exists()
    return str(info.value)


ENTITY = {"source": "activations", "key": "number"}
CALLS_IND = {"code": "c", "source": "calls", "value": "count(*)", "role": "info"}


def test_key_column_missing_from_the_entity_source(tmp_path: Path) -> None:
    msg = _refused(_ws(tmp_path, {"entity": {"source": "activations", "key": "imei"},
                                  "indicators": [{**CALLS_IND, "match": "msisdn"}]}))
    assert "entity.key" in msg and "activations" in msg and "'imei'" in msg


def test_indicator_source_without_the_key_column_names_both(tmp_path: Path) -> None:
    msg = _refused(_ws(tmp_path, {"entity": ENTITY, "indicators": [CALLS_IND]}))
    # calls has msisdn, not number: the message names calls, number and activations
    assert "calls" in msg and "'number'" in msg and "activations.number" in msg
    assert "match" in msg


def test_match_column_missing(tmp_path: Path) -> None:
    msg = _refused(_ws(tmp_path, {"entity": ENTITY,
                                  "indicators": [{**CALLS_IND, "match": "phone"}]}))
    assert "'phone'" in msg and "calls" in msg and "msisdn" in msg  # the columns it has


def test_results_as_the_item_source(tmp_path: Path) -> None:
    msg = _refused(_ws(tmp_path, {"entity": {"source": "results:x", "key": "entity_id"},
                                  "indicators": [{**CALLS_IND, "match": "msisdn"}]}))
    assert "entity.source" in msg and "results:x" in msg


def test_unknown_entity_source(tmp_path: Path) -> None:
    msg = _refused(_ws(tmp_path, {"entity": {"source": "cards", "key": "number"},
                                  "indicators": [{**CALLS_IND, "match": "msisdn"}]}))
    assert "'cards'" in msg and "activations" in msg


def test_unknown_item_attribute_in_peers(tmp_path: Path) -> None:
    msg = _refused(_ws(tmp_path, {"entity": ENTITY, "peers": ["region"],
                                  "indicators": [{**CALLS_IND, "match": "msisdn"}]}))
    assert "'region'" in msg and "plan" in msg  # the attributes it could use


def test_via_on_a_source_with_a_person_column(tmp_path: Path) -> None:
    msg = _refused(_ws(tmp_path, {"entity": "person", "indicators": [
        {"code": "v", "source": "tx", "via": "channel_manager", "value": "count(*)",
         "role": "info"}]}))
    assert "via" in msg and "tx" in msg and "person_id" in msg


def test_via_attribute_no_unit_has(tmp_path: Path) -> None:
    b = _ws(tmp_path, {"entity": "person", "indicators": [
        {"code": "v", "source": "hall", "via": "channel_manager", "value": "count(*)",
         "role": "info"}]})
    b.facts("hall", [{"unit_id": "H1", "day": "2026-10-01", "n": 1}])
    with pytest.raises(InputError, match="channel_manager"):
        run_scheme(b.workspace(), "s", "2026-10")


@pytest.mark.parametrize("entity, indicator, where", [
    ({"source": "activations", "key": "number", "window": 0}, {}, "entity.window"),
    ({"source": "activations", "key": "number", "window": 37}, {}, "entity.window"),
    ({"source": "activations", "key": "number", "offset": -1}, {}, "entity.offset"),
    ({"source": "activations", "key": "number", "offset": "3"}, {}, "entity.offset"),
    ({"source": "activations"}, {}, "entity.key"),
    ({"key": "number"}, {}, "entity.source"),
    ({"source": "activations", "key": "number", "by": "x"}, {}, "entity.by"),
    ("item", {}, "entity"),
    # names that would be SQL if pasted: refused as names, never quoted into a query
    ({"source": "activations", "key": "number) OR (1=1"}, {}, "entity.key"),
    ({"source": "activations", "key": "number"}, {"match": "msisdn\" --"}, "match"),
    ("person", {"via": "cm'; DROP TABLE runs; --"}, "via"),
    ("person", {"match": "msisdn"}, "match"),
    ("unit", {"via": "channel_manager"}, "via"),
])
def test_loader_refuses(entity: Any, indicator: dict[str, Any], where: str) -> None:
    text = dump_yaml({"period": "month", "entity": entity,
                      "indicators": [{**CALLS_IND, **indicator}]})
    with pytest.raises(Problems) as info:
        parse_scheme(text, "s")
    assert where in str(info.value)


@pytest.mark.parametrize("spec, words", [
    ({"person": "p", "columns": {"p": "string", "at": "datetime"}}, ["time"]),
    ({"time": "at", "columns": {"k": "string", "at": "datetime"}}, ["person", "unit"]),
])
def test_an_item_source_needs_time_and_person_or_unit(tmp_path: Path, spec: dict[str, Any],
                                                      words: list[str]) -> None:
    path = tmp_path / "cards.yaml"
    path.write_text(dump_yaml({"name": "cards", **spec}), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_source(path)
    assert all(w in str(info.value) for w in words)


def test_spark_only_item_source_is_refused_before_spark_starts(tmp_path: Path) -> None:
    b = _ws(tmp_path, {"entity": ENTITY, "indicators": [{**CALLS_IND, "match": "msisdn"}]})
    (tmp_path / "kaohe.yaml").write_text(
        "engine: duckdb\nspark:\n  sources:\n    activations: {parquet: /nowhere/activations}\n",
        encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        run_scheme(Workspace.open(tmp_path), "s", "2026-10", engine="spark")
    assert "activations" in str(info.value) and "spark.sources" in str(info.value)
