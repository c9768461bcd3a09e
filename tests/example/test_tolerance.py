import numpy as np
import pandas as pd
import pytest

from byom_monitor.example import tolerance


def _scored(n, seed=0):
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, n)
    probability = np.clip(label * 0.4 + rng.random(n) * 0.6, 0, 1)
    return pd.DataFrame({"y": label, "p": probability, "yhat": (probability >= 0.5).astype(int)})


def test_bootstrap_is_seeded_and_spreads_less_on_bigger_batches():
    statistic = tolerance.binary_metrics("y", "yhat", "p")
    frame = _scored(400)
    small = tolerance.bootstrap(frame, statistic, rows=50, samples=60)
    pd.testing.assert_frame_equal(small, tolerance.bootstrap(frame, statistic, rows=50, samples=60))
    large = tolerance.bootstrap(frame, statistic, rows=400, samples=60)
    assert small["accuracy"].std() > 1.5 * large["accuracy"].std()
    with pytest.raises(ValueError):
        tolerance.bootstrap(frame, statistic, rows=0)


def test_model_quality_thresholds_move_away_by_z_standard_errors_of_a_difference():
    constraints = {"binary_classification_constraints": {
        "accuracy": {"threshold": 0.8, "comparison_operator": "LessThanThreshold"},
        "false_positive_rate": {"threshold": 0.1, "comparison_operator": "GreaterThanThreshold"}}}
    spread = pd.DataFrame({"accuracy": [0.7, 0.8, 0.9], "false_positive_rate": [0.1, 0.1, 0.1]})
    review = tolerance.widen_model_quality(constraints, spread, z=2.0)
    rules = constraints["binary_classification_constraints"]
    assert rules["accuracy"]["threshold"] == pytest.approx(0.8 - 2 * np.sqrt(2) * 0.1)
    assert rules["false_positive_rate"]["threshold"] == pytest.approx(0.1)  # no spread
    assert review.loc["accuracy", "suggested"] == 0.8


def test_bias_baseline_values_widen_to_what_batches_show_keeping_the_sign():
    analysis = {"post_training_bias_metrics": {"facets": {"fw": [{
        "value_or_threshold": "1",
        "metrics": [{"name": "DPPL", "value": -0.1}, {"name": "DI", "value": 0.9},
                    {"name": "AD", "value": 0.5}]}]}}}
    key = "post_training_bias_metrics/fw/1/"
    spread = pd.DataFrame({key + "DPPL": [0.3, -0.2], key + "DI": [1.3, 1.0],
                           key + "AD": [0.1, 0.2]})
    edited, review = tolerance.widen_bias(analysis, spread, quantile=1.0)
    values = {m["name"]: m["value"] for m in
              edited["post_training_bias_metrics"]["facets"]["fw"][0]["metrics"]}
    assert values["DPPL"] == pytest.approx(-0.3)  # as far from 0 as the farthest batch
    assert values["DI"] == pytest.approx(0.7)  # |DI - 1| = 0.3, on the baseline's side
    assert values["AD"] == 0.5  # batches stayed nearer: the baseline value holds
    assert analysis["post_training_bias_metrics"]["facets"]["fw"][0]["metrics"][0]["value"] == -0.1
    assert len(review) == 3
