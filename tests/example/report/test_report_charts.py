import io
import math

import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from byom_monitor.clarify.checks import ndcg
from byom_monitor.example.report import charts
from byom_monitor.example.report.charts import BASELINE, OBSERVED, VIOLATED

METRICS = ("precision", "recall", "accuracy", "auc", "f1")


def colours(container) -> list[str]:
    return [to_hex(bar.get_facecolor()) for bar in container]


def legend_colours(figure: Figure) -> dict[str, str]:
    legend = figure.axes[0].get_legend()
    return {text.get_text(): to_hex(handle.get_facecolor() if hasattr(handle, "get_facecolor")
                                    else handle.get_color())
            for text, handle in zip(legend.get_texts(), legend.legend_handles)}


def model_statistics(values: dict[str, float], matrix=((30, 10), (20, 40))) -> dict:
    block = {name: {"value": value, "standard_deviation": 0.01} for name, value in values.items()}
    block["confusion_matrix"] = {str(a): {str(p): float(matrix[a][p]) for p in (0, 1)}
                                 for a in (0, 1)}
    return {"version": 0.0, "binary_classification_metrics": block}


def model_constraints(threshold: float = 0.7) -> dict:
    return {"version": 0.0, "binary_classification_constraints": {
        name: {"threshold": threshold, "comparison_operator": "LessThanThreshold"}
        for name in (*METRICS, "au_prc")}}


def test_model_metrics_marks_the_violated_metrics_red_and_shows_every_violated_one():
    statistics = model_statistics({**dict.fromkeys(METRICS, 0.8), "precision": 0.5,
                                   "au_prc": 0.4})
    violations = [{"metric_name": "precision", "constraint_check_type": "LessThanThreshold"},
                  {"metric_name": "au_prc", "constraint_check_type": "LessThanThreshold"}]
    figure = charts.model_metrics(statistics, model_constraints(), violations)
    axes = figure.axes[0]
    shown = [label.get_text() for label in axes.get_xticklabels()]
    assert shown == [*METRICS, "au_prc"]  # au_prc: not a default metric, but violated
    thresholds, observed = axes.containers
    assert colours(thresholds) == [to_hex(BASELINE)] * 6
    assert colours(observed) == [VIOLATED, OBSERVED, OBSERVED, OBSERVED, OBSERVED, VIOLATED]
    assert [bar.get_height() for bar in observed] == [0.5, 0.8, 0.8, 0.8, 0.8, 0.4]


def test_every_chart_has_the_same_legend_colours(results):
    run = results.run("explainability_drift")
    base = results.baselines
    figures = [
        charts.model_metrics(model_statistics(dict.fromkeys(METRICS, 0.8)), model_constraints(),
                             []),
        charts.bias_metrics(run.checks["model-bias"].analysis, base["model-bias-analysis"], []),
        charts.acceptance(run.checks["model-bias"].analysis, base["model-bias-analysis"], []),
        charts.shap_values(run.checks["model-explainability"].analysis,
                           base["model-explainability-analysis"], []),
        charts.feature_histogram(run.checks["data-quality"].analysis,
                                 base["data-quality-statistics"], "duration", []),
    ]
    expected = {"baseline": to_hex(BASELINE), "observed": OBSERVED,
                "observed, violated": VIOLATED}
    for figure in figures:
        assert legend_colours(figure) == expected
    drift = charts.feature_drift(run.checks["data-quality"].analysis,
                                 base["data-quality-statistics"],
                                 base["data-quality-constraints"], [])
    assert {k: v for k, v in legend_colours(drift).items() if k != "threshold"} == {
        "observed": OBSERVED, "observed, violated": VIOLATED}


def constant_and_spread() -> tuple[dict, dict]:
    def statistics(buckets):
        return {"features": [{"name": "duration", "numerical_statistics": {
            "distribution": {"kll": {"buckets": [
                {"lower_bound": low, "upper_bound": high, "count": count}
                for low, high, count in buckets]}}}}]}
    spread = statistics([(4 + 6.8 * i, 4 + 6.8 * (i + 1), 70) for i in range(10)])
    constant = statistics([(1.0, 1.0, 0)] * 9 + [(1.0, 1.0, 700)])
    return constant, spread


