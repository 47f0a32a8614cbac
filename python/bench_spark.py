"""Spark path vs the CLI on the same cores (BENCHMARKS.md, "Spark").

    python python/bench_spark.py /tmp/otlp-spark-bench [--cli target/release/otlp-analytics]

Generates 1M spans and 1M metric points (fileexporter streams), splits each
into 8 files by frame, then times: the CLI with --threads 1 and 2; Spark
local[1] and local[2] (JVM + session start-up timed separately, then
`aggregate` twice, the second run reported); and checks the answers agree.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

SETS = {
    "traces": ["--signal", "traces", "--seed", "5", "--spans", "1000000"],
    "metrics": ["--signal", "metrics", "--seed", "8", "--series", "10000", "--points", "100"],
}
FILES = 8


def split_frames(src: Path, dest: Path, files: int) -> None:
    """Deals the length-prefixed frames of `src` round-robin into `files` files."""
    dest.mkdir(parents=True, exist_ok=True)
    data = src.read_bytes()
    outs = [open(dest / f"part-{i}.otlp", "wb") for i in range(files)]
    at, n = 0, 0
    while at + 4 <= len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        outs[n % files].write(data[at : at + 4 + size])
        at += 4 + size
        n += 1
    for f in outs:
        f.close()


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dir", type=Path)
    ap.add_argument("--cli", default="target/release/otlp-analytics")
    args = ap.parse_args()
    os.environ["PYSPARK_PYTHON"] = sys.executable
    results = {}
    for signal, recipe in SETS.items():
        whole = args.dir / f"{signal}.otlp"
        if not whole.exists():
            subprocess.run([args.cli, "generate", *recipe, "-o", str(whole)], check=True)
        split = args.dir / f"{signal}-split"
        if not split.exists():
            split_frames(whole, split, FILES)
        for threads in (1, 2):
            cmd = [args.cli, "aggregate", str(split), "--signal", signal, "--format", "json",
                   "--threads", str(threads), "--backend", "cpu"]
            secs, proc = timed(lambda: subprocess.run(cmd, check=True, capture_output=True, text=True))
            results[f"{signal} cli threads={threads}"] = round(secs, 2)
            cli_rows = [json.loads(l) for l in proc.stdout.splitlines()]
        for cores in (1, 2):
            from pyspark.sql import SparkSession

            from otlp_analytics import spark as oas

            start, spark = timed(
                lambda: SparkSession.builder.master(f"local[{cores}]")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", str(cores))
                .getOrCreate()
            )
            results[f"{signal} spark local[{cores}] session start"] = round(start, 2)
            first, _ = timed(lambda: oas.aggregate(spark, split, signal, shards=cores).collect())
            secs, rows = timed(lambda: oas.aggregate(spark, split, signal, shards=cores).collect())
            results[f"{signal} spark local[{cores}] first run (Python workers start)"] = round(first, 2)
            results[f"{signal} spark local[{cores}]"] = round(secs, 2)
            assert [r.asDict(recursive=True) for r in rows] == cli_rows, "Spark differs from the CLI"
            spark.stop()
    for k, v in results.items():
        print(f"{k}: {v} s")


if __name__ == "__main__":
    main()
