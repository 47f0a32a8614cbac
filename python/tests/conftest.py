"""Shared fixtures: the CLI binary, the bundled datasets' recipes written as
OTLP/JSON and split into several files (spans of a trace and points of a
metric series dealt over the files at random, in shuffled order), and a
PySpark session in local[2] mode."""

from __future__ import annotations

import copy
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# The datasets/README.md recipes (same seeds and sizes), as OTLP/JSON Lines.
RECIPES = {
    "traces": ["--signal", "traces", "--seed", "1", "--spans", "20000", "--services", "6"],
    "metrics": ["--signal", "metrics", "--seed", "2", "--series", "200", "--points", "30"],
    "logs": ["--signal", "logs", "--seed", "3", "--logs", "5000"],
}

# Lists whose items are dealt over the files, and the containers above them.
LEAVES = {"spans", "logRecords", "dataPoints"}
CONTAINERS = {
    "resourceSpans",
    "scopeSpans",
    "resourceMetrics",
    "scopeMetrics",
    "metrics",
    "resourceLogs",
    "scopeLogs",
}
METRIC_DATA = {"gauge", "sum", "histogram", "exponentialHistogram", "summary"}


def cli_path() -> Path:
    path = Path(os.environ.get("OTLP_ANALYTICS_BIN", REPO / "target" / "release" / "otlp-analytics"))
    if not path.exists():
        pytest.fail(f"{path} not found: run `cargo build --release` (or set OTLP_ANALYTICS_BIN)")
    return path


def run_cli(*args: str, ok_codes=(0,)) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(cli_path()), *map(str, args)], capture_output=True, text=True)
    assert proc.returncode in ok_codes, f"{args}: exit {proc.returncode}: {proc.stderr}"
    return proc


def cli_error(*args: str) -> str:
    """The message the CLI prints for a failing command (without `error: `)."""
    proc = run_cli(*args, ok_codes=(2,))
    line = proc.stderr.strip().splitlines()[-1]
    assert line.startswith("error: "), proc.stderr
    return line[len("error: "):]


def cli_json_rows(*args: str) -> list:
    out = run_cli(*args, "--format", "json").stdout
    return [json.loads(line) for line in out.splitlines()]


def split_obj(obj, k: int, rng: random.Random):
    """`k` copies of a request, each with a random share of its leaf items
    (None for a copy left without any)."""
    outs = [dict() for _ in range(k)]
    filled = [False] * k
    for key, value in obj.items():
        if key in LEAVES and isinstance(value, list):
            parts = [[] for _ in range(k)]
            for item in value:
                parts[rng.randrange(k)].append(item)
            for i in range(k):
                outs[i][key] = parts[i]
                filled[i] |= bool(parts[i])
        elif key in CONTAINERS and isinstance(value, list):
            parts = [[] for _ in range(k)]
            for item in value:
                for i, sub in enumerate(split_obj(item, k, rng)):
                    if sub is not None:
                        parts[i].append(sub)
            for i in range(k):
                outs[i][key] = parts[i]
                filled[i] |= bool(parts[i])
        elif key in METRIC_DATA and isinstance(value, dict):
            for i, sub in enumerate(split_obj(value, k, rng)):
                if sub is not None:
                    outs[i][key] = sub
                    filled[i] = True
        else:
            for i in range(k):
                outs[i][key] = copy.deepcopy(value)
    return [o if f else None for o, f in zip(outs, filled)]


def write_split(src: Path, dest: Path, files: int, seed: int) -> Path:
    """Splits OTLP/JSON Lines `src` into `files` files under `dest`, every line
    dealt over them and each file's lines shuffled (points arrive out of order)."""
    rng = random.Random(seed)
    dest.mkdir(parents=True, exist_ok=True)
    lines = [[] for _ in range(files)]
    for line in src.read_text().splitlines():
        if not line.strip():
            continue
        for i, part in enumerate(split_obj(json.loads(line), files, rng)):
            if part is not None:
                lines[i].append(json.dumps(part))
    for i, ls in enumerate(lines):
        rng.shuffle(ls)
        (dest / f"part-{i:02}.jsonl").write_text("\n".join(ls) + "\n")
    return dest


@pytest.fixture(scope="session")
def datasets(tmp_path_factory) -> dict:
    """signal -> (whole JSON Lines file, directory of split files)."""
    root = tmp_path_factory.mktemp("datasets")
    out = {}
    for n, (signal, recipe) in enumerate(RECIPES.items()):
        whole = root / f"{signal}.jsonl"
        run_cli("generate", *recipe, "--format", "json", "-o", whole)
        out[signal] = (whole, write_split(whole, root / f"{signal}-split", 4, seed=10 + n))
    return out


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    # Executors' Python workers must import this package: use this interpreter.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("otlp-analytics-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    yield session
    session.stop()
