#!/usr/bin/env python3
"""Times otlp-analytics `aggregate` against DuckDB on the same Parquet files
(written by `otlp-analytics convert`) and checks that the answers agree.

Queries:
  traces RED  per (service.name, name, kind): span count, errors, duration
              sum / min / max / p50 / p90 / p99;
  traces RED 1m  the same per 1-minute window (`--window 1m`);
  high-card   RED per (service.name, name) and 10 ms window (`--window 10ms`,
              ~0.8 groups per span), CSV written to a file on both sides;
              checked by row count and total span count;
  pq→pq       `convert spans.parquet -o DIR` against DuckDB's
              COPY (SELECT * FROM 'spans.parquet') TO '…' (FORMAT parquet,
              COMPRESSION zstd); checked by row count;
  metrics sum per (service.name, metric.name, metric.type) over gauge and sum
              points: point count, value sum / min / max, cumulative sums
              converted to deltas per series exactly as DESIGN.md defines.

Agreement: counts, integer sums, min and max exactly; float sums within 1e-9
relative; quantiles within 1 % (otlp-analytics answers from a log-linear
sketch with <= 1 % relative error of the exact nearest-rank value, the
element of rank ceil(q * n); DuckDB's quantile_disc returns an exact element
of the group, which matched nearest-rank on every small case checked with
DuckDB 2.0.1, e.g. n = 4, q = 0.9 -> the 4th; n = 7, q = 0.3 -> the 3rd).

Timing: otlp-analytics as a whole process (start-up included), DuckDB in
process (query + fetch, no interpreter start-up): both favour DuckDB.
Each figure is the median of --runs runs after one warm-up.

Setup:  python3 -m venv /tmp/otlp-venv && /tmp/otlp-venv/bin/pip install duckdb pyarrow
Run:    /tmp/otlp-venv/bin/python benches/compare_duckdb.py [--spans N] [--threads N]
        (exit 0: all agree; 1: a disagreement; 2: usage or tool error)
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

try:
    import duckdb
except ImportError:
    sys.exit("duckdb is missing: python3 -m venv /tmp/otlp-venv && "
             "/tmp/otlp-venv/bin/pip install duckdb pyarrow, then run with /tmp/otlp-venv/bin/python")

KIND_NAMES = {0: "SPAN_KIND_UNSPECIFIED", 1: "SPAN_KIND_INTERNAL", 2: "SPAN_KIND_SERVER",
              3: "SPAN_KIND_CLIENT", 4: "SPAN_KIND_PRODUCER", 5: "SPAN_KIND_CONSUMER"}

TRACES_SQL = """
WITH s AS (
  SELECT service_name, name, kind, status_code,
         greatest(epoch_ns(end_time_unix_nano) - epoch_ns(start_time_unix_nano), 0) AS d
  FROM read_parquet('{spans}'))
SELECT service_name, name, kind,
       count(*) AS span_count,
       count(*) FILTER (WHERE status_code = 2) AS error_count,
       sum(d) AS duration_sum_ns, min(d) AS duration_min_ns, max(d) AS duration_max_ns,
       quantile_disc(d, 0.5) AS duration_p50_ns,
       quantile_disc(d, 0.9) AS duration_p90_ns,
       quantile_disc(d, 0.99) AS duration_p99_ns
FROM s GROUP BY ALL ORDER BY ALL
"""

WINDOW_SQL = """
WITH s AS (
  SELECT service_name, name, kind, status_code,
         epoch_ns(start_time_unix_nano) // {w} * {w} AS window_start,
         greatest(epoch_ns(end_time_unix_nano) - epoch_ns(start_time_unix_nano), 0) AS d
  FROM read_parquet('{spans}'))
SELECT service_name, name, kind, window_start,
       count(*) AS span_count,
       count(*) FILTER (WHERE status_code = 2) AS error_count,
       sum(d) AS duration_sum_ns, min(d) AS duration_min_ns, max(d) AS duration_max_ns,
       quantile_disc(d, 0.5) AS duration_p50_ns,
       quantile_disc(d, 0.9) AS duration_p90_ns,
       quantile_disc(d, 0.99) AS duration_p99_ns
