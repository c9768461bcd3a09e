"""The profile engine: exact merges, and the common cases every engine must handle."""
import math

import numpy as np
import pandas as pd
import pytest

from byom_monitor.engines import datatypes as dt
from byom_monitor.engines.profile import (
    MAX_TRACKED_VALUES,
    DatasetProfile,
    HyperLogLog,
    profile_frame,
)


def _profile_in_chunks(frame: pd.DataFrame, size: int) -> DatasetProfile:
    parts = [profile_frame(frame.iloc[i:i + size]) for i in range(0, len(frame), size)]
    merged = parts[0]
    for part in parts[1:]:
        merged.merge(part)
    return merged


@pytest.fixture
def frame():
    rng = np.random.default_rng(3)
    n = 20_000
    return pd.DataFrame({
        "ints": rng.integers(-50, 50, n),
        "floats": rng.normal(10, 3, n),
        "cats": rng.choice(["a", "b", "c"], n),
        "gappy": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
    })


@pytest.mark.parametrize("size", [1, 997, 5000])
def test_merging_chunks_equals_one_pass(frame, size):
    whole = profile_frame(frame)
    merged = _profile_in_chunks(frame.head(3000) if size == 1 else frame, size)
    if size == 1:
        whole = profile_frame(frame.head(3000))
    assert merged.rows == whole.rows
    for name, one in whole.columns.items():
        other = merged.columns[name]
        assert (other.types, other.missing, other.n) == (one.types, one.missing, one.n)
        assert other.minimum == one.minimum and other.maximum == one.maximum
        assert other.total == pytest.approx(one.total, rel=1e-12, abs=1e-9)
        if one.n:
            assert other.std_dev == pytest.approx(one.std_dev, rel=1e-10)
        assert other.counts == one.counts
        assert other.sketch.count == one.sketch.count


def test_merge_order_does_not_change_counts(frame):
    a, b, c = (profile_frame(frame.iloc[i::3]) for i in range(3))
    left = profile_frame(frame.iloc[0::3]).merge(b).merge(c)
    right = profile_frame(frame.iloc[2::3]).merge(profile_frame(frame.iloc[1::3])).merge(a)
    for name in frame.columns:
        assert left.columns[name].types == right.columns[name].types
        assert left.columns[name].counts == right.columns[name].counts
        if left.columns[name].n:
            assert left.columns[name].std_dev == pytest.approx(right.columns[name].std_dev)


def test_moments_are_population_statistics(frame):
    state = profile_frame(frame).columns["floats"]
    assert state.total / state.n == pytest.approx(frame["floats"].mean())
    assert state.std_dev == pytest.approx(frame["floats"].std(ddof=0))


def test_empty_null_constant_and_single_row_columns():
    frame = pd.DataFrame({"null": [np.nan] * 4, "constant": [7] * 4, "text": ["x", None, "y", "x"]})
    profile = profile_frame(frame)
    null, constant, text = (profile.columns[c] for c in ("null", "constant", "text"))
    assert null.inferred_type == dt.UNKNOWN and null.missing == 4 and null.present == 0
    assert constant.inferred_type == dt.INTEGRAL and constant.std_dev == 0.0
    assert text.inferred_type == dt.STRING and text.missing == 1 and text.counts == {"x": 2, "y": 1}
    single = profile_frame(pd.DataFrame({"v": [2.5]})).columns["v"]
    assert (single.n, single.minimum, single.maximum, single.std_dev) == (1, 2.5, 2.5, 0.0)
    empty = profile_frame(pd.DataFrame({"v": pd.Series([], dtype=float)}))
    assert empty.rows == 0 and empty.columns["v"].inferred_type == dt.UNKNOWN


def test_profiles_are_deterministic(frame):
    first, second = profile_frame(frame), profile_frame(frame)
    for name in frame.columns:
        assert first.columns[name].sketch.to_data() == second.columns[name].sketch.to_data()


def test_infinity_and_nan_texts_are_strings():
    profile = profile_frame(pd.DataFrame({"v": ["1.5", "NaN", "inf", "2"]}))
    state = profile.columns["v"]
    assert state.inferred_type == dt.STRING
    assert state.types == {dt.FRACTIONAL: 1, dt.STRING: 2, dt.INTEGRAL: 1}


def test_whole_numbers_with_gaps_keep_their_text_type():
    """A float column of whole numbers with a gap: its text decides Integral vs Fractional."""
    frame = pd.DataFrame({"v": [1.0, np.nan, 3.0]})
    integral = DatasetProfile()
    integral.update(frame, lambda name: pd.Series(["1", None, "3"]))
    fractional = DatasetProfile()
    fractional.update(frame, lambda name: pd.Series(["1.0", None, "3.0"]))
    assert integral.columns["v"].inferred_type == dt.INTEGRAL
    assert fractional.columns["v"].inferred_type == dt.FRACTIONAL
    assert integral.columns["v"].missing == 1


def test_float_column_with_gaps_and_infinities():
    """Infinities are String values, gaps are missing, the rest are numbers."""
    frame = pd.DataFrame({"v": [1.5, np.nan, np.inf, 2.5, -np.inf, np.nan, 4.0]})
    state = profile_frame(frame).columns["v"]
    assert state.missing == 2 and state.types == {dt.STRING: 2, dt.FRACTIONAL: 3}
    assert (state.n, state.minimum, state.maximum, state.total) == (3, 1.5, 4.0, 8.0)
    assert state.counts == {"Infinity": 1, "-Infinity": 1}
    assert state.sketch.to_data() == [[1.5, 2.5, 4.0]]


def test_many_distinct_strings_switch_to_an_estimate():
    values = pd.Series([f"id-{i}" for i in range(MAX_TRACKED_VALUES + 5000)])
    state = profile_frame(pd.DataFrame({"id": values})).columns["id"]
    assert state.counts is None
    assert state.distinct_count == pytest.approx(len(values), rel=0.03)
    exact = profile_frame(pd.DataFrame({"id": values[:MAX_TRACKED_VALUES]})).columns["id"]
    assert exact.distinct_count == MAX_TRACKED_VALUES


def test_hyperloglog_merges_like_a_union():
    a, b = HyperLogLog(), HyperLogLog()
    a.add(np.arange(0, 60_000).astype(str).astype(object))
    b.add(np.arange(40_000, 100_000).astype(str).astype(object))
    a.merge(b)
    assert a.estimate() == pytest.approx(100_000, rel=0.03)
    assert math.isclose(HyperLogLog().estimate(), 0.0)
