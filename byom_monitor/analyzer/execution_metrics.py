"""The metrics of a finished monitoring job, read from its result files.

In its own schedules the service publishes what the container writes to
``/opt/ml/output/metrics/cloudwatch``; a one-off Processing job cannot output that folder
(outputs must be below ``/opt/ml/processing``). So a scheduler that runs one-off jobs computes
the same values from ``statistics.json`` and the baseline: ``feature_baseline_drift_<name>``
(the drift distance the check compares with its threshold), ``feature_non_null_<name>``, the
model-quality metrics by name, and the number of violations.
"""
from __future__ import annotations

import math
from typing import Any

from byom_monitor.analyzer.data_quality import MonitoringConfig, baseline_sketch, drift_distance
from byom_monitor.engines import datatypes as dt


def violation_count(violations: dict[str, Any] | None) -> dict[str, float]:
    return {"violations": float(len((violations or {}).get("violations", [])))}


def model_quality_metrics(statistics: dict[str, Any]) -> dict[str, float]:
    """Every finite scalar metric of a model-quality statistics.json (``accuracy``, ``f1``...)."""
    block = next((v for k, v in statistics.items() if k.endswith("_metrics")), {})
    return {name: float(metric["value"]) for name, metric in block.items()
            if isinstance(metric, dict) and isinstance(metric.get("value"), (int, float))
            and math.isfinite(metric["value"])}


def data_quality_metrics(statistics: dict[str, Any], baseline_statistics: dict[str, Any],
                         constraints: dict[str, Any], source: str) -> dict[str, float]:
    """Per feature the constraints emit metrics for: its non-null share and its drift from the
    baseline (the configured numerical or categorical distance; none when not comparable)."""
    config = MonitoringConfig.read(constraints, source)
    emitting = {f.get("name") for f in constraints.get("features", []) if config.emits(f)}
    baseline = {f.get("name"): f for f in baseline_statistics.get("features", [])}
    rows = statistics.get("dataset", {}).get("item_count", 0)
    metrics: dict[str, float] = {}
    for feature in statistics.get("features", []):
        name = feature.get("name")
        if name not in emitting:
            continue
        block = feature.get("numerical_statistics") or feature.get("string_statistics") or {}
        if rows and "common" in block:
            metrics[f"feature_non_null_{name}"] = block["common"]["num_present"] / rows
        reference, kind = baseline.get(name), feature.get("inferred_type")
        if reference is None:
            continue
        numeric = {kind, reference.get("inferred_type")} <= set(dt.NUMERIC_TYPES)
        sketch = baseline_sketch(feature, source) if numeric else None
        distance = drift_distance(reference, kind, sketch, _buckets(feature), config, source)
        if distance is not None and math.isfinite(distance):
            metrics[f"feature_baseline_drift_{name}"] = distance
    return metrics


def _buckets(feature: dict[str, Any]) -> dict[str, float] | None:
    """The category counts of a statistics.json string feature (None when none were kept)."""
    buckets = ((((feature.get("string_statistics") or {}).get("distribution") or {})
                .get("categorical") or {}).get("buckets") or [])
    return {str(b["value"]): float(b["count"]) for b in buckets} or None
