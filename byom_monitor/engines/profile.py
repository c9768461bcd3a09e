"""One-pass, mergeable column profiles: the engine behind statistics.json.

A :class:`ColumnState` takes chunks of one column and keeps counts per Deequ value type,
numeric moments (count, sum, mean, M2, min, max), a KLL sketch and, while the column has at most
:data:`MAX_TRACKED_VALUES` distinct values, exact value counts (beyond that a HyperLogLog
estimates the distinct count). States merge (``a.merge(b)``), so chunks or files processed
separately give the same statistics as one pass (the KLL sketch within its error bound).

Value types follow the text of each value (see :mod:`datatypes`). Where the parsed chunk no
longer has the text, one approximation applies: in a chunk column that holds fractional numbers,
integer-valued numbers (``3`` or ``3.0``) count as Fractional. The column's type is exact.
Value counts (categorical buckets, distinct count) cover the values of chunks read as text; for
a column whose text appears only in some chunks (a large file that turns from numbers to text,
or the reverse), the reader counts the column's values again from their text
(:meth:`ColumnState.count_text`).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from byom_monitor.engines import datatypes as dt
from byom_monitor.engines.kll import KLLSketch

#: Exact value counts are kept up to this many distinct values per column.
MAX_TRACKED_VALUES = 10_000


#: Chunks up to this size get Spark's sequential moment updates (the service's last digit);
#: larger ones a vectorised two-pass computation (as exact, but not bit-identical).
EXACT_MOMENTS_UP_TO = 4096


def _welford(values: list[float]) -> tuple[float, float]:
    """Mean and M2 by Spark's per-row update (CentralMomentAgg)."""
    n = mean = m2 = 0.0
    for x in values:
        n += 1.0
        delta = x - mean
        delta_n = delta / n
        mean += delta_n
        m2 += delta * (delta - delta_n)
    return mean, m2


class HyperLogLog:
    """Distinct-count estimate (2**14 registers, about 0.8% standard error); mergeable."""

    P = 14

    def __init__(self) -> None:
        self.registers = np.zeros(1 << self.P, dtype=np.uint8)

    def add(self, values: pd.Series | np.ndarray) -> None:
        hashes = pd.util.hash_array(np.asarray(values))
        index = (hashes >> np.uint64(64 - self.P)).astype(np.int64)
        rest = (hashes << np.uint64(self.P)) | np.uint64(1 << (self.P - 1))
        # rank = position of the first 1-bit in the remaining 50 bits
        rank = (64 - np.floor(np.log2(rest.astype(np.float64))).astype(np.int64)).astype(np.uint8)
        np.maximum.at(self.registers, index, rank)

    def merge(self, other: HyperLogLog) -> None:
        np.maximum(self.registers, other.registers, out=self.registers)

    def estimate(self) -> float:
        m = float(self.registers.size)
        raw = 0.7213 / (1 + 1.079 / m) * m * m / np.sum(2.0 ** -self.registers.astype(np.float64))
        zeros = int(np.count_nonzero(self.registers == 0))
        if raw <= 2.5 * m and zeros:
            return float(m * math.log(m / zeros))
        return float(raw)


