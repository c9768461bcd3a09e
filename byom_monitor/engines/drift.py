"""Distribution distances of the baseline drift check (Deequ ``Distance``, spec B.4)."""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from byom_monitor.engines.guards import numbers
from byom_monitor.engines.kll import KLLSketch
from byom_monitor.errors import InputError

#: c(alpha) of the two-sample Kolmogorov-Smirnov critical value for alpha ~ 0.003 (Deequ).
KS_CRITICAL = 1.8


def numerical_distance(baseline: KLLSketch, current: KLLSketch, method: str = "Robust") -> float:
    """L-infinity distance between the CDFs of two KLL sketches.

    ``Simple`` is the largest CDF difference over all sketch items; ``Robust`` subtracts the KS
    critical value for the two sample sizes, ``1.8 * sqrt((n + m) / (n * m))``, floored at 0.
    """
    n, m = baseline.count, current.count
    if n == 0 or m == 0:
        return math.nan
    keys = np.union1d(baseline.to_sorted_items(), current.to_sorted_items())
    simple = float(np.max(np.abs(baseline.rank(keys) / n - current.rank(keys) / m)))
    if method == "Simple":
        return simple
    if method == "Robust":
        return max(0.0, simple - KS_CRITICAL * math.sqrt((n + m) / (n * m)))
    raise ValueError(f"comparison_method must be 'Simple' or 'Robust', got {method!r}")


def categorical_linf(baseline: Mapping[str, float], current: Mapping[str, float]) -> float:
    """Largest difference of category shares (PMFs, not CDFs) over the union of categories;
    NaN when either side has no values (there is nothing to compare)."""
    n, m = _total(baseline, "baseline counts"), _total(current, "current counts")
    if n == 0 or m == 0:
        return math.nan
    keys = set(baseline) | set(current)
    return max(abs(baseline.get(k, 0) / n - current.get(k, 0) / m) for k in keys)


def chi_squared_p_value(baseline: Mapping[str, float], current: Mapping[str, float]) -> float:
    """Pearson chi-squared goodness of fit of the current counts to the baseline shares.

    Only baseline categories count; small expected counts are merged (for two categories each
    must reach 10, for more at most 20% may be under 5) before the test. NaN when fewer than two
    categories remain. (Deequ >= 2.0.3 ``categoricalChiSquareTest``; spec B.4.)
    """
    keys = sorted(baseline, key=lambda k: -baseline[k])
    observed = np.array([current.get(k, 0) for k in keys], dtype=float)
    total = observed.sum()
    base = np.array([baseline[k] for k in keys], dtype=float)
    if total == 0 or base.sum() == 0:
        return math.nan
    expected = base / base.sum() * total
    observed, expected = _regroup(observed, expected)
    if expected.size < 2:
        return math.nan
    statistic = float(np.sum((observed - expected) ** 2 / expected))
    return chi2_survival(statistic, expected.size - 1)


def _total(counts: Mapping[str, float], name: str) -> float:
    """The sum of category counts; InputError for a NaN, infinite or negative count."""
    values = numbers(list(counts.values()), name, allow_empty=True)
    if (values < 0).any():
        raise InputError(f"{name}: negative count(s)")
    return float(values.sum())


def chi2_survival(x: float, dof: int) -> float:
    """P(X >= x) for a chi-squared variable with ``dof`` degrees of freedom (closed form)."""
    if x <= 0:
        return 1.0
    half = x / 2.0
    if dof % 2 == 0:
        terms = [i * math.log(half) - math.lgamma(i + 1) for i in range(dof // 2)]
        tail = 0.0
    else:
        terms = [(i - 0.5) * math.log(half) - math.lgamma(i + 0.5)
                 for i in range(1, (dof + 1) // 2)]
        tail = math.erfc(math.sqrt(half))
    return min(1.0, tail + sum(math.exp(t - half) for t in terms))


def _regroup(observed: np.ndarray, expected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge the smallest expected categories until the usual validity rules hold."""
    observed, expected = list(observed), list(expected)
    while len(expected) >= 2:
        small = sum(e < 5 for e in expected)
        valid = (all(e >= 10 for e in expected) if len(expected) == 2
                 else small <= 0.2 * len(expected))
        if valid:
            break
        order = np.argsort(expected)
        a, b = int(order[0]), int(order[1])
        expected[b] += expected[a]
        observed[b] += observed[a]
        del expected[a], observed[a]
    return np.array(observed), np.array(expected)
