"""The charts of notebook 06, as pure functions: parsed result documents in, a Figure out.

Each function takes the documents as dicts (statistics.json, constraints.json, analysis.json and
the ``violations`` list of constraint_violations.json), reads no file and touches no global
state: the figures are made with :class:`matplotlib.figure.Figure`, not pyplot, so nothing is
registered with a backend and no style is switched. A notebook shows them with ``display(fig)``;
the HTML report and the dashboard save them as PNG or SVG.

One colour scheme throughout: :data:`BASELINE` grey, :data:`OBSERVED` blue and :data:`VIOLATED`
red for an observed value that a violation in constraint_violations.json names.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from byom_monitor.analyzer.data_quality import MonitoringConfig, baseline_sketch
from byom_monitor.clarify.checks import NDCG_THRESHOLD, ndcg
from byom_monitor.engines.drift import numerical_distance

BASELINE, OBSERVED, VIOLATED, THRESHOLD = "#8c8c8c", "#2f6fb0", "#c62828", "#222222"
#: The original's model-quality chart showed precision, auc and accuracy; recall and f1 added.
MODEL_METRICS = ("precision", "recall", "accuracy", "auc", "f1")
Violations = Sequence[Mapping[str, Any]]

#: Inches right of the plot for the legend, which never covers a bar.
LEGEND_WIDTH = 1.7
#: The legend entries, in their fixed order; made anew for every legend (artists are mutable).
_HANDLES = {
    "baseline": lambda: Patch(color=BASELINE, label="baseline"),
    "observed": lambda: Patch(color=OBSERVED, label="observed"),
    "violated": lambda: Patch(color=VIOLATED, label="observed, violated"),
    "threshold": lambda: Line2D([], [], color=THRESHOLD, linestyle="--", label="threshold"),
}


def _figure(title: str, width: float = 10, height: float = 4.5, *, left: float = 0.8,
            bottom: float = 0.6, top: float = 0.4) -> tuple[Figure, Any]:
    """A figure with fixed margins in inches (room for the tick labels): a layout engine
    would draw every figure twice, which doubles the time to render it."""
    figure = Figure(figsize=(width, height))
    figure.subplots_adjust(left=left / width, right=1 - LEGEND_WIDTH / width,
                           bottom=bottom / height, top=1 - top / height)
    axes = figure.add_subplot()
    axes.set_title(title, loc="left")
    axes.grid(True, axis="both", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    return figure, axes


def _legend(axes: Any, *entries: str) -> None:
    """The fixed legend entries, always in the same order and colours."""
    order = [name for name in _HANDLES if name in entries]
    axes.legend(handles=[_HANDLES[name]() for name in order], loc="upper left",
                bbox_to_anchor=(1.01, 1.0), fontsize="small")


def _observed_colours(names: Iterable[str], violated: set[str]) -> list[str]:
    return [VIOLATED if name in violated else OBSERVED for name in names]


def violated_names(violations: Violations, check_type: str | None = None) -> set[str]:
    """The feature or metric names the violations name (of one ``constraint_check_type``)."""
    return {v.get("feature_name") or v.get("metric_name") for v in violations
            if check_type is None or v.get("constraint_check_type") == check_type} - {None}


# -- data quality -----------------------------------------------------------------------------
def _numeric_features(statistics: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in statistics.get("features", []) if "numerical_statistics" in f}


def feature_distances(statistics: dict[str, Any], baseline_statistics: dict[str, Any],
                      baseline_constraints: dict[str, Any]) -> tuple[dict[str, float], float, str]:
    """Distance of every numeric feature from the baseline (recomputed from the two KLL
    sketches as the check does), the threshold and the comparison method of the constraints."""
    config = MonitoringConfig.read(baseline_constraints, "data-quality baseline constraints")
    base = _numeric_features(baseline_statistics)
    distances = {name: numerical_distance(baseline_sketch(base[name], "baseline statistics"),
                                          baseline_sketch(feature, "statistics"),
                                          config.comparison_method)
                 for name, feature in _numeric_features(statistics).items() if name in base}
    return distances, config.comparison_threshold, config.comparison_method


def feature_drift(statistics: dict[str, Any], baseline_statistics: dict[str, Any],
                  baseline_constraints: dict[str, Any], violations: Violations,
                  title: str = "") -> Figure:
    """Distance of each numeric feature's distribution from the baseline against the threshold;
    red where a ``baseline_drift_check`` violation names the feature."""
    distances, threshold, method = feature_distances(statistics, baseline_statistics,
                                                     baseline_constraints)
    drifted = violated_names(violations, "baseline_drift_check")
    figure, axes = _figure(f"{title}feature baseline drift ({method} L-infinity distance)",
                           10, 5.5, bottom=2.1)
    names = list(distances)
    axes.bar(names, [distances[n] for n in names], color=_observed_colours(names, drifted))
    axes.axhline(threshold, color=THRESHOLD, linestyle="--")
    axes.set_ylabel("distance from the baseline")
    axes.tick_params(axis="x", rotation=75)
    _legend(axes, "observed", "violated", "threshold")
    return figure


def _histogram_bars(feature: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(left edges, widths, shares) of the KLL buckets, buckets with equal edges merged."""
    merged: dict[tuple[float, float], float] = {}
    for bucket in feature["numerical_statistics"]["distribution"]["kll"]["buckets"]:
        edges = (float(bucket["lower_bound"]), float(bucket["upper_bound"]))
        merged[edges] = merged.get(edges, 0.0) + float(bucket["count"])
    total = sum(merged.values()) or 1.0
    lefts = np.array([lower for lower, _ in merged])
    widths = np.array([upper - lower for lower, upper in merged])
    return lefts, widths, np.array(list(merged.values())) / total


