"""Benchmark: Clarify bias metrics on the bias scenario, and Kernel SHAP through the model.

1. The original's bias scenario built from all 1,000 prepared rows (train + validation + test,
   about 746,000 rows): all pre- and post-training bias metrics, flip test and model inference
   included, as a whole ``python -m byom_monitor.clarify`` process.
2. Kernel SHAP for 1,000 rows x 20 features, 100 coalition samples each, through the
   preprocessor + XGBoost pipeline (in-process timing of the explanation itself).

Run ``python prep.py`` first (it writes models/ and data/).
"""
from __future__ import annotations

import json
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


def shap_timing() -> float:
    import pandas as pd

    from byom_monitor.clarify.predictor import ModelFolderPredictor
    from byom_monitor.engines.shap import kernel_shap

    frame = pd.concat([pd.read_csv(ROOT / "data" / f"{n}.csv") for n in ("train", "validation", "test")],
                      ignore_index=True).drop(columns="credit_risk")
    predictor = ModelFolderPredictor(ROOT / "models")
    baseline = frame.mode().iloc[[0]].to_numpy()

    def model(matrix):
        return predictor.predict(pd.DataFrame(matrix, columns=frame.columns).astype("int64"))

    started = time.perf_counter()
    result = kernel_shap(model, frame.to_numpy(), baseline, num_samples=100)
    elapsed = time.perf_counter() - started
    gap = abs(result.values.sum(axis=1) + result.expected_value - model(frame.to_numpy())).max()
    print(f"kernel SHAP: {len(frame)} rows x {frame.shape[1]} features, 100 samples: "
          f"{elapsed:.2f} s (efficiency gap {gap:.1e})")
    return elapsed


def main() -> None:
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
    seconds, peak = timed([sys.executable, "-m", "byom_monitor.clarify", "--analysis-config",
                           str(out / "analysis_config.json"), "--data", str(data), "--output",
                           str(out / "bias"), "--config-ini", str(out / "config.ini"),
                           "--message-file", str(out / "message")])
    analysis = json.loads((out / "bias" / "analysis.json").read_text())
    post = analysis["post_training_bias_metrics"]["facets"]["foreign_worker"][0]["metrics"]
    dppl = next(m["value"] for m in post if m["name"] == "DPPL")
    print(f"bias metrics (8 pre + 13 post, FT and inference included): {rows:,} rows, "
          f"{seconds:.2f} s whole process, peak {peak:.0f} MiB, DPPL {dppl:.3f}")
    shap_timing()


if __name__ == "__main__":
    entry_point(make_bias_data, main)
