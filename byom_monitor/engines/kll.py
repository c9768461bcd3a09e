"""KLL quantile sketch with Deequ's parameters and compaction rule (k=2048, c=0.64).

The sketch keeps levels of items; an item on level ``h`` stands for ``2**h`` values. When the
sketch holds more items than all levels can (``capacity(h) = 2*(ceil(k*c**h/2)+1)`` summed), the
lowest full level is *compacted*: its items (an even count, in buffer order) are sorted and every
other one, starting at an offset that flips on every second compaction of that level, moves one
level up; an odd last item stays behind. This is Deequ's ``QuantileNonSample``, so a sketch of
fewer than ``capacity(0)`` values is the raw values in arrival order, as the service writes them.

:meth:`KLLSketch.update` takes a whole array at once and then compacts until the sketch fits;
compacting one long level in one go makes fewer, larger compactions than feeding items one by
one, which keeps the same error guarantee (each compaction of a level-``h`` buffer moves any rank
by at most ``2**h``) at numpy speed. States merge, so chunks and files can be sketched
separately and combined.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from byom_monitor.engines.guards import numbers

DEFAULT_K = 2048
DEFAULT_C = 0.64
NUM_BUCKETS = 10
#: Whole numbers whose range is at most this many times their count are sorted by counting.
COUNTING_SORT_SPAN = 4
#: Counting sort works on int64; beyond this magnitude a float may not convert.
_COUNTING_SORT_LIMIT = 2.0 ** 62


def sort_values(values: np.ndarray) -> np.ndarray:
    """``np.sort(values)``; whole numbers of a narrow range (an integer column's values) are
    sorted by counting, about twenty times faster and with the same result.

    Only values equal bit for bit to their int64 conversion are counted (so ``-0.0`` keeps its
    sign and place through ``np.sort``); a prefix is tried first, so fractions fail fast.
    """
    if values.size > 1 and _exact_int64(values[:64]) is not None:
        low, high = float(values.min()), float(values.max())
        whole = (_exact_int64(values) if high - low <= COUNTING_SORT_SPAN * values.size
                 else None)
        if whole is not None:
            first = int(low)
            counts = np.bincount(whole - first)
            return np.repeat(np.arange(first, first + counts.size), counts).astype(np.float64)
    return np.sort(values)


def _exact_int64(values: np.ndarray) -> np.ndarray | None:
    """The values as int64 if each converts there and back bit for bit (finite whole numbers
    within int64, not ``-0.0``); None otherwise."""
    if not np.all(np.abs(values) < _COUNTING_SORT_LIMIT):
        return None
    whole = values.astype(np.int64)
    back = whole.astype(np.float64)
    return whole if np.array_equal(back.view(np.int64), values.view(np.int64)) else None


@dataclass
class _Level:
    items: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.float64))
    compactions: int = 0
    offset: int = 0

    def compact(self) -> np.ndarray:
        """Deequ's NonSampleCompactor.compact: half of the (even) buffer moves up."""
        count = self.items.size
        even = count - count % 2
        if self.compactions % 2 == 1:
            self.offset = 1 - self.offset
        items = self.items[:even]
        if items.size > 1 and not np.all(items[:-1] <= items[1:]):  # often already sorted
            items = sort_values(items)
        promoted = items[self.offset::2]
        self.items = self.items[even:].copy()  # the odd last item, if any, stays
        self.compactions += 1
        return promoted


class KLLSketch:
    """Mergeable quantile sketch over float values."""

    def __init__(self, k: int = DEFAULT_K, c: float = DEFAULT_C) -> None:
        self.k = int(k)
        self.c = float(c)
        self._levels: list[_Level] = [_Level()]
        # cached (items, cumulative weight)
        self._sorted: tuple[np.ndarray, np.ndarray] | None = None

    # -- building ---------------------------------------------------------------------------
    def capacity(self, height: int) -> int:
        return 2 * (math.ceil(self.k * self.c ** height / 2) + 1)

    def update(self, values: np.ndarray) -> None:
        """Add values, in order; InputError for NaN (the caller removes missing values) or
        values that are not numbers."""
        values = numbers(values, "KLL sketch update", allow_empty=True, allow_infinite=True).ravel()
        if values.size == 0:
            return
        level0 = self._levels[0]
        level0.items = (np.concatenate([level0.items, values]) if level0.items.size
                        else values.copy())
        self._sorted = None
        self._condense(strict=True)

    def merge(self, other: KLLSketch) -> KLLSketch:
        """Fold ``other`` into this sketch (in place) and return it."""
        if (other.k, other.c) != (self.k, self.c):
            raise ValueError(f"cannot merge KLL sketches with parameters {(self.k, self.c)} and "
                             f"{(other.k, other.c)}")
        while len(self._levels) < len(other._levels):
            self._levels.append(_Level())
        for mine, theirs in zip(self._levels, other._levels):
            if theirs.items.size:
                mine.items = np.concatenate([mine.items, theirs.items])
        self._sorted = None
        self._condense(strict=False)
        return self

    def _condense(self, *, strict: bool) -> None:
        # Deequ compacts while the item count exceeds the total capacity (">" after an update,
        # ">=" after a merge), one level at a time, always the lowest full one.
        while True:
            size = sum(level.items.size for level in self._levels)
            total = sum(self.capacity(h) for h in range(len(self._levels)))
            if size < total or (strict and size == total):
                return
            for height, level in enumerate(self._levels):
                if level.items.size >= self.capacity(height):
                    if height + 1 >= len(self._levels):
                        self._levels.append(_Level())
                    promoted = level.compact()
                    upper = self._levels[height + 1]
                    upper.items = np.concatenate([upper.items, promoted])
                    break
            else:
                return  # nothing is full: cannot shrink further

    # -- queries ----------------------------------------------------------------------------
    @property
    def count(self) -> int:
        """Total weight: the number of values the sketch stands for."""
        return int(sum(level.items.size << h for h, level in enumerate(self._levels)))

    def _rank_table(self) -> tuple[np.ndarray, np.ndarray]:
        if self._sorted is None:
            items = np.concatenate([level.items for level in self._levels])
            weights = np.concatenate([np.full(level.items.size, 1 << h, dtype=np.int64)
                                      for h, level in enumerate(self._levels)])
            order = np.argsort(items, kind="stable")
            self._sorted = (items[order], np.cumsum(weights[order]))
        return self._sorted

    def to_sorted_items(self) -> np.ndarray:
        """All items, ascending (each stands for 2**level values)."""
        return self._rank_table()[0]

    def rank(self, x: float | np.ndarray) -> np.ndarray:
        """Weight of items <= x."""
        items, cumulative = self._rank_table()
        index = np.searchsorted(items, x, side="right")
        return np.where(index > 0, cumulative[np.maximum(index - 1, 0)], 0)

    def rank_exclusive(self, x: float | np.ndarray) -> np.ndarray:
        """Weight of items < x."""
        items, cumulative = self._rank_table()
        index = np.searchsorted(items, x, side="left")
        return np.where(index > 0, cumulative[np.maximum(index - 1, 0)], 0)

    def quantile(self, q: float) -> float:
        """Smallest item whose normalised rank reaches ``q``."""
        items, cumulative = self._rank_table()
        if items.size == 0:
            return math.nan
        index = int(np.searchsorted(cumulative, q * cumulative[-1], side="left"))
        return float(items[min(index, items.size - 1)])

    def buckets(self, minimum: float, maximum: float,
                num_buckets: int = NUM_BUCKETS) -> list[tuple[float, float, float]]:
        """Deequ's KLL histogram: equal-width buckets from min to max with sketch counts.

        Bucket ``i`` counts items in ``[lower, upper)``; the last one includes ``max``.
        """
        bounds = [(minimum + (maximum - minimum) * i / float(num_buckets),
                   minimum + (maximum - minimum) * (i + 1) / float(num_buckets))
                  for i in range(num_buckets)]
        result = []
        for i, (low, high) in enumerate(bounds):
            upper = self.rank(high) if i == num_buckets - 1 else self.rank_exclusive(high)
            result.append((low, high, float(upper - self.rank_exclusive(low))))
        return result

    # -- serialisation (statistics.json "sketch") ------------------------------------------
    def to_data(self) -> list[list[float]]:
        """The level buffers, lowest first, as statistics.json stores them."""
        return [level.items.tolist() for level in self._levels]

    @classmethod
    def from_data(cls, data: list[list[float]], k: int = DEFAULT_K,
                  c: float = DEFAULT_C) -> KLLSketch:
        sketch = cls(k, c)
        sketch._levels = ([_Level(np.asarray(items, dtype=np.float64)) for items in data]
                          or [_Level()])
        return sketch
