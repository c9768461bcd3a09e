"""Model quality: statistics.json (metrics), suggested constraints.json and the check that
produces constraint_violations.json (spec section D).

Suggested thresholds equal the baseline values, as in the service's fixtures (with a standard
deviation available the service's margin rule is unconfirmed; we add none). The violation text
is ``Metric {name} with {value} +/- {std} was {operator} '{threshold}'`` (spec D.3 and J: the
original example read the value first and the threshold third).
"""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd

from byom_monitor.engines import model_metrics as mm
from byom_monitor.io.config import ConfigError
from byom_monitor.io.datasets import DatasetError
from byom_monitor.io.formats import FormatError, java_double, plain_value, require

METRICS_KEY = {mm.BINARY: "binary_classification_metrics",
               mm.MULTICLASS: "multiclass_classification_metrics",
               mm.REGRESSION: "regression_metrics"}
CONSTRAINTS_KEY = {mm.BINARY: "binary_classification_constraints",
                   mm.MULTICLASS: "multiclass_classification_constraints",
                   mm.REGRESSION: "regression_constraints"}
LESS, GREATER = "LessThanThreshold", "GreaterThanThreshold"
OPERATORS = {LESS: operator.lt, GREATER: operator.gt,
             "LessThanOrEqualToThreshold": operator.le,
             "GreaterThanOrEqualToThreshold": operator.ge}
#: Metrics that get a suggested constraint, and the direction that violates it.
CONSTRAINED = {
    mm.BINARY: {"recall": LESS, "precision": LESS, "accuracy": LESS, "true_positive_rate": LESS,
                "true_negative_rate": LESS, "false_positive_rate": GREATER,
                "false_negative_rate": GREATER, "auc": LESS, "au_prc": LESS, "f0_5": LESS,
                "f1": LESS, "f2": LESS},
    mm.MULTICLASS: {"accuracy": LESS, "weighted_recall": LESS, "weighted_precision": LESS,
                    "weighted_f0_5": LESS, "weighted_f1": LESS, "weighted_f2": LESS},
    mm.REGRESSION: {"mae": GREATER, "mse": GREATER, "rmse": GREATER, "r2": LESS},
}
#: Key order of the service's binary statistics (docs example), au_prc last.
BINARY_ORDER = ["confusion_matrix", "recall", "precision", "accuracy",
                "recall_best_constant_classifier", "precision_best_constant_classifier",
                "accuracy_best_constant_classifier", "true_positive_rate", "true_negative_rate",
                "false_positive_rate", "false_negative_rate",
                "receiver_operating_characteristic_curve", "precision_recall_curve", "auc",
                "f0_5", "f1", "f2", "f0_5_best_constant_classifier",
                "f1_best_constant_classifier", "f2_best_constant_classifier", "au_prc"]


@dataclass(frozen=True)
class Attributes:
    """Which columns hold what (names, or 0-based indexes), from the job's environment."""

    problem_type: str
    ground_truth: str | None = None
    inference: str | None = None
    probability: str | None = None
    probability_threshold: float = 0.5

    def __post_init__(self) -> None:
        if self.problem_type not in mm.PROBLEM_TYPES:
            raise ConfigError(f"problem_type must be one of {mm.PROBLEM_TYPES}, "
                              f"got {self.problem_type!r}")
        if self.inference is None and (self.problem_type != mm.BINARY or self.probability is None):
            raise ConfigError("inference_attribute is not set (for BinaryClassification a "
                              "probability_attribute with probability_threshold_attribute "
                              "will do)")


@dataclass
class Evaluation:
    """The label / prediction / score arrays of one dataset, validated."""

    problem_type: str
    labels: np.ndarray
    predictions: np.ndarray
    scores: np.ndarray | None = None

    @property
    def rows(self) -> int:
        return int(self.labels.size)


