"""A second model, not the example's: churn data, a scikit-learn pipeline and an XGBoost booster
trained here, monitored through the public API from baseline to bias and SHAP, and served."""
from __future__ import annotations

import functools
import urllib.request

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import byom_monitor as bm
from byom_monitor.clarify import BoosterPredictor
from byom_monitor.live.server import make_app, serve

LABEL = "Churn"
FEATURES = ["Account Length", "Day Mins", "Eve Mins", "Night Mins", "Intl Mins",
            "CustServ Calls", "Int'l Plan_yes", "VMail Plan_yes"]
FACET = "Int'l Plan_yes"


@pytest.fixture
def churn(shared):
    return _trained(shared("data", "churn", "training-dataset-with-header.csv"))


@functools.cache
def _trained(path):
    """The data split in two and the model trained on the first part (once per run)."""
    frame = pd.read_csv(path)[[LABEL, *FEATURES]]
    train, current = frame.iloc[:1600].reset_index(drop=True), frame.iloc[1600:]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    model.fit(train[FEATURES], train[LABEL])
    return train, current.reset_index(drop=True), model


def config(**methods):
    return {"dataset_type": "text/csv", "headers": [LABEL, *FEATURES], "label": LABEL,
            "label_values_or_threshold": [1],
            "facet": [{"name_or_index": FACET, "value_or_threshold": [1]}],
            "methods": methods}


def test_data_quality_baseline_and_drift(churn, tmp_path):
    train, current, _ = churn
    baseline = bm.baseline_data_quality(train[FEATURES], str(tmp_path / "dq-baseline"))
    assert set(baseline.to_df()["name"]) == set(FEATURES)
    drifted = current[FEATURES].assign(**{"Day Mins": current["Day Mins"] * 1.6})
    result = bm.check_data_quality(drifted, baseline, str(tmp_path / "dq-check"))
    assert result.status == "CompletedWithViolations"
    assert "Day Mins" in set(result.to_df()["feature_name"])
    same = bm.check_data_quality(train[FEATURES], baseline, str(tmp_path / "dq-same"))
    assert same.status == "Completed" and same.to_df().empty


def test_model_quality_of_the_churn_model(churn, tmp_path, shared):
    train, current, model = churn

    def scored(frame):
        probability = model.predict_proba(frame[FEATURES])[:, 1]
        return pd.DataFrame({"label": frame[LABEL], "probability": probability,
                             "prediction": (probability >= 0.5).astype(int)})

    attributes = dict(problem_type="BinaryClassification", ground_truth_attribute="label",
                      inference_attribute="prediction", probability_attribute="probability")
    baseline = bm.baseline_model_quality(scored(train), str(tmp_path / "mq"), **attributes)
    metrics = baseline.to_df().set_index("metric")["value"]
    assert 0.7 < metrics["auc"] < 1.0
    result = bm.check_model_quality(scored(current), baseline, str(tmp_path / "mq-check"),
                                    **attributes)
    assert result.status in ("Completed", "CompletedWithViolations")
    # the shared file's own predictions (another model's) check against the same baseline
    other = bm.check_model_quality(
        str(shared("data", "churn", "validation_with_predictions.csv")), baseline,
        str(tmp_path / "mq-other"), **attributes)
    assert "accuracy" in set(other.statistics.to_df()["metric"])


def test_bias_baseline_and_check_with_the_estimator_and_a_callable(churn, tmp_path):
    train, current, model = churn
    cfg = config(pre_training_bias={"methods": ["CI", "DPL"]},
                 post_training_bias={"methods": ["DPPL", "DI"]},
                 shap={"baseline": [[0] * len(FEATURES)]})  # bias verbs leave shap out
    baseline = bm.baseline_bias(train, str(tmp_path / "bias"), analysis_config=cfg, model=model)
    table = baseline.to_df()
    assert set(table["metric"]) == {"CI", "DPL", "DPPL", "DI"}
    assert baseline.shap_df().empty
    # the same model as a plain callable gives the same post-training metrics
    as_callable = bm.baseline_bias(train, str(tmp_path / "bias-callable"), analysis_config=cfg,
                                   model=lambda frame: model.predict_proba(frame)[:, 1])
    assert np.allclose(as_callable.to_df()["value"], table["value"], equal_nan=True)
    check = bm.check_bias(current, baseline, str(tmp_path / "bias-check"), analysis_config=cfg,
                          model=model)
    assert check.status in ("Completed", "CompletedWithViolations")
    assert isinstance(check, bm.BiasResult) and set(check.to_df()["metric"]) == set(table["metric"])


def test_shap_with_kernel_for_the_pipeline_and_tree_for_a_booster(churn, tmp_path):
    import xgboost as xgb

    train, current, model = churn
    shap = {"baseline": [train[FEATURES].median().tolist()], "num_samples": 64, "seed": 7}
    sample = train.iloc[:150]
    kernel = bm.baseline_explainability(sample, str(tmp_path / "kernel"),
                                        analysis_config=config(shap=shap), model=model)
    values = kernel.to_df().set_index("feature")["global_shap_value"]
    assert set(values.index) == set(FEATURES) and values.max() > 0
    check = bm.check_explainability(current.iloc[:150], kernel, str(tmp_path / "kernel-check"),
                                    analysis_config=config(shap=shap), model=model)
    assert check.status in ("Completed", "CompletedWithViolations")

    booster = xgb.train({"objective": "binary:logistic", "max_depth": 3, "nthread": 1},
                        xgb.DMatrix(train[FEATURES].to_numpy(float), label=train[LABEL]), 20)
    tree = bm.baseline_explainability(
        sample, str(tmp_path / "tree"), analysis_config=config(shap={**shap, "algorithm": "tree"}),
        model=BoosterPredictor(booster, features=FEATURES))
    tree_values = tree.to_df().set_index("feature")["global_shap_value"]
    assert set(tree_values.index) == set(FEATURES)
    # tree SHAP is exact: per row, the contributions add up to the margin minus the expected value
    contributions = booster.predict(xgb.DMatrix(sample[FEATURES].to_numpy(float)),
                                    pred_contribs=True)
    expected = np.abs(contributions[:, :-1]).mean(axis=0)
    assert np.allclose(tree_values[FEATURES].to_numpy(), expected, rtol=1e-4, atol=1e-6)


def test_the_server_serves_the_churn_pipeline(churn):
    train, _, model = churn
    server = serve(make_app(model, features=FEATURES), port=0)
    try:
        rows = train[FEATURES].head(5)
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.server_port}/invocations",
            data=rows.to_csv(header=False, index=False).encode(),
            headers={"Content-Type": "text/csv"})
        with urllib.request.urlopen(request, timeout=10) as response:
            scores = [float(line) for line in response.read().decode().split()]
    finally:
        server.shutdown()
        server.server_close()
    assert np.allclose(scores, model.predict_proba(rows)[:, 1])
