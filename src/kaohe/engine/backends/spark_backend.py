"""Spark: the same plan rendered for Spark SQL over temporary views.

The session pins what would otherwise make numbers differ from DuckDB: ANSI mode on (errors,
not silent nulls, for overflow), the session time zone (UTC; kaohe's times are naive local
times and never converted) and TIMESTAMP_NTZ as the timestamp type.

Tables cross between kaohe and Spark as Parquet files in an exchange folder, never through the
driver's RPC: the inputs kaohe holds (the period's facts from the store, the population, the
org) are written there and read by the executors; the result is written there by the
executors and read back with pyarrow. Collecting a wide result with ``toArrow`` sends every
row through the driver's block manager, which lost results at 5M facts with the default
settings. On a cluster the folder must be one every executor can read and write (``exchange``
in kaohe.yaml's ``spark`` settings: a shared mount, or an hdfs:// / s3a:// URI Spark can write
to and pyarrow can read).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from kaohe.engine.backends.base import RunInputs
from kaohe.engine.compiled import CompiledScheme
from kaohe.engine.plan import Plan, build_plan, sorted_result
from kaohe.errors import EngineError
from kaohe.periods import Period
from kaohe.workspace.config import SparkSettings
from kaohe.workspace.sources import IMPORT_ORDER

DIALECT = "spark"
PINNED = {
    "spark.sql.ansi.enabled": "true",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}
DEFAULTS = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.driver.memory": "2g",
    "spark.sql.adaptive.enabled": "true",
}
_session: Any = None
_session_conf: tuple[str, tuple[tuple[str, str], ...]] | None = None


def session(settings: SparkSettings | None = None) -> Any:
    """One SparkSession per process (Spark allows one active context), kept between runs; a
    run with another master or other options stops it and starts one of its own."""
    global _session, _session_conf
    settings = settings or SparkSettings()
    conf = {**DEFAULTS, **settings.options, **PINNED}
    key = (settings.master, tuple(sorted(conf.items())))
    if _session is not None:
        if key == _session_conf:
            return _session
        stop()
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master(settings.master).appName("kaohe")
    for k, v in conf.items():
        builder = builder.config(k, v)
    _session = builder.getOrCreate()
    _session_conf = key
    _session.sparkContext.setLogLevel("ERROR")
    return _session


def stop() -> None:
    """Stop this process's session (its executors on a cluster are released)."""
    global _session, _session_conf
    if _session is not None:
        _session.stop()
    _session, _session_conf = None, None


def _date_diff(node: exp.Expression) -> exp.Expression:
    # whole units elapsed, as on DuckDB (see duckdb_backend._date_diff)
    if type(node) is exp.DateDiff:
        unit = str(node.args["unit"].name).upper()
        return exp.Anonymous(this="TIMESTAMPDIFF", expressions=[
            exp.Var(this=unit), node.expression, node.this])
    return node


def render(plan: Plan) -> str:
    return plan.query.transform(_date_diff).sql(dialect=DIALECT)


def _view(name: str) -> str:
    return "k_" + name.replace(":", "__")


def _exchange_dir(settings: SparkSettings) -> Path:
    """A fresh folder for one run's tables, under the configured exchange folder (or the
    system's temporary folder in local mode)."""
    base = settings.exchange or None
    if base:
        Path(base).mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="kaohe-spark-", dir=base))


def _ship(spark: Any, table: pa.Table, folder: Path, name: str) -> Any:
    """An Arrow table as a Spark DataFrame, through a Parquet file the executors read."""
    path = folder / f"{name}.parquet"
    pq.write_table(table, path)
    return spark.read.parquet(str(path))


def execute(cs: CompiledScheme, period: Period, inputs: RunInputs,
            settings: SparkSettings | None = None) -> tuple[pa.Table, str]:
    spark = session(settings)
    settings = settings or SparkSettings()
    folder = _exchange_dir(settings)
    try:
        facts: dict[str, exp.Expression] = {}
        for name, fi in inputs.facts.items():
            view = _view(fi.source.table)
            configured = settings.sources.get(name)
            if configured and "parquet" in configured:
                df = spark.read.parquet(configured["parquet"])
            elif configured and "table" in configured:
                df = spark.table(configured["table"])
            else:
                assert fi.rows is not None, f"facts of {name} were not loaded"
                df = _ship(spark, fi.rows, folder, view)
            if fi.source.sequences and IMPORT_ORDER not in df.columns:
                # an external table has no import order: its own order breaks ties of time
                from pyspark.sql.functions import monotonically_increasing_id
                df = df.withColumn(IMPORT_ORDER, monotonically_increasing_id())
            df.createOrReplaceTempView(view)
            facts[name] = exp.to_table(view)
        for name, table in inputs.small.items():
            _ship(spark, table, folder, name).createOrReplaceTempView(name)
        plan = build_plan(cs, period, facts)
        sql = render(plan)
        out = folder / "result"
        try:
            spark.sql(sql).write.mode("overwrite").parquet(str(out))
        except Exception as exc:  # py4j and Spark analysis errors have no common base
            raise EngineError(
                f"计算失败 the Spark run failed: {str(exc).splitlines()[0]}") from exc
        result = pq.read_table(out)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return sorted_result(result), sql
