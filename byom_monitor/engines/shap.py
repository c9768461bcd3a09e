"""Kernel SHAP (model-agnostic Shapley value estimates), vectorised over rows.

For ``M`` features a *coalition* ``z`` (0/1 per feature) stands for the input that takes the
explained row's values where ``z`` is 1 and the baseline's elsewhere; ``v(z)`` is the model's mean
output over the baseline rows. Shapley values are the solution of a weighted least-squares fit of
``v`` on the coalitions with the Shapley kernel weights, constrained so that the values add up to
``f(x) - E[f(baseline)]`` (efficiency holds exactly).

All rows share one set of coalitions, so the fit is one matrix ``A`` computed once and applied to
every row's outputs; every coalition of every row is evaluated in a few large model calls.
The coalitions are chosen as the reference implementation (``shap``'s KernelExplainer) chooses
them (see :func:`coalitions`): small sizes and their complements enumerated, the rest sampled in
complementary pairs (seeded), repeats merged into weights. With a budget of at least ``2**M - 2``
every coalition is enumerated and the result equals the exact Shapley values.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from byom_monitor.engines.guards import numbers

Model = Callable[[np.ndarray], np.ndarray]
AGGREGATIONS = ("mean_abs", "median", "mean_sq")
#: ``methods.shap.algorithm``: Kernel SHAP (the service's, the default) or exact tree SHAP.
ALGORITHMS = ("kernel", "tree")
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
    """Coalition matrix (samples x features, 0/1) and the weight of each coalition.

    The sampling of the reference implementation (``shap``'s KernelExplainer): a coalition size
    and its complement size share the kernel mass ``(M-1)/(s(M-s))``; sizes are enumerated
    completely, smallest first, while the budget left would, in expectation, draw each of their
    coalitions at least once; the other sizes are sampled by their mass, every sampled coalition
    together with its complement, and a coalition drawn again adds to its weight instead of
    taking another row. Pairing cancels the errors of a coalition and its complement, which is
    most of the accuracy.
    """
    m = num_features
    if m < 2:
        raise ValueError("Kernel SHAP needs at least two features")
    budget = min(max(int(num_samples), 2), 2 ** m - 2)
    sizes = math.ceil((m - 1) / 2)  # sizes 1..sizes, each with its complement m - s
    paired = (m - 1) // 2  # sizes up to here have a complement of another size
    mass = np.array([(m - 1) / (s * (m - s)) for s in range(1, sizes + 1)])
    mass[:paired] *= 2
    mass /= mass.sum()
    rows, weights = [], []
    full = 0
    while full < sizes:
        s = full + 1
        count = math.comb(m, s) * (2 if s <= paired else 1)
        share = mass[full] / mass[full:].sum()
        if (budget - len(rows)) * share / count < 1.0 - 1e-8:
            break
        for members in itertools.combinations(range(m), s):
            z = np.zeros(m, dtype=bool)
            z[list(members)] = True
            rows.extend([z, ~z] if s <= paired else [z])
        weights.extend([mass[full] / count] * count)
        full += 1
    if full < sizes and budget > len(rows):
        sampled, counts = _sampled_pairs(m, budget - len(rows), full, paired, mass, seed)
        rows.extend(sampled)
        weights.extend(counts * (mass[full:].sum() / counts.sum()))
    return np.array(rows, dtype=float), np.array(weights)


def _sampled_pairs(m: int, budget: int, full: int, paired: int, mass: np.ndarray,
                   seed: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Up to ``budget`` distinct coalitions of the sizes after ``full``, each sampled one
    followed by its complement (paired sizes), with how often each was drawn."""
    rng = np.random.default_rng(seed)
    probability = mass[full:].copy()
    probability[:max(paired - full, 0)] /= 2  # each draw of a paired size yields two rows
    probability /= probability.sum()
    draws = 4 * budget
    sizes = rng.choice(np.arange(full + 1, mass.size + 1), size=draws, p=probability)
    # a random subset of size s: the features whose random rank is below s
    ranks = np.argsort(np.argsort(rng.random((draws, m)), axis=1), axis=1)
    masks = ranks < sizes[:, None]
    rows: list[np.ndarray] = []
    counts: list[float] = []
    position: dict[bytes, int] = {}
    for z, s in zip(masks, sizes):
        if len(rows) >= budget:
            break
        with_complement = s <= paired
        key = z.tobytes()
        at = position.get(key)
        if at is None:
            position[key] = len(rows)
            rows.append(z)
            counts.append(1.0)
            if with_complement and len(rows) < budget:
                rows.append(~z)
                counts.append(1.0)
        else:
            counts[at] += 1.0
            if with_complement and at + 1 < len(rows):
                counts[at + 1] += 1.0
    return rows, np.array(counts)


def _solver(z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``A`` with phi[:-1] = A @ (v - E - z_M * (f(x) - E)), from the constrained fit."""
    x = z[:, :-1] - z[:, [-1]]
    xtw = x.T * w
    try:
        return np.linalg.solve(xtw @ x, xtw)
    except np.linalg.LinAlgError:  # fewer distinct coalitions than features: least norm
        return np.linalg.pinv(xtw @ x) @ xtw


def kernel_shap(model: Model, rows: np.ndarray, baseline: np.ndarray, *, num_samples: int = 100,
                seed: int = 0, use_logit: bool = False) -> ShapResult:
    """SHAP values of ``model`` (a function of a 2-D array of raw rows, returning one score per
    row) for every row of ``rows``, against the baseline rows.

    A feature whose value equals every baseline row's has an exact Shapley value of 0; as in the
    reference, only the other (varying) features are explained, so a row with few of them gets
    more of the budget per coalition (often all of its coalitions, hence exact values). Rows with
    the same number of varying features share one set of coalitions and one solve.
    """
    rows = np.asarray(rows, dtype=object if rows.dtype == object else float)
    baseline = np.atleast_2d(np.asarray(baseline, dtype=rows.dtype))
    if rows.dtype != object:  # numbers: a NaN would spread to every value of its row
        numbers(rows, "Kernel SHAP rows", allow_empty=True)
        numbers(baseline, "Kernel SHAP baseline")
    n, m = rows.shape
    if m < 2:
        raise ValueError("Kernel SHAP needs at least two features")
    link = _logit if use_logit else (lambda p: p)
    expected = float(link(np.mean(model(baseline))))
    gap = link(np.asarray(model(rows), dtype=float)) - expected
    varying = (rows[:, None, :] != baseline[None, :, :]).any(axis=1)
    count = varying.sum(axis=1)
    values = np.zeros((n, m))
    for k in np.unique(count[count > 0]):
        members = np.flatnonzero(count == k)
        features = np.nonzero(varying[members])[1].reshape(len(members), k)  # ascending per row
        if k == 1:
            values[members, features[:, 0]] = gap[members]
            continue
        z, w = coalitions(int(k), num_samples, seed)
        outputs = _coalition_outputs(model, link, rows[members], features, z, baseline)
        target = outputs - expected - np.outer(gap[members], z[:, -1])
        head = target @ _solver(z, w).T
        last = gap[members] - head.sum(axis=1)
        values[members[:, None], features] = np.column_stack([head, last])
    return ShapResult(values, expected)


def _coalition_outputs(model: Model, link: Callable[[np.ndarray], np.ndarray], rows: np.ndarray,
                       features: np.ndarray, z: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """``link(v(z))`` for every row and coalition; ``z``'s columns stand for each row's own
    ``features``; every coalition of many rows goes to the model in one call."""
    n, m = rows.shape
    num = z.shape[0]
    outputs = np.empty((n, num))
    per_batch = max(1, BATCH_ROWS // (num * baseline.shape[0]))
    for start in range(0, n, per_batch):
        chunk = rows[start:start + per_batch]
        taken = np.zeros((len(chunk), num, m), dtype=bool)  # (rows, coalitions, features)
        taken[np.arange(len(chunk))[:, None, None], np.arange(num)[None, :, None],
              features[start:start + per_batch, None, :]] = z[None, :, :] == 1
        # (rows, coalitions, baseline rows, features): the row's values where taken
        mixed = np.where(taken[:, :, None, :], chunk[:, None, None, :], baseline[None, None, :, :])
        scores = model(mixed.reshape(-1, m)).reshape(len(chunk), num, baseline.shape[0])
        outputs[start:start + len(chunk)] = link(scores.mean(axis=2))
    return outputs


def tree_shap(booster: Any, encoded: np.ndarray, source_feature: np.ndarray,
              num_features: int) -> ShapResult:
    """Exact tree SHAP of an XGBoost booster (its ``pred_contribs``, path-dependent), in the
    booster's margin units (log-odds for a logistic objective), for raw features: ``encoded`` is
    the model's input matrix and ``source_feature[c]`` the raw feature encoded column ``c`` comes
    from (a one-hot column's contribution is added to its feature's)."""
    import xgboost as xgb

    matrix = xgb.DMatrix(encoded, feature_names=booster.feature_names)
    contributions = booster.predict(matrix, pred_contribs=True).astype(np.float64)
    to_feature = np.zeros((len(source_feature), num_features))
    to_feature[np.arange(len(source_feature)), source_feature] = 1.0
    values = contributions[:, :-1] @ to_feature
    expected = float(contributions[0, -1]) if len(contributions) else math.nan
    return ShapResult(values, expected)


def _logit(p: np.ndarray | float) -> np.ndarray:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))
