"""Inference script of the SageMaker XGBoost container (script mode) for the credit model.

Standalone on purpose (numpy and xgboost only, both in the container): it reads raw CSV rows of
the model's features, one-hot encodes them as the fitted preprocessor does (``encoder.json``:
the categories of each categorical column; unknown codes become all zeros) and answers one
probability per line. No scikit-learn pickle has to load in the container.
"""
import json
import os

import numpy as np
import xgboost as xgb


def model_fn(model_dir):
    booster = xgb.Booster()
    booster.load_model(os.path.join(model_dir, "xgboost-model.json"))
    with open(os.path.join(model_dir, "encoder.json")) as handle:
        encoder = json.load(handle)
    return booster, encoder


def input_fn(request_body, content_type):
    if content_type.split(";")[0].strip() != "text/csv":
        raise ValueError(f"content type {content_type} is not supported (text/csv only)")
    text = request_body.decode("utf-8") if isinstance(request_body, bytes) else request_body
    rows = [line.split(",") for line in text.splitlines() if line.strip()]
    return np.array([[v if v.strip() else "nan" for v in row] for row in rows], dtype=float)


def encode(values, encoder):
    values = np.atleast_2d(values)
    if values.shape[1] != len(encoder["features"]):
        raise ValueError(f"expected {len(encoder['features'])} values per row, "
                         f"got {values.shape[1]}")
    blocks = [values[:, [j]] == np.asarray(categories, dtype=float)[None, :]
              for j, categories in zip(encoder["categorical_index"], encoder["categories"])]
    blocks.append(values[:, encoder["numeric_index"]])
    return np.hstack(blocks).astype(np.float32)


def predict_fn(input_data, model):
    booster, encoder = model
    return booster.inplace_predict(encode(input_data, encoder))


def output_fn(prediction, accept):
    return "".join(f"{p}\n" for p in prediction), "text/csv"


def score(model_dir, body):
    """All four steps, for a local check of the script: CSV text in, probabilities out."""
    return predict_fn(input_fn(body, "text/csv"), model_fn(model_dir))
