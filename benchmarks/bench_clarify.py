"""Benchmark: Clarify bias metrics on the bias scenario, and Kernel SHAP through the model.

1. The original's bias scenario built from all 1,000 prepared rows (train + validation + test,
   about 746,000 rows): all pre- and post-training bias metrics, flip test and model inference
   included, as a whole ``python -m byom_monitor.clarify`` process.
2. Kernel SHAP for 1,000 rows x 20 features, 100 coalition samples each, through the
   preprocessor + XGBoost pipeline (in-process timing of the explanation itself, best of N),
   and exact tree SHAP (XGBoost's pred_contribs, summed back to the raw features) of the same
   rows.
3. Kernel SHAP accuracy: exact Shapley values of the first 3 test rows from all 2**20
   coalitions (timed), against Kernel SHAP at the default budget of 2M + 2048 coalitions with
   seeds 0..19: the median and largest maximum absolute error.
With ``--reference-python PYTHON`` (an interpreter with the ``shap`` package; it is not a
dependency) the reference KernelExplainer (l1_reg=False) is measured the same way in that
interpreter, and the ratios to it are printed.

Run ``python prep.py`` first (it writes models/ and data/).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import entry_point, timed  # this script's folder is on sys.path

ROOT = Path(__file__).resolve().parents[1]


def make_bias_data(path: Path, _rows: int) -> None:
    sys.path.insert(0, str(ROOT))
    import pandas as pd

    import generate_altered
    import prep

    frame = pd.concat([pd.read_csv(ROOT / "data" / f"{n}.csv") for n in ("train", "validation", "test")],
                      ignore_index=True)
    altered = generate_altered.apply_scenario("bias_drift", prep.predict(frame))
    generate_altered.monitoring_datasets(altered)["model-bias"].to_csv(path, index=False)


REFERENCE = """
import json, sys, time, warnings
sys.path.insert(0, sys.argv[1])
import numpy as np, pandas as pd, shap
from byom_monitor.clarify.models import load_model_folder
warnings.simplefilter("ignore")
arrays = np.load(sys.argv[2])
predictor = load_model_folder(sys.argv[3])
columns = [str(c) for c in arrays["columns"]]
def model(matrix):
    return predictor.predict(pd.DataFrame(matrix, columns=columns).astype("int64"))
explainer = shap.KernelExplainer(model, arrays["baseline"])
seconds = []
for _ in range(int(sys.argv[4])):
    np.random.seed(0)
    started = time.perf_counter()
    explainer.shap_values(arrays["rows"], nsamples=100, l1_reg=False, silent=True)
    seconds.append(time.perf_counter() - started)
errors = []
for seed in range(20):
    np.random.seed(seed)
    values = explainer.shap_values(arrays["test_rows"], nsamples=2088, l1_reg=False, silent=True)
    errors.append(float(np.max(np.abs(np.asarray(values) - arrays["exact"]))))
