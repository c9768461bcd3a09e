"""``methods.shap.algorithm: "tree"``: exact tree SHAP of the XGBoost model, per raw feature."""
import json

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

from byom_monitor.clarify import ClarifyJob, run_clarify
from byom_monitor.clarify.analysis import _tree_shap
from byom_monitor.clarify.models import HttpPredictor, load_model_folder
from byom_monitor.example.model import CreditRiskModel


@pytest.fixture
def train(prepared):
    return pd.read_csv(prepared["data"] / "train.csv")


def run(tmp_path, train, data, name, algorithm, prepared, baseline=None):
    config = {"dataset_type": "text/csv", "headers": list(train.columns), "label": "credit_risk",
              "methods": {"shap": {"algorithm": algorithm, "save_local_shap_values": True,
                                   "baseline": [[0] * 20], "num_samples": 64}},
              "predictor": {"model_name": "e2e-model"}}
    (tmp_path / f"{name}.json").write_text(json.dumps(config))
    job = ClarifyJob(str(tmp_path / f"{name}.json"), str(data), str(tmp_path / name), baseline,
                     {"e2e-model": str(prepared["models"])}, None)
    return run_clarify(job, message_file=str(tmp_path / "message"))


def test_values_add_up_to_the_log_odds_and_sum_the_one_hot_columns(prepared, train):
    features = train.drop(columns="credit_risk")
    result = _tree_shap(load_model_folder(prepared["models"]), features)
    model = CreditRiskModel.load(prepared["models"])
    p = model.predict_proba(features)
    assert np.allclose(result.values.sum(axis=1) + result.expected_value, np.log(p / (1 - p)),
                       atol=1e-4)  # float32 contributions
    # each raw feature's value is the sum of its encoded columns' contributions (by name)
    names = model.metadata["encoded_features"]
    matrix = xgb.DMatrix(model.transform(features), feature_names=names)
    contributions = model.booster.predict(matrix, pred_contribs=True)
    for j, feature in enumerate(model.features):
        columns = [i for i, n in enumerate(names)
                   if n == feature or n.startswith(feature + "_")
                   and n[len(feature) + 1:].replace(".", "").isdigit()]
        assert columns, feature
        assert result.values[:, j] == pytest.approx(contributions[:, columns].sum(axis=1),
                                                    abs=1e-5)


def test_columns_the_model_does_not_use_get_zero(prepared, train):
    features = train.drop(columns="credit_risk").assign(row_id=np.arange(len(train)))
    result = _tree_shap(load_model_folder(prepared["models"]), features)
    assert (result.values[:, -1] == 0).all() and result.values.shape == (len(train), 21)


def test_chosen_in_the_analysis_config(tmp_path, prepared, train):
    outcome = run(tmp_path, train, prepared["data"] / "train.csv", "tree", "tree", prepared)
    assert outcome.status == "Completed", outcome.message
    explanations = json.loads((tmp_path / "tree" / "analysis.json").read_text())["explanations"]
    block = explanations["tree_shap"]["label0"]
    local = pd.read_csv(tmp_path / "tree" / "explanations_shap" / "out.csv")
    assert block["global_shap_values"]["duration"] == pytest.approx(local["duration"].abs().mean())
    # a check against a tree baseline works; against a kernel baseline it refuses to compare
    same = run(tmp_path, train, prepared["data"] / "train.csv", "same", "tree", prepared,
               str(tmp_path / "tree" / "analysis.json"))
    assert same.status == "Completed", same.message
    run(tmp_path, train, prepared["data"] / "train.csv", "kernel", "kernel", prepared)
    mixed = run(tmp_path, train, prepared["data"] / "train.csv", "mixed", "tree", prepared,
                str(tmp_path / "kernel" / "analysis.json"))
    assert mixed.status == "Failed" and "kernel_shap values" in mixed.message


def test_unknown_algorithm_and_non_xgboost_predictor_fail_clearly(tmp_path, prepared, train):
    outcome = run(tmp_path, train, prepared["data"] / "train.csv", "odd", "deep", prepared)
    assert outcome.status == "Failed" and "methods.shap.algorithm must be one of" in outcome.message
    with pytest.raises(ValueError, match="needs an XGBoost booster as predictor"):
        _tree_shap(HttpPredictor("http://127.0.0.1:9/invocations"),
                   train.drop(columns="credit_risk"))
