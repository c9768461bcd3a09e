"""What notebook 06 and report.html show per scenario: text from the scenario's own
declaration, expected against observed checks, and the charts that matter for it.

The scenario registry (``generate_altered.SCENARIOS``) is passed in: entries with
``description``, ``noise`` and ``expected`` (check -> names expected among its violations), or
plain documented functions (then nothing is declared and the verdict says so).
"""
from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from byom_monitor.example.report import charts
from byom_monitor.example.report.runs import CHECKS, Results, ScenarioRun

#: At most this many per-feature histograms per scenario.
MAX_HISTOGRAMS = 3
AS_EXPECTED, NOT_DECLARED = "as expected", "not declared"


@dataclass
class Section:
    """One scenario: a title, paragraphs of Markdown, a table and charts drawn on demand."""

    scenario: str
    paragraphs: list[str]
    table: pd.DataFrame
    charts: list[tuple[str, Callable[[], Figure]]] = field(default_factory=list)

    @cached_property
    def images(self) -> list[tuple[str, bytes]]:
        """Every chart as PNG, drawn once (the notebook and report.html show the same)."""
        return [(name, png(draw())) for name, draw in self.charts]


def png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    return buffer.getvalue()


def description(entry: Any) -> str:
    """The scenario's description (its ``description``, else its docstring), on one line."""
    text = getattr(entry, "description", None) or getattr(entry, "__doc__", None) or ""
    return " ".join(text.split())


def declared(entry: Any) -> Mapping[str, tuple[str, ...]] | None:
    """The scenario's ``expected`` checks, or None when it declares none (plain functions)."""
    expected = getattr(entry, "expected", None)
    return None if expected is None else dict(expected)


def verdict(expected: Mapping[str, tuple[str, ...]] | None, check: str, names: list[str]) -> str:
    """A check absent from ``expected`` must have no violations; a present one must have
    violations naming every expected name."""
    if expected is None:
        return NOT_DECLARED
    if check not in expected:
        return AS_EXPECTED if not names else "unexpected violations"
    if not names:
        return "missed: no violations"
    missing = [n for n in expected[check] if n not in names]
    return AS_EXPECTED if not missing else f"missed: {', '.join(missing)}"


def expectation_table(run: ScenarioRun, entry: Any) -> pd.DataFrame:
    """Per check: what the scenario declares, how many violations, which names, verdict."""
    expected = declared(entry)
    rows = []
    for check, result in run.checks.items():
        if expected is None:
            wanted = "?"
        elif check in expected:
            wanted = ", ".join(expected[check]) or "violations"
        else:
            wanted = "none"
        rows.append({"check": check, "expected": wanted, "violations": result.count,
                     "names": ", ".join(result.names), "verdict": verdict(expected, check,
                                                                          result.names)})
    return pd.DataFrame(rows).set_index("check")


def overview(results: Results, scenarios: Mapping[str, Any]) -> pd.DataFrame:
    """Scenario x check: the number of violations, and whether every check went as declared."""
    rows = {}
    for run in results.runs:
        table = expectation_table(run, scenarios.get(run.scenario))
        row = {check: table.loc[check, "violations"] if check in table.index else None
               for check in CHECKS}
        verdicts = set(table["verdict"])
        if verdicts in ({AS_EXPECTED}, {NOT_DECLARED}):
            row["verdict"] = verdicts.pop()
        else:
            row["verdict"] = "; ".join(f"{c}: {v}" for c, v in table["verdict"].items()
                                       if v != AS_EXPECTED)
        rows[run.scenario] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def _relevant(check: str, run: ScenarioRun, expected: Mapping[str, Any] | None) -> bool:
    result = run.checks.get(check)
    return result is not None and (bool(result.count) or check in (expected or {}))


def _facts(run: ScenarioRun, results: Results) -> list[str]:
    """Numbers read from the results that say what happened, one sentence each."""
    base = results.baselines
    facts = []
    if (dq := run.checks.get("data-quality")) is not None:
        distances, threshold, _ = charts.feature_distances(
            dq.analysis, base["data-quality-statistics"], base["data-quality-constraints"])
        far = max(distances, key=distances.get)
        rows = dq.analysis.get("dataset", {}).get("item_count")
        facts.append(f"Rows: {rows:,}." if isinstance(rows, int) else "")
        facts.append(f"Largest distribution distance: `{far}` {distances[far]:.3f} (threshold "
                     f"{threshold}).")
    if (mq := run.checks.get("model-quality")) is not None:
        truth, predicted = charts.label_rates(mq.analysis)
        base_truth, base_predicted = charts.label_rates(base["model-quality-statistics"])
        facts.append(f"Good credits in the ground truth: {truth:.1%} (baseline "
                     f"{base_truth:.1%}); predicted good: {predicted:.1%} (baseline "
                     f"{base_predicted:.1%}).")
    if (bias := run.checks.get("model-bias")) is not None and _rates_known(bias.analysis, base):
        facet = charts.facet_text(bias.analysis)
        group, others = charts.acceptance_rates(bias.analysis)
        base_group, base_others = charts.acceptance_rates(base["model-bias-analysis"])
        facts.append(f"Accepted by the model: `{facet}` {group:.1%} (baseline {base_group:.1%}),"
                     f" all others {others:.1%} (baseline {base_others:.1%}).")
    if (shap := run.checks.get("model-explainability")) is not None:
        score = charts.attribution_ndcg(shap.analysis, base["model-explainability-analysis"])
        facts.append(f"nDCG of the feature attributions against the baseline: {score:.3f} "
                     f"(a violation below {charts.NDCG_THRESHOLD}).")
    return [fact for fact in facts if fact]


