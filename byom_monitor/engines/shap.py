"""Kernel SHAP (model-agnostic Shapley value estimates), vectorised over rows.

For ``M`` features a *coalition* ``z`` (0/1 per feature) stands for the input that takes the
explained row's values where ``z`` is 1 and the baseline's elsewhere; ``v(z)`` is the model's mean
output over the baseline rows. Shapley values are the solution of a weighted least-squares fit of
``v`` on the coalitions with the Shapley kernel weights, constrained so that the values add up to
``f(x) - E[f(baseline)]`` (efficiency holds exactly).

All rows share one set of coalitions, so the fit is one matrix ``A`` computed once and applied to
every row's outputs; every coalition of every row is evaluated in a few large model calls.
Coalition sizes are enumerated completely, smallest (and their complements) first, while the
sample budget allows; the rest is sampled by the kernel weight (seeded). With a budget of at
least ``2**M - 2`` every coalition is enumerated and the result equals the exact Shapley values.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

Model = Callable[[np.ndarray], np.ndarray]
AGGREGATIONS = ("mean_abs", "median", "mean_sq")
BATCH_ROWS = 200_000


@dataclass
class ShapResult:
    """Per-row SHAP values (rows x features) and the expected value E[f(baseline)]."""

    values: np.ndarray
    expected_value: float

    def global_values(self, method: str = "mean_abs") -> np.ndarray:
        if method == "mean_abs":
            return np.mean(np.abs(self.values), axis=0)
        if method == "median":
            return np.median(self.values, axis=0)
        if method == "mean_sq":
            return np.mean(self.values ** 2, axis=0)
        raise ValueError(f"agg_method must be one of {AGGREGATIONS}, got {method!r}")


def coalitions(num_features: int, num_samples: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Coalition matrix (samples x features, 0/1) and the weight of each coalition."""
    m = num_features
    if m < 2:
        raise ValueError("Kernel SHAP needs at least two features")
    budget = max(int(num_samples), 2)
    sizes = list(range(1, m))
    size_weight = np.array([(m - 1) / (s * (m - s)) for s in sizes])
    size_weight /= size_weight.sum()  # share of the kernel mass per coalition size
    rows, weights = [], []
    remaining = list(range(1, (m // 2) + 1))
    covered_mass = 0.0
    while remaining:
        s = remaining[0]
        pair = [s] if s == m - s else [s, m - s]
        needed = sum(math.comb(m, k) for k in pair)
        if needed > budget - len(rows):
            break
        for k in pair:
            per_coalition = size_weight[k - 1] / math.comb(m, k)
            for members in itertools.combinations(range(m), k):
                z = np.zeros(m)
                z[list(members)] = 1.0
                rows.append(z)
                weights.append(per_coalition)
            covered_mass += size_weight[k - 1]
        remaining.pop(0)
    left = budget - len(rows)
    if remaining and left > 0:
        rng = np.random.default_rng(seed)
        open_sizes = [k for s in remaining for k in ({s, m - s})]
        probability = size_weight[np.array(open_sizes) - 1]
        probability = probability / probability.sum()
        drawn = rng.choice(open_sizes, size=left, p=probability)
        for k in drawn:
            z = np.zeros(m)
            z[rng.choice(m, size=int(k), replace=False)] = 1.0
            rows.append(z)
            weights.append((1.0 - covered_mass) / left)
    return np.array(rows), np.array(weights)


def _solver(z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``A`` with phi[:-1] = A @ (v - E - z_M * (f(x) - E)), from the constrained fit."""
    x = z[:, :-1] - z[:, [-1]]
    xtw = x.T * w
    return np.linalg.solve(xtw @ x, xtw)


def kernel_shap(model: Model, rows: np.ndarray, baseline: np.ndarray, *, num_samples: int = 100,
                seed: int = 0, use_logit: bool = False) -> ShapResult:
    """SHAP values of ``model`` (a function of a 2-D array of raw rows, returning one score per
    row) for every row of ``rows``, against the baseline rows."""
    rows = np.asarray(rows, dtype=object if rows.dtype == object else float)
    baseline = np.atleast_2d(np.asarray(baseline, dtype=rows.dtype))
    n, m = rows.shape
    z, w = coalitions(m, num_samples, seed)
    link = _logit if use_logit else (lambda p: p)

    expected = float(link(np.mean(model(baseline))))
    full = link(_mean_over_baseline(model(rows), 1))
    outputs = np.empty((n, z.shape[0]))
    per_batch = max(1, BATCH_ROWS // (z.shape[0] * baseline.shape[0]))
    for start in range(0, n, per_batch):
        chunk = rows[start:start + per_batch]
        # (rows, coalitions, baseline rows, features): the row's values where z is 1
        mixed = np.where(z[None, :, None, :] == 1, chunk[:, None, None, :], baseline[None, None, :, :])
        scores = model(mixed.reshape(-1, m)).reshape(len(chunk), z.shape[0], baseline.shape[0])
        outputs[start:start + len(chunk)] = link(scores.mean(axis=2))
    gap = full - expected
    target = outputs - expected - np.outer(gap, z[:, -1])
    head = target @ _solver(z, w).T
    values = np.column_stack([head, gap - head.sum(axis=1)])
    return ShapResult(values, expected)


def _mean_over_baseline(scores: np.ndarray, count: int) -> np.ndarray:
    return scores.reshape(-1, count).mean(axis=1)


def _logit(p: np.ndarray | float) -> np.ndarray:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


def exact_shapley(model: Model, row: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """Brute-force Shapley values of one row (for tests and small M): every permutation-free
    subset, weighted |S|!(M-|S|-1)!/M!."""
    m = row.size
    baseline = np.atleast_2d(baseline)

    def value(subset: tuple[int, ...]) -> float:
        mixed = baseline.copy()
        mixed[:, list(subset)] = row[list(subset)]
        return float(np.mean(model(mixed)))

    cache = {subset: value(subset) for k in range(m + 1)
             for subset in itertools.combinations(range(m), k)}
    phi = np.zeros(m)
    for j in range(m):
        others = [i for i in range(m) if i != j]
        for k in range(m):
            weight = math.factorial(k) * math.factorial(m - k - 1) / math.factorial(m)
            for subset in itertools.combinations(others, k):
                with_j = tuple(sorted(subset + (j,)))
                phi[j] += weight * (cache[with_j] - cache[subset])
    return phi
