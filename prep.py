"""Prepare the example: data, train/validation/test split, model, baseline datasets.

Run ``python prep.py`` (or import it and call :func:`main`). It

1. loads ``data/raw/SouthGermanCredit.asc`` when present (the real UCI file), otherwise draws a
   synthetic dataset with the same schema (seeded) and says so;
2. splits the rows into train / validation / test (70/15/15, stratified, seeded; no overlap);
3. trains the one-hot preprocessor and XGBoost with early stopping on the validation split, and
   chooses the decision threshold there (maximum F1);
4. writes ``models/`` (preprocessor, XGBoost JSON model, metadata.json) and ``data/``
   (``train.csv``, ``validation.csv``, ``test.csv``, ``train_data_no_target.csv``,
   ``train_data_with_prediction.csv``, ``validation_data_with_prediction.csv``, ``SOURCE.txt``).

:func:`predict` scores a DataFrame with the saved model.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.model_selection import train_test_split

from byom_monitor.example.credit_data import (
    CATEGORICAL,
    COLUMNS,
    FEATURES,
    LABEL,
    NUMERIC,
    generate_synthetic,
    load_south_german_credit,
)
from byom_monitor.example.model import CreditRiskModel, classification_metrics, train_model
from byom_monitor.io import storage

ROOT = Path(__file__).resolve().parent
DATA_DIR = ROOT / "data"
MODEL_DIR = ROOT / "models"
RAW_FILE = DATA_DIR / "raw" / "SouthGermanCredit.asc"
SEED = 0
SYNTHETIC_ROWS = 1000
VALIDATION_SHARE = 0.15
TEST_SHARE = 0.15


def load_data(raw_file: str | os.PathLike = RAW_FILE, *, seed: int = SEED,
              synthetic_rows: int = SYNTHETIC_ROWS) -> tuple[pd.DataFrame, str]:
    """The dataset and a sentence saying where it came from."""
    raw_file = Path(raw_file)
    if raw_file.exists():
        frame = load_south_german_credit(raw_file)
        return frame, f"South German Credit (UCI, real data) from {raw_file.name}, {len(frame)} rows"
    frame = generate_synthetic(synthetic_rows, seed=seed)
    return frame, (f"synthetic data with the South German Credit schema "
                   f"({synthetic_rows} rows, seed {seed}); {raw_file.name} was not found")


def split_data(frame: pd.DataFrame, *, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                   pd.DataFrame]:
    """Train / validation / test, stratified on the label; every row lands in exactly one."""
    rest, test = train_test_split(frame, test_size=TEST_SHARE, random_state=seed,
                                  stratify=frame[LABEL])
    train, validation = train_test_split(
        rest, test_size=VALIDATION_SHARE / (1 - TEST_SHARE), random_state=seed,
        stratify=rest[LABEL])
    return (train.reset_index(drop=True), validation.reset_index(drop=True),
            test.reset_index(drop=True))


def main(seed: int = SEED, *, raw_file: str | os.PathLike = RAW_FILE,
         data_dir: str | os.PathLike = DATA_DIR, model_dir: str | os.PathLike = MODEL_DIR,
         synthetic_rows: int = SYNTHETIC_ROWS) -> dict[str, Any]:
    """Run the whole preparation; returns the model's metadata."""
    data_dir, model_dir = Path(data_dir), Path(model_dir)
    frame, source = load_data(raw_file, seed=seed, synthetic_rows=synthetic_rows)
    train, validation, test = split_data(frame, seed=seed)
    model = train_model(
        train, validation, label=LABEL, categorical=CATEGORICAL, numeric=NUMERIC, seed=seed,
        extra_metadata={"data_source": source, "seed": seed,
                        "split_rows": {"train": len(train), "validation": len(validation),
                                       "test": len(test)}},
    )
    model.metadata["test_metrics"] = classification_metrics(
        test[LABEL].to_numpy(), model.predict_proba(test), model.threshold)
    model.save(model_dir)
    _predict_with.cache_clear()

    _write_csv(train, data_dir / "train.csv")
    _write_csv(validation, data_dir / "validation.csv")
    _write_csv(test, data_dir / "test.csv")
    _write_csv(train[FEATURES], data_dir / "train_data_no_target.csv")
    _write_csv(model.predict(train[COLUMNS]), data_dir / "train_data_with_prediction.csv")
    # held-out rows with predictions: the model-quality baseline (in-sample metrics are optimistic)
    _write_csv(model.predict(validation[COLUMNS]),
               data_dir / "validation_data_with_prediction.csv")
    storage.write_text(data_dir / "SOURCE.txt", f"Data used by the last prep.py run: {source}\n")
    return model.metadata


def predict(frame: pd.DataFrame, model_dir: str | os.PathLike = MODEL_DIR) -> pd.DataFrame:
    """``frame`` plus ``prediction_probability`` and ``prediction`` from the saved model.

    Extra columns (such as the label) are kept and ignored by the model; a missing feature
    column raises ValueError naming it.
    """
    return _predict_with(str(Path(model_dir).resolve())).predict(frame)


@functools.lru_cache(maxsize=4)
def _predict_with(model_dir: str) -> CreditRiskModel:
    return CreditRiskModel.load(model_dir)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    storage.write_text(path, frame.to_csv(index=False))


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=SEED, help="random seed (default 0)")
    parser.add_argument("--raw-file", default=str(RAW_FILE),
                        help="the real SouthGermanCredit.asc (default data/raw/...)")
    parser.add_argument("--synthetic-rows", type=int, default=SYNTHETIC_ROWS,
                        help="rows to generate when the real file is absent (default 1000)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = _parse_args(sys.argv[1:])
    meta = main(args.seed, raw_file=args.raw_file, synthetic_rows=args.synthetic_rows)
    print(f"data: {meta['data_source']}")
    print(f"model: {meta['boosting']['trees']} trees, threshold {meta['threshold']:.3f} "
          f"(chosen on validation)")
    print("validation:", json.dumps({k: round(v, 3) for k, v in meta["validation_metrics"].items()}))
    print("test:      ", json.dumps({k: round(v, 3) for k, v in meta["test_metrics"].items()}))
    print(f"wrote {MODEL_DIR} and {DATA_DIR}")
