"""Benchmark: model-quality baseline and check of N labelled binary rows, as whole processes.

Generates (once) a CSV with a label, a probability and a prediction per row (plus five feature
columns), then times, each as a separate process, in turn, best of three rounds after a warm-up
round (the machine may be shared):
the baseline (metrics with their five 80%-subsample standard deviations, suggested constraints),
a check against it, and the same metrics from scikit-learn (``pandas.read_csv`` of the file,
then the whole data and five 80% subsamples: confusion matrix, precision / recall / F0.5 / F1 /
F2, ROC AUC, average precision, ROC and PR curves), the reference for the ratios printed.

    python benchmarks/bench_model_quality.py            # 1,000,000 rows
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from common import best_of, ensure_data, entry_point  # this script's folder is on sys.path


def make_csv(path: Path, rows: int, seed: int = 0) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    label = (rng.random(rows) < 0.7).astype(int)
    probability = np.clip(0.6 + 0.25 * (label - 0.7) + rng.normal(0, 0.2, rows), 0, 1)
    frame = pd.DataFrame({f"feature_{i}": rng.normal(size=rows) for i in range(5)})
    frame["credit_risk"] = label
    frame["prediction_probability"] = probability.round(6)
    frame["prediction"] = (probability >= 0.56).astype(int)
    frame.to_csv(path, index=False)


SKLEARN_METRICS = """
import sys
import numpy as np, pandas as pd
from sklearn import metrics
frame = pd.read_csv(sys.argv[1])
y, p, s = (frame[c].to_numpy() for c in ("credit_risk", "prediction", "prediction_probability"))
rng = np.random.default_rng(0)
for mask in [np.ones(len(y), bool)] + [rng.random(len(y)) < 0.8 for _ in range(5)]:
    yt, yp, ys = y[mask], p[mask], s[mask]
    metrics.confusion_matrix(yt, yp)
    metrics.accuracy_score(yt, yp)
    metrics.precision_recall_fscore_support(yt, yp, average="binary")
    for beta in (0.5, 2.0):
        metrics.fbeta_score(yt, yp, beta=beta)
    metrics.roc_auc_score(yt, ys)
    metrics.average_precision_score(yt, ys)
metrics.roc_curve(y, s)
metrics.precision_recall_curve(y, s)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--data-dir", default=tempfile.gettempdir())
    parser.add_argument("--runs", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()
    data = Path(args.data_dir) / f"byom-bench-mq-{args.rows}.csv"
    ensure_data(__file__, data, args.rows)
    out = Path(tempfile.mkdtemp(prefix="byom-bench-mq-"))
    command = [sys.executable, "-m", "byom_monitor.analyzer", "--message-file", str(out / "message")]
    env = {"dataset_source": str(data), "dataset_format": json.dumps({"csv": {"header": True}}),
           "analysis_type": "MODEL_QUALITY", "problem_type": "BinaryClassification",
           "ground_truth_attribute": "credit_risk", "inference_attribute": "prediction",
           "probability_attribute": "prediction_probability"}
    results = best_of(args.runs, {
        "scikit-learn": ([sys.executable, "-c", SKLEARN_METRICS, str(data)], {}),
        "baseline": (command, {**env, "output_path": str(out / "baseline")}),
        "check": (command, {**env, "output_path": str(out / "check"),
                            "baseline_constraints": str(out / "baseline" / "constraints.json")}),
    })
    print(f"\n{args.rows:,} labelled rows (binary, with probabilities), "
          f"{data.stat().st_size / 1e6:.0f} MB, best of {args.runs}")
    reference = results["scikit-learn"][0]
    for name, (seconds, peak, cpu) in results.items():
        print(f"{name:12s} {seconds:6.2f} s  {args.rows / seconds / 1e6:5.2f} M rows/s  "
              f"peak {peak:6.0f} MiB  cpu {cpu:6.2f} s  {seconds / reference:4.2f}x scikit-learn")
    print("status:", (out / "message").read_text())


if __name__ == "__main__":
    entry_point(make_csv, main)
