"""Clarify's bias metrics (spec E.3) over binarised arrays, with row weights.

Every input is an array per *distinct* row with a weight (how many times the row occurs), so a
dataset made of replicated rows costs what its distinct rows cost; weights of 1 give the plain
definitions. ``facet`` marks the sensitive group d (the rest is a), ``label`` and ``predicted``
the positive (binarised) outcomes. Metric values follow smclarify: ``divide(x, 0)`` is 0 for
x = 0 and +/-infinity otherwise; a metric that cannot be computed raises :class:`MetricError`,
which becomes ``"value": null`` plus ``"error"`` in analysis.json.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from byom_monitor.engines.guards import numbers
from byom_monitor.errors import InputError

DESCRIPTIONS = {
    "CI": "Class Imbalance (CI)",
    "DPL": "Difference in Positive Proportions in Labels (DPL)",
    "KL": "Kullback-Liebler Divergence (KL)",  # sic, as Clarify writes it
    "JS": "Jensen-Shannon Divergence (JS)",
    "LP": "L-p Norm (LP)",
    "TVD": "Total Variation Distance (TVD)",
    "KS": "Kolmogorov-Smirnov Distance (KS)",
    "CDDL": "Conditional Demographic Disparity in Labels (CDDL)",
    "DPPL": "Difference in Positive Proportions in Predicted Labels (DPPL)",
    "DI": "Disparate Impact (DI)",
    "DCA": "Difference in Conditional Acceptance (DCA)",
    "DCR": "Difference in Conditional Rejection (DCR)",
    "RD": "Recall Difference (RD)",
    "SD": "Specificity Difference (SD)",
    "DAR": "Difference in Acceptance Rates (DAR)",
    "DRR": "Difference in Rejection Rates (DRR)",
    "AD": "Accuracy Difference (AD)",
    "TE": "Treatment Equality (TE)",
    "CDDPL": "Conditional Demographic Disparity in Predicted Labels (CDDPL)",
    "FT": "Flip Test (FT)",
    "GE": "Generalized Entropy (GE)",
}
PRE_TRAINING = sorted(["CI", "DPL", "KL", "JS", "LP", "TVD", "KS", "CDDL"])
POST_TRAINING = sorted(["DPPL", "DI", "DCA", "DCR", "RD", "SD", "DAR", "DRR", "AD", "TE",
                        "CDDPL", "FT", "GE"])
INFINITY = math.inf


class MetricError(InputError):
    """A metric that cannot be computed on this data (its analysis.json entry gets ``error``)."""


def divide(a: float, b: float) -> float:
    if b == 0:
        return 0.0 if a == 0 else math.copysign(INFINITY, a)
    return a / b


@dataclass
class BiasData:
    """Binarised data of one facet value: one entry per distinct row, with its weight."""

    facet: np.ndarray                    # bool: row in the sensitive group d
    label: np.ndarray                    # bool: positive label
    weights: np.ndarray                  # int: occurrences of the row
    predicted: np.ndarray | None = None  # bool: positive predicted label
    group: np.ndarray | None = None      # group variable (CDDL / CDDPL)
    features: np.ndarray | None = None   # numeric matrix of the other columns (FT)

    def __post_init__(self) -> None:
        weights = numbers(self.weights, "bias weights", allow_empty=True)
        if (weights < 0).any():
            raise InputError("bias weights: negative weight(s)")
        for name, column in (("facet", self.facet), ("label", self.label),
                             ("predicted", self.predicted), ("group", self.group)):
            if column is not None and len(column) != len(weights):
                raise InputError(f"bias data: {name} has {len(column)} rows, weights "
                                 f"{len(weights)}")

    def count(self, mask: np.ndarray) -> float:
        return float(self.weights[mask].sum())

    def sizes(self) -> tuple[float, float]:
        n_d, n_a = self.count(self.facet), self.count(~self.facet)
        if n_d == 0:
            raise MetricError("Facet set is empty")
        if n_a == 0:
            raise MetricError("Negated facet set is empty")
        return n_a, n_d

    def confusion(self, group: np.ndarray) -> tuple[float, float, float, float]:
        """TP, FP, FN, TN inside ``group``."""
        y, p = self.label, self._predicted()
        return (self.count(group & y & p), self.count(group & ~y & p),
                self.count(group & y & ~p), self.count(group & ~y & ~p))

    def _predicted(self) -> np.ndarray:
        if self.predicted is None:
            raise MetricError("no predicted labels (a predictor or predicted_label is needed)")
        return self.predicted


def compute(names: list[str], data: BiasData) -> list[dict[str, object]]:
    """``[{"name", "description", "value"}]`` in alphabetical order; failures carry ``error``."""
    results = []
    for name in sorted(names):
        entry: dict[str, object] = {"name": name, "description": DESCRIPTIONS[name]}
        try:
            value = float(METRICS[name](data))
            if math.isnan(value):
                raise MetricError("the metric is undefined on this data (NaN)")
            entry["value"] = value
        except MetricError as exc:
            entry["value"] = None
            entry["error"] = str(exc)
        results.append(entry)
    return results


# -- pre-training ---------------------------------------------------------------------------------
def class_imbalance(data: BiasData) -> float:
    n_a, n_d = data.sizes()
    return (n_a - n_d) / (n_a + n_d)


def _positive_proportions(data: BiasData, outcome: np.ndarray) -> tuple[float, float]:
    n_a, n_d = data.sizes()
    return data.count(~data.facet & outcome) / n_a, data.count(data.facet & outcome) / n_d


def dpl(data: BiasData) -> float:
    q_a, q_d = _positive_proportions(data, data.label)
    return q_a - q_d


def _label_distributions(data: BiasData) -> tuple[np.ndarray, np.ndarray]:
    """P_a and P_d over label values present in both groups (smclarify's aligned non-zero)."""
    n_a, n_d = data.sizes()
    p_a = np.array([data.count(~data.facet & ~data.label),
                    data.count(~data.facet & data.label)]) / n_a
    p_d = np.array([data.count(data.facet & ~data.label),
                    data.count(data.facet & data.label)]) / n_d
    both = (p_a > 0) & (p_d > 0)
    if not both.any():
        raise MetricError("No instance of common facet found, dataset may be too small")
    return p_a[both], p_d[both]


def kl(data: BiasData) -> float:
    p_a, p_d = _label_distributions(data)
    return float(np.sum(p_a * np.log(p_a / p_d)))


def js(data: BiasData) -> float:
    p_a, p_d = _label_distributions(data)
    p = 0.5 * (p_a + p_d)
    return float(0.5 * (np.sum(p_a * np.log(p_a / p)) + np.sum(p_d * np.log(p_d / p))))


def lp(data: BiasData) -> float:
    p_a, p_d = _label_distributions(data)
    return float(np.linalg.norm(p_a - p_d, 2))


def tvd(data: BiasData) -> float:
    p_a, p_d = _label_distributions(data)
    return float(0.5 * np.linalg.norm(p_a - p_d, 1))


def ks(data: BiasData) -> float:
    p_a, p_d = _label_distributions(data)
    return float(np.linalg.norm(p_a - p_d, np.inf))


def _cdd(data: BiasData, outcome: np.ndarray) -> float:
    if data.group is None:
        raise MetricError("Group variable is empty or not provided")
    if data.count(outcome) == 0:
        raise MetricError("No positive labels in set")
    if data.count(~outcome) == 0:
        raise MetricError("No negative labels in set")
    weighted, total = 0.0, 0.0
    for value in np.unique(data.group):
        in_group = data.group == value
        size = data.count(in_group)
        accepted = data.count(outcome & in_group)
        rejected = data.count(~outcome & in_group)
        share_accepted = data.count(outcome & data.facet & in_group) / accepted if accepted else 0
        share_rejected = data.count(~outcome & data.facet & in_group) / rejected if rejected else 0
        weighted += size * (share_rejected - share_accepted)
        total += size
    return divide(weighted, total)


def cddl(data: BiasData) -> float:
    return _cdd(data, data.label)


# -- post-training --------------------------------------------------------------------------------
def dppl(data: BiasData) -> float:
    q_a, q_d = _positive_proportions(data, data._predicted())
    return q_a - q_d


def disparate_impact(data: BiasData) -> float:
    q_a, q_d = _positive_proportions(data, data._predicted())
    return divide(q_d, q_a)


def _difference(first: float, second: float) -> float:
    """first - second, but 0 when both are +infinity (smclarify's rule)."""
    if first == second == INFINITY:
        return 0.0
    return first - second


def _by_group(data: BiasData, ratio: Callable[[tuple[float, ...]], float]) -> tuple[float, float]:
    data.sizes()
    return ratio(data.confusion(~data.facet)), ratio(data.confusion(data.facet))


def dca(data: BiasData) -> float:  # c = n(y=1) / n(yhat=1)
    c_a, c_d = _by_group(data, lambda m: divide(m[0] + m[2], m[0] + m[1]))
    return _difference(c_a, c_d)


def dcr(data: BiasData) -> float:  # r = n(y=0) / n(yhat=0)
    r_a, r_d = _by_group(data, lambda m: divide(m[1] + m[3], m[2] + m[3]))
    return _difference(r_d, r_a)


def recall_difference(data: BiasData) -> float:
    r_a, r_d = _by_group(data, lambda m: divide(m[0], m[0] + m[2]))
    return _difference(r_a, r_d)


def specificity_difference(data: BiasData) -> float:
    s_a, s_d = _by_group(data, lambda m: divide(m[3], m[3] + m[1]))
    return _difference(s_d, s_a)


def dar(data: BiasData) -> float:
    a_a, a_d = _by_group(data, lambda m: divide(m[0], m[0] + m[1]))
    return _difference(a_a, a_d)


def drr(data: BiasData) -> float:
    r_a, r_d = _by_group(data, lambda m: divide(m[3], m[3] + m[2]))
    return _difference(r_d, r_a)


def accuracy_difference(data: BiasData) -> float:
    acc_a, acc_d = _by_group(data, lambda m: divide(m[0] + m[3], sum(m)))
    return _difference(acc_a, acc_d)


def treatment_equality(data: BiasData) -> float:
    t_a, t_d = _by_group(data, lambda m: divide(m[2], m[1]))
    return _difference(t_d, t_a)


def cddpl(data: BiasData) -> float:
    return _cdd(data, data._predicted())


def generalized_entropy(data: BiasData) -> float:
    """alpha = 2: benefit b = yhat - y + 1, GE = sum((b/mean b)^2 - 1) / (n * 2)."""
    benefit = data._predicted().astype(float) - data.label.astype(float) + 1.0
    n = float(data.weights.sum())
    if n == 0:
        raise MetricError("dataset must be non-empty")
    mean = float(np.dot(benefit, data.weights)) / n
    if mean == 0:
        raise MetricError("All predicted labels are false negatives. There should be at least "
                          "one prediction that is not false negative.")
    return float(np.dot((benefit / mean) ** 2 - 1.0, data.weights)) / (n * 2.0)


def flip_test(data: BiasData) -> float:
    """k-NN (k = 5, or 1 when group a has at most 9 rows) fitted on group a's features and
    predicted labels, asked for group d: (#flips to positive - #flips to negative) / n_d.

    Distinct rows with weights give the same neighbours as the replicated rows: a query's k
    nearest rows lie among its k nearest distinct rows, taken with their counts in distance
    order."""
    from sklearn.neighbors import NearestNeighbors

    _, n_d = data.sizes()
    if data.features is None:
        raise MetricError("FlipTest needs the feature columns")
    predicted = data._predicted()
    a, d = ~data.facet, data.facet
    k = 5 if data.count(a) > 9 else 1
    train, votes_for = data.features[a], predicted[a]
    neighbours = NearestNeighbors(n_neighbors=min(k, int(a.sum()))).fit(train)
    _, index = neighbours.kneighbors(data.features[d])
    counts = data.weights[a][index]                         # occurrences of each neighbour
    taken = np.minimum(counts, np.maximum(0, k - (np.cumsum(counts, axis=1) - counts)))
    positive_votes = (taken * votes_for[index]).sum(axis=1)
    knn_positive = positive_votes * 2 > k                    # ties go to the negative class
    model_positive = predicted[d]
    flips = (model_positive & ~knn_positive).astype(int) - (~model_positive & knn_positive)
    return divide(float(np.dot(flips, data.weights[d])), n_d)


METRICS: dict[str, Callable[[BiasData], float]] = {
    "CI": class_imbalance, "DPL": dpl, "KL": kl, "JS": js, "LP": lp, "TVD": tvd, "KS": ks,
    "CDDL": cddl, "DPPL": dppl, "DI": disparate_impact, "DCA": dca, "DCR": dcr,
    "RD": recall_difference, "SD": specificity_difference, "DAR": dar, "DRR": drr,
    "AD": accuracy_difference, "TE": treatment_equality, "CDDPL": cddpl, "FT": flip_test,
    "GE": generalized_entropy,
}
