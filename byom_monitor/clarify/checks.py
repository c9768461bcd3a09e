"""The two Clarify monitoring checks (spec E.5, F.3); the baseline ``analysis.json`` is the
constraints file."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .config import ClarifyError

NDCG_THRESHOLD = 0.9
#: Where analysis.json keeps SHAP values: Clarify's Kernel SHAP, or our exact tree SHAP.
SHAP_BLOCKS = ("kernel_shap", "tree_shap")
BIAS_STAGES = ("pre_training_bias_metrics", "post_training_bias_metrics")


def _text(value: float) -> str:
    """Python's float text, ``Infinity`` for infinities (as Clarify writes them)."""
    if isinstance(value, str):
        return value
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(float(value))


def _number(value: Any) -> float | None:
    if isinstance(value, str) and value in ("Infinity", "-Infinity"):
        return math.inf if value == "Infinity" else -math.inf
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _distance_from_ideal(name: str, value: float) -> float:
    """How far a metric is from no bias: |value|, and |DI - 1| for DI (the ideal DI is 1; the
    service's rule for DI is unconfirmed, spec E.5)."""
    return abs(value - 1.0) if name == "DI" else abs(value)


def bias_drift_violations(current: dict[str, Any], baseline: dict[str, Any]
                          ) -> list[dict[str, str]]:
    """A violation for every (stage, facet, value, metric) in both files whose current value is
    farther from the ideal than the baseline value."""
    violations = []
    for stage in BIAS_STAGES:
        now, before = current.get(stage), baseline.get(stage)
        if not now or not before:
            continue
        for facet, groups in now.get("facets", {}).items():
            base_groups = {g["value_or_threshold"]: g for g in before.get("facets", {}).get(facet, [])}
            for group in groups:
                base_group = base_groups.get(group["value_or_threshold"])
                if base_group is None:
                    continue
                base_metrics = {m["name"]: m for m in base_group["metrics"]}
                for metric in group["metrics"]:
                    base = base_metrics.get(metric["name"])
                    value = _number(metric.get("value"))
                    base_value = _number(base.get("value")) if base else None
                    if value is None or base_value is None:
                        continue
                    if _distance_from_ideal(metric["name"], value) > _distance_from_ideal(
                            metric["name"], base_value):
                        violations.append({
                            "facet": facet,
                            "facet_value": group["value_or_threshold"],
                            "metric_name": metric["name"],
                            "constraint_check_type": "bias_drift_check",
                            "description": f"Metric value {_text(value)} doesn't meet the "
                                           f"baseline constraint requirement {_text(base_value)}",
                        })
    return violations


def ndcg(baseline: dict[str, float], current: dict[str, float]) -> float:
    """nDCG of the current feature ranking, with the baseline attributions as relevance."""
    features = list(baseline)
    relevance = np.array([baseline[f] for f in features], dtype=float)
    discounts = 1.0 / np.log2(np.arange(2, len(features) + 2))
    ideal = float(np.sum(np.sort(relevance)[::-1] * discounts))
    order = sorted(features, key=lambda f: -current.get(f, -math.inf))
    actual = float(np.sum(np.array([baseline[f] for f in order]) * discounts))
    return actual / ideal if ideal else math.nan


def shap_block(analysis: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """The SHAP block of an analysis.json (its key and ``{label: values}``), if any."""
    explanations = analysis.get("explanations") or {}
    for key in SHAP_BLOCKS:
        if key in explanations:
            return key, explanations[key]
    return None, {}


def attribution_drift_violations(current: dict[str, Any], baseline: dict[str, Any],
                                 threshold: float = NDCG_THRESHOLD
                                 ) -> tuple[list[dict[str, str]], dict[str, float]]:
    """A violation for every label whose nDCG is below the threshold; also the nDCG values."""
    now_kind, now = shap_block(current)
    before_kind, before = shap_block(baseline)
    if now_kind and before_kind and now_kind != before_kind:
        raise ClarifyError(f"attribution drift compares like with like: the baseline has "
                         f"{before_kind} values, the current analysis {now_kind} values")
    violations, scores = [], {}
    for label, block in now.items():
        if label not in before:
            continue
        score = ndcg(before[label]["global_shap_values"], block["global_shap_values"])
        scores[label] = score
        if score < threshold:
            violations.append({
                "label": label,
                "metric_name": "shap",
                "constraint_check_type": "feature_attribution_drift_check",
                # verbatim service wording: "exceeds" although the score is below it
                "description": f"Feature attribution drift {_text(score)} exceeds threshold "
                               f"{_text(threshold)}",
            })
    return violations, scores