def feature_histogram(statistics: dict[str, Any], baseline_statistics: dict[str, Any],
                      feature: str, violations: Violations, title: str = "") -> Figure:
    """The feature's distribution (KLL buckets), observed over baseline. A constant feature has
    zero-width buckets; it is drawn as a bar 2% of the plotted range wide, so it stays visible."""
    documents = {"baseline": baseline_statistics, "observed": statistics}
    bars = {}
    for label, document in documents.items():
        found = _numeric_features(document).get(feature)
        if found is None:
            raise KeyError(f"{label} statistics have no numeric feature '{feature}'")
        bars[label] = _histogram_bars(found)
    low = min(float(lefts.min()) for lefts, _, _ in bars.values())
    high = max(float((lefts + widths).max()) for lefts, widths, _ in bars.values())
    narrowest = 0.02 * (high - low) if high > low else 1.0
    drifted = feature in violated_names(violations)
    colours = {"baseline": BASELINE, "observed": VIOLATED if drifted else OBSERVED}
    figure, axes = _figure(f"{title}distribution of {feature}")
    for label, (lefts, widths, shares) in bars.items():
        visible = np.maximum(widths, narrowest)
        axes.bar(lefts - (visible - widths) / 2, shares, width=visible, align="edge",
                 color=colours[label], alpha=0.6, edgecolor=colours[label], label=label)
    axes.set_xlabel(feature)
    axes.set_ylabel("share of rows")
    _legend(axes, "baseline", "observed", "violated")
    return figure


# -- model quality ----------------------------------------------------------------------------
def _block(document: dict[str, Any], suffix: str, source: str) -> dict[str, Any]:
    for key, value in document.items():
        if key.endswith(suffix):
            return value
    raise KeyError(f"{source}: no '*{suffix}' block")


def model_metrics(statistics: dict[str, Any], baseline_constraints: dict[str, Any],
                  violations: Violations, metrics: Sequence[str] = MODEL_METRICS,
                  title: str = "") -> Figure:
    """Observed metrics next to the baseline constraints' thresholds; every violated metric is
    shown (also when not in ``metrics``) and red."""
    observed = _block(statistics, "_metrics", "model-quality statistics")
    rules = _block(baseline_constraints, "_constraints", "model-quality constraints")
    violated = violated_names(violations)
    shown = [m for m in dict.fromkeys([*metrics, *sorted(violated)])
             if m in observed and m in rules]
    figure, axes = _figure(f"{title}model quality against the baseline constraints",
                           bottom=1.4 if len(shown) > 6 else 0.6)
    x = np.arange(len(shown))
    axes.bar(x - 0.2, [rules[m]["threshold"] for m in shown], 0.4, color=BASELINE)
    axes.bar(x + 0.2, [observed[m]["value"] for m in shown], 0.4,
             color=_observed_colours(shown, violated))
    axes.set_xticks(x, shown, rotation=30 if len(shown) > 6 else 0)
    axes.set_ylabel("value (baseline: the constraint's threshold)")
    _legend(axes, "baseline", "observed", "violated")
    return figure


