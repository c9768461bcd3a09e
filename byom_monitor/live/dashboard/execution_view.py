"""Page 3: one execution: its violations in plain words, then what each check found against its
baseline (distributions of drifted features, the confusion matrix and metrics, bias metrics,
attributions), and links to the raw result files. Each part reads only this execution's files;
a missing or corrupt file is a message on its part."""
from __future__ import annotations

import math
from collections.abc import Callable

from byom_monitor.clarify.checks import NDCG_THRESHOLD
from byom_monitor.live.dashboard import documents as docs
from byom_monitor.live.dashboard.context import Context
from byom_monitor.live.dashboard.layout import (
    Page,
    badge,
    esc,
    href,
    link,
    notice,
    number,
    table,
)
from byom_monitor.live.dashboard.store import ExecutionRow
from byom_monitor.live.dashboard.svg import BASELINE, OBSERVED, bar_chart, distributions

PLAIN = {
    "data_type_check": "values no longer have the baseline's data type",
    "completeness_check": "more values are missing than the baseline allows",
    "baseline_drift_check": "its distribution moved away from the baseline's",
    "missing_column_check": "a column of the baseline is missing",
    "extra_column_check": "a column the baseline does not know appeared",
    "categorical_values_check": "values outside the baseline's categories appeared",
    "bias_drift_check": "is farther from no bias than at the baseline",
    "feature_attribution_drift_check": "the features' order of importance changed "
                                       f"(nDCG below {NDCG_THRESHOLD})",
    "LessThanThreshold": "fell below its baseline threshold",
    "LessThanOrEqualToThreshold": "fell to or below its baseline threshold",
    "GreaterThanThreshold": "rose above its baseline threshold",
    "GreaterThanOrEqualToThreshold": "rose to or above its baseline threshold",
}
MAX_DISTRIBUTIONS = 12


def plain_words(violation: dict) -> str:
    """One sentence for a violation of any check, from its structured fields."""
    kind = violation.get("constraint_check_type", "")
    what = PLAIN.get(kind, kind.replace("_", " "))
    if violation.get("feature_name"):
        subject = f"Feature {violation['feature_name']}:"
    elif violation.get("facet"):
        subject = (f"Bias metric {violation.get('metric_name')} for {violation['facet']} = "
                   f"{violation.get('facet_value')}")
    elif violation.get("label") and kind == "feature_attribution_drift_check":
        subject = f"Attributions of {violation['label']}:"
    else:
        subject = f"Metric {violation.get('metric_name', '?')}"
    return f"{subject} {what}."


def execution_page(context: Context, name: str, scheduled_time: str) -> Page | None:
    schedule = context.reader.schedule(name)
    execution = context.reader.execution(name, scheduled_time)
    if schedule is None or execution is None:
        return None
    check = schedule.get("check")
    parts = [table(["schedule", "check", "status", "violations", "exit message"], [[
        link(name, href("schedules", name)), esc(check), badge(execution.status),
        esc(execution.violations if execution.violations is not None else "-"),
        esc(execution.exit_message)]])]
    if execution.status == "Failed":
        parts.append(notice(f"The execution failed: {execution.failure_reason or execution.exit_message}"))
    parts.append(_violations(context, execution))
    if check == "model-quality":
        parts.append(_model_quality(context, execution))
    elif check in SECTIONS:
        parts.append(_against_baseline(context, execution, *SECTIONS[check]))
    parts.append(_files(name, execution))
    return Page(f"Execution {name} {scheduled_time}", "".join(parts))


def _violations(context: Context, execution: ExecutionRow) -> str:
    if "constraint_violations.json" not in execution.outputs:
        found = "No violations file" + (": no violations were found."
                                        if execution.status == "Completed" else ".")
        return f"<h2>Violations</h2><p>{esc(found)}</p>"
    loaded = context.cache.load(execution.outputs["constraint_violations.json"],
                                "constraint_violations.json")
    if loaded.document is None:
        return "<h2>Violations</h2>" + notice(loaded.problem)
    violations = loaded.document.get("violations") or []
    if not violations:
        return "<h2>Violations</h2><p>None.</p>"
    rows = [[esc(plain_words(v)), esc(v.get("description", ""))] for v in violations]
    return "<h2>Violations</h2>" + table(["in plain words", "the check's description"], rows)


def _violation_list(context: Context, execution: ExecutionRow) -> list[dict]:
    location = execution.outputs.get("constraint_violations.json")
    loaded = context.cache.load(location) if location else None
    if loaded is None or loaded.document is None:
        return []
    return [v for v in loaded.document.get("violations") or [] if isinstance(v, dict)]


def _violated(context: Context, execution: ExecutionRow, key: str) -> set[str]:
    """Names (features, metrics) that the execution's violations name under ``key``."""
    return {str(v[key]) for v in _violation_list(context, execution) if v.get(key)}


def _against_baseline(context: Context, execution: ExecutionRow, title: str, file: str,
                      baseline_key: str, draw: Callable[..., str]) -> str:
    """A section comparing the execution's result document with its baseline, or saying why
    one of them is unavailable."""
    current = context.cache.load(execution.outputs.get(file), file)
    baseline = context.baseline(baseline_key)
    problem = next((d.problem for d in (current, baseline) if d.document is None), None)
    body = notice(problem) if problem else draw(context, execution, current.document,
                                                baseline.document)
    return f"<h2>{esc(title)}</h2>{body}"