FROM s GROUP BY ALL ORDER BY ALL
"""

HIGH_CARD_SQL = """
COPY (
  WITH s AS (
    SELECT service_name, name, status_code,
           epoch_ns(start_time_unix_nano) // 10000000 * 10000000 AS window_start,
           greatest(epoch_ns(end_time_unix_nano) - epoch_ns(start_time_unix_nano), 0) AS d
    FROM read_parquet('{spans}'))
  SELECT service_name, name, window_start,
         count(*) AS span_count,
         count(*) FILTER (WHERE status_code = 2) AS error_count,
         sum(d) AS duration_sum_ns, min(d) AS duration_min_ns, max(d) AS duration_max_ns,
         quantile_disc(d, 0.5) AS duration_p50_ns,
         quantile_disc(d, 0.9) AS duration_p90_ns,
         quantile_disc(d, 0.99) AS duration_p99_ns
  FROM s GROUP BY ALL ORDER BY ALL
) TO '{out}' (HEADER)
"""

# Cumulative sums: per series in time order; the first point counts in full
# when its start is known (0 < start < time), else it is only a baseline; a
# changed start time, or a drop of a monotonic sum, is a reset (full value).
METRICS_SQL = """
WITH p AS (
  SELECT service_name, metric_name, metric_type, aggregation_temporality AS temporality,
         is_monotonic, series_id, epoch_ns(start_time_unix_nano) AS start_ns,
         epoch_ns(time_unix_nano) AS time_ns, coalesce(as_double, as_int::DOUBLE) AS v
  FROM read_parquet('{points}')),
c AS (
  SELECT *, lag(v) OVER w AS prev_v, lag(start_ns) OVER w AS prev_start
  FROM p WHERE temporality = 2
  WINDOW w AS (PARTITION BY series_id ORDER BY time_ns)),
contrib AS (
  SELECT service_name, metric_name, metric_type, v AS x FROM p WHERE temporality <> 2
  UNION ALL
  SELECT service_name, metric_name, metric_type,
         CASE WHEN prev_v IS NULL THEN (CASE WHEN start_ns > 0 AND start_ns < time_ns THEN v END)
              WHEN start_ns <> prev_start OR (is_monotonic AND v < prev_v) THEN v
              ELSE v - prev_v END AS x
  FROM c)
SELECT service_name, metric_name, metric_type, count(*) AS point_count,
       fsum(x) AS value_sum, min(x) AS value_min, max(x) AS value_max
