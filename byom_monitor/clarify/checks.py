"""The two Clarify monitoring checks (spec E.5, F.3); the baseline ``analysis.json`` is the
constraints file."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from byom_monitor.clarify.config import AnalysisConfig, ClarifyError
from byom_monitor.io.formats import FormatError

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


def check_baseline(baseline: dict[str, Any], config: AnalysisConfig, source: str) -> None:
    """FormatError naming the file when the baseline lacks the block a requested check needs
    (an empty file, a bias baseline for an explainability check) or the block is malformed."""
    if config.wants_bias:
        stages = [s for s, methods in zip(BIAS_STAGES, (config.pre_training_methods,
                                                        config.post_training_methods))
                  if methods and s in baseline]
        if not stages:
            raise FormatError(f"{source}: the baseline has no bias metrics "
                              f"({' or '.join(BIAS_STAGES)}) to check bias drift against")
        for stage in stages:
            facets = baseline[stage].get("facets") if isinstance(baseline[stage], dict) else None
            if not isinstance(facets, dict) or not all(
                    isinstance(groups, list) and all(
                        isinstance(g, dict) and "value_or_threshold" in g
                        and isinstance(g.get("metrics"), list) for g in groups)
                    for groups in facets.values()):
                raise FormatError(f"{source}: {stage}.facets must map each facet to a list of "
                                  f"{{\"value_or_threshold\", \"metrics\": [...]}}")
            for groups in facets.values():
                for group in groups:
                    if not all(isinstance(m, dict) and "name" in m for m in group["metrics"]):
                        raise FormatError(f"{source}: {stage}: every metric needs a 'name'")
                    for metric in group["metrics"]:
                        value = metric.get("value")
                        number = _number(value)
                        if value is not None and (number is None or math.isnan(number)):
                            raise FormatError(f"{source}: {stage}: metric {metric['name']} has "
                                              f"value {value!r}; expected a number, "
                                              f"\"Infinity\" or null")
    if config.shap is not None:
        key, blocks = (shap_block(baseline) if isinstance(baseline.get("explanations"), dict)
                       else (None, None))
        if not isinstance(blocks, dict) or not blocks:
            raise FormatError(f"{source}: the baseline has no explanations.kernel_shap block to "
                              f"check feature attribution drift against")
        for label, block in blocks.items():
            values = block.get("global_shap_values") if isinstance(block, dict) else None
            if not isinstance(values, dict) or not values or not all(
                    _number(v) is not None and math.isfinite(_number(v))
                    for v in values.values()):
                raise FormatError(f"{source}: explanations.{key}.{label}."
                                  f"global_shap_values must be finite numbers per feature")


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
