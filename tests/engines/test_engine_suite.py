"""Every engine through the same cases (like Deequ's NullHandlingTests and
StateAggregationTests): empty input, NaN, a constant column, a single row, and merge order (or,
for engines without state to merge, row order). Each case either gets a clear InputError or
the documented answer."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from byom_monitor.engines import bias_metrics as bm
from byom_monitor.engines import datatypes as dt
from byom_monitor.engines import drift, profile, shap
from byom_monitor.engines import model_metrics as mm
from byom_monitor.engines.kll import KLLSketch
from byom_monitor.errors import InputError

RNG = np.random.default_rng(3)
VALUES = RNG.normal(size=300)


def sketch(values) -> KLLSketch:
    result = KLLSketch()
    result.update(np.asarray(values, dtype=float))
    return result


# -- kll --------------------------------------------------------------------------------------
def kll_empty():
    empty = sketch([])
    assert empty.count == 0 and math.isnan(empty.quantile(0.5))


def kll_nan():
    with pytest.raises(InputError, match="KLL sketch update: 1 NaN"):
        sketch([1.0, math.nan])
    with pytest.raises(InputError, match="not numbers"):
        KLLSketch().update(np.array(["a"]))


def kll_constant():
    constant = sketch(np.full(5000, 2.5))  # enough to compact
    assert {constant.quantile(q) for q in (0.0, 0.5, 1.0)} == {2.5}


def kll_single_row():
    assert sketch([7.0]).quantile(0.5) == 7.0 and sketch([7.0]).count == 1


def kll_merge_order():
    left, right = VALUES[:100], VALUES[100:]
    ab, ba = sketch(left).merge(sketch(right)), sketch(right).merge(sketch(left))
    assert ab.count == ba.count == VALUES.size
    assert [ab.quantile(q) for q in (0.1, 0.5, 0.9)] == [ba.quantile(q) for q in (0.1, 0.5, 0.9)]


# -- profile ----------------------------------------------------------------------------------
def column(frame: pd.DataFrame, name: str = "x") -> profile.ColumnState:
    return profile.profile_frame(frame).columns[name]


def profile_empty():
    assert profile.profile_frame(pd.DataFrame()).columns == {}
    state = column(pd.DataFrame({"x": pd.Series([], dtype=float)}))
    assert state.present == 0 and state.inferred_type == "Unknown"


def profile_nan():
    state = column(pd.DataFrame({"x": [1.0, math.nan, 3.0]}))
    assert (state.present, state.missing, state.mean) == (2, 1, 2.0)
    assert column(pd.DataFrame({"x": [math.nan] * 3})).inferred_type == "Unknown"


def profile_constant():
    state = column(pd.DataFrame({"x": [4.0] * 50}))
    assert (state.mean, state.std_dev, state.minimum, state.maximum) == (4.0, 0.0, 4.0, 4.0)
    assert column(pd.DataFrame({"x": ["a"] * 50})).distinct_count == 1


def profile_single_row():
    state = column(pd.DataFrame({"x": [4.0]}))
    assert (state.present, state.minimum, state.maximum, state.std_dev) == (1, 4.0, 4.0, 0.0)


def profile_merge_order():
    frame = pd.DataFrame({"x": VALUES, "s": RNG.choice(["a", "b", "c"], VALUES.size)})
    halves = frame.iloc[:120], frame.iloc[120:]

    def merged(first, second):
        return profile.profile_frame(first).merge(profile.profile_frame(second))

    ab, ba = merged(*halves), merged(*reversed(halves))
    whole = profile.profile_frame(frame)
    for result in (ab, ba):
        assert result.rows == whole.rows
        assert result.columns["x"].mean == pytest.approx(whole.columns["x"].mean, abs=1e-12)
        assert result.columns["x"].std_dev == pytest.approx(whole.columns["x"].std_dev)
        assert result.columns["s"].counts == whole.columns["s"].counts


# -- drift ------------------------------------------------------------------------------------
def drift_empty():
    """Nothing to compare: NaN, which the checks report as 'no comparison'."""
    assert math.isnan(drift.numerical_distance(sketch([]), sketch(VALUES)))
    assert math.isnan(drift.categorical_linf({}, {"a": 3}))


def drift_nan():
    with pytest.raises(InputError, match="baseline counts: 1 NaN"):
        drift.categorical_linf({"a": math.nan}, {"a": 1})


def drift_constant():
    assert drift.numerical_distance(sketch([1.0] * 10), sketch([1.0] * 10), "Simple") == 0.0
    assert drift.numerical_distance(sketch([1.0] * 10), sketch([2.0] * 10), "Simple") == 1.0


def drift_single_row():
    assert drift.categorical_linf({"a": 1}, {"b": 1}) == 1.0


def drift_merge_order():
    a, b = sketch(VALUES), sketch(VALUES + 0.5)
    assert drift.numerical_distance(a, b) == drift.numerical_distance(b, a)
    assert drift.categorical_linf({"a": 1, "b": 3}, {"a": 2}) == \
        drift.categorical_linf({"a": 2}, {"a": 1, "b": 3})


# -- model_metrics ----------------------------------------------------------------------------
LABELS = (VALUES > 0).astype(int)
SCORES = 1 / (1 + np.exp(-VALUES - RNG.normal(size=VALUES.size)))


def model_metrics_empty():
    with pytest.raises(InputError, match="labels: no values"):
        mm.BinaryEvaluation(np.array([]), np.array([]), np.array([])).metrics()
    with pytest.raises(InputError, match="labels: no values"):
        mm.regression_metrics(np.array([]), np.array([]))
    with pytest.raises(InputError, match="labels: no values"):
        mm.MulticlassEvaluation(np.array([], dtype=str), np.array([], dtype=str))


def model_metrics_nan():
    """A NaN score must not give a perfect AUC: it is refused."""
    scores = SCORES.copy()
    scores[0] = math.nan
    with pytest.raises(InputError, match="scores: 1 NaN"):
        mm.BinaryEvaluation(LABELS, (scores > 0.5).astype(int), scores)
    with pytest.raises(InputError, match="predictions: 1 NaN"):
        mm.regression_metrics(VALUES, np.where(np.arange(VALUES.size) == 3, math.nan, VALUES))


def model_metrics_constant():
    """One class only: AUC is undefined, not 1.0."""
    ones = np.ones(50, dtype=int)
    metrics = mm.BinaryEvaluation(ones, ones, np.full(50, 0.9)).metrics()
    assert metrics["accuracy"] == 1.0 and (math.isnan(metrics["auc"]) or metrics["auc"] != 1.0)
    assert math.isnan(mm.regression_metrics(np.full(5, 2.0), np.full(5, 2.0))["r2"])


def model_metrics_single_row():
    metrics = mm.BinaryEvaluation(np.array([1]), np.array([1]), np.array([0.8])).metrics()
    assert metrics["accuracy"] == 1.0
    assert mm.regression_metrics(np.array([3.0]), np.array([1.0]))["mae"] == 2.0


def model_metrics_merge_order():
    order = RNG.permutation(VALUES.size)
    forward = mm.BinaryEvaluation(LABELS, (SCORES > 0.5).astype(int), SCORES).metrics()
    shuffled = mm.BinaryEvaluation(LABELS[order], (SCORES[order] > 0.5).astype(int),
                                   SCORES[order]).metrics()
    for name in ("accuracy", "auc", "f1", "precision", "recall"):
        assert shuffled[name] == pytest.approx(forward[name], abs=1e-12), name


# -- bias_metrics -----------------------------------------------------------------------------
def bias_data(facet, label, predicted=None, weights=None) -> bm.BiasData:
    facet, label = np.asarray(facet, bool), np.asarray(label, bool)
    weights = np.ones(facet.size, dtype=np.int64) if weights is None else np.asarray(weights)
    return bm.BiasData(facet, label, weights, None if predicted is None
                       else np.asarray(predicted, bool))


def bias_empty():
    entries = bm.compute(["CI", "DPL"], bias_data([], []))
    assert [e["error"] for e in entries] == ["Facet set is empty"] * 2
    assert all(e["value"] is None for e in entries)


def bias_nan():
    with pytest.raises(InputError, match="bias weights: 1 NaN"):
        bias_data([True, False], [True, True], weights=[1.0, math.nan])
    with pytest.raises(InputError, match="label has 1 rows"):
        bias_data([True, False], [True])


def bias_constant():
    """All labels positive in both groups: no imbalance of outcomes."""
    entries = {e["name"]: e for e in bm.compute(["DPL", "CI"], bias_data([1, 0, 1, 0], [1] * 4))}
    assert entries["DPL"]["value"] == 0.0 and entries["CI"]["value"] == 0.0


def bias_single_row():
    (entry,) = bm.compute(["CI"], bias_data([True], [True]))
    assert entry["error"] == "Negated facet set is empty"


def bias_merge_order():
    facet, label = RNG.random(80) < 0.4, RNG.random(80) < 0.5
    order = RNG.permutation(80)
    names = ["CI", "DPL", "KL", "JS", "LP", "TVD", "KS"]
    assert bm.compute(names, bias_data(facet, label)) == \
        bm.compute(names, bias_data(facet[order], label[order]))


# -- shap -------------------------------------------------------------------------------------
def linear(matrix: np.ndarray) -> np.ndarray:
    return matrix @ np.array([1.0, 2.0, -1.0])


ROWS = RNG.normal(size=(6, 3))


def shap_empty():
    result = shap.kernel_shap(linear, np.zeros((0, 3)), np.zeros(3))
    assert result.values.shape == (0, 3)


def shap_nan():
    rows = ROWS.copy()
    rows[1, 2] = math.nan
    with pytest.raises(InputError, match="Kernel SHAP rows: 1 NaN"):
        shap.kernel_shap(linear, rows, np.zeros(3))
    with pytest.raises(InputError, match="Kernel SHAP baseline"):
        shap.kernel_shap(linear, ROWS, np.array([0.0, math.nan, 0.0]))


def shap_constant():
    """Rows equal to the baseline: every SHAP value is 0."""
    result = shap.kernel_shap(linear, np.ones((4, 3)), np.ones(3))
    assert np.all(result.values == 0.0)


def shap_single_row():
    result = shap.kernel_shap(linear, ROWS[:1], np.zeros(3), num_samples=50)
    assert np.allclose(result.values[0], ROWS[0] * [1.0, 2.0, -1.0])  # exact for a linear model


def shap_merge_order():
    """Each row's values do not depend on the other rows or their order."""
    order = np.array([5, 3, 1, 0, 2, 4])
    forward = shap.kernel_shap(linear, ROWS, np.zeros(3), num_samples=50)
    shuffled = shap.kernel_shap(linear, ROWS[order], np.zeros(3), num_samples=50)
    assert np.allclose(shuffled.values, forward.values[order])