def resolve_column(frame_columns: list[str], attribute: str, role: str, source: str) -> str:
    """A column by name, or by 0-based index (``2`` or ``_c2``)."""
    if attribute in frame_columns:
        return attribute
    index = attribute[2:] if attribute.startswith("_c") else attribute
    if index.isdigit() and int(index) < len(frame_columns):
        return frame_columns[int(index)]
    raise DatasetError(f"{source}: no column {attribute!r} for {role} "
                       f"(columns: {', '.join(map(str, frame_columns[:30]))})")


def evaluation_from_frame(frame: pd.DataFrame, attributes: Attributes, source: str) -> Evaluation:
    """Validate and convert the attribute columns; errors name the attribute, the problem and
    an example value."""
    if attributes.ground_truth is None:
        raise DatasetError("ground_truth_attribute is not set")
    if frame.empty:
        raise DatasetError(f"{source}: no rows to evaluate")
    columns = list(frame.columns)

    def column(attribute: str, role: str) -> pd.Series:
        return frame[resolve_column(columns, attribute, role, source)]

    labels = column(attributes.ground_truth, "ground_truth_attribute")
    scores = None
    if attributes.probability is not None:
        scores = _numbers(column(attributes.probability, "probability_attribute"),
                          "probability_attribute", source)
        outside = (scores < 0) | (scores > 1)
        if attributes.problem_type == mm.BINARY and outside.any():
            raise DatasetError(f"{source}: probability_attribute {attributes.probability!r} has "
                               f"{int(outside.sum())} value(s) outside [0, 1], e.g. "
                               f"{plain_value(scores[outside][0])}")
    if attributes.inference is not None:
        predictions = column(attributes.inference, "inference_attribute")
    else:
        predictions = pd.Series((scores > attributes.probability_threshold).astype(int))
    if attributes.problem_type == mm.REGRESSION:
        return Evaluation(mm.REGRESSION, _numbers(labels, "ground_truth_attribute", source),
                          _numbers(predictions, "inference_attribute", source))
    if attributes.problem_type == mm.BINARY:
        return Evaluation(mm.BINARY, _binary(labels, "ground_truth_attribute", source),
                          _binary(predictions, "inference_attribute", source), scores)
    return Evaluation(mm.MULTICLASS, _classes(labels, "ground_truth_attribute", source),
                      _classes(predictions, "inference_attribute", source))


def _missing_check(values: pd.Series, role: str, source: str) -> None:
    missing = int(values.isna().sum())
    if missing:
        raise DatasetError(f"{source}: {missing} row(s) have no value for {role} "
                           f"(rows without it cannot be evaluated; remove them first)")


def _numbers(values: pd.Series, role: str, source: str) -> np.ndarray:
    _missing_check(values, role, source)
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna()
    if bad.any():
        raise DatasetError(f"{source}: {role} has {int(bad.sum())} non-numeric value(s), "
                           f"e.g. {plain_value(values[bad].iloc[0])}")
    return numbers.to_numpy(dtype=np.float64)


def _binary(values: pd.Series, role: str, source: str) -> np.ndarray:
    numbers = _numbers(values, role, source)
    bad = (numbers != 0) & (numbers != 1)
    if bad.any():
        raise DatasetError(f"{source}: {role} must be 0 or 1 for BinaryClassification; "
                           f"{int(bad.sum())} value(s) are not, "
                           f"e.g. {plain_value(values[bad].iloc[0])}")
    return numbers.astype(np.int8)


def _classes(values: pd.Series, role: str, source: str) -> np.ndarray:
    """Class labels as text; whole numbers written as integers so 1 and 1.0 are one class."""
    _missing_check(values, role, source)
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().all() and (numbers == np.floor(numbers)).all():
        return numbers.astype(np.int64).astype(str).to_numpy()
    return values.astype(str).to_numpy()


