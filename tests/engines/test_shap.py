import numpy as np
import pytest

from byom_monitor.engines.shap import coalitions, exact_shapley, kernel_shap

rng = np.random.default_rng(0)
WEIGHTS = rng.normal(size=8)


def model(x):
    x = np.asarray(x, dtype=float)
    return 1 / (1 + np.exp(-(x @ WEIGHTS[: x.shape[1]] + 0.7 * x[:, 0] * x[:, 1]
                             - 0.4 * x[:, 2] ** 2)))


@pytest.mark.parametrize("features", [3, 5, 8])
def test_all_coalitions_give_exact_shapley_values(features):
    rows = rng.normal(size=(6, features))
    baseline = rng.normal(size=(3, features))
    result = kernel_shap(model, rows, baseline, num_samples=2 ** features - 2)
    for row, values in zip(rows, result.values):
        assert values == pytest.approx(exact_shapley(model, row, baseline), abs=1e-10)


def test_sampling_keeps_efficiency():
    rows = rng.normal(size=(50, 8))
    baseline = rng.normal(size=(1, 8))
    result = kernel_shap(model, rows, baseline, num_samples=40, seed=3)
    assert np.max(np.abs(result.values.sum(axis=1) + result.expected_value - model(rows))) < 1e-6
    again = kernel_shap(model, rows, baseline, num_samples=40, seed=3)
    assert np.array_equal(result.values, again.values)
    logit = kernel_shap(model, rows, baseline, num_samples=40, use_logit=True)
    p = model(rows)
    assert np.allclose(logit.values.sum(axis=1) + logit.expected_value, np.log(p / (1 - p)))


def test_sampled_estimates_are_close_to_exact():
    rows = rng.normal(size=(20, 8))
    baseline = rng.normal(size=(2, 8))
    sampled = kernel_shap(model, rows, baseline, num_samples=150, seed=1)
    exact = np.array([exact_shapley(model, row, baseline) for row in rows])
    assert np.max(np.abs(sampled.values - exact)) < 0.02


def test_coalitions_enumerate_small_sizes_first():
    z, w = coalitions(10, 40)
    assert z.shape == (40, 10) and w.sum() == pytest.approx(1.0)
    sizes = z.sum(axis=1)
    assert (sizes[:20] == np.r_[np.ones(10), np.full(10, 9)]).all()  # sizes 1 and 9 in full


def test_global_aggregations():
    result = kernel_shap(model, rng.normal(size=(30, 3)), rng.normal(size=(1, 3)), num_samples=6)
    v = result.values
    assert result.global_values("mean_abs") == pytest.approx(np.mean(np.abs(v), axis=0))
    assert result.global_values("median") == pytest.approx(np.median(v, axis=0))
    assert result.global_values("mean_sq") == pytest.approx(np.mean(v ** 2, axis=0))
    with pytest.raises(ValueError, match="agg_method"):
        result.global_values("max")
