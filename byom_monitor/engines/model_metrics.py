"""Model-quality metrics with the service's names (spec D.1): binary, multiclass, regression.

Every scalar metric comes with a standard deviation: from at least :data:`MIN_ROWS_FOR_STD`
rows, the population standard deviation of the metric over :data:`SUBSAMPLES` random 80%
subsamples (seeded; the service's documented method), otherwise NaN.

The binary metrics are computed from one sort of the scores and counts, so the five subsamples
cost little more than the full metric (1e6 rows in well under a second). Their values equal
scikit-learn's on the same arrays (tests check this); ``au_prc`` is the trapezoidal area under
the precision-recall curve starting at (0, first precision), as Spark computes it.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from byom_monitor.engines.guards import not_empty, numbers
from byom_monitor.errors import InputError

MIN_ROWS_FOR_STD = 200
SUBSAMPLES = 5
SUBSAMPLE_SHARE = 0.8
CURVE_POINTS = 100
#: Up to this many rows, sums of squares follow Spark's row-by-row update exactly.
EXACT_UP_TO = 4096
BINARY, MULTICLASS, REGRESSION = "BinaryClassification", "MulticlassClassification", "Regression"
PROBLEM_TYPES = (BINARY, MULTICLASS, REGRESSION)
Metrics = dict[str, float]


def with_standard_deviation(compute: Callable[[np.ndarray | None], Metrics], n: int,
                            seed: int = 0) -> dict[str, dict[str, float]]:
    """``{metric: {"value", "standard_deviation"}}``; ``compute(mask)`` evaluates the metrics
    on the rows selected by a boolean mask (None: all rows)."""
    values = compute(None)
    deviations = {name: math.nan for name in values}
    if n >= MIN_ROWS_FOR_STD:
        rng = np.random.default_rng(seed)
        size = int(round(SUBSAMPLE_SHARE * n))
        samples = []
        for _ in range(SUBSAMPLES):
            mask = np.zeros(n, dtype=bool)
            mask[rng.choice(n, size=size, replace=False)] = True
            samples.append(compute(mask))
        deviations = {name: float(np.std([s[name] for s in samples])) for name in values}
    return {name: {"value": float(values[name]), "standard_deviation": deviations[name]}
            for name in values}


# -- binary ---------------------------------------------------------------------------------------
def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else 0.0


def f_beta(precision: float, recall: float, beta: float) -> float:
    b2 = beta * beta
    return _ratio((1 + b2) * precision * recall, b2 * precision + recall)


def _confusion_rates(tp: float, fp: float, tn: float, fn: float) -> Metrics:
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    positives, total = tp + fn, tp + fp + tn + fn
    prevalence = _ratio(positives, total)  # the always-positive classifier's precision
    return {
        "recall": recall,
        "precision": precision,
        "accuracy": _ratio(tp + tn, total),
        "recall_best_constant_classifier": 1.0 if positives else 0.0,
        "precision_best_constant_classifier": prevalence,
        "accuracy_best_constant_classifier": prevalence,
        "true_positive_rate": recall,
        "true_negative_rate": _ratio(tn, tn + fp),
        "false_positive_rate": _ratio(fp, fp + tn),
        "false_negative_rate": _ratio(fn, fn + tp),
        "f0_5": f_beta(precision, recall, 0.5),
        "f1": f_beta(precision, recall, 1.0),
        "f2": f_beta(precision, recall, 2.0),
        "f0_5_best_constant_classifier": f_beta(prevalence, 1.0, 0.5) if positives else 0.0,
        "f1_best_constant_classifier": f_beta(prevalence, 1.0, 1.0) if positives else 0.0,
        "f2_best_constant_classifier": f_beta(prevalence, 1.0, 2.0) if positives else 0.0,
    }


class BinaryEvaluation:
    """Labels (0/1), predicted labels (0/1) and optional scores, sorted once by score."""

    def __init__(self, labels: np.ndarray, predictions: np.ndarray,
                 scores: np.ndarray | None = None) -> None:
        self.labels = numbers(labels, "labels").astype(np.int8)
        self.predictions = numbers(predictions, "predictions").astype(np.int8)
        if len(self.labels) != len(self.predictions):
            raise InputError(f"{len(self.labels)} labels but {len(self.predictions)} predictions")
        self.scores = None if scores is None else numbers(scores, "scores")
        if self.scores is not None:
            self._order = np.argsort(-self.scores, kind="stable")
            self._sorted_scores = self.scores[self._order]
            self._sorted_labels = self.labels[self._order]

    def metrics(self, mask: np.ndarray | None = None) -> Metrics:
        labels = self.labels if mask is None else self.labels[mask]
        predictions = self.predictions if mask is None else self.predictions[mask]
        cells = np.bincount(labels.astype(np.int64) * 2 + predictions, minlength=4)
        tn, fp, fn, tp = (float(c) for c in cells)
        result = _confusion_rates(tp, fp, tn, fn)
        if self.scores is not None:
            scores, ordered = self._sorted(mask)
            fpr, tpr, precision, recall = _curve(scores, ordered)
            result["auc"] = (float(np.trapezoid(tpr, fpr)) if fpr[-1] > 0 and tpr[-1] > 0
                             else math.nan)
            result["au_prc"] = _au_prc(precision, recall)
        return result

    def confusion_matrix(self) -> dict[str, dict[str, float]]:
        cells = np.bincount(self.labels.astype(np.int64) * 2 + self.predictions, minlength=4)
        return {"0": {"0": float(cells[0]), "1": float(cells[1])},
                "1": {"0": float(cells[2]), "1": float(cells[3])}}

    def curves(self) -> dict[str, dict[str, list[float]]]:
        """ROC and PR curves at (at most) :data:`CURVE_POINTS` thresholds."""
        fpr, tpr, precision, recall = _curve(*self._sorted(None))
        keep = np.unique(np.linspace(0, fpr.size - 1, min(CURVE_POINTS, fpr.size)).astype(int))
        return {
            "receiver_operating_characteristic_curve": {
                "false_positive_rates": fpr[keep].tolist(),
                "true_positive_rates": tpr[keep].tolist()},
            "precision_recall_curve": {
                "precisions": precision[keep[1:] - 1].tolist() if keep.size > 1 else [],
                "recalls": recall[keep[1:] - 1].tolist() if keep.size > 1 else []},
        }

    def _sorted(self, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        if mask is None:
            return self._sorted_scores, self._sorted_labels
        keep = mask[self._order]
        return self._sorted_scores[keep], self._sorted_labels[keep]


def _curve(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, ...]:
    """Points of the ROC curve (starting at 0,0) and the PR curve, one per distinct score."""
    last_of_group = np.r_[np.flatnonzero(np.diff(scores)), scores.size - 1]
    tp = np.cumsum(labels, dtype=np.float64)[last_of_group]
    fp = (last_of_group + 1) - tp
    positives, negatives = tp[-1] if tp.size else 0.0, fp[-1] if fp.size else 0.0
    tpr = np.r_[0.0, tp / positives] if positives else np.r_[0.0, tp]
    fpr = np.r_[0.0, fp / negatives] if negatives else np.r_[0.0, fp]
    precision = tp / (tp + fp)
    recall = tp / positives if positives else tp
    return fpr, tpr, precision, recall


def _au_prc(precision: np.ndarray, recall: np.ndarray) -> float:
    if precision.size == 0 or recall[-1] == 0:
        return math.nan
    return float(np.trapezoid(np.r_[precision[0], precision], np.r_[0.0, recall]))


# -- multiclass -----------------------------------------------------------------------------------
class MulticlassEvaluation:
    """Class labels as strings; weights are the actual-class supports."""

    def __init__(self, labels: np.ndarray, predictions: np.ndarray) -> None:
        not_empty(labels, "labels")
        if len(labels) != len(predictions):
            raise InputError(f"{len(labels)} labels but {len(predictions)} predictions")
        self.classes, codes = np.unique(np.concatenate([labels, predictions]), return_inverse=True)
        self.actual, self.predicted = codes[: len(labels)], codes[len(labels):]

    def _matrix(self, mask: np.ndarray | None) -> np.ndarray:
        k = self.classes.size
        actual = self.actual if mask is None else self.actual[mask]
        predicted = self.predicted if mask is None else self.predicted[mask]
        return np.bincount(actual * k + predicted, minlength=k * k).reshape(k, k).astype(float)

    def metrics(self, mask: np.ndarray | None = None) -> Metrics:
        matrix = self._matrix(mask)
        support = matrix.sum(axis=1)
        total = support.sum()
        result = {"accuracy": _ratio(np.trace(matrix), total)}
        per_class = _per_class(matrix)
        for name, values in per_class.items():
            result[f"weighted_{name}"] = _ratio(float(np.dot(values, support)), total)
        constant = int(np.argmax(support))  # our rule: the majority class (unconfirmed, D.1)
        constant_matrix = np.zeros_like(matrix)
        constant_matrix[:, constant] = support
        result["accuracy_best_constant_classifier"] = _ratio(support[constant], total)
        for name, values in _per_class(constant_matrix).items():
            result[f"weighted_{name}_best_constant_classifier"] = _ratio(
                float(np.dot(values, support)), total)
        return result

    def confusion_matrix(self) -> dict[str, dict[str, float]]:
        matrix = self._matrix(None)
        names = [str(c) for c in self.classes]
        return {a: {p: float(matrix[i, j]) for j, p in enumerate(names)}
                for i, a in enumerate(names)}


def _per_class(matrix: np.ndarray) -> dict[str, np.ndarray]:
    tp = np.diag(matrix)
    predicted, actual = matrix.sum(axis=0), matrix.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(actual > 0, tp / actual, 0.0)
    result = {"recall": recall, "precision": precision}
    for label, beta in (("f0_5", 0.5), ("f1", 1.0), ("f2", 2.0)):
        b2 = beta * beta
        with np.errstate(divide="ignore", invalid="ignore"):
            denominator = b2 * precision + recall
            result[label] = np.where(denominator > 0,
                                     (1 + b2) * precision * recall / denominator, 0.0)
    return result


# -- regression -----------------------------------------------------------------------------------
def regression_metrics(labels: np.ndarray, predictions: np.ndarray) -> Metrics:
    """mae, mse, rmse and r2 the way the service computes them (Spark's RegressionMetrics over
    an online summary, spec J): sums in row order (``cumsum`` adds left to right), mse from
    the squared L2 norm, and r2 with the total sum of squares taken over the *predictions*.
    ``r2_textbook`` (over the labels) is returned too but not written to statistics.json."""
    labels, predictions = numbers(labels, "labels"), numbers(predictions, "predictions")
    if labels.size != predictions.size:
        raise InputError(f"{labels.size} labels but {predictions.size} predictions")
    errors = labels - predictions
    n = errors.size
    l1 = float(np.cumsum(np.abs(errors))[-1])
    squared_l2 = math.sqrt(float(np.cumsum(errors * errors)[-1])) ** 2
    mse = squared_l2 / n
    return {
        "mae": l1 / n,
        "mse": mse,
        "rmse": math.sqrt(mse),
        "r2": _r2(squared_l2, predictions),
        "r2_textbook": _r2(squared_l2, labels),
    }


def _r2(sse: float, reference: np.ndarray) -> float:
    total = _sum_of_squares(reference)
    return 1.0 - sse / total if total else math.nan


def _sum_of_squares(values: np.ndarray) -> float:
    """Sum of squared deviations; Spark's online update for small inputs (its last digit),
    a two-pass computation for large ones."""
    if values.size > EXACT_UP_TO:
        return float(np.sum((values - values.mean()) ** 2))
    n = mean = m2 = 0.0
    for x in values.tolist():
        n += 1.0
        diff = x - mean
        mean += diff / n
        m2 += (x - mean) * diff
    return m2 / (n - 1) * (n - 1) if n > 1 else 0.0