def _data_quality(context: Context, execution: ExecutionRow, current: dict, baseline: dict
                  ) -> str:
    html = []
    drifted = sorted(_drift_features(context, execution))
    if not drifted:
        return "<p>No feature drifted from the baseline.</p>"
    for feature in drifted[:MAX_DISTRIBUTIONS]:
        if docs.is_numeric(baseline, feature):
            html.append(distributions(f"{feature}: share of rows (KLL buckets)",
                                      docs.feature_buckets(baseline, feature),
                                      docs.feature_buckets(current, feature)))
        else:
            before = docs.category_counts(baseline, feature)
            now = docs.category_counts(current, feature)
            categories = sorted(set(before) | set(now))
            html.append(bar_chart(f"{feature}: share of rows per category", categories, {
                "baseline": _shares(before, categories), "current": _shares(now, categories)},
                {"baseline": BASELINE, "current": OBSERVED}))
    if len(drifted) > MAX_DISTRIBUTIONS:
        html.append(f"<p>and {len(drifted) - MAX_DISTRIBUTIONS} more drifted features.</p>")
    return "".join(html)


def _drift_features(context: Context, execution: ExecutionRow) -> set[str]:
    return {str(v["feature_name"]) for v in _violation_list(context, execution)
            if v.get("constraint_check_type") == "baseline_drift_check" and v.get("feature_name")}


def _shares(counts: dict[str, float], categories: list[str]) -> list[float | None]:
    total = sum(counts.values()) or 1.0
    return [counts.get(c, 0.0) / total for c in categories]


def _model_quality(context: Context, execution: ExecutionRow) -> str:
    current = context.cache.load(execution.outputs.get("statistics.json"), "statistics.json")
    html = ["<h2>Model quality against the baseline</h2>"]
    if current.document is None:
        return "".join(html) + notice(current.problem)
    baseline = context.baseline("model-quality-statistics")
    constraints = context.baseline("model-quality-constraints")
    for loaded in (baseline, constraints):
        if loaded.problem:
            html.append(notice(loaded.problem))
    observed = docs.scalar_metrics(current.document)
    before = docs.scalar_metrics(baseline.document) if baseline.document else {}
    rules = docs.metric_rules(constraints.document) if constraints.document else {}
    violated = _violated(context, execution, "metric_name")
    rows = []
    for metric, value in observed.items():
        rule = rules.get(metric, {})
        state = "violated" if metric in violated else ("ok" if rule else "")
        rows.append([esc(metric), number(value), number(before.get(metric)),
                     esc(f"{rule.get('comparison_operator', '')} {rule['threshold']:.4g}"
                         if rule else ""), esc(state)])
    html.append(table(["metric", "current", "baseline", "violation when", "state"], rows,
                      numeric={1, 2}))
    matrix = docs.confusion_matrix(current.document)
    if matrix:
        classes, counts = matrix
        html.append("<h3>Confusion matrix (rows: actual, columns: predicted)</h3>" + table(
            ["actual \\ predicted", *classes],
            [[esc(c), *(number(v, 6) for v in row)] for c, row in zip(classes, counts)],
            numeric=set(range(1, len(classes) + 1))))
    return "".join(html)


def _bias(context: Context, execution: ExecutionRow, current: dict, baseline: dict) -> str:
    html = []
    now, before = docs.bias_values(current), docs.bias_values(baseline)
    violated = _violated(context, execution, "metric_name")
    rows, labels, values, references = [], [], [], []
    for key in sorted(now):
        stage, facet, value, metric = key
        rows.append([esc(stage.split("_bias")[0].replace("_", "-")), esc(f"{facet} = {value}"),
                     esc(metric), number(now[key]), number(before.get(key)),
                     esc("violated" if metric in violated else "")])
        if math.isfinite(now[key]):
            labels.append(f"{metric} ({value})")
            values.append(now[key])
            references.append(before.get(key))
    html.append(bar_chart("bias metrics: current and baseline", labels,
                          {"current": values, "baseline": references},
                          {"current": OBSERVED, "baseline": BASELINE},
                          marked={lbl for lbl in labels if lbl.split(" (")[0] in violated}))
    html.append(table(["stage", "facet", "metric", "current", "baseline", "state"], rows,
                      numeric={3, 4}))
    return "".join(html)


def _explainability(context: Context, execution: ExecutionRow, current: dict, baseline: dict
                    ) -> str:
    html = []
    now, before = docs.attributions(current), docs.attributions(baseline)
    scores = docs.ndcg_scores(current, baseline)
    for label, values in now.items():
        reference = before.get(label, {})
        names = sorted(reference or values, key=lambda f: -reference.get(f, values.get(f, 0.0)))
        score = scores.get(label)
        verdict = ("" if score is None else
                   f"nDCG {score:.4f} ({'below' if score < NDCG_THRESHOLD else 'at or above'} "
                   f"the threshold {NDCG_THRESHOLD})")
        html.append(f"<p>{esc(label)}: {esc(verdict)}</p>")
        html.append(bar_chart(f"{label}: global SHAP values (baseline order)", names, {
            "current": [values.get(f) for f in names], "baseline": [reference.get(f) for f in names]},
            {"current": OBSERVED, "baseline": BASELINE}))
    return "".join(html)


SECTIONS = {
    "data-quality": ("Distributions of the drifted features", "statistics.json",
                     "data-quality-statistics", _data_quality),
    "model-bias": ("Bias metrics against the baseline", "analysis.json", "model-bias-analysis",
                   _bias),
    "model-explainability": ("Feature attributions against the baseline", "analysis.json",
                             "model-explainability-analysis", _explainability)}


def _files(name: str, execution: ExecutionRow) -> str:
    if not execution.outputs:
        return "<h2>Result files</h2><p>The execution recorded no result files.</p>"
    rows = [[link(file, href("schedules", name, "executions", execution.scheduled_time, "files",
                             file)), esc(location)]
            for file, location in sorted(execution.outputs.items())]
    return "<h2>Result files</h2>" + table(["file", "location"], rows)
