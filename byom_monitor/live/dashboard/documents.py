"""Reading result documents for display: a missing or corrupt file becomes a message on that
item, never an error page; and the figures each page shows, taken from the documents' own
structured fields (KLL buckets, category counts, confusion matrices, metric values).
"""
from __future__ import annotations

import json
import math
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from byom_monitor.clarify.checks import BIAS_STAGES, ndcg
from byom_monitor.io import storage


@dataclass
class Loaded:
    """A parsed document, or why there is none."""

    location: str | None
    document: dict[str, Any] | None = None
    problem: str | None = None


class DocumentCache:
    """Parsed local documents, kept while their file is unchanged (size and mtime), so
    baselines are not parsed again on every request. Documents on S3 are read each time."""

    def __init__(self, entries: int = 64) -> None:
        self.entries = entries
        self._cache: OrderedDict[tuple, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def load(self, location: str | None, what: str = "file") -> Loaded:
        if not location:
            return Loaded(None, problem=f"the execution recorded no {what}")
        key = None
        if not storage.is_s3(location):
            try:
                stat = os.stat(location)
            except OSError:
                return Loaded(location, problem=f"{what} is missing: {location}")
            key = (location, stat.st_size, stat.st_mtime_ns)
            with self._lock:
                if key in self._cache:
                    self._cache.move_to_end(key)
                    return Loaded(location, self._cache[key])
        try:
            document = json.loads(storage.read_text(location))
        except FileNotFoundError:
            return Loaded(location, problem=f"{what} is missing: {location}")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return Loaded(location, problem=f"{what} is not valid JSON ({exc}): {location}")
        except Exception as exc:  # S3 or file-system errors are shown, not raised
            return Loaded(location, problem=f"{what} cannot be read ({type(exc).__name__}: "
                                            f"{exc}): {location}")
        if not isinstance(document, dict):
            return Loaded(location, problem=f"{what} is not a JSON object: {location}")
        if key is not None:
            with self._lock:
                self._cache[key] = document
                while len(self._cache) > self.entries:
                    self._cache.popitem(last=False)
        return Loaded(location, document)


# -- data quality ----------------------------------------------------------------------------------
def feature_buckets(statistics: dict[str, Any], feature: str) -> list[tuple[float, float, float]]:
    """Numeric feature: its KLL buckets ``(lower, upper, count)``."""
    for block in statistics.get("features", []):
        if block.get("name") == feature:
            numbers = block.get("numerical_statistics") or {}
            buckets = numbers.get("distribution", {}).get("kll", {}).get("buckets", [])
            return [(b["lower_bound"], b["upper_bound"], b["count"]) for b in buckets]
    return []


def category_counts(statistics: dict[str, Any], feature: str) -> dict[str, float]:
    """String feature: count per category."""
    for block in statistics.get("features", []):
        if block.get("name") == feature:
            strings = block.get("string_statistics") or {}
            buckets = strings.get("distribution", {}).get("categorical", {}).get("buckets", [])
            return {str(b["value"]): b["count"] for b in buckets}
    return {}


def is_numeric(statistics: dict[str, Any], feature: str) -> bool:
    return any(b.get("name") == feature and "numerical_statistics" in b
               for b in statistics.get("features", []))


def drift_threshold(constraints: dict[str, Any]) -> float | None:
    """The data-quality baseline's distribution comparison threshold."""
    block = (constraints.get("monitoring_config") or {}).get("distribution_constraints") or {}
    value = block.get("comparison_threshold", 0.1)
    return float(value) if isinstance(value, (int, float)) else None


def completeness_limits(constraints: dict[str, Any]) -> dict[str, float]:
    return {f["name"]: float(f["completeness"]) for f in constraints.get("features", [])
            if isinstance(f.get("completeness"), (int, float))}


# -- model quality ---------------------------------------------------------------------------------
def metrics_block(statistics: dict[str, Any]) -> dict[str, Any]:
    return next((v for k, v in statistics.items() if k.endswith("_metrics")
                 and isinstance(v, dict)), {})


def metric_rules(constraints: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``metric -> {threshold, comparison_operator}`` of a model-quality baseline."""
    block = next((v for k, v in constraints.items() if k.endswith("_constraints")
                  and isinstance(v, dict)), {})
    return {name: rule for name, rule in block.items()
            if isinstance(rule, dict) and isinstance(rule.get("threshold"), (int, float))}


def violated_below(rule: dict[str, Any]) -> bool:
    """True when values below the threshold violate it (``LessThanThreshold``...)."""
    return rule.get("comparison_operator", "LessThanThreshold").startswith("LessThan")


def scalar_metrics(statistics: dict[str, Any]) -> dict[str, float]:
    return {name: float(metric["value"]) for name, metric in metrics_block(statistics).items()
            if isinstance(metric, dict) and isinstance(metric.get("value"), (int, float))}


def confusion_matrix(statistics: dict[str, Any]) -> tuple[list[str], list[list[float]]] | None:
    """Classes and counts, rows the actual class and columns the predicted one."""
    matrix = metrics_block(statistics).get("confusion_matrix")
    if not isinstance(matrix, dict) or not matrix:
        return None
    classes = sorted(set(matrix) | {p for row in matrix.values() for p in row})
    return classes, [[float(matrix.get(a, {}).get(p, 0)) for p in classes] for a in classes]


# -- Clarify ---------------------------------------------------------------------------------------
def bias_values(analysis: dict[str, Any]) -> dict[tuple[str, str, str, str], float]:
    """``(stage, facet, facet value, metric) -> value`` of an analysis.json."""
    values = {}
    for stage in BIAS_STAGES:
        for facet, groups in ((analysis.get(stage) or {}).get("facets") or {}).items():
            for group in groups:
                for metric in group.get("metrics", []):
                    value = metric.get("value")
                    if isinstance(value, str) and value in ("Infinity", "-Infinity"):
                        value = math.inf if value == "Infinity" else -math.inf
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        values[stage, facet, str(group.get("value_or_threshold")),
                               metric["name"]] = float(value)
    return values


def attributions(analysis: dict[str, Any]) -> dict[str, dict[str, float]]:
    """``label -> feature -> global SHAP value``."""
    shap = (analysis.get("explanations") or {}).get("kernel_shap") or {}
    return {label: {f: float(v) for f, v in (block.get("global_shap_values") or {}).items()}
            for label, block in shap.items() if isinstance(block, dict)}


def ndcg_scores(current: dict[str, Any], baseline: dict[str, Any]) -> dict[str, float]:
    """nDCG per label, as the attribution drift check computes it."""
    now, before = attributions(current), attributions(baseline)
    return {label: ndcg(before[label], values) for label, values in now.items() if label in before}

