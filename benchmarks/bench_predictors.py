"""Benchmark: the cost of calling a model through the predictor adapters (clarify/models.py).

The example's model folder (one-hot + passthrough ColumnTransformer, XGBoost booster), trained
on synthetic data in a temporary folder, scored three ways on the same rows:

- the example's own ``CreditRiskModel.predict_proba`` (numpy one-hot encoding);
- ``load_model_folder`` (what Clarify, the server and schedules use; numpy one-hot too);
- a ``BoosterPredictor`` whose transform is scikit-learn's ``preprocessor.transform`` (the path a
  folder whose preprocessor has no one-hot layout takes).

Figures: rows per second on 100,000 rows (Kernel SHAP's batches), and microseconds per call on
one row (a server request), best of 5, with the ratios to the example's model in the same run.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def best(function, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    import joblib

    import prep
    from byom_monitor.clarify.models import BoosterPredictor, load_model_folder
    from byom_monitor.example.model import CreditRiskModel

    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        prep.main(0, raw_file=base / "absent.asc", data_dir=base / "data",
                  model_dir=base / "models")
        model = CreditRiskModel.load(base / "models")
        train = pd.read_csv(base / "data" / "train.csv")[model.features]
        preprocessor = joblib.load(base / "models" / "preprocessor.joblib")
        ways = {
            "CreditRiskModel.predict_proba": model.predict_proba,
            "load_model_folder(...).predict": load_model_folder(base / "models").predict,
            "BoosterPredictor, sklearn transform": BoosterPredictor(
                model.booster, features=model.features,
                transform=lambda f: preprocessor.transform(f.astype(float))).predict,
        }
        many = train.sample(100_000, replace=True, random_state=0).reset_index(drop=True)
        one = train.head(1)
        reference = ways["CreditRiskModel.predict_proba"](many)
        baseline_many = baseline_one = None
        print(f"{'way':40} {'rows/s (100k)':>14} {'ratio':>6} {'us/call (1 row)':>16} {'ratio':>6}")
        for name, predict in ways.items():
            assert np.allclose(predict(many), reference, atol=1e-6), name
            seconds_many = best(lambda predict=predict: predict(many))
            seconds_one = best(lambda predict=predict: predict(one), 50)
            baseline_many = baseline_many or seconds_many
            baseline_one = baseline_one or seconds_one
            print(f"{name:40} {len(many) / seconds_many:14,.0f} {seconds_many / baseline_many:6.2f}"
                  f" {seconds_one * 1e6:16,.0f} {seconds_one / baseline_one:6.2f}")


if __name__ == "__main__":
    main()
