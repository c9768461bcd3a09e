"""Benchmark: data-quality baseline and check as whole processes, against pandas.read_csv.

Generates (once) a CSV of N rows x 25 columns (10 integer, 10 fractional, 5 string columns),
then times, each as a separate process, in turn, best of three rounds after a warm-up round
(the machine may be shared):
  1. ``pandas.read_csv`` of the file (the parse floor, one core),
  2. the baseline (``python -m byom_monitor.analyzer`` suggesting statistics + constraints)
     with one profiling worker, and with one per core (the default),
  3. a check of the same file against that baseline,
and prints wall time, rows/s, MB/s, the ratio to pandas measured in the same run, the 1 -> N
worker speed-up, each job's peak memory (its process tree, workers included) and the machine's
load average before and after (other work on a shared machine slows the parallel job most).

    python benchmarks/bench_data_quality.py                 # 1,000,000 rows
    python benchmarks/bench_data_quality.py --rows 10000000 --skip-pandas --runs 1  # memory
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from common import best_of, ensure_data, entry_point  # this script's folder is on sys.path


def make_csv(path: Path, rows: int, seed: int = 0) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    categories = np.array([f"category_{j}" for j in range(50)])
    with open(path, "w") as handle:
        for start in range(0, rows, 1_000_000):
            n = min(1_000_000, rows - start)
            columns = {}
            for i in range(10):
                columns[f"int_{i}"] = rng.integers(0, 1000 * (i + 1), n)
            for i in range(10):
                columns[f"float_{i}"] = np.round(rng.normal(100 * i, 10 + i, n), 4)
            for i in range(5):
                columns[f"str_{i}"] = categories[rng.integers(0, 5 + 9 * i, n)]
            pd.DataFrame(columns).to_csv(handle, index=False, header=start == 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--data-dir", default=tempfile.gettempdir())
    parser.add_argument("--skip-pandas", action="store_true",
                        help="do not time pandas (it needs the whole file in memory)")
    parser.add_argument("--runs", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()
    data = Path(args.data_dir) / f"byom-bench-{args.rows}.csv"
    ensure_data(__file__, data, args.rows)
    size_mb = data.stat().st_size / 1e6
    out = Path(tempfile.mkdtemp(prefix="byom-bench-"))
    python = sys.executable
    analyzer = [python, "-m", "byom_monitor.analyzer", "--message-file", str(out / "message")]
    baseline = {"dataset_source": str(data), "dataset_format": json.dumps({"csv": {"header": True}}),
                "output_path": str(out / "baseline")}
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load_before = _load()
    jobs = {}
    if not args.skip_pandas:
        jobs["pandas.read_csv"] = (
            [python, "-c", f"import pandas; pandas.read_csv({str(data)!r})"], {})
    jobs["baseline, 1 worker"] = (analyzer, {**baseline, "BYOM_MONITOR_WORKERS": "1"})
    jobs[f"baseline, {cores} workers"] = (analyzer, baseline)
    jobs["check"] = (analyzer, {
        **baseline, "output_path": str(out / "check"),
        "baseline_statistics": str(out / "baseline" / "statistics.json"),
        "baseline_constraints": str(out / "baseline" / "constraints.json")})
    results = best_of(args.runs, jobs)
    print(f"\n{args.rows:,} rows x 25 columns, {size_mb:.0f} MB, {cores} cores, "
          f"best of {args.runs}; load average {load_before} before, {_load()} after")
    floor = results.get("pandas.read_csv", (None,))[0]
    for name, (seconds, peak, cpu) in results.items():
        ratio = f"{seconds / floor:4.2f}x pandas" if floor else ""
        print(f"{name:20s} {seconds:6.2f} s  {args.rows / seconds / 1e6:5.2f} M rows/s  "
              f"{size_mb / seconds:6.1f} MB/s  peak {peak:6.0f} MiB  cpu {cpu:6.2f} s  {ratio}")
    one, parallel = results["baseline, 1 worker"][0], results[f"baseline, {cores} workers"][0]
    print(f"speed-up 1 -> {cores} workers: {one / parallel:.2f}x")
    print("status:", (out / "message").read_text())


def _load() -> str:
    """The 1-minute load average ("?" where the system does not tell)."""
    return f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "?"


if __name__ == "__main__":
    entry_point(make_csv, main)
