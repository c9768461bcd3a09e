"""Charts and a self-contained HTML report of the recorded runs (notebook 06).

Every chart reads the result files a run recorded (statistics.json, constraints.json,
analysis.json and the baselines), never numbers parsed out of violation messages: feature drift
is recomputed from the two KLL sketches, model metrics come from the check's statistics, label
drift from the confusion matrices, the duration histogram from the KLL buckets.
"""
from __future__ import annotations

import base64
import html
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from byom_monitor.io import storage  # noqa: E402
from byom_monitor.analyzer.data_quality import MonitoringConfig, baseline_sketch  # noqa: E402
from byom_monitor.io.config import Config  # noqa: E402
from byom_monitor.engines.drift import numerical_distance  # noqa: E402
from byom_monitor.example.orchestrate import CHECKS, EXPERIMENT, store_for  # noqa: E402

STYLE = "seaborn-v0_8-darkgrid"  # the original's "seaborn-darkgrid", renamed in matplotlib 3.6
OK, BAD, BASE = "#4c9a2a", "#c0392b", "#7f8c8d"


def _json(location: str) -> dict[str, Any]:
    return json.loads(storage.read_text(location))


@dataclass
class Results:
    """The latest recorded run of each scenario and the baselines of config.ini."""

    config: Config
    checks: pd.DataFrame

    @classmethod
    def load(cls, config: Config, experiment: str = EXPERIMENT) -> "Results":
        checks = store_for(config).checks(experiment)
        if checks.empty:
            raise LookupError(f"no recorded runs of experiment {experiment!r} in "
                              f"{config.database}: run notebook 05 first")
        return cls(config, checks)

    @property
    def scenarios(self) -> list[str]:
        return list(dict.fromkeys(self.checks["scenario"]))

    def output(self, scenario: str, check: str, name: str) -> str | None:
        row = self.checks[(self.checks["scenario"] == scenario) & (self.checks["check_name"] == check)]
        return None if row.empty else row.iloc[0]["outputs"].get(name)

    def baseline(self, key: str) -> dict[str, Any]:
        return _json(self.config.get_baseline(key))

    def summary(self) -> pd.DataFrame:
        table = self.checks.pivot_table(index="scenario", columns="check_name",
                                        values="violations", aggfunc="sum", sort=False)
        return table.reindex(index=self.scenarios,
                             columns=[c for c in CHECKS if c in table.columns])


def _figure(title: str, width: float = 9, height: float = 4.5):
    with plt.style.context(STYLE):
        figure, axes = plt.subplots(figsize=(width, height))
    axes.set_title(title)
    return figure, axes


def feature_drift(results: Results, scenario: str) -> plt.Figure:
    """Distance of every numeric feature's distribution from the baseline, against the threshold."""
    current = _json(results.output(scenario, "data-quality", "statistics.json"))
    baseline = results.baseline("data-quality-statistics")
    constraints = results.baseline("data-quality-constraints")
    config = MonitoringConfig.read(constraints, "constraints")
    base = {f["name"]: f for f in baseline["features"] if "numerical_statistics" in f}
    names, distances = [], []
    for feature in current["features"]:
        if feature["name"] in base and "numerical_statistics" in feature:
            names.append(feature["name"])
            distances.append(numerical_distance(baseline_sketch(base[feature["name"]], "baseline"),
                                                baseline_sketch(feature, "current"),
                                                config.comparison_method))
    figure, axes = _figure(f"{scenario}: feature baseline drift ({config.comparison_method} "
                           f"L-infinity distance)")
    colours = [BAD if d > config.comparison_threshold else OK for d in distances]
    axes.bar(names, distances, color=colours)
    axes.axhline(config.comparison_threshold, color="black", linestyle="--", label="threshold")
    axes.legend()
    axes.tick_params(axis="x", rotation=75)
    figure.tight_layout()
    return figure


def model_metrics(results: Results, scenario: str,
                  metrics: tuple[str, ...] = ("precision", "recall", "accuracy", "auc", "f1")
                  ) -> plt.Figure:
    """Observed metrics against the baseline constraint thresholds."""
    current = _json(results.output(scenario, "model-quality", "statistics.json"))
    constraints = results.baseline("model-quality-constraints")
    block = next(v for k, v in current.items() if k.endswith("_metrics"))
    rules = next(v for k, v in constraints.items() if k.endswith("_constraints"))
    shown = [m for m in metrics if m in block and m in rules]
    observed = [block[m]["value"] for m in shown]
    thresholds = [rules[m]["threshold"] for m in shown]
    figure, axes = _figure(f"{scenario}: model quality against the baseline")
    x = np.arange(len(shown))
    axes.bar(x - 0.2, observed, 0.4, label="observed",
             color=[BAD if o < t else OK for o, t in zip(observed, thresholds)])
    axes.bar(x + 0.2, thresholds, 0.4, label="baseline threshold", color=BASE)
    axes.set_xticks(x, shown)
    axes.set_ylim(0, 1.05)
    axes.legend()
    return figure


def _positive_label_rate(statistics: dict[str, Any]) -> float:
    matrix = statistics["binary_classification_metrics"]["confusion_matrix"]
    positives = sum(matrix["1"].values())
    return positives / (positives + sum(matrix["0"].values()))


def label_drift(results: Results, scenarios: list[str] | None = None) -> plt.Figure:
    """Share of good credits in the ground truth, per scenario and in the baseline."""
    scenarios = scenarios or results.scenarios
    baseline = _positive_label_rate(results.baseline("model-quality-statistics")) * 100
    observed = [_positive_label_rate(_json(results.output(s, "model-quality", "statistics.json")))
                * 100 for s in scenarios]
    figure, axes = _figure("Percentage of credit accepted (ground truth)")
    axes.bar(scenarios, observed, color=OK)
    axes.axhline(baseline, color=BASE, linestyle="--", label=f"baseline {baseline:.1f}%")
    axes.tick_params(axis="x", rotation=30)
    axes.legend()
    figure.tight_layout()
    return figure


