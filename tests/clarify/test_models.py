"""A user's model as a Clarify predictor (clarify/models.py)."""
from __future__ import annotations

import joblib
import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from byom_monitor.clarify import ClarifyError
from byom_monitor.clarify.models import (
    BOOSTER_FILE,
    METADATA_FILE,
    MODEL_FILE,
    PREPROCESSOR_FILE,
    BoosterPredictor,
    CallablePredictor,
    EstimatorPredictor,
    HttpPredictor,
    as_predictor,
    column_transformer_sources,
    load_model_folder,
)

RNG = np.random.default_rng(5)
FRAME = pd.DataFrame({"size": RNG.normal(size=200), "kind": RNG.integers(0, 3, 200),
                      "age": RNG.integers(18, 80, 200)})
LABEL = ((FRAME["size"] + (FRAME["kind"] == 2)) > 0.5).astype(int)


def test_as_predictor_picks_the_adapter_by_what_the_model_offers():
    estimator = LogisticRegression().fit(FRAME, LABEL)
    booster = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(FRAME, label=LABEL), 3)
    assert isinstance(as_predictor(estimator), EstimatorPredictor)
    assert isinstance(as_predictor(booster), BoosterPredictor)
    assert isinstance(as_predictor(lambda f: np.zeros(len(f))), CallablePredictor)
    assert isinstance(as_predictor("http://127.0.0.1:9/invocations"), HttpPredictor)
    with pytest.raises(ClarifyError, match="cannot use a int as a model"):
        as_predictor(3)
    predictor = as_predictor(estimator, threshold=0.3)
    assert predictor.default_threshold == 0.3
    assert np.allclose(predictor.predict(FRAME), estimator.predict_proba(FRAME)[:, 1])


def test_the_positive_class_is_chosen_by_label_not_position():
    estimator = LogisticRegression().fit(FRAME, np.where(LABEL == 1, "churn", "stay"))
    churn = EstimatorPredictor(estimator, positive_class="churn").predict(FRAME)
    assert np.allclose(churn, estimator.predict_proba(FRAME)[:, 0])  # classes_: churn, stay
    with pytest.raises(ClarifyError, match="positive_class 'gone' is not one of"):
        EstimatorPredictor(estimator, positive_class="gone")


def test_a_folder_with_model_joblib_and_its_threshold(tmp_path):
    estimator = LogisticRegression().fit(FRAME, LABEL)
    joblib.dump(estimator, tmp_path / MODEL_FILE)
    (tmp_path / METADATA_FILE).write_text('{"threshold": 0.4}')
    predictor = load_model_folder(tmp_path)
    assert predictor.default_threshold == 0.4
    assert np.allclose(predictor.predict(FRAME), estimator.predict_proba(FRAME)[:, 1])
    with pytest.raises(ClarifyError, match="no model.joblib, and no preprocessor.joblib"):
        load_model_folder(tmp_path / "..")


def test_a_folder_whose_preprocessor_is_not_one_hot_scores_and_explains_by_feature(tmp_path):
    """Scaler first, then one-hot: no numpy layout, so the preprocessor transforms; tree SHAP
    still adds each one-hot column's contribution to its feature's."""
    preprocessor = ColumnTransformer([("scaled", StandardScaler(), ["size", "age"]),
                                      ("onehot", OneHotEncoder(handle_unknown="ignore",
                                                               sparse_output=False), ["kind"])])
    encoded = preprocessor.fit_transform(FRAME)
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 3},
                        xgb.DMatrix(encoded, label=LABEL), 10)
    joblib.dump(preprocessor, tmp_path / PREPROCESSOR_FILE)
    booster.save_model(str(tmp_path / BOOSTER_FILE))
    (tmp_path / METADATA_FILE).write_text('{"features": ["size", "kind", "age"]}')
    predictor = load_model_folder(tmp_path)
    assert np.allclose(predictor.predict(FRAME), booster.predict(xgb.DMatrix(encoded)), atol=1e-6)
    assert column_transformer_sources(preprocessor, ["size", "kind", "age"]).tolist() == \
        [0, 2, 1, 1, 1]
    reordered = FRAME[["age", "kind", "size"]]
    _, matrix, sources = predictor.tree_inputs(reordered)
    assert sources.tolist() == [2, 0, 1, 1, 1]  # positions in the explained frame
    assert np.allclose(matrix, encoded)


def test_a_booster_predictor_names_a_missing_column():
    booster = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(FRAME, label=LABEL), 2)
    predictor = BoosterPredictor(booster, features=["size", "kind", "age"])
    with pytest.raises(ClarifyError, match=r"no column\(s\) \['age'\]"):
        predictor.predict(FRAME.drop(columns="age"))
