import numpy as np
import pytest

from byom_monitor.engines.kll import KLLSketch, sort_values

#: Normalised rank error the tests hold the sketch to: 2/k. The largest error measured on 1e6
#: values of five distributions, fed in chunks or merged in any order, is about 0.9/k.
BOUND = 2 / 2048


def test_capacity_follows_deequ():
    sketch = KLLSketch()
    assert [sketch.capacity(h) for h in range(3)] == [2050, 1314, 842]


def test_small_input_is_kept_raw_in_arrival_order():
    values = [3.0, 1.0, 2.0, 3.0, 1.0]
    sketch = KLLSketch()
    sketch.update(np.array(values[:2]))
    sketch.update(np.array(values[2:]))
    assert sketch.to_data() == [values]
    assert sketch.count == 5


def test_compaction_matches_deequ_item_by_item():
    """k=4: capacity(0)=6; the 7th item compacts the first six (sorted, offset 0)."""
    sketch = KLLSketch(k=4, c=0.64)
    for value in [6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.0]:
        sketch.update(np.array([value]))
    assert sketch.to_data() == [[0.0], [1.0, 3.0, 5.0]]
    assert sketch.count == 7


def test_odd_level_keeps_its_last_item():
    sketch = KLLSketch(k=4, c=0.64)
    sketch.update(np.arange(7, dtype=float)[::-1])  # one batch of 7 > capacity 6
    levels = sketch.to_data()
    assert levels[0] == [0.0]  # the odd last item stays on level 0
    assert sketch.count == 7


@pytest.mark.parametrize("values", [
    np.random.default_rng(1).integers(-300, 700, 5000).astype(float),  # counted
    np.random.default_rng(2).integers(0, 10**9, 5000).astype(float),  # too wide to count
    np.array([3.0, 0.0, -0.0, 1.0, -0.0, 0.0, 2.0]),  # signed zeros: np.sort's order
    np.array([2.0**61 + 2048, 2.0**61, 1.0]),
    np.array([2.0**63, -(2.0**63), 5.0, 5.0]),  # beyond int64
    np.array([np.inf, 1.0, -np.inf, 2.0]),
    np.concatenate([np.arange(100.0), [0.5]]),  # one fraction after whole numbers
    np.random.default_rng(3).normal(size=999),
    np.full(9, 4.0),
    np.array([7.0]),
])
def test_sort_values_equals_numpy_sort_bit_for_bit(values):
    expected, result = np.sort(values), sort_values(values)
    assert result.dtype == np.float64
    assert result.view(np.int64).tolist() == expected.view(np.int64).tolist()


@pytest.mark.parametrize("name", ["normal", "lognormal", "integers", "sorted", "bimodal"])
def test_rank_error_on_a_million_values(name):
    rng = np.random.default_rng(7)
    values = {
        "normal": lambda: rng.normal(size=10**6),
        "lognormal": lambda: rng.lognormal(0, 2, 10**6),
        "integers": lambda: rng.integers(0, 100, 10**6).astype(float),
        "sorted": lambda: np.sort(rng.normal(size=10**6)),
        "bimodal": lambda: np.concatenate([rng.normal(-5, 1, 5 * 10**5),
                                           rng.normal(5, 1, 5 * 10**5)]),
    }[name]()
    probes = np.quantile(values, np.linspace(0.01, 0.99, 99))
    truth = np.searchsorted(np.sort(values), probes, side="right") / values.size

    streamed = KLLSketch()
    for chunk in np.array_split(values, 10):
        streamed.update(chunk)
    parts = []
    for chunk in np.array_split(values, 7):
        part = KLLSketch()
        part.update(chunk)
        parts.append(part)
    forward, backward = _merge_all(parts), _merge_all(_copies(parts)[::-1])
    for sketch in (streamed, forward, backward):
        assert sketch.count == values.size
        assert np.max(np.abs(sketch.rank(probes) / sketch.count - truth)) <= BOUND
        assert sum(len(level) for level in sketch.to_data()) < 6000  # bounded size


def _copies(parts):
    return [KLLSketch.from_data(p.to_data()) for p in parts]


def _merge_all(parts):
    merged = KLLSketch.from_data(parts[0].to_data())
    for part in parts[1:]:
        merged.merge(part)
    return merged


def test_buckets_are_equal_width_with_the_max_in_the_last():
    sketch = KLLSketch()
    sketch.update(np.array([1.0, 1.0, 2.0, 3.0, 3.0]))
    buckets = sketch.buckets(1.0, 3.0)
    assert len(buckets) == 10
    assert buckets[0] == (1.0, 1.2, 2.0) and buckets[5] == (2.0, 2.2, 1.0)
    assert buckets[-1] == (2.8, 3.0, 2.0)
    assert sum(b[2] for b in buckets) == 5


def test_constant_column_puts_everything_in_the_last_bucket():
    sketch = KLLSketch()
    sketch.update(np.full(10, 4.0))
    buckets = sketch.buckets(4.0, 4.0)
    assert [b[2] for b in buckets] == [0.0] * 9 + [10.0]


def test_round_trip_and_quantile():
    sketch = KLLSketch()
    sketch.update(np.arange(1, 101, dtype=float))
    again = KLLSketch.from_data(sketch.to_data())
    assert again.quantile(0.5) == sketch.quantile(0.5) == 50.0
    assert again.rank(50.0) == 50 and again.rank_exclusive(50.0) == 49


def test_merge_rejects_other_parameters():
    with pytest.raises(ValueError, match="parameters"):
        KLLSketch(k=8).merge(KLLSketch(k=16))