# -- datatypes --------------------------------------------------------------------------------
def datatypes_empty():
    assert dt.count_types([], []) == {} and dt.column_type({}) == dt.UNKNOWN
    assert dt.classify_text("") == dt.STRING


def datatypes_nan():
    """Deequ reads a NaN as the text 'NaN': a String (missing values never get here)."""
    assert dt.classify_value(math.nan) == dt.STRING == dt.classify_text("NaN")


def datatypes_constant():
    assert dt.column_type(dt.count_types(["3"] * 4, [1] * 4)) == dt.INTEGRAL


def datatypes_single_row():
    assert dt.column_type(dt.count_types(["2.5"], [1])) == dt.FRACTIONAL


def datatypes_merge_order():
    values, weights = ["1", "2.5", "x", "true"], [3, 2, 1, 4]
    forward = dt.count_types(values, weights)
    assert dt.count_types(values[::-1], weights[::-1]) == forward
    assert dt.column_type(forward) == dt.STRING


CASES = {
    "kll": (kll_empty, kll_nan, kll_constant, kll_single_row, kll_merge_order),
    "profile": (profile_empty, profile_nan, profile_constant, profile_single_row,
                profile_merge_order),
    "drift": (drift_empty, drift_nan, drift_constant, drift_single_row, drift_merge_order),
    "model_metrics": (model_metrics_empty, model_metrics_nan, model_metrics_constant,
                      model_metrics_single_row, model_metrics_merge_order),
    "bias_metrics": (bias_empty, bias_nan, bias_constant, bias_single_row, bias_merge_order),
    "shap": (shap_empty, shap_nan, shap_constant, shap_single_row, shap_merge_order),
    "datatypes": (datatypes_empty, datatypes_nan, datatypes_constant, datatypes_single_row,
                  datatypes_merge_order),
}
KINDS = ("empty", "nan", "constant", "single_row", "merge_order")


@pytest.mark.parametrize("case", [pytest.param(case, id=f"{engine}-{kind}")
                                  for engine, cases in CASES.items()
                                  for kind, case in zip(KINDS, cases)])
def test_engine_case(case):
    case()


def test_every_engine_module_is_in_the_suite():
    from pathlib import Path

    import byom_monitor.engines as engines

    modules = {p.stem for p in Path(engines.__file__).parent.glob("*.py")
               if p.stem not in ("__init__", "guards")}
    assert modules == set(CASES)