# -- statistics and constraints -------------------------------------------------------------------
def statistics_document(evaluation: Evaluation, seed: int = 0,
                        evaluated_at: datetime | None = None) -> dict[str, Any]:
    when = (evaluated_at or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return {"version": 0.0, "dataset": {"item_count": evaluation.rows, "evaluation_time": when},
            METRICS_KEY[evaluation.problem_type]: compute_metrics(evaluation, seed)}


def compute_metrics(evaluation: Evaluation, seed: int = 0) -> dict[str, Any]:
    """The metrics block of statistics.json for this problem type."""
    if evaluation.problem_type == mm.REGRESSION:
        def regression(mask: np.ndarray | None) -> mm.Metrics:
            labels = evaluation.labels if mask is None else evaluation.labels[mask]
            predictions = evaluation.predictions if mask is None else evaluation.predictions[mask]
            values = mm.regression_metrics(labels, predictions)
            values.pop("r2_textbook")
            return values
        return mm.with_standard_deviation(regression, evaluation.rows, seed)
    if evaluation.problem_type == mm.BINARY:
        binary = mm.BinaryEvaluation(evaluation.labels, evaluation.predictions, evaluation.scores)
        block: dict[str, Any] = {
            "confusion_matrix": binary.confusion_matrix(),
            **mm.with_standard_deviation(binary.metrics, evaluation.rows, seed)}
        if evaluation.scores is not None:
            block.update(binary.curves())
        return {key: block[key] for key in BINARY_ORDER if key in block}
    multiclass = mm.MulticlassEvaluation(evaluation.labels, evaluation.predictions)
    return {"confusion_matrix": multiclass.confusion_matrix(),
            **mm.with_standard_deviation(multiclass.metrics, evaluation.rows, seed)}


def textbook_r2(evaluation: Evaluation) -> float:
    """R-squared with the total sum of squares over the labels, for reports beside the
    service-compatible ``r2``."""
    return mm.regression_metrics(evaluation.labels, evaluation.predictions)["r2_textbook"]


def suggest_constraints(statistics: dict[str, Any], problem_type: str) -> dict[str, Any]:
    metrics = statistics[METRICS_KEY[problem_type]]
    constraints = {}
    for name, comparison in CONSTRAINED[problem_type].items():
        value = (metrics.get(name) or {}).get("value")
        if isinstance(value, float) and not math.isnan(value):
            constraints[name] = {"threshold": value, "comparison_operator": comparison}
    return {"version": 0.0, CONSTRAINTS_KEY[problem_type]: constraints}


# -- check ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MetricViolation:
    metric_name: str
    constraint_check_type: str
    description: str

    def to_dict(self) -> dict[str, str]:
        return {"metric_name": self.metric_name,
                "constraint_check_type": self.constraint_check_type,
                "description": self.description}


def check_model_quality(statistics: dict[str, Any], constraints: dict[str, Any],
                        problem_type: str, source: str = "constraints") -> list[MetricViolation]:
    """Metrics of the current data that fail their constraint."""
    block = require(constraints, CONSTRAINTS_KEY[problem_type], source, dict)
    metrics = statistics[METRICS_KEY[problem_type]]
    violations = []
    for name, rule in block.items():
        if not isinstance(rule, dict):
            raise FormatError(f"{source}: constraint '{name}' must be an object")
        threshold = require(rule, "threshold", f"{source} ({name})")
        comparison = require(rule, "comparison_operator", f"{source} ({name})")
        if comparison not in OPERATORS:
            raise FormatError(f"{source}: constraint '{name}' has comparison_operator "
                              f"{comparison!r}; expected one of {', '.join(OPERATORS)}")
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise FormatError(f"{source}: constraint '{name}' threshold must be a number")
        current = metrics.get(name)
        if not current or math.isnan(current["value"]):
            continue  # e.g. auc without a probability attribute in the current data
        value, deviation = current["value"], current["standard_deviation"]
        if OPERATORS[comparison](value, threshold):
            violations.append(MetricViolation(name, comparison, (
                f"Metric {name} with {java_double(value).strip(chr(34))} +/- "
                f"{java_double(deviation).strip(chr(34))} was {comparison} "
                f"'{java_double(float(threshold))}'")))
    return violations
