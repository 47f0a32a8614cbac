#!/usr/bin/env python3
"""Reads tables written by `otlp-analytics convert` with pyarrow and DuckDB
and checks that other engines see the documented schema and the same values.

Usage: interop.py --expect-rows TABLE=N ... --span-duration-sum-ns S
                  [--int-attribute KEY=VALUE] DIR [DIR ...]

Run by tests/interop.rs; exits 1 with a message on the first mismatch.
"""

import argparse
import os
import sys

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

TABLES = [
    "spans",
    "logs",
    "metric_points",
    "histogram_points",
    "exp_histogram_points",
    "summary_points",
]

STRING_MAP = pa.map_(pa.string(), pa.string())
TIMESTAMP = pa.timestamp("ns", tz="UTC")

# Column types every engine must see, per table (a subset: ids, times, maps, series).
CONTEXT = {
    "service_name": pa.string(),
    "resource_attributes": STRING_MAP,
    "resource_attribute_types": STRING_MAP,
    "scope_attributes": STRING_MAP,
}
POINT = {
    **CONTEXT,
    "series_id": pa.uint64(),
    "start_time_unix_nano": TIMESTAMP,
    "time_unix_nano": TIMESTAMP,
    "attributes": STRING_MAP,
    "attribute_types": STRING_MAP,
}
EXPECTED_TYPES = {
    "spans": {
        **CONTEXT,
        "trace_id": pa.binary(16),
        "span_id": pa.binary(8),
        "parent_span_id": pa.binary(8),
        "trace_id_raw": pa.binary(),
        "start_time_unix_nano": TIMESTAMP,
        "end_time_unix_nano": TIMESTAMP,
        "kind": pa.int32(),
        "status_code": pa.int32(),
        "attributes": STRING_MAP,
        "attribute_types": STRING_MAP,
    },
    "logs": {
        **CONTEXT,
        "time_unix_nano": TIMESTAMP,
        "observed_time_unix_nano": TIMESTAMP,
        "trace_id": pa.binary(16),
        "span_id": pa.binary(8),
        "severity_number": pa.int32(),
        "body": pa.string(),
    },
    "metric_points": {**POINT, "as_double": pa.float64(), "as_int": pa.int64()},
    "histogram_points": {**POINT, "count": pa.uint64(), "bucket_counts": pa.list_(pa.uint64())},
    "exp_histogram_points": {**POINT, "scale": pa.int32(), "positive_bucket_counts": pa.list_(pa.uint64())},
    "summary_points": {**POINT, "count": pa.uint64(), "sum": pa.float64()},
}


def fail(message):
    print(f"interop: {message}", file=sys.stderr)
    sys.exit(1)


def same_type(actual, expected):
    # Repeated strings are dictionary-encoded (DESIGN: readers see the same values).
    if pa.types.is_dictionary(actual) and not pa.types.is_dictionary(expected):
        return same_type(actual.value_type, expected)
    # Map and list field names differ between writers; compare the shape.
    if pa.types.is_map(expected):
        return (
            pa.types.is_map(actual)
            and actual.key_type == expected.key_type
            and actual.item_type == expected.item_type
        )
    if pa.types.is_list(expected):
        return pa.types.is_list(actual) and actual.value_type == expected.value_type
    return actual == expected


def check_pyarrow(directory, expect_rows):
    for table in TABLES:
        path = os.path.join(directory, f"{table}.parquet")
        rows = expect_rows.get(table, 0)
        if rows == 0:
            if os.path.exists(path):
                fail(f"{path}: no rows expected, but the file exists")
            continue
        data = pq.read_table(path)
        if data.num_rows != rows:
            fail(f"{path}: pyarrow reads {data.num_rows} rows, expected {rows}")
        for column, expected in EXPECTED_TYPES[table].items():
            actual = data.schema.field(column).type
            if not same_type(actual, expected):
                fail(f"{path}: column {column} is {actual}, expected {expected}")


def check_duckdb(directory, expect_rows, duration_sum, int_attributes):
    con = duckdb.connect()
    for table, rows in expect_rows.items():
        path = os.path.join(directory, f"{table}.parquet")
        (count,) = con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()
        if count != rows:
            fail(f"{path}: DuckDB counts {count} rows, expected {rows}")
    spans = os.path.join(directory, "spans.parquet")
    (total,) = con.execute(
        "SELECT sum(epoch_ns(end_time_unix_nano) - epoch_ns(start_time_unix_nano))::HUGEINT "
        f"FROM read_parquet('{spans}')"
    ).fetchone()
    if total != duration_sum:
        fail(f"{spans}: DuckDB span duration sum {total} ns, expected {duration_sum}")
    types = {row[0]: row[1] for row in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{spans}')").fetchall()}
    # Older DuckDB versions read UTC ns timestamps as microsecond TIMESTAMP WITH TIME ZONE.
    for column, accepted in [
        ("trace_id", {"BLOB"}),
        ("start_time_unix_nano", {"TIMESTAMPTZ_NS", "TIMESTAMP WITH TIME ZONE"}),
        ("attributes", {"MAP(VARCHAR, VARCHAR)"}),
    ]:
        if types[column] not in accepted:
            fail(f"{spans}: DuckDB sees {column} as {types[column]}, expected one of {sorted(accepted)}")
    # The documented typing convention: an int attribute casts back exactly.
    for key, value in int_attributes.items():
        got = con.execute(
            f"SELECT CAST(attributes['{key}'] AS BIGINT) FROM read_parquet('{spans}') "
            f"WHERE attribute_types['{key}'] = 'int'"
        ).fetchall()
        if got != [(value,)]:
            fail(f"{spans}: attribute {key} reads back as {got}, expected [{value}]")
    # The RED query from docs/schema.md runs and covers every span.
    red = con.execute(
        "SELECT service_name, name, count(*) AS spans, "
        "quantile_cont(epoch_ns(end_time_unix_nano) - epoch_ns(start_time_unix_nano), 0.99) AS p99_ns "
        f"FROM read_parquet('{spans}') GROUP BY ALL"
    ).fetchall()
    if sum(row[2] for row in red) != expect_rows["spans"]:
        fail(f"{spans}: RED query counts {sum(row[2] for row in red)} spans")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dirs", nargs="+", metavar="DIR")
    parser.add_argument("--expect-rows", action="append", default=[], metavar="TABLE=N")
    parser.add_argument("--span-duration-sum-ns", type=int, required=True)
    parser.add_argument("--int-attribute", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    expect_rows = {}
    for item in args.expect_rows:
        table, rows = item.split("=", 1)
        if table not in TABLES:
            fail(f"unknown table {table}")
        expect_rows[table] = int(rows)
    int_attributes = {k: int(v) for k, v in (item.split("=", 1) for item in args.int_attribute)}
    for directory in args.dirs:
        check_pyarrow(directory, expect_rows)
        check_duckdb(directory, expect_rows, args.span_duration_sum_ns, int_attributes)
    print(f"interop: {len(args.dirs)} directories ok (pyarrow {pa.__version__}, duckdb {duckdb.__version__})")


if __name__ == "__main__":
    main()
