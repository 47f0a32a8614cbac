"""otlp_analytics.spark in local[2] mode: aggregate and validate on split
datasets (traces and metric series spread over files, out of order) equal the
CLI's output exactly; a bad file raises with the CLI's message; Spark reads
`convert` Parquet in both time units."""

from __future__ import annotations

import json

import pytest

from conftest import cli_error, cli_json_rows, run_cli
from test_api import CASES

import otlp_analytics as oa
from otlp_analytics import spark as oas


def sort_key(row: dict):
    return json.dumps(row, sort_keys=True)


@pytest.mark.parametrize("signal,by,window", CASES)
def test_spark_aggregate_equals_the_cli(spark, datasets, signal, by, window):
    _, split = datasets[signal]
    args = ["aggregate", split, "--signal", signal]
    if by:
        args += ["--by", by]
    if window:
        args += ["--window", window]
    expected = cli_json_rows(*args)
    df = oas.aggregate(spark, split, signal, by=by, window=window, shards=3)
    # The CLI's column order (its JSON objects print keys sorted, its Parquet in order).
    assert df.columns == oa.aggregate(split, signal, by=by, window=window).column_names
    assert sorted(df.columns) == sorted(expected[0])
    got = [row.asDict(recursive=True) for row in df.collect()]
    assert len(got) == len(expected) > 1
    # Same rows in the same order (the CLI's sort).
    assert got == expected


def test_spark_validate_equals_the_cli(spark, datasets):
    _, split = datasets["traces"]
    expected = json.loads(run_cli("validate", split, "--format", "json", ok_codes=(0, 1)).stdout)
    assert oas.validate(spark, split, shards=3) == expected


def test_spark_bad_file_raises_with_the_cli_message(spark, tmp_path, datasets):
    whole, _ = datasets["traces"]
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    (bad_dir / "a.jsonl").write_text(whole.read_text().splitlines()[0] + "\n")
    bad = bad_dir / "b.jsonl"
    bad.write_bytes(b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}\n')
    message = cli_error("aggregate", bad_dir, "--signal", "traces")
    assert "b.jsonl" in message
    with pytest.raises(Exception) as e:
        oas.aggregate(spark, bad_dir, "traces").collect()
    assert message in str(e.value)
    with pytest.raises(Exception) as e:
        oas.validate(spark, bad_dir)
    assert cli_error("validate", bad_dir) in str(e.value)


def test_spark_reads_convert_parquet_in_both_time_units(spark, tmp_path, datasets):
    whole, _ = datasets["logs"]
    ns_dir, us_dir = tmp_path / "ns", tmp_path / "us"
    run_cli("convert", whole, "-o", ns_dir)
    run_cli("convert", whole, "-o", us_dir, "--time-unit", "us")
    import pyarrow.parquet as pq

    exact = pq.read_table(ns_dir / "logs.parquet").column("observed_time_unix_nano").cast("int64").to_pylist()
    us = spark.read.parquet(str(us_dir / "logs.parquet"))
    assert us.count() == 5000
    assert dict(us.dtypes)["observed_time_unix_nano"] == "timestamp"
    from pyspark.sql import functions as F

    micros = [r[0] for r in us.select(F.unix_micros("observed_time_unix_nano")).collect()]
    assert micros == [t // 1000 for t in exact]
    spark.conf.set("spark.sql.legacy.parquet.nanosAsLong", "true")
    try:
        ns = spark.read.parquet(str(ns_dir / "logs.parquet"))
        assert ns.count() == 5000
        assert dict(ns.dtypes)["observed_time_unix_nano"] == "bigint"
        assert [r[0] for r in ns.select("observed_time_unix_nano").collect()] == exact
    finally:
        spark.conf.unset("spark.sql.legacy.parquet.nanosAsLong")
