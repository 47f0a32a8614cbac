"""otlp-analytics on a Spark cluster (PySpark >= 4.0), with the CLI's answers.

The engine's own model, carried to the cluster with Spark doing the shuffles:

1. a DataFrame of the input files (in the CLI's order) is spread over the
   executors; ``mapInArrow`` decodes each file and partially aggregates it
   (traces, logs: per-group state; metrics: the points with their series,
   tagged with a ``shard`` from the group's keys; validate: span records
   tagged with a shard from the trace id);
2. ``groupBy(shard).applyInArrow`` brings every part of a shard together: all
   points of each metric series (and so cumulative → delta sees the whole
   series, however its points were spread over files) and all spans of each
   trace; our Rust merge combines them into per-group state or findings;
3. one ``applyInArrow`` task merges those and finishes: the same code as the
   CLI's finish, never Spark's approximate percentiles.

Partial states travel between the stages as Arrow IPC bytes, so their exact
sums, sketches and bucket counts survive the trip bit for bit.
"""

from __future__ import annotations

import json
from typing import Optional, Sequence, Union

import pyarrow as pa
import pyarrow.compute as pc

from . import _keys, _native, _paths, Paths

__all__ = ["aggregate", "validate"]

_STATE_SCHEMA = "shard long, state binary"


def _to_ipc(batch: Union[pa.RecordBatch, pa.Table]) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write(batch)
    return sink.getvalue().to_pybytes()


def _from_ipc(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


def _states(table: pa.Table) -> list:
    return [_from_ipc(b) for b in table.column("state").to_pylist()]


def _shard_rows(shards: list) -> pa.RecordBatch:
    """One row per (shard, state) pair."""
    return pa.RecordBatch.from_arrays(
        [
            pa.array([s for s, _ in shards], pa.int64()),
            pa.array([_to_ipc(b) for _, b in shards], pa.binary()),
        ],
        names=["shard", "state"],
    )


def _file_frame(spark, files: list, parallelism: int):
    rows = [(i, f) for i, f in enumerate(files)]
    df = spark.createDataFrame(rows, "idx long, path string")
    return df.repartition(max(1, min(len(files), parallelism)), "idx")


def _spark_types(table: pa.Table) -> pa.Table:
    """Types Spark has: timestamps as int64 nanoseconds (exact, as the CLI's
    JSON prints them), unsigned integers as int64 (lists included)."""

    def fix(t: pa.DataType) -> pa.DataType:
        if pa.types.is_timestamp(t) or pa.types.is_unsigned_integer(t):
            return pa.int64()
        if pa.types.is_list(t):
            return pa.list_(fix(t.value_type))
        if pa.types.is_dictionary(t):
            return fix(t.value_type)
        return t

    columns = []
    for col in table.columns:
        target = fix(col.type)
        if pa.types.is_timestamp(col.type):
            col = pc.cast(col, pa.int64())
        columns.append(col if target == col.type else pc.cast(col, target))
    return pa.Table.from_arrays(columns, names=table.column_names)


def aggregate(
    spark,
    paths: Paths,
    signal: str,
    by: Union[None, str, Sequence[str]] = None,
    window: Optional[str] = None,
    shards: Optional[int] = None,
):
    """``otlp-analytics aggregate`` on the cluster: a DataFrame whose rows and
    column names are those of the CLI's ``--format json`` output (timestamps
    as integer nanoseconds). ``shards`` (default: the default parallelism) is
    how many partitions points are shuffled into."""
    keys = _keys(by)
    files = _native.expand(_paths(paths))
    n = max(1, int(shards or spark.sparkContext.defaultParallelism))

    def partial_files(batches):
        for b in batches:
            for idx, path in zip(b.column("idx").to_pylist(), b.column("path").to_pylist()):
                state = _native.partial([path], signal, keys, window, idx)
                if signal == "metrics":
                    # Every shard, even an empty one: the state carries which inputs were read.
                    parts = [(s, _native.select_shard(state, s, n)) for s in range(n)]
                else:
                    parts = [(idx % n, state)]
                yield _shard_rows(parts)

    def combine(table: pa.Table) -> pa.Table:
        merged = _native.merge(_states(table), signal, keys, window, False)
        shard = table.column("shard")[0].as_py()
        return pa.Table.from_batches([_shard_rows([(shard, merged)])])

    def finish(table: pa.Table) -> pa.Table:
        result = _native.merge(_states(table), signal, keys, window, True)
        return pa.table({"result": pa.array([_to_ipc(result)], pa.binary())})

    from pyspark.sql import functions as F

    stage1 = _file_frame(spark, files, n).mapInArrow(partial_files, _STATE_SCHEMA)
    stage2 = stage1.groupBy("shard").applyInArrow(combine, _STATE_SCHEMA)
    stage3 = stage2.withColumn("one", F.lit(1)).groupBy("one").applyInArrow(
        lambda t: finish(t.drop_columns(["one"])), "result binary"
    )
    rows = stage3.collect()
    return spark.createDataFrame(_spark_types(_from_ipc(rows[0]["result"])))


def validate(
    spark,
    paths: Paths,
    skew: str = "0s",
    examples: int = 5,
    shards: Optional[int] = None,
) -> dict:
    """``otlp-analytics validate --format json`` computed on the cluster: spans
    are shuffled by trace id, each shard's traces are checked on an executor,
    and the findings merge into the CLI's report."""
    files = _native.expand(_paths(paths))
    n = max(1, int(shards or spark.sparkContext.defaultParallelism))

    def spans_of_files(batches):
        for b in batches:
            for idx, path in zip(b.column("idx").to_pylist(), b.column("path").to_pylist()):
                # Input order, as the CLI's examples are chosen by it: file index, then position.
                spans = _native.validate_spans([path], idx << 40)
                parts = [(s, _native.select_shard(spans, s, n)) for s in range(n)]
                yield _shard_rows(parts)

    def check(table: pa.Table) -> pa.Table:
        found = _native.validate_check(_states(table), skew, examples)
        shard = table.column("shard")[0].as_py()
        return pa.Table.from_batches([_shard_rows([(shard, found)])])

    def finish(table: pa.Table) -> pa.Table:
        report = _native.validate_finish(_states(table.drop_columns(["one"])), examples)
        return pa.table({"report": pa.array([report], pa.string())})

    from pyspark.sql import functions as F

    stage1 = _file_frame(spark, files, n).mapInArrow(spans_of_files, _STATE_SCHEMA)
    stage2 = stage1.groupBy("shard").applyInArrow(check, _STATE_SCHEMA)
    stage3 = stage2.withColumn("one", F.lit(1)).groupBy("one").applyInArrow(finish, "report string")
    return json.loads(stage3.collect()[0]["report"])