def label_rates(statistics: dict[str, Any]) -> tuple[float, float]:
    """(share of good credits in the ground truth, share predicted good), from the confusion
    matrix of model-quality statistics (outer key: ground truth, inner key: prediction)."""
    matrix = _block(statistics, "_metrics", "model-quality statistics")["confusion_matrix"]
    cells = {(a, p): float(n) for a, row in matrix.items() for p, n in row.items()}
    total = sum(cells.values())
    if not total:
        raise ValueError("model-quality statistics: the confusion matrix is empty")
    truth = sum(n for (actual, _), n in cells.items() if actual == "1")
    predicted = sum(n for (_, prediction), n in cells.items() if prediction == "1")
    return truth / total, predicted / total


def label_drift(observed: Mapping[str, dict[str, Any]], baseline_statistics: dict[str, Any]
                ) -> Figure:
    """Share of good credits in the ground truth and share predicted good, per scenario,
    beside the baseline's. No constraint checks these shares (the violations show in the model
    quality chart); the chart shows how the labels moved."""
    names = ["baseline", *observed]
    rates = [label_rates(baseline_statistics), *(label_rates(s) for s in observed.values())]
    colours = [BASELINE] + [OBSERVED] * len(observed)
    figure, axes = _figure("share of credits accepted: ground truth (solid), predicted (hatched)",
                           bottom=1.5 if len(names) > 3 else 0.6)
    x = np.arange(len(names))
    axes.bar(x - 0.2, [100 * truth for truth, _ in rates], 0.4, color=colours)
    axes.bar(x + 0.2, [100 * predicted for _, predicted in rates], 0.4, color=colours,
             alpha=0.5, hatch="//")
    axes.set_xticks(x, names, rotation=30 if len(names) > 3 else 0)
    axes.set_ylabel("% of rows")
    axes.set_ylim(0, 105)
    _legend(axes, "baseline", "observed")
    return figure


# -- bias -------------------------------------------------------------------------------------
def bias_values(analysis: dict[str, Any]) -> dict[str, float]:
    """Every finite bias metric of an analysis.json (first facet group), by name."""
    values = {}
    for stage in ("pre_training_bias_metrics", "post_training_bias_metrics"):
        for groups in (analysis.get(stage) or {}).get("facets", {}).values():
            for metric in groups[0]["metrics"]:
                value = metric.get("value")
                if isinstance(value, (int, float)) and math.isfinite(value):
                    values[metric["name"]] = float(value)
    return values


def bias_metrics(analysis: dict[str, Any], baseline_analysis: dict[str, Any],
                 violations: Violations, title: str = "") -> Figure:
    """Every bias metric observed beside the baseline; red where a ``bias_drift_check``
    violation names it."""
    current, baseline = bias_values(analysis), bias_values(baseline_analysis)
    violated = violated_names(violations, "bias_drift_check")
    names = [n for n in sorted(current) if n in baseline]
    figure, axes = _figure(f"{title}bias metrics (facet: {facet_text(analysis)})", 11, bottom=0.9)
    x = np.arange(len(names))
    axes.bar(x - 0.2, [baseline[n] for n in names], 0.4, color=BASELINE)
    axes.bar(x + 0.2, [current[n] for n in names], 0.4, color=_observed_colours(names, violated))
    axes.axhline(0, color=THRESHOLD, linewidth=0.8)
    axes.set_xticks(x, names, rotation=60)
    _legend(axes, "baseline", "observed", "violated")
    return figure