FROM contrib GROUP BY ALL ORDER BY ALL
"""


def run(cmd, **kw):
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if res.returncode != 0:
        sys.exit(f"error: {' '.join(map(str, cmd))} exited {res.returncode}:\n{res.stderr}")
    return res


def timed_runs(fn, runs):
    fn()  # warm-up: page cache, DuckDB metadata, binary in memory
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def ours(bin_, path, signal, by, threads):
    cmd = [bin_, "aggregate", "--signal", signal, "--backend", "cpu", "--threads", str(threads),
           "--format", "json", "--quiet", str(path)]
    if by:
        cmd[2:2] = ["--by", by]
    return cmd


def rows_by_key(rows, keys):
    return {tuple(r[k] for k in keys): r for r in rows}


def close_float(a, b, rel=1e-9):
    if a is None or b is None:
        return a is None and b is None
    return a == b or abs(a - b) <= rel * max(abs(a), abs(b))


def compare(name, ours_rows, duck_rows, keys, exact, floats, quantiles):
    """Returns a list of problems (empty when everything agrees)."""
    problems = []
    a, b = rows_by_key(ours_rows, keys), rows_by_key(duck_rows, keys)
    if a.keys() != b.keys():
        only_ours, only_duck = sorted(a.keys() - b.keys(), key=str), sorted(b.keys() - a.keys(), key=str)
        problems.append(f"{name}: groups differ: only ours {only_ours[:3]}, only DuckDB {only_duck[:3]}")
    worst_q = 0.0
    for k in a.keys() & b.keys():
        for col in exact:
            if a[k][col] != b[k][col]:
                problems.append(f"{name} {k}: {col} ours {a[k][col]} DuckDB {b[k][col]}")
        for col in floats:
            if not close_float(a[k][col], b[k][col]):
                problems.append(f"{name} {k}: {col} ours {a[k][col]!r} DuckDB {b[k][col]!r}")
        for col in quantiles:
            x, y = a[k][col], b[k][col]
            rel = abs(x - y) / max(abs(y), 1)
            worst_q = max(worst_q, rel)
            if rel > 0.01:
                problems.append(f"{name} {k}: {col} ours {x} DuckDB {y} ({rel:.2%} apart)")
    return problems, len(a.keys() & b.keys()), worst_q


def duck_traces(con, spans):
    cur = con.execute(TRACES_SQL.format(spans=spans))
    cols = [c[0] for c in cur.description]
    out = []
    for row in cur.fetchall():
        r = dict(zip(cols, row))
        r["service.name"] = r.pop("service_name")
        r["kind"] = KIND_NAMES.get(r["kind"], str(r["kind"]))
        for c in cols[3:]:
            r[c] = int(r[c])
        out.append(r)
    return out


def duck_windows(con, spans, w):
    cur = con.execute(WINDOW_SQL.format(spans=spans, w=w))
    cols = [c[0] for c in cur.description]
    out = []
    for row in cur.fetchall():
        r = dict(zip(cols, row))
        r["service.name"] = r.pop("service_name")
        r["kind"] = KIND_NAMES.get(r["kind"], str(r["kind"]))
        for c in cols[4:]:
            r[c] = int(r[c])
        r["window_start"] = int(r["window_start"])
        out.append(r)
    return out


def csv_summary(path):
    """(data rows, total span_count) of a CSV with a span_count column."""
    with open(path) as f:
        header = f.readline().rstrip("\n").split(",")
        at = header.index("span_count")
        rows = spans = 0
        for line in f:
            # Key columns may be quoted and hold commas: count from the right.
            fields = line.rstrip("\n").split(",")
            spans += int(fields[at - len(header)])
            rows += 1
    return rows, spans


def high_card(args, con, spans, work, results, problems):
    """RED per (service.name, name) and 10 ms window, CSV to a file on both sides."""
    ours_csv, duck_csv = work / "high-card-ours.csv", work / "high-card-duckdb.csv"
    cmd = [args.bin, "aggregate", "--signal", "traces", "--backend", "cpu", "--threads", str(args.threads),
           "--by", "service.name,name", "--window", "10ms", "--format", "csv", "--quiet", str(spans)]

    def run_ours():
        with open(ours_csv, "w") as out:
            subprocess.run(cmd, stdout=out, check=True)

    def run_duck():
        con.execute(HIGH_CARD_SQL.format(spans=spans, out=duck_csv))

    t_ours, t_duck = timed_runs(run_ours, args.runs), timed_runs(run_duck, args.runs)
    (rows_o, spans_o), (rows_d, spans_d) = csv_summary(ours_csv), csv_summary(duck_csv)
    if (rows_o, spans_o) != (rows_d, spans_d):
        problems.append(f"high-card: ours {rows_o} rows / {spans_o} spans, DuckDB {rows_d} / {spans_d}")
    print(f"high-card: {rows_o} groups, results {'agree' if rows_o == rows_d and spans_o == spans_d else 'DIFFER'}"
          " (row count and span total)", file=sys.stderr)
    add_results(results, "high-card", args.threads, spans_o, rows_o, t_ours, t_duck)


def parquet_copy(args, con, spans, work, results, problems):
    """Parquet → Parquet: `convert spans.parquet` against DuckDB's COPY."""
    ours_dir, duck_file = work / "pq-copy-ours", work / "pq-copy-duckdb.parquet"
    cmd = [args.bin, "convert", str(spans), "-o", str(ours_dir), "--force", "--quiet",
           "--threads", str(args.threads)]
    t_ours = timed_runs(lambda: run(cmd), args.runs)
    t_duck = timed_runs(lambda: con.execute(
        f"COPY (SELECT * FROM read_parquet('{spans}')) TO '{duck_file}' (FORMAT parquet, COMPRESSION zstd)"),
        args.runs)
    n_ours = con.execute(f"SELECT count(*) FROM read_parquet('{ours_dir / 'spans.parquet'}')").fetchone()[0]
    n_duck = con.execute(f"SELECT count(*) FROM read_parquet('{duck_file}')").fetchone()[0]
    if n_ours != n_duck:
        problems.append(f"pq→pq: ours wrote {n_ours} rows, DuckDB {n_duck}")
    add_results(results, "pq→pq", args.threads, n_ours, 1, t_ours, t_duck)


def add_results(results, name, threads, rows, groups, t_ours, t_duck):
    for engine, t in [("otlp-analytics", t_ours), ("duckdb " + duckdb.__version__, t_duck)]:
        med = statistics.median(t)
        results.append(dict(query=name, engine=engine, threads=threads, rows=rows, groups=groups,
                            seconds_min=min(t), seconds_median=med, rows_per_s=rows / med))


def duck_metrics(con, points):
    cur = con.execute(METRICS_SQL.format(points=points))
    cols = [c[0] for c in cur.description]
    out = []
    for row in cur.fetchall():
        r = dict(zip(cols, row))
        r["service.name"] = r.pop("service_name")
        r["metric.name"] = r.pop("metric_name")
        r["metric.type"] = r.pop("metric_type")
        out.append(r)
    return out


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    root = Path(__file__).resolve().parent.parent
    ap.add_argument("--bin", default=str(root / "target/release/otlp-analytics"))
    ap.add_argument("--workdir", default="/tmp/otlp-duckdb")
    ap.add_argument("--traces", help="OTLP traces input (default: generated)")
    ap.add_argument("--metrics", help="OTLP metrics input (default: generated)")
    ap.add_argument("--spans", type=int, default=1_000_000)
    ap.add_argument("--series", type=int, default=10_000)
    ap.add_argument("--points", type=int, default=100)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--skip-high-card", action="store_true", help="leave out the 10 ms window query")
    return ap.parse_args()


