"""The Python API gives the CLI's answers: aggregate (same table as
`aggregate -o`), validate (same JSON), read (same rows as `convert`),
partial/merge over random splits, and the CLI's error messages."""

from __future__ import annotations

import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import otlp_analytics as oa
from conftest import REPO, cli_error, run_cli

CASES = [
    ("traces", None, None),
    ("traces", "service.name,status_code", "10s"),
    ("metrics", None, None),
    ("metrics", "service.name", "1m"),
    ("logs", None, None),
    ("logs", "service.name,severity_number", "30s"),
]


def cli_table(tmp_path, inputs, signal, by, window) -> pa.Table:
    out = tmp_path / f"{signal}-{by}-{window}.parquet"
    args = ["aggregate", *inputs, "--signal", signal, "-o", out]
    if by:
        args += ["--by", by]
    if window:
        args += ["--window", window]
    run_cli(*args)
    return pq.read_table(out)


@pytest.mark.parametrize("signal,by,window", CASES)
def test_aggregate_equals_the_cli(tmp_path, datasets, signal, by, window):
    _, split = datasets[signal]
    expected = cli_table(tmp_path, [split], signal, by, window)
    got = oa.aggregate(split, signal, by=by, window=window)
    assert got.schema.names == expected.schema.names
    assert got.schema.types == expected.schema.types
    assert got.num_rows > 1
    assert got.equals(expected)


def test_validate_equals_the_cli(datasets):
    import json

    _, split = datasets["traces"]
    proc = run_cli("validate", split, "--format", "json", ok_codes=(0, 1))
    assert oa.validate(split) == json.loads(proc.stdout)
    assert oa.validate(split)["spans_checked"] == 20000


@pytest.mark.parametrize("signal,by,window", CASES)
def test_partial_merge_over_random_splits_equals_aggregate(datasets, signal, by, window):
    whole, split = datasets[signal]
    files = sorted(split.iterdir())
    expected = oa.aggregate(split, signal, by=by, window=window)
    rng = random.Random(f"{signal} {by} {window}")
    for _ in range(3):
        # A random split of the files into runs, partialled, merged in random order.
        cuts = sorted(rng.sample(range(1, len(files)), rng.randint(0, len(files) - 1)))
        bounds = [0, *cuts, len(files)]
        groups = [(a, files[a:b]) for a, b in zip(bounds, bounds[1:])]
        states = [oa.partial(g, signal, by=by, window=window, first_input=a) for a, g in groups]
        rng.shuffle(states)
        if len(states) > 2 and signal != "metrics":
            # Part of it pre-merged into one state, as a tree of merges would.
            head = oa.merge(states[:2], signal, by=by, window=window, finish=False)
            states = [head] + states[2:]
        got = oa.merge(states, signal, by=by, window=window)
        assert got.equals(expected), (signal, by, window, [len(g) for _, g in groups])


def test_read_yields_the_convert_columns(tmp_path, datasets):
    whole, split = datasets["traces"]
    out = tmp_path / "converted"
    run_cli("convert", split, "-o", out)
    expected = pq.read_table(out / "spans.parquet")
    batches = list(oa.read(split))
    assert {b.schema.metadata[b"otlp_analytics.table"] for b in batches} == {b"spans"}
    got = pa.Table.from_batches(batches).replace_schema_metadata(None)
    assert got.num_rows == expected.num_rows == 20000
    assert got.column_names == expected.column_names
    assert got.column("span_id").equals(expected.column("span_id"))
    assert got.column("start_time_unix_nano").equals(expected.column("start_time_unix_nano"))
    # Bytes of one dump, a column selection, a table filter.
    data = (REPO / "datasets" / "traces.otlp.zst").read_bytes()
    picked = list(oa.read(data, columns=["trace_id", "name"]))
    assert sum(b.num_rows for b in picked) == 20000
    assert picked[0].schema.names == ["trace_id", "name"]
    metrics = REPO / "datasets" / "metrics.otlp.zst"
    hist = list(oa.read(metrics, table="histogram_points"))
    assert hist and all(b.schema.metadata[b"otlp_analytics.table"] == b"histogram_points" for b in hist)
    assert list(oa.read(metrics, signal="traces")) == []


def test_errors_carry_the_cli_message(tmp_path, datasets):
    bad = tmp_path / "bad.jsonl"
    whole, _ = datasets["logs"]
    lines = whole.read_text().splitlines()
    bad.write_text(lines[0] + "\n" + '{"resourceLogs": [ {"resource": 7} ]\n')
    message = cli_error("aggregate", bad, "--signal", "logs")
    assert "bad.jsonl: frame 1 at byte" in message
    with pytest.raises(oa.OtlpError) as e:
        oa.aggregate(bad, "logs")
    assert str(e.value) == message
    with pytest.raises(oa.OtlpError) as e:
        list(oa.read(bad))
    assert str(e.value) == cli_error("convert", bad, "-o", tmp_path / "out")
    with pytest.raises(oa.OtlpError) as e:
        oa.partial([bad], "logs")
    assert str(e.value) == message
    with pytest.raises(oa.OtlpError) as e:
        list(oa.read(bad.read_bytes()))
    assert "<bytes>: frame 1 at byte" in str(e.value)
    with pytest.raises(oa.OtlpError, match="no OTLP data in .* \\(no traces found\\)"):
        oa.aggregate(whole, "traces")
    with pytest.raises(oa.OtlpError, match="invalid signal"):
        oa.aggregate(whole, "spans")
    with pytest.raises(oa.OtlpError, match="cannot merge into a traces aggregation"):
        oa.merge([oa.partial(whole, "logs")], "traces")