def _rates_known(analysis: dict[str, Any], baselines: Mapping[str, Any]) -> bool:
    """Whether both analyses carry what :func:`charts.acceptance_rates` needs."""
    try:
        charts.acceptance_rates(analysis)
        charts.acceptance_rates(baselines["model-bias-analysis"])
    except ValueError:
        return False
    return True


def _histogram_features(run: ScenarioRun, expected: Mapping[str, Any] | None) -> list[str]:
    result = run.checks.get("data-quality")
    if result is None:
        return []
    drifted = charts.violated_names(result.violations, "baseline_drift_check")
    wanted = [*(expected or {}).get("data-quality", ()), *sorted(drifted)]
    numeric = {f["name"] for f in result.analysis.get("features", [])
               if "numerical_statistics" in f}
    return [f for f in dict.fromkeys(wanted) if f in numeric][:MAX_HISTOGRAMS]


def _charts(run: ScenarioRun, results: Results, expected: Mapping[str, Any] | None
            ) -> list[tuple[str, Callable[[], Figure]]]:
    base, checks, title = results.baselines, run.checks, f"{run.scenario}: "
    drawn: list[tuple[str, Callable[[], Figure]]] = []
    if "data-quality" in checks:
        dq = checks["data-quality"]
        drawn.append(("feature-drift", lambda: charts.feature_drift(
            dq.analysis, base["data-quality-statistics"], base["data-quality-constraints"],
            dq.violations, title)))
        for feature in _histogram_features(run, expected):
            drawn.append((f"histogram-{feature}", lambda f=feature: charts.feature_histogram(
                dq.analysis, base["data-quality-statistics"], f, dq.violations, title)))
    if "model-quality" in checks:
        mq = checks["model-quality"]
        drawn.append(("model-metrics", lambda: charts.model_metrics(
            mq.analysis, base["model-quality-constraints"], mq.violations, title=title)))
        if _relevant("model-quality", run, expected):
            drawn.append(("label-rates", lambda: charts.label_drift(
                {run.scenario: mq.analysis}, base["model-quality-statistics"])))
    if _relevant("model-bias", run, expected):
        bias = checks["model-bias"]
        drawn.append(("bias-metrics", lambda: charts.bias_metrics(
            bias.analysis, base["model-bias-analysis"], bias.violations, title)))
        if _rates_known(bias.analysis, base):
            drawn.append(("acceptance", lambda: charts.acceptance(
                bias.analysis, base["model-bias-analysis"], bias.violations, title)))
    if _relevant("model-explainability", run, expected):
        shap = checks["model-explainability"]
        drawn.append(("shap-top5", lambda: charts.shap_values(
            shap.analysis, base["model-explainability-analysis"], shap.violations, 5, title)))
    return drawn


def scenario_section(run: ScenarioRun, results: Results, entry: Any) -> Section:
    """The section of one scenario run; ``entry`` is its registry entry (None if removed)."""
    expected = declared(entry)
    paragraphs = [description(entry) or "(not in generate_altered.SCENARIOS any more)"]
    noise = getattr(entry, "noise", None)
    if noise is not None:
        paragraphs.append(f"Predictions flipped at random after scoring: {noise:.0%} of rows.")
    paragraphs.append(" ".join(_facts(run, results)))
    return Section(run.scenario, paragraphs, expectation_table(run, entry),
                   _charts(run, results, expected))


def scenario_sections(results: Results, scenarios: Mapping[str, Any]) -> list[Section]:
    """One section per scenario of the last orchestration, in its order."""
    return [scenario_section(run, results, scenarios.get(run.scenario)) for run in results.runs]


def label_drift_overview(results: Results) -> Figure:
    """The original's label-drift chart, for every scenario of the last orchestration."""
    observed = {run.scenario: run.checks["model-quality"].analysis for run in results.runs
                if "model-quality" in run.checks}
    return charts.label_drift(observed, results.baselines["model-quality-statistics"])
