"""Spark path vs the CLI on the same cores (BENCHMARKS.md, "Spark").

    taskset -c 0   python python/bench_spark.py /tmp/otlp-spark-bench --cores 1
    taskset -c 0,1 python python/bench_spark.py /tmp/otlp-spark-bench --cores 2

Generates 1M spans and 1M metric points (fileexporter streams), splits each
into 8 files by frame, then times, on the cores the process may use (the CPU
affinity, which the JVM, Spark's Python workers and the engine's threads all
inherit): the CLI; Spark `local[CORES]` with the JVM + session start-up timed
separately, then `aggregate` twice (the first run also starts Spark's Python
workers; the second is the steady state). Checks Spark's rows equal the CLI's.
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
    ap.add_argument("--cores", type=int, required=True, help="Spark local[CORES]")
    ap.add_argument("--signals", default="traces,metrics")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    os.environ["PYSPARK_PYTHON"] = sys.executable
    print(f"cpu affinity: {sorted(os.sched_getaffinity(0))}")
    startup, _ = timed(
        lambda: subprocess.run(
            [sys.executable, "-c", "import pyspark.sql, otlp_analytics.spark"], check=True
        )
    )
    print(f"python start + imports: {startup:.2f} s")

    from pyspark.sql import SparkSession

    from otlp_analytics import spark as oas

    session_start, spark = timed(
        lambda: SparkSession.builder.master(f"local[{args.cores}]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(args.cores))
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )
    print(f"spark local[{args.cores}] JVM + session start: {session_start:.2f} s")
    for signal in args.signals.split(","):
        whole = args.dir / f"{signal}.otlp"
        if not whole.exists():
            subprocess.run([args.cli, "generate", *SETS[signal], "-o", str(whole)], check=True)
        split = args.dir / f"{signal}-split"
        if not split.exists():
            split_frames(whole, split, FILES)
        cmd = [args.cli, "aggregate", str(split), "--signal", signal, "--format", "json",
               "--backend", "cpu", "--quiet"]
        secs, proc = timed(lambda: subprocess.run(cmd, check=True, capture_output=True, text=True))
        cli_rows = [json.loads(line) for line in proc.stdout.splitlines()]
        print(f"{signal}: cli {secs:.2f} s ({len(cli_rows)} rows)")
        first, _ = timed(lambda: oas.aggregate(spark, split, signal, shards=args.cores).collect())
        secs, rows = timed(lambda: oas.aggregate(spark, split, signal, shards=args.cores).collect())
        assert [r.asDict(recursive=True) for r in rows] == cli_rows, "Spark differs from the CLI"
        print(f"{signal}: spark local[{args.cores}] first run {first:.2f} s, second run {secs:.2f} s")
    spark.stop()


if __name__ == "__main__":
    main()