def _bias_values(document: dict[str, Any]) -> dict[str, float]:
    values = {}
    for stage in ("pre_training_bias_metrics", "post_training_bias_metrics"):
        for groups in (document.get(stage) or {}).get("facets", {}).values():
            for metric in groups[0]["metrics"]:
                value = metric.get("value")
                if isinstance(value, (int, float)) and np.isfinite(value):
                    values[metric["name"]] = float(value)
    return values


def bias_metrics(results: Results, scenario: str, focus: str = "DPPL") -> plt.Figure:
    """Every bias metric observed against the baseline; the focus metric highlighted."""
    current = _bias_values(_json(results.output(scenario, "model-bias", "analysis.json")))
    baseline = _bias_values(results.baseline("model-bias-analysis"))
    names = [n for n in sorted(current) if n in baseline]
    figure, axes = _figure(f"{scenario}: bias metrics (foreign workers), {focus} highlighted")
    x = np.arange(len(names))
    axes.bar(x - 0.2, [current[n] for n in names], 0.4, label="observed",
             color=[BAD if n == focus else OK for n in names])
    axes.bar(x + 0.2, [baseline[n] for n in names], 0.4, label="baseline", color=BASE)
    axes.set_xticks(x, names, rotation=60)
    axes.legend()
    figure.tight_layout()
    return figure


def shap_values(results: Results, scenario: str, top: int | None = None) -> plt.Figure:
    """Global SHAP value per feature, observed against the baseline (largest baseline first)."""
    current = _json(results.output(scenario, "model-explainability", "analysis.json"))
    baseline = results.baseline("model-explainability-analysis")
    now = current["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
    before = baseline["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
    names = sorted(before, key=lambda n: before[n])[-top:] if top else sorted(before, key=before.get)
    figure, axes = _figure(f"{scenario}: feature attributions (mean |SHAP|)", 9, 0.3 * len(names) + 1.5)
    y = np.arange(len(names))
    axes.barh(y + 0.2, [now.get(n, 0.0) for n in names], 0.4, label="observed", color=BAD)
    axes.barh(y - 0.2, [before[n] for n in names], 0.4, label="baseline", color=BASE)
    axes.set_yticks(y, names)
    axes.legend()
    figure.tight_layout()
    return figure


def feature_histogram(results: Results, scenario: str, feature: str = "duration") -> plt.Figure:
    """The feature's distribution (KLL buckets of statistics.json), observed and baseline."""
    figure, axes = _figure(f"{scenario}: distribution of {feature}")
    for label, statistics, colour in (
            ("baseline", results.baseline("data-quality-statistics"), BASE),
            ("observed", _json(results.output(scenario, "data-quality", "statistics.json")), BAD)):
        feature_block = next(f for f in statistics["features"] if f["name"] == feature)
        buckets = feature_block["numerical_statistics"]["distribution"]["kll"]["buckets"]
        total = sum(b["count"] for b in buckets) or 1
        axes.stairs([b["count"] / total for b in buckets],
                    [buckets[0]["lower_bound"]] + [b["upper_bound"] for b in buckets],
                    fill=True, alpha=0.5, label=label, color=colour)
    axes.set_xlabel(feature)
    axes.set_ylabel("share of rows")
    axes.legend()
    return figure


def standard_figures(results: Results) -> dict[str, plt.Figure]:
    """The original notebook 06's charts, for the scenarios that were run."""
    wanted = [("concept_drift", "model-metrics", model_metrics),
              ("concept_drift", "bias-metrics", bias_metrics),
              ("label_drift", "model-metrics", model_metrics),
              ("bias_drift", "bias-metrics", bias_metrics),
              ("feature_drift", "feature-drift", feature_drift),
              ("feature_drift", "duration", feature_histogram),
              ("feature_drift_systematic", "feature-drift", feature_drift),
              ("feature_drift_systematic", "duration", feature_histogram),
              ("explainability_drift", "shap", shap_values)]
    figures = {f"{scenario}-{kind}": chart(results, scenario)
               for scenario, kind, chart in wanted if scenario in results.scenarios}
    figures["label-drift"] = label_drift(results)
    return figures


def write_report(results: Results, folder: str | Path,
                 figures: dict[str, plt.Figure] | None = None) -> Path:
    """PNG files and one self-contained ``report.html`` (images inlined) in ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    figures = figures if figures is not None else standard_figures(results)
    sections = []
    for name, figure in figures.items():
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=100)
        (folder / f"{name}.png").write_bytes(buffer.getvalue())
        encoded = base64.b64encode(buffer.getvalue()).decode()
        sections.append(f"<h3>{html.escape(name)}</h3><img alt='{html.escape(name)}' "
                        f"src='data:image/png;base64,{encoded}'>")
        plt.close(figure)
    table = results.summary().to_html(border=0, classes="summary")
    details = results.checks[["scenario", "check_name", "status", "violations", "seconds",
                              "exit_message"]].to_html(index=False, border=0)
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Model monitoring report</title>"
        "<style>body{font-family:sans-serif;margin:2em;max-width:1000px}"
        "table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd}"
        "img{max-width:100%}</style></head><body>"
        "<h1>Model monitoring report</h1>"
        "<h2>Violations per scenario and check</h2>" + table +
        "<h2>Charts</h2>" + "".join(sections) +
        "<h2>Every check</h2>" + details + "</body></html>")
    target = folder / "report.html"
    storage.write_text(target, page)
    return target
