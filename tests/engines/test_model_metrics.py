"""Metric values against scikit-learn, and property tests for perfect and constant predictors."""
import math

import numpy as np
import pytest
from sklearn import metrics as sk

from byom_monitor.engines import model_metrics as mm


@pytest.fixture
def binary():
    rng = np.random.default_rng(0)
    y = (rng.random(3000) < 0.35).astype(int)
    scores = np.round(np.clip(0.35 + 0.3 * (y - 0.35) + rng.normal(0, 0.2, y.size), 0, 1), 2)
    return y, (scores >= 0.5).astype(int), scores


def test_binary_metrics_equal_scikit_learn(binary):
    y, predicted, scores = binary
    m = mm.BinaryEvaluation(y, predicted, scores).metrics()
    tn, fp, fn, tp = sk.confusion_matrix(y, predicted).ravel()
    assert m["recall"] == pytest.approx(sk.recall_score(y, predicted))
    assert m["precision"] == pytest.approx(sk.precision_score(y, predicted))
    assert m["accuracy"] == pytest.approx(sk.accuracy_score(y, predicted))
    for beta, key in ((0.5, "f0_5"), (1, "f1"), (2, "f2")):
        assert m[key] == pytest.approx(sk.fbeta_score(y, predicted, beta=beta))
    assert m["true_negative_rate"] == pytest.approx(tn / (tn + fp))
    assert m["false_positive_rate"] == pytest.approx(fp / (fp + tn))
    assert m["false_negative_rate"] == pytest.approx(fn / (fn + tp))
    assert m["auc"] == pytest.approx(sk.roc_auc_score(y, scores), abs=1e-12)
    fpr, tpr, _ = sk.roc_curve(y, scores)
    assert m["auc"] == pytest.approx(sk.auc(fpr, tpr))
    # Spark's area under PR: trapezoids from (0, first precision) over distinct thresholds
    precision, recall, _ = sk.precision_recall_curve(y, scores)
    precision, recall = precision[:-1][::-1], recall[:-1][::-1]
    spark = np.trapezoid(np.r_[precision[0], precision], np.r_[0.0, recall])
    assert m["au_prc"] == pytest.approx(spark)


def test_best_constant_classifier_always_predicts_positive(binary):
    y, predicted, _ = binary
    m = mm.BinaryEvaluation(y, predicted).metrics()
    always = np.ones_like(y)
    assert m["precision_best_constant_classifier"] == pytest.approx(sk.precision_score(y, always))
    assert m["recall_best_constant_classifier"] == 1.0
    assert m["f2_best_constant_classifier"] == pytest.approx(sk.fbeta_score(y, always, beta=2))
    assert "auc" not in m  # no scores, no AUC


def test_confusion_matrix_is_actual_then_predicted():
    evaluation = mm.BinaryEvaluation(np.array([1, 1, 1, 0]), np.array([1, 0, 1, 1]))
    assert evaluation.confusion_matrix() == {"0": {"0": 0.0, "1": 1.0}, "1": {"0": 1.0, "1": 2.0}}


def test_perfect_and_constant_binary_predictors():
    y = np.array([0, 1] * 150)
    perfect = mm.BinaryEvaluation(y, y, y.astype(float)).metrics()
    assert all(perfect[k] == 1.0 for k in ("recall", "precision", "accuracy", "f1", "auc"))
    assert perfect["false_positive_rate"] == 0.0
    constant = mm.BinaryEvaluation(y, np.zeros_like(y), np.full(y.size, 0.3)).metrics()
    assert constant["recall"] == 0.0 and constant["precision"] == 0.0 and constant["f1"] == 0.0
    assert constant["auc"] == 0.5


def test_multiclass_metrics_equal_scikit_learn():
    rng = np.random.default_rng(1)
    y = rng.choice(["cat", "dog", "owl"], 2000, p=[0.5, 0.3, 0.2])
    predicted = np.where(rng.random(y.size) < 0.6, y, rng.choice(["cat", "dog", "owl"], y.size))
    m = mm.MulticlassEvaluation(y, predicted).metrics()
    assert m["accuracy"] == pytest.approx(sk.accuracy_score(y, predicted))
    for average_key, function in (("weighted_recall", sk.recall_score),
                                  ("weighted_precision", sk.precision_score),
                                  ("weighted_f1", sk.f1_score)):
        assert m[average_key] == pytest.approx(function(y, predicted, average="weighted"))
    assert m["weighted_f2"] == pytest.approx(sk.fbeta_score(y, predicted, beta=2, average="weighted"))
    majority = np.full(y.size, "cat")
    assert m["accuracy_best_constant_classifier"] == pytest.approx(sk.accuracy_score(y, majority))
    assert m["weighted_f1_best_constant_classifier"] == pytest.approx(
        sk.f1_score(y, majority, average="weighted", zero_division=0))
    perfect = mm.MulticlassEvaluation(y, y).metrics()
    assert perfect["accuracy"] == 1.0 and perfect["weighted_f1"] == 1.0


def test_regression_metrics_and_the_two_r2():
    rng = np.random.default_rng(2)
    y = rng.normal(10, 2, 5000)
    predicted = y + rng.normal(0, 1, y.size)
    m = mm.regression_metrics(y, predicted)
    assert m["mae"] == pytest.approx(sk.mean_absolute_error(y, predicted))
    assert m["mse"] == pytest.approx(sk.mean_squared_error(y, predicted))
    assert m["rmse"] == pytest.approx(math.sqrt(sk.mean_squared_error(y, predicted)))
    assert m["r2_textbook"] == pytest.approx(sk.r2_score(y, predicted))
    # the service's r2 is scikit-learn's with the arguments swapped (spec J)
    assert m["r2"] == pytest.approx(sk.r2_score(predicted, y))
    perfect = mm.regression_metrics(y, y.copy())
    assert perfect["mae"] == 0.0 and perfect["r2"] == 1.0 and perfect["r2_textbook"] == 1.0
    constant = mm.regression_metrics(y, np.full(y.size, y.mean()))
    assert math.isnan(constant["r2"]) and constant["r2_textbook"] == pytest.approx(0.0, abs=1e-12)


def test_standard_deviation_needs_200_rows_and_is_seeded(binary):
    y, predicted, scores = binary
    evaluation = mm.BinaryEvaluation(y, predicted, scores)
    first = mm.with_standard_deviation(evaluation.metrics, y.size, seed=3)
    assert first == mm.with_standard_deviation(evaluation.metrics, y.size, seed=3)
    assert 0 < first["accuracy"]["standard_deviation"] < 0.02
    small = mm.BinaryEvaluation(y[:199], predicted[:199], scores[:199])
    assert math.isnan(mm.with_standard_deviation(small.metrics, 199)["accuracy"]["standard_deviation"])


def test_curves_are_bounded_and_monotone(binary):
    y, predicted, scores = binary
    curves = mm.BinaryEvaluation(y, predicted, scores).curves()
    roc = curves["receiver_operating_characteristic_curve"]
    assert len(roc["false_positive_rates"]) <= mm.CURVE_POINTS
    assert roc["false_positive_rates"][0] == 0.0 and roc["true_positive_rates"][-1] == 1.0
    assert np.all(np.diff(roc["false_positive_rates"]) >= 0)