def facet_text(analysis: dict[str, Any]) -> str:
    """``foreign_worker = 1``: the facet and the value of the disadvantaged group."""
    for stage in ("post_training_bias_metrics", "pre_training_bias_metrics"):
        for facet, groups in (analysis.get(stage) or {}).get("facets", {}).items():
            return f"{facet} = {groups[0]['value_or_threshold']}"
    raise KeyError("analysis.json has no bias facets")


def acceptance_rates(analysis: dict[str, Any]) -> tuple[float, float]:
    """(rate of the facet group, rate of the others) predicted positive, solved from the
    analysis' post-training DPPL = q_a - q_d and DI = q_d / q_a (q_d: the facet group)."""
    values = bias_values({"post_training_bias_metrics":
                          analysis.get("post_training_bias_metrics")})
    if "DPPL" not in values or "DI" not in values or values["DI"] == 1.0:
        raise ValueError("analysis.json: DPPL and DI (not 1) are needed to recover the "
                         "acceptance rates")
    others = values["DPPL"] / (1.0 - values["DI"])
    return values["DI"] * others, others


def acceptance(analysis: dict[str, Any], baseline_analysis: dict[str, Any],
               violations: Violations, title: str = "") -> Figure:
    """The share of each group the model accepts, observed beside the baseline; red when DPPL
    or DI is violated."""
    facet = facet_text(analysis)
    violated = violated_names(violations, "bias_drift_check") & {"DPPL", "DI"}
    groups = [facet, "all others"]
    baseline, current = acceptance_rates(baseline_analysis), acceptance_rates(analysis)
    figure, axes = _figure(f"{title}credits accepted by the model, per group", 8)
    x = np.arange(2)
    axes.bar(x - 0.2, [100 * r for r in baseline], 0.4, color=BASELINE)
    axes.bar(x + 0.2, [100 * r for r in current], 0.4, color=VIOLATED if violated else OBSERVED)
    axes.set_xticks(x, groups)
    axes.set_ylabel("% predicted good")
    axes.set_ylim(0, 105)
    _legend(axes, "baseline", "observed", "violated")
    return figure


# -- explainability ---------------------------------------------------------------------------
def global_shap(analysis: dict[str, Any], label: str = "label0") -> dict[str, float]:
    try:
        return analysis["explanations"]["kernel_shap"][label]["global_shap_values"]
    except (KeyError, TypeError) as exc:
        raise KeyError(f"analysis.json has no explanations.kernel_shap.{label}"
                       ".global_shap_values") from exc


def attribution_ndcg(analysis: dict[str, Any], baseline_analysis: dict[str, Any]) -> float:
    """nDCG of the observed feature ranking against the baseline's, as the check computes it."""
    return ndcg(global_shap(baseline_analysis), global_shap(analysis))


def shap_values(analysis: dict[str, Any], baseline_analysis: dict[str, Any],
                violations: Violations, top: int | None = 5, title: str = "") -> Figure:
    """Global SHAP values per feature, observed beside the baseline: the ``top`` features by
    baseline magnitude (all when None), largest at the top; red when the attribution drift
    check is violated. The title carries the nDCG."""
    before, now = global_shap(baseline_analysis), global_shap(analysis)
    ranked = sorted(before, key=lambda n: abs(before[n]), reverse=True)[:top]
    names = ranked[::-1]  # barh draws from the bottom
    drifted = bool(violated_names(violations, "feature_attribution_drift_check"))
    score = ndcg(before, now)
    heading = f"top {len(names)} features" if top else "all features"
    figure, axes = _figure(f"{title}mean |SHAP|, {heading} of the baseline\n"
                           f"nDCG {score:.3f} (threshold {NDCG_THRESHOLD})",
                           10, 0.35 * len(names) + 1.7, left=2.0, bottom=0.5, top=0.6)
    y = np.arange(len(names))
    axes.barh(y + 0.2, [before[n] for n in names], 0.4, color=BASELINE)
    axes.barh(y - 0.2, [now.get(n, 0.0) for n in names], 0.4,
              color=VIOLATED if drifted else OBSERVED)
    axes.set_yticks(y, names)
    _legend(axes, "baseline", "observed", "violated")
    return figure