def test_a_constant_feature_has_a_visible_bar():
    constant, spread = constant_and_spread()
    violations = [{"feature_name": "duration", "constraint_check_type": "baseline_drift_check"}]
    figure = charts.feature_histogram(constant, spread, "duration", violations)
    baseline, observed = figure.axes[0].containers
    assert len(observed) == 1  # the ten zero-width buckets merged into one bar
    (bar,) = observed
    assert bar.get_height() == 1.0 and bar.get_width() > 0
    assert bar.get_x() < 1.0 < bar.get_x() + bar.get_width()
    assert to_hex(bar.get_facecolor()) == VIOLATED
    assert all(b.get_width() == pytest.approx(6.8) for b in baseline)
    assert sum(b.get_height() for b in baseline) == pytest.approx(1.0)


def test_a_histogram_of_a_feature_not_in_the_statistics_names_it():
    constant, spread = constant_and_spread()
    with pytest.raises(KeyError, match="'age'"):
        charts.feature_histogram(constant, spread, "age", [])


def test_feature_drift_colours_come_from_the_violations_file(results):
    run = results.run("feature_drift_systematic")
    dq, base = run.checks["data-quality"], results.baselines
    figure = charts.feature_drift(dq.analysis, base["data-quality-statistics"],
                                  base["data-quality-constraints"], dq.violations)
    axes = figure.axes[0]
    names = [label.get_text() for label in axes.get_xticklabels()]
    by_name = dict(zip(names, colours(axes.containers[0])))
    assert by_name["duration"] == VIOLATED
    assert {c for n, c in by_name.items() if n != "duration"} == {OBSERVED}
    # a violations list naming another feature moves the red bar: colour is not the distance
    moved = charts.feature_drift(dq.analysis, base["data-quality-statistics"],
                                 base["data-quality-constraints"],
                                 [{"feature_name": "age",
                                   "constraint_check_type": "baseline_drift_check"}])
    moved_colours = dict(zip(names, colours(moved.axes[0].containers[0])))
    assert moved_colours["age"] == VIOLATED and moved_colours["duration"] == OBSERVED


def test_bias_metrics_marks_every_violated_metric(results):
    run = results.run("default")
    bias, base = run.checks["model-bias"], results.baselines["model-bias-analysis"]
    violated = {"DPPL", "CI"}
    violations = [{"facet": "foreign_worker", "metric_name": name,
                   "constraint_check_type": "bias_drift_check"} for name in violated]
    axes = charts.bias_metrics(bias.analysis, base, violations).axes[0]
    names = [label.get_text() for label in axes.get_xticklabels()]
    assert violated <= set(names) and len(names) > 10
    observed = dict(zip(names, colours(axes.containers[1])))
    assert {n for n, c in observed.items() if c == VIOLATED} == violated
    assert set(colours(axes.containers[0])) == {to_hex(BASELINE)}


def test_acceptance_rates_are_the_models_on_the_monitored_rows(results, orchestrated):
    """The rates DPPL and DI are computed from: the model's predictions of the monitored rows
    (the default scenario's label column holds noisy predictions, so it differs)."""
    import pandas as pd

    import prep

    run = results.run("default")
    frame = pd.read_csv(io.StringIO(read_text(orchestrated,
                                              run_dataset(orchestrated, "default", "model-bias"))))
    predicted = prep.predict(frame, model_dir=orchestrated.model_dir)["prediction"]
    foreign = frame["foreign_worker"] == 1
    expected = (predicted[foreign].mean(), predicted[~foreign].mean())
    assert charts.acceptance_rates(run.checks["model-bias"].analysis) == pytest.approx(expected)
    figure = charts.acceptance(run.checks["model-bias"].analysis,
                               results.baselines["model-bias-analysis"],
                               [{"metric_name": "DPPL",
                                 "constraint_check_type": "bias_drift_check"}])
    baseline, observed = figure.axes[0].containers
    assert [b.get_height() for b in observed] == pytest.approx([100 * r for r in expected])
    assert set(colours(observed)) == {VIOLATED} and set(colours(baseline)) == {to_hex(BASELINE)}
    assert figure.axes[0].get_xticklabels()[0].get_text() == "foreign_worker = 1"