@dataclass
class ColumnState:
    """Everything statistics.json needs about one column, mergeable."""

    name: str
    missing: int = 0
    types: dict[str, int] = field(default_factory=dict)
    n: int = 0
    total: float = 0.0
    mean: float = 0.0
    m2: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf
    sketch: KLLSketch = field(default_factory=KLLSketch)
    counts: dict[str, int] | None = field(default_factory=dict)
    hll: HyperLogLog | None = None

    # -- derived ----------------------------------------------------------------------------
    @property
    def present(self) -> int:
        return sum(self.types.values())

    @property
    def inferred_type(self) -> str:
        return dt.column_type(self.types)

    @property
    def std_dev(self) -> float:
        return math.sqrt(self.m2 / self.n) if self.n else math.nan

    @property
    def distinct_count(self) -> float:
        if self.counts is not None:
            return float(len(self.counts))
        return self.hll.estimate() if self.hll is not None else math.nan

    # -- updating ---------------------------------------------------------------------------
    def update(self, column: pd.Series, text: Callable[[], pd.Series]) -> None:
        """Add one chunk of the column; ``text()`` returns the chunk's raw text when needed."""
        if pd.api.types.is_bool_dtype(column):
            self._add_types({dt.BOOLEAN: len(column)})
            self._track(column.map({True: "true", False: "false"}).value_counts())
        elif pd.api.types.is_integer_dtype(column):
            values = column.to_numpy(dtype=np.float64)
            self._add_types({dt.INTEGRAL: values.size})
            self._add_numbers(values)
        elif pd.api.types.is_float_dtype(column):
            self._update_float(column, text)
        else:
            self._update_text(column)

    def _update_float(self, column: pd.Series, text: Callable[[], pd.Series]) -> None:
        values = column.to_numpy(dtype=np.float64)
        finite = np.isfinite(values)
        if finite.all():  # the common case: no gap, no infinity
            numbers, gaps, infinite = values, False, values[:0]
        else:
            nan = np.isnan(values)
            self.missing += int(np.count_nonzero(nan))
            numbers, gaps, infinite = values[finite], bool(nan.any()), values[~(finite | nan)]
        if infinite.size:  # "inf" / "Infinity" texts are Strings to Deequ
            self._add_types({dt.STRING: int(infinite.size)})
            self._track(pd.Series(np.where(infinite > 0, "Infinity", "-Infinity")).value_counts())
        if numbers.size:
            # All whole numbers but a gap made the column float: "3" or "3.0"? Read the text.
            # Otherwise Fractional text is certain (a non-integer, or pandas saw "3.0").
            if (gaps or infinite.size) and bool(np.all(numbers == np.floor(numbers))):
                texts = text()[finite].astype(str).value_counts()
                self._add_types(dt.count_types(texts.index, texts.to_numpy()))
            else:
                self._add_types({dt.FRACTIONAL: int(numbers.size)})
            self._add_numbers(numbers)

    def _update_text(self, column: pd.Series) -> None:
        counts = column.value_counts(sort=False, dropna=False)
        nulls = counts.index.isna()
        self.missing += int(counts[nulls].sum())
        counts = counts[~nulls]
        distinct = counts.index.astype(str)
        counts.index = distinct
        kinds = np.array([dt.classify_text(t) for t in distinct])
        weights = counts.to_numpy()
        self._add_types({kind: int(weights[kinds == kind].sum()) for kind in set(kinds.tolist())})
        numeric = np.isin(kinds, dt.NUMERIC_TYPES)
        if numeric.any():
            numbers = np.array([dt.to_number(t) for t in distinct[numeric]], dtype=np.float64)
            self._add_numbers(np.repeat(numbers, weights[numeric]))
        self._track(counts)

    def clear_value_counts(self) -> None:
        """Forget the value counts, to count them again with :meth:`count_text`."""
        self.counts, self.hll = {}, None

    def count_text(self, text: pd.Series) -> None:
        """Count the values of a chunk from its raw text (nulls are not values)."""
        self._track(text.dropna().astype(str).value_counts(sort=False))

    def _add_types(self, counts: dict[str, int]) -> None:
        for kind, count in counts.items():
            if count:
                self.types[kind] = self.types.get(kind, 0) + int(count)

    def _add_numbers(self, values: np.ndarray) -> None:
        if values.size == 0:
            return
        chunk = ColumnState(self.name, n=int(values.size), total=float(values.sum()))
        if values.size <= EXACT_MOMENTS_UP_TO:
            chunk.mean, chunk.m2 = _welford(values.tolist())
        else:
            chunk.mean = chunk.total / chunk.n
            deviations = values - chunk.mean
            chunk.m2 = float(np.sum(np.square(deviations, out=deviations)))
        chunk.minimum, chunk.maximum = float(values.min()), float(values.max())
        self._merge_moments(chunk)
        self.sketch.update(values)

    def _track(self, counts: pd.Series) -> None:
        """Merge value counts, or switch to a HyperLogLog once there are too many.

        The HyperLogLog ignores repeats, so the distinct values stand for all of them.
        """
        if self.counts is None:
            self.hll.add(counts.index.astype(str).to_numpy())
            return
        self._add_counts(zip(counts.index.astype(str), counts.to_numpy()))

    def _add_counts(self, pairs: Iterable[tuple[str, int]]) -> None:
        for value, count in pairs:
            self.counts[value] = self.counts.get(value, 0) + int(count)
        if len(self.counts) > MAX_TRACKED_VALUES:
            self._overflow()

    def _overflow(self, extra_values: np.ndarray | None = None) -> None:
        """Stop counting values; estimate the distinct count from here on."""
        hll = self.hll or HyperLogLog()
        if self.counts:
            hll.add(np.array(list(self.counts), dtype=object))
        if extra_values is not None and len(extra_values):
            hll.add(extra_values)
        self.counts, self.hll = None, hll

    # -- merging ----------------------------------------------------------------------------
    def _merge_moments(self, other: ColumnState) -> None:
        if other.n == 0:
            return
        if self.n == 0:
            self.n, self.total, self.mean, self.m2 = other.n, other.total, other.mean, other.m2
        else:  # Spark's CentralMomentAgg merge, in its order of operations
            n = float(self.n + other.n)
            delta = other.mean - self.mean
            delta_n = delta / n
            self.mean = self.mean + delta_n * other.n
            self.m2 = self.m2 + other.m2 + delta * delta_n * self.n * other.n
            self.n, self.total = self.n + other.n, self.total + other.total
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)

    def merge(self, other: ColumnState) -> ColumnState:
        """Fold ``other`` (the same column, other rows) into this state and return it."""
        self.missing += other.missing
        self._add_types(other.types)
        self._merge_moments(other)
        self.sketch.merge(other.sketch)
        if other.counts is None:
            self._overflow()
            self.hll.merge(other.hll)
        elif self.counts is None:
            self.hll.add(np.array(list(other.counts), dtype=object))
        else:
            self._add_counts(other.counts.items())
        return self


