"""How much a check's metrics vary on unaltered data of a batch's size, and constraints
widened by that much.

The service suggests constraints at the baseline's own values and tells its users to review
them. On small batches (the example checks 150 new applications at a time) a metric moves by
chance alone: the model's accuracy by several points, a bias metric over a handful of foreign
workers by a lot. Here the spread comes from resampling unaltered rows (bootstrap) at the batch
size, and the review widens every suggested value so unaltered data passes:

- model quality: ``threshold = value -/+ z * sqrt(2) * standard error`` (the baseline's value and
  a new batch's value both carry sampling error, hence sqrt(2));
- bias: every baseline metric is moved as far from "no bias" as the given quantile of what the
  resampled batches show (the check flags a value farther from no bias than the baseline's).
"""
from __future__ import annotations

import copy
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from byom_monitor.clarify.analysis import bias_report
from byom_monitor.clarify.checks import BIAS_STAGES
from byom_monitor.clarify.config import AnalysisConfig
from byom_monitor.clarify.models import Predictor, load_model_folder
from byom_monitor.engines import model_metrics as mm

LESS, GREATER = "LessThanThreshold", "GreaterThanThreshold"


def bootstrap(frame: pd.DataFrame, statistic: Callable[[pd.DataFrame], dict[str, float]], *,
              rows: int, samples: int = 200, seed: int = 0) -> pd.DataFrame:
    """``statistic`` of ``samples`` resamples (with replacement) of ``rows`` rows each; one
    row per resample, one column per metric."""
    if rows < 1 or samples < 2:
        raise ValueError("bootstrap needs rows >= 1 and samples >= 2")
    rng = np.random.default_rng(seed)
    picks = (rng.integers(0, len(frame), size=rows) for _ in range(samples))
    return pd.DataFrame([statistic(frame.iloc[pick].reset_index(drop=True)) for pick in picks])


def binary_metrics(label: str, prediction: str, probability: str | None = None
                   ) -> Callable[[pd.DataFrame], dict[str, float]]:
    """The model-quality metrics of a frame of (label, prediction, probability) columns."""
    def statistic(frame: pd.DataFrame) -> dict[str, float]:
        scores = frame[probability].to_numpy(dtype=float) if probability else None
        evaluation = mm.BinaryEvaluation(frame[label].to_numpy(dtype=int),
                                         frame[prediction].to_numpy(dtype=int), scores)
        return {name: float(value) for name, value in evaluation.metrics().items()}
    return statistic


def widen_model_quality(constraints: dict[str, Any], spread: pd.DataFrame, z: float = 3.0
                        ) -> pd.DataFrame:
    """Review table of the binary-classification constraints: suggested threshold, standard
    error over the resamples, widened threshold. ``constraints`` is edited in place."""
    block = constraints["binary_classification_constraints"]
    review = []
    for name, rule in block.items():
        error = float(spread[name].std()) if name in spread else math.nan
        if math.isnan(error):
            continue
        margin = z * math.sqrt(2) * error
        suggested = float(rule["threshold"])
        widened = suggested - margin if rule["comparison_operator"] == LESS else suggested + margin
        rule["threshold"] = widened
        review.append({"metric": name, "comparison_operator": rule["comparison_operator"],
                       "suggested": suggested, "standard_error": error, "edited": widened})
    return pd.DataFrame(review).set_index("metric")


def bias_metrics(analysis_config: dict[str, Any], predictor: Predictor, threshold: float
                 ) -> Callable[[pd.DataFrame], dict[str, float]]:
    """The bias metrics Clarify reports for a frame, keyed ``stage/facet/value/metric``."""
    config = AnalysisConfig.from_dict(analysis_config)

    def statistic(frame: pd.DataFrame) -> dict[str, float]:
        return _bias_values(bias_report(frame, config, predictor, threshold))
    return statistic


def _bias_values(report: dict[str, Any]) -> dict[str, float]:
    return {key: float(metric["value"]) for key, metric in _bias_entries(report)
            if isinstance(metric.get("value"), (int, float))
            and math.isfinite(metric["value"])}


def _distance(name: str, value: float) -> float:
    return abs(value - 1.0) if name == "DI" else abs(value)


def widen_bias(analysis: dict[str, Any], spread: pd.DataFrame, quantile: float = 0.99
               ) -> tuple[dict[str, Any], pd.DataFrame]:
    """A copy of a baseline analysis.json whose bias metrics allow what unaltered batches
    show, and the review table (baseline value, quantile of the resampled distance from no
    bias, edited value)."""
    edited, review = copy.deepcopy(analysis), []
    for key, values in _bias_entries(edited):
        stage, _, _, name = key.split("/")
        baseline = values["value"]
        if key not in spread or not isinstance(baseline, (int, float)) \
                or not math.isfinite(baseline):
            continue
        seen = spread[key].dropna().map(lambda v, n=name: _distance(n, v))
        allowed = max(_distance(name, baseline), float(seen.quantile(quantile)))
        sign = -1.0 if baseline < (1.0 if name == "DI" else 0.0) else 1.0
        values["value"] = (1.0 + sign * allowed) if name == "DI" else sign * allowed
        review.append({"stage": stage.removesuffix("_bias_metrics"), "metric": name,
                       "baseline": baseline, f"q{quantile:g} of batches": float(
                           seen.quantile(quantile)), "edited": values["value"]})
    return edited, pd.DataFrame(review)


def _bias_entries(analysis: dict[str, Any]):
    for stage in BIAS_STAGES:
        for facet, groups in (analysis.get(stage) or {}).get("facets", {}).items():
            for group in groups:
                for metric in group["metrics"]:
                    yield f"{stage}/{facet}/{group['value_or_threshold']}/{metric['name']}", metric


def review_bias(analysis: dict[str, Any], analysis_config: dict[str, Any], train: pd.DataFrame,
                model_dir: str | Path, *, rows: int, quantile: float = 0.99, samples: int = 100
                ) -> tuple[dict[str, Any], pd.DataFrame]:
    """The bias baseline ``analysis`` widened to what batches of ``rows`` unaltered training
    rows show, labelled by the model as the monitored bias datasets are (the model's
    prediction in the label column); and the review table."""
    label = analysis_config["label"]
    threshold = analysis_config.get("probability_threshold", 0.5)
    model = load_model_folder(model_dir)
    features = train.drop(columns=label)
    by_model = features.assign(**{label: (model.predict(features) >= threshold).astype(int)})
    spread = bootstrap(by_model, bias_metrics(analysis_config, model, threshold), rows=rows,
                       samples=samples)
    return widen_bias(analysis, spread, quantile)
