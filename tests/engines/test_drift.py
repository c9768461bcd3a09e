import math

import numpy as np
import pytest

from byom_monitor.engines.drift import (
    categorical_linf,
    chi2_survival,
    chi_squared_p_value,
    numerical_distance,
)
from byom_monitor.engines.kll import KLLSketch


def _sketch(values):
    sketch = KLLSketch()
    sketch.update(np.asarray(values, dtype=float))
    return sketch


def test_simple_distance_is_the_largest_cdf_gap():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=500), rng.normal(0.5, 1, size=300)
    grid = np.union1d(a, b)
    brute = np.max(np.abs(np.searchsorted(np.sort(a), grid, "right") / a.size
                          - np.searchsorted(np.sort(b), grid, "right") / b.size))
    assert numerical_distance(_sketch(a), _sketch(b), "Simple") == pytest.approx(brute)
    robust = numerical_distance(_sketch(a), _sketch(b), "Robust")
    assert robust == pytest.approx(max(0.0, brute - 1.8 * math.sqrt((500 + 300) / (500 * 300))))


def test_identical_samples_have_no_distance():
    values = np.arange(100.0)
    assert numerical_distance(_sketch(values), _sketch(values[::-1]), "Simple") == 0.0
    assert math.isnan(numerical_distance(_sketch([]), _sketch(values)))
    with pytest.raises(ValueError, match="comparison_method"):
        numerical_distance(_sketch(values), _sketch(values), "Other")


def test_categorical_linf_compares_shares():
    assert categorical_linf({"a": 50, "b": 50}, {"a": 30, "b": 60, "c": 10}) == pytest.approx(
        0.5 - 30 / 100)


def test_chi_squared_p_values():
    # Known value: observed 30/70 against expected 50/50 of 100 -> chi2 = 16, p = 6.33e-5
    assert chi_squared_p_value({"a": 1, "b": 1}, {"a": 30, "b": 70}) == pytest.approx(
        6.334248e-05, rel=1e-5)
    assert chi_squared_p_value({"a": 5, "b": 5}, {"a": 50, "b": 50}) == pytest.approx(1.0)
    # two categories with a tiny expected count collapse into one: no test possible
    assert math.isnan(chi_squared_p_value({"a": 99, "b": 1}, {"a": 9, "b": 1}))


@pytest.mark.parametrize("x, dof, expected", [
    (3.841458820694124, 1, 0.05), (5.991464547107979, 2, 0.05), (11.070497693516351, 5, 0.05),
    (0.0, 3, 1.0)])
def test_chi2_survival_matches_tables(x, dof, expected):
    assert chi2_survival(x, dof) == pytest.approx(expected, rel=1e-9)