@dataclass
class DatasetProfile:
    """Column states of one dataset, in column order, plus the row count."""

    columns: dict[str, ColumnState] = field(default_factory=dict)
    rows: int = 0
    #: Columns some chunk parsed as numbers: if one ends up a String column, the value counts
    #: of those chunks are missing and need a pass over the text (analyzer.inputs).
    read_as_numbers: set[str] = field(default_factory=set)

    def update(self, frame: pd.DataFrame, text: Callable[[str], pd.Series]) -> None:
        """Add one chunk; ``text(name)`` returns the raw text of a column of this chunk."""
        for name in frame.columns:
            state = self.columns.setdefault(name, ColumnState(name))
            state.update(frame[name], lambda name=name: text(name))
        self.read_as_numbers.update(name for name, kind in frame.dtypes.items()
                                    if pd.api.types.is_numeric_dtype(kind))
        self.rows += len(frame)

    def merge(self, other: DatasetProfile) -> DatasetProfile:
        for name, state in other.columns.items():
            if name in self.columns:
                self.columns[name].merge(state)
            else:
                self.columns[name] = state
        self.rows += other.rows
        self.read_as_numbers |= other.read_as_numbers
        return self


def profile_frame(frame: pd.DataFrame) -> DatasetProfile:
    """Profile an in-memory DataFrame (values as they are; text columns classified by text)."""
    profile = DatasetProfile()
    profile.update(frame, lambda name: frame[name].astype(str))
    return profile