def prepare(args, work):
    """OTLP inputs (generated unless given) converted to Parquet; returns the Parquet dirs."""
    inputs = {}
    for signal, given, size in [("traces", args.traces, ["--spans", str(args.spans)]),
                                ("metrics", args.metrics, ["--series", str(args.series), "--points", str(args.points)])]:
        path = Path(given) if given else work / f"{signal}.otlp"
        if not given:
            print(f"generating {path}", file=sys.stderr)
            run([args.bin, "generate", "--signal", signal, "--seed", "11", *size, "-o", str(path), "--force"])
        out = work / f"{signal}-parquet"
        print(f"converting {path} → {out}", file=sys.stderr)
        run([args.bin, "convert", str(path), "-o", str(out), "--force", "--quiet"])
        inputs[signal] = out
    return inputs


def main():
    args = parse_args()
    if not Path(args.bin).exists():
        sys.exit(f"error: {args.bin} not found: cargo build --release first")
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    dirs = prepare(args, work)
    spans = dirs["traces"] / "spans.parquet"
    points = dirs["metrics"] / "metric_points.parquet"

    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    n_spans = con.execute(f"SELECT count(*) FROM read_parquet('{spans}')").fetchone()[0]
    input_rows = {
        "traces RED": n_spans,
        "traces RED 1m": n_spans,
        "metrics sum": con.execute(f"SELECT count(*) FROM read_parquet('{points}')").fetchone()[0],
    }
    cases = [
        ("traces RED", ours(args.bin, spans, "traces", None, args.threads), lambda: duck_traces(con, spans),
         ["service.name", "name", "kind"],
         dict(exact=["span_count", "error_count", "duration_sum_ns", "duration_min_ns", "duration_max_ns"],
              floats=[], quantiles=["duration_p50_ns", "duration_p90_ns", "duration_p99_ns"])),
        ("traces RED 1m", ours(args.bin, spans, "traces", None, args.threads) + ["--window", "1m"],
         lambda: duck_windows(con, spans, 60_000_000_000),
         ["service.name", "name", "kind", "window_start"],
         dict(exact=["span_count", "error_count", "duration_sum_ns", "duration_min_ns", "duration_max_ns"],
              floats=[], quantiles=["duration_p50_ns", "duration_p90_ns", "duration_p99_ns"])),
        ("metrics sum", ours(args.bin, points, "metrics", "service.name", args.threads),
         lambda: duck_metrics(con, points), ["service.name", "metric.name", "metric.type"],
         dict(exact=["point_count"], floats=["value_sum", "value_min", "value_max"], quantiles=[])),
    ]
    results, all_problems = [], []
    for name, cmd, duck, keys, checks in cases:
        ours_rows = [json.loads(line) for line in run(cmd).stdout.splitlines() if line.strip()]
        problems, groups, worst_q = compare(name, ours_rows, duck(), keys, **checks)
        all_problems += problems
        t_ours = timed_runs(lambda: subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True), args.runs)
        t_duck = timed_runs(duck, args.runs)
        add_results(results, name, args.threads, input_rows[name], groups, t_ours, t_duck)
        note = f", worst quantile gap {worst_q:.3%}" if checks["quantiles"] else ""
        verdict = "agree" if not problems else f"{len(problems)} DISAGREEMENTS"
        print(f"{name}: {groups} groups, results {verdict}{note}", file=sys.stderr)

    if not args.skip_high_card:
        high_card(args, con, spans, work, results, all_problems)
    parquet_copy(args, con, spans, work, results, all_problems)

    print(f"{'query':<12} {'engine':<16} {'threads':>7} {'rows':>10} {'min s':>8} {'median s':>9} {'rows/s':>12}")
    for r in results:
        print(f"{r['query']:<12} {r['engine']:<16} {r['threads']:>7} {r['rows']:>10} "
              f"{r['seconds_min']:>8.3f} {r['seconds_median']:>9.3f} {r['rows_per_s']:>12.0f}")
    for name in dict.fromkeys(r["query"] for r in results):
        o, d = (r["seconds_median"] for r in results if r["query"] == name)
        print(f"{name}: otlp-analytics / DuckDB median time = {o / d:.2f}"
              f" ({'faster' if o < d else 'slower'} than DuckDB)")
    for p in all_problems[:20]:
        print("MISMATCH", p)
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "problems": all_problems}, indent=1))
    return 1 if all_problems else 0


if __name__ == "__main__":
    sys.exit(main())
