"""Benchmark: the cost of exact value counts when a text column turns to numbers late in a file.

Issue 13 (item 11): in a 1.5M-row file whose ``code`` column is text, but only numbers in the
file's last 16 MB block, the numbers of that block went missing from the value counts. The
analyzer now counts such a column again from its text (a second pass over the file). This
script times, each as a separate process, the baseline of such a file (the last half of ``code``
is numbers) and of a control file that differs only in that those rows are text (one pass),
prints wall time and peak memory, and checks the counts of the ``code`` column.

    python benchmarks/bench_type_change.py               # 1,500,000 rows
    python benchmarks/bench_type_change.py --rows 300000
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from common import ensure_data, entry_point, timed  # this script's folder is on sys.path

NUMERIC_SHARE = 0.5  # more than the last 16 MB block


def make_csv(path: Path, rows: int) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    code = rng.choice(np.array(["A11", "A12", "A13", "A14"], dtype=object), rows)
    numeric = int(rows * NUMERIC_SHARE)
    tail = rng.choice(["1", "2", "3"], numeric)
    if path.stem.endswith("control"):
        tail = np.char.add("A", tail)  # text: the same shape of file, no change of type
    code[-numeric:] = tail
    pd.DataFrame({"x": rng.integers(0, 10_000, rows), "y": np.round(rng.normal(size=rows), 4),
                  "code": code}).to_csv(path, index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_500_000)
    parser.add_argument("--data-dir", default=tempfile.gettempdir())
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="byom-bench-"))
    csv_format = json.dumps({"csv": {"header": True}})
    print(f"{args.rows:,} rows x 3 columns; 'code' is text, its last {NUMERIC_SHARE:.0%} are "
          f"numbers (control: text)")
    for kind in ("control", "typechange"):
        data = Path(args.data_dir) / f"byom-bench-{args.rows}-{kind}.csv"
        ensure_data(__file__, data, args.rows)
        analyzer = [sys.executable, "-m", "byom_monitor.analyzer",
                    "--message-file", str(out / "message")]
        seconds, peak = timed(analyzer, {"dataset_source": str(data), "dataset_format": csv_format,
                                         "output_path": str(out / kind)})
        statistics = json.loads((out / kind / "statistics.json").read_text())
        code = next(f for f in statistics["features"] if f["name"] == "code")
        counted = sum(b["count"] for b in
                      code["string_statistics"]["distribution"]["categorical"]["buckets"])
        print(f"{kind:11s} {seconds:6.2f} s  peak {peak:6.0f} MiB  values counted "
              f"{counted:,} of {code['string_statistics']['common']['num_present']:,}")


if __name__ == "__main__":
    entry_point(make_csv, main)