def read_text(config, location: str) -> str:
    """A local file, or an s3:// object of the in-process session's S3."""
    from pathlib import Path

    if not location.startswith("s3://"):
        return Path(location).read_text()
    from sagemaker.s3 import S3Downloader

    from byom_monitor.session.sessions import session_from_config

    return S3Downloader.read_file(location, sagemaker_session=session_from_config(config)[0])


def run_dataset(config, scenario: str, check: str) -> str:
    """The dataset generate_altered.main wrote for the check of the scenario."""
    from byom_monitor.session.sessions import session_from_config

    _, _, bucket = session_from_config(config)
    return f"s3://{bucket}/{config.prefix}/{check}/input_data/{scenario}.csv"


def test_acceptance_rates_need_dppl_and_di():
    analysis = {"post_training_bias_metrics": {"facets": {"f": [{"value_or_threshold": "1",
                "metrics": [{"name": "DPPL", "value": 0.0}, {"name": "DI", "value": 1.0}]}]}}}
    with pytest.raises(ValueError, match="DPPL and DI"):
        charts.acceptance_rates(analysis)


def shap_document(values: dict[str, float]) -> dict:
    return {"explanations": {"kernel_shap": {"label0": {"global_shap_values": values}}}}


def test_shap_top_five_by_baseline_magnitude_sorted_with_ndcg():
    baseline = {f"f{i}": float(i) for i in range(8)}
    current = {f"f{i}": float(8 - i) for i in range(8)}
    violations = [{"metric_name": "shap",
                   "constraint_check_type": "feature_attribution_drift_check"}]
    figure = charts.shap_values(shap_document(current), shap_document(baseline), violations)
    axes = figure.axes[0]
    assert [t.get_text() for t in axes.get_yticklabels()] == ["f3", "f4", "f5", "f6", "f7"]
    baseline_bars, observed_bars = axes.containers
    assert [b.get_width() for b in baseline_bars] == [3, 4, 5, 6, 7]
    assert [b.get_width() for b in observed_bars] == [5, 4, 3, 2, 1]
    assert set(colours(observed_bars)) == {VIOLATED}
    assert f"nDCG {ndcg(baseline, current):.3f}" in axes.get_title(loc="left")
    unviolated = charts.shap_values(shap_document(current), shap_document(baseline), [], top=None)
    assert len(unviolated.axes[0].get_yticklabels()) == 8
    assert set(colours(unviolated.axes[0].containers[1])) == {OBSERVED}


def test_label_drift_rates():
    baseline = model_statistics({}, matrix=((30, 10), (20, 40)))   # 60% good, 50% predicted
    drifted = model_statistics({}, matrix=((5, 5), (10, 80)))      # 90% good, 85% predicted
    assert charts.label_rates(baseline) == (0.6, 0.5)
    figure = charts.label_drift({"drifted": drifted, "same": baseline}, baseline)
    truth, predicted = figure.axes[0].containers
    assert [b.get_height() for b in truth] == pytest.approx([60, 90, 60])
    assert [b.get_height() for b in predicted] == pytest.approx([50, 85, 50])
    assert colours(truth) == [to_hex(BASELINE), OBSERVED, OBSERVED]
    assert legend_colours(figure) == {"baseline": to_hex(BASELINE), "observed": OBSERVED}


def test_charts_are_plain_figures_not_registered_with_pyplot(results):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    figure = charts.model_metrics(model_statistics(dict.fromkeys(METRICS, 0.8)),
                                  model_constraints(), [])
    assert isinstance(figure, Figure) and plt.get_fignums() == before
    assert not math.isnan(np.sum([b.get_height() for b in figure.axes[0].containers[1]]))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg")  # as a web page would embed it
    assert buffer.getvalue().lstrip().startswith(b"<?xml") and b"<svg" in buffer.getvalue()
