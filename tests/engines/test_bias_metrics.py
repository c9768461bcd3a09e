"""Every bias metric on a small frame computed by hand, plus the weighting and error rules."""
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.neighbors import KNeighborsClassifier

from byom_monitor.engines import bias_metrics as bm

# 10 rows: facet d = rows 0-3 (4 rows), a = rows 4-9 (6 rows)
FACET = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], bool)
LABEL = np.array([1, 0, 0, 1, 1, 1, 0, 1, 1, 0], bool)
PRED = np.array([1, 1, 0, 0, 1, 1, 1, 1, 0, 0], bool)
GROUP = np.array(["x", "x", "y", "y", "x", "x", "x", "y", "y", "y"])


def data(**overrides):
    values = dict(facet=FACET, label=LABEL, weights=np.ones(10, int), predicted=PRED, group=GROUP)
    values.update(overrides)
    return bm.BiasData(**values)


def value(name, **overrides):
    return bm.METRICS[name](data(**overrides))


def test_pre_training_by_hand():
    # d: labels 1,0,0,1 -> q_d = 0.5 ; a: 1,1,0,1,1,0 -> q_a = 4/6
    assert value("CI") == pytest.approx((6 - 4) / 10)
    assert value("DPL") == pytest.approx(4 / 6 - 0.5)
    p_a, p_d = np.array([2 / 6, 4 / 6]), np.array([0.5, 0.5])
    assert value("KL") == pytest.approx(np.sum(p_a * np.log(p_a / p_d)))
    m = (p_a + p_d) / 2
    assert value("JS") == pytest.approx(0.5 * (np.sum(p_a * np.log(p_a / m)) + np.sum(p_d * np.log(p_d / m))))
    assert value("LP") == pytest.approx(np.sqrt(2) * (4 / 6 - 0.5))
    assert value("TVD") == pytest.approx(4 / 6 - 0.5)
    assert value("KS") == pytest.approx(4 / 6 - 0.5)
    # group x: rows 0,1,4,5,6 ; y: 2,3,7,8,9
    # x: accepted (y=1) rows 0,4,5 -> d share 1/3 ; rejected rows 1,6 -> d share 1/2 ; DD = 1/6
    # y: accepted rows 3,7,8 -> 1/3 ; rejected rows 2,9 -> 1/2 ; DD = 1/6
    assert value("CDDL") == pytest.approx(1 / 6)


def test_post_training_by_hand():
    # d rows 0-3: y 1,0,0,1 / yhat 1,1,0,0 -> TP 1, FP 1, FN 1, TN 1
    # a rows 4-9: y 1,1,0,1,1,0 / yhat 1,1,1,1,0,0 -> TP 3, FP 1, FN 1, TN 1
    assert value("DPPL") == pytest.approx(4 / 6 - 2 / 4)
    assert value("DI") == pytest.approx((2 / 4) / (4 / 6))
    assert value("DCA") == pytest.approx(4 / 4 - 2 / 2)       # n(y=1)/n(yhat=1)
    assert value("DCR") == pytest.approx(2 / 2 - 2 / 2)       # n(y=0)/n(yhat=0)
    assert value("RD") == pytest.approx(3 / 4 - 1 / 2)
    assert value("SD") == pytest.approx(1 / 2 - 1 / 2)
    assert value("DAR") == pytest.approx(3 / 4 - 1 / 2)
    assert value("DRR") == pytest.approx(1 / 2 - 1 / 2)
    assert value("AD") == pytest.approx(4 / 6 - 2 / 4)
    assert value("TE") == pytest.approx(1 / 1 - 1 / 1)
    # CDDPL with yhat: x accepted rows 0,1,4,5,6 -> d 2/5; no rejected -> 0 ; DD_x = -2/5
    # y accepted rows 7 -> 0 ; rejected rows 2,3,8,9 -> d 2/4 ; DD_y = 1/2
    assert value("CDDPL") == pytest.approx((5 * (-2 / 5) + 5 * 0.5) / 10)
    benefit = PRED.astype(int) - LABEL.astype(int) + 1
    mu = benefit.mean()
    assert value("GE") == pytest.approx(np.sum((benefit / mu) ** 2 - 1) / (10 * 2))


def test_infinities_and_the_both_infinite_rule():
    # d has false negatives but no false positives: tau_d = divide(FN, 0) = inf
    predicted = PRED.copy()
    predicted[1] = False
    assert value("TE", predicted=predicted) == math.inf
    # no predicted positives anywhere: both conditional acceptances are +inf -> DCA = 0
    assert value("DCA", predicted=np.zeros(10, bool)) == 0.0
    assert value("DI", predicted=np.where(FACET, True, False)) == math.inf  # q_a = 0


def test_errors_become_entries():
    results = bm.compute(["CI", "CDDL", "DPPL"], data(group=None, facet=np.zeros(10, bool)))
    assert [r["name"] for r in results] == ["CDDL", "CI", "DPPL"]  # alphabetical
    assert all(r["value"] is None and r["error"] for r in results)
    no_group = bm.compute(["CDDL"], data(group=None))[0]
    assert no_group["error"] == "Group variable is empty or not provided"
    all_negative = bm.compute(["GE"], data(predicted=np.zeros(10, bool), label=np.ones(10, bool)))
    assert "false negatives" in all_negative[0]["error"]


def test_weights_equal_replicated_rows():
    rng = np.random.default_rng(0)
    weights = rng.integers(1, 6, 10)
    replicate = lambda a: np.repeat(a, weights)  # noqa: E731
    features = rng.normal(size=(10, 3))
    weighted = data(weights=weights, features=features)
    expanded = bm.BiasData(replicate(FACET), replicate(LABEL), np.ones(weights.sum(), int),
                           replicate(PRED), replicate(GROUP), np.repeat(features, weights, axis=0))
    for name in bm.PRE_TRAINING + bm.POST_TRAINING:
        assert bm.METRICS[name](weighted) == pytest.approx(bm.METRICS[name](expanded)), name


def test_flip_test_matches_knn_on_the_replicated_rows():
    rng = np.random.default_rng(1)
    n = 40
    features = rng.integers(0, 4, size=(n, 2)).astype(float) + rng.normal(0, 0.01, (n, 2))
    facet = rng.random(n) < 0.3
    predicted = rng.random(n) < 0.5
    weights = rng.integers(1, 4, n)
    ours = bm.flip_test(bm.BiasData(facet, predicted, weights, predicted, features=features))
    x = np.repeat(features, weights, axis=0)
    f, p = np.repeat(facet, weights), np.repeat(predicted, weights)
    knn = KNeighborsClassifier(n_neighbors=5).fit(x[~f], p[~f]).predict(x[f])
    expected = (np.sum(p[f] & ~knn) - np.sum(~p[f] & knn)) / f.sum()
    assert ours == pytest.approx(expected)


def test_pre_training_metrics_match_the_real_analysis(shared):
    folder = ("compat", "sagemaker-python-sdk-fixtures", "pipeline", "clarify_check_step")
    frame = pd.read_csv(shared(*folder, "dataset.csv"), header=None)
    import json

    real = json.loads(shared(*folder, "data_bias", "good_cases", "analysis.json").read_text())
    expected = {m["name"]: m["value"] for m in
                real["pre_training_bias_metrics"]["facets"]["F1"][0]["metrics"]}
    ours = bm.compute(bm.PRE_TRAINING, bm.BiasData(
        facet=frame[1].to_numpy() > 0.5, label=frame[0].to_numpy() == 1,
        weights=np.ones(len(frame), int), group=frame[2].to_numpy()))
    assert {m["name"]: m["value"] for m in ours} == expected  # to the last digit
