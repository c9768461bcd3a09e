"""Exact Shapley values by enumerating every coalition: the oracle of the SHAP tests.

``v(S)`` is the model's mean output over the baseline rows when the features in ``S`` take the
explained row's values; ``phi_j = sum over S without j of |S|!(M-|S|-1)!/M! (v(S+j) - v(S))``.
All ``2**M`` coalitions are evaluated (in batches), so this is for M up to about 20.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

BATCH_COALITIONS = 1 << 15


def exact_shapley(model: Callable[[np.ndarray], np.ndarray], rows: np.ndarray,
                  baseline: np.ndarray) -> np.ndarray:
    """Exact Shapley values (rows x features) of ``model`` against the baseline rows."""
    rows, baseline = np.atleast_2d(rows), np.atleast_2d(baseline)
    m = rows.shape[1]
    coalition = np.arange(2 ** m, dtype=np.int64)
    members = ((coalition[:, None] >> np.arange(m)) & 1).astype(bool)
    size = members.sum(axis=1)
    weight = np.array([math.factorial(k) * math.factorial(m - k - 1) / math.factorial(m)
                       for k in range(m)])
    phi = np.zeros(rows.shape)
    for r, row in enumerate(rows):
        value = np.empty(2 ** m)
        for start in range(0, 2 ** m, BATCH_COALITIONS):
            part = members[start:start + BATCH_COALITIONS]
            mixed = np.where(part[:, None, :], row[None, None, :], baseline[None, :, :])
            scores = model(mixed.reshape(-1, m)).reshape(len(part), len(baseline))
            value[start:start + len(part)] = scores.mean(axis=1)
        for j in range(m):
            without = coalition[~members[:, j]]
            phi[r, j] = np.sum(weight[size[without]] * (value[without | (1 << j)] - value[without]))
    return phi