print(json.dumps({"seconds": min(seconds), "errors": errors}))
"""


def best_seconds(runs: int, work) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return min(times), result


def shap_figures(runs: int, reference_python: str | None) -> None:
    import numpy as np
    import pandas as pd

    sys.path.insert(0, str(ROOT / "tests"))
    from shapley_oracle import exact_shapley

    from byom_monitor.clarify.analysis import _tree_shap
    from byom_monitor.clarify.models import load_model_folder
    from byom_monitor.engines.shap import kernel_shap

    frame = pd.concat([pd.read_csv(ROOT / "data" / f"{n}.csv")
                       for n in ("train", "validation", "test")],
                      ignore_index=True).drop(columns="credit_risk")
    predictor = load_model_folder(ROOT / "models")
    baseline = frame.mode().iloc[[0]].to_numpy()

    def model(matrix):
        return predictor.predict(pd.DataFrame(matrix, columns=frame.columns).astype("int64"))

    rows = frame.to_numpy()
    kernel_s, result = best_seconds(runs, lambda: kernel_shap(model, rows, baseline,
                                                              num_samples=100))
    tree_s, _ = best_seconds(runs, lambda: _tree_shap(predictor, frame))
    gap = abs(result.values.sum(axis=1) + result.expected_value - model(rows)).max()
    print(f"kernel SHAP: {len(frame)} rows x {frame.shape[1]} features, 100 samples: "
          f"{kernel_s:.2f} s (efficiency gap {gap:.1e})")
    print(f"tree SHAP (exact, pred_contribs): {len(frame)} rows: {tree_s:.3f} s, "
          f"{kernel_s / tree_s:.0f}x faster than kernel SHAP")

    test_rows = pd.read_csv(ROOT / "data" / "test.csv").drop(columns="credit_risk").head(3)
    test_rows = test_rows.to_numpy(dtype=float)
    f, point = predictor.model.predict_matrix, baseline.astype(float)
    exact_s, exact = best_seconds(1, lambda: exact_shapley(f, test_rows, point))
    errors = [float(np.max(np.abs(kernel_shap(f, test_rows, point, num_samples=2088,
                                              seed=seed).values - exact))) for seed in range(20)]
    print(f"exact Shapley values of 3 rows (2**20 coalitions each): {exact_s:.1f} s; kernel SHAP "
          f"with 2088 coalitions, seeds 0..19: max |error| median {np.median(errors):.2e}, "
          f"largest {max(errors):.2e} (sum of |exact| per row "
          f"{', '.join(f'{v:.2f}' for v in np.abs(exact).sum(axis=1))})")
    if not reference_python:
        return
    arrays = Path(tempfile.mkdtemp(prefix="byom-bench-shap-")) / "arrays.npz"
    np.savez(arrays, rows=rows, baseline=baseline, test_rows=test_rows, exact=exact,
             columns=np.array(frame.columns, dtype=str))
    answer = subprocess.run([reference_python, "-c", REFERENCE, str(ROOT), str(arrays),
                             str(ROOT / "models"), str(runs)], capture_output=True, text=True)
    if answer.returncode:
        raise SystemExit(f"the reference failed:\n{answer.stderr}")
    reference = json.loads(answer.stdout.strip().splitlines()[-1])
    print(f"reference KernelExplainer (l1_reg=False): 1000 rows x 100 samples "
          f"{reference['seconds']:.2f} s, ours {reference['seconds'] / kernel_s:.0f}x faster; "
          f"max |error| median {np.median(reference['errors']):.2e}, largest "
          f"{max(reference['errors']):.2e}; ours / reference (medians) "
          f"{np.median(errors) / np.median(reference['errors']):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="best of this many runs")
    parser.add_argument("--reference-python", help="an interpreter with the shap package")
    parser.add_argument("--skip-bias", action="store_true")
    args = parser.parse_args()
    if not args.skip_bias:
        bias_figures()
    shap_figures(args.runs, args.reference_python)


def bias_figures() -> None:
    data = Path(tempfile.gettempdir()) / "byom-bench-bias-scenario.csv"
    if not data.exists():
        timed([sys.executable, __file__, "--generate", str(data), "0"])
    out = Path(tempfile.mkdtemp(prefix="byom-bench-clarify-"))
    headers = data.open().readline().strip().split(",")
    config = {"dataset_type": "text/csv", "headers": headers, "label": "credit_risk",
              "label_values_or_threshold": [1],
              "facet": [{"name_or_index": "foreign_worker", "value_or_threshold": [1]}],
              "methods": {"pre_training_bias": {"methods": "all"},
                          "post_training_bias": {"methods": "all"}},
              "predictor": {"model_name": "e2e-model-bias"}}
    (out / "analysis_config.json").write_text(json.dumps(config))
    (out / "config.ini").write_text(f"[predictors]\ne2e-model-bias = {ROOT / 'models'}\n")
    rows = sum(1 for _ in data.open()) - 1
    seconds, peak, _ = timed([sys.executable, "-m", "byom_monitor.clarify", "--analysis-config",
                           str(out / "analysis_config.json"), "--data", str(data), "--output",
                           str(out / "bias"), "--config-ini", str(out / "config.ini"),
                           "--message-file", str(out / "message")])
    analysis = json.loads((out / "bias" / "analysis.json").read_text())
    post = analysis["post_training_bias_metrics"]["facets"]["foreign_worker"][0]["metrics"]
    dppl = next(m["value"] for m in post if m["name"] == "DPPL")
    print(f"bias metrics (8 pre + 13 post, FT and inference included): {rows:,} rows, "
          f"{seconds:.2f} s whole process, peak {peak:.0f} MiB, DPPL {dppl:.3f}")


if __name__ == "__main__":
    entry_point(make_bias_data, main)
