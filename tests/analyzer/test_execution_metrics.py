"""Metrics computed from a finished job's files equal those the container writes for the
service's own schedules."""
import json

import numpy as np
import pandas as pd
import pytest

from byom_monitor.analyzer.contract import run_job
from byom_monitor.analyzer.execution_metrics import (
    data_quality_metrics,
    model_quality_metrics,
    violation_count,
)

CSV = json.dumps({"csv": {"header": True, "output_columns_position": "START"}})


def _run(data, source, output, metrics_dir=None, **extra):
    env = {"dataset_source": str(data / source), "output_path": str(data / output),
           "dataset_format": CSV, **extra}
    if metrics_dir:
        env["publish_cloudwatch_metrics"] = "Enabled"
    run_job(env, message_file=None, metrics_dir=str(metrics_dir or data / "unused"))
    return json.loads((data / output / "statistics.json").read_text())


def _document(path):
    return json.loads(path.read_text())


@pytest.mark.parametrize("categorical_method", ["LInfinity", "ChiSquared"])
def test_data_quality_metrics_equal_the_containers(tmp_path, categorical_method):
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"x": rng.normal(size=2000), "n": rng.integers(0, 40, 2000),
                          "c": rng.choice(["a", "b", "c"], 2000, p=[0.5, 0.3, 0.2])})
    train.to_csv(tmp_path / "train.csv", index=False)
    current = train.assign(x=train["x"] + 0.3, c=rng.choice(["a", "b", "c"], 2000))
    current.loc[::10, "n"] = None
    current.to_csv(tmp_path / "current.csv", index=False)
    _run(tmp_path, "train.csv", "base")
    constraints = _document(tmp_path / "base" / "constraints.json")
    constraints["monitoring_config"]["distribution_constraints"]["categorical_drift_method"] = \
        categorical_method
    (tmp_path / "base" / "constraints.json").write_text(json.dumps(constraints))
    statistics = _run(tmp_path, "current.csv", "check", tmp_path / "metrics",
                      baseline_statistics=str(tmp_path / "base" / "statistics.json"),
                      baseline_constraints=str(tmp_path / "base" / "constraints.json"))
    lines = (tmp_path / "metrics" / "data-quality-metrics.jsonl").read_text().splitlines()
    written = {row["MetricName"]: row["Value"] for row in map(json.loads, lines)
               if "Value" in row}
    computed = data_quality_metrics(statistics, _document(tmp_path / "base" / "statistics.json"),
                                    constraints, "constraints.json")
    assert set(computed) == set(written)
    assert {"feature_baseline_drift_x", "feature_baseline_drift_c",
            "feature_non_null_n"} <= set(computed)
    for name, value in written.items():
        assert computed[name] == pytest.approx(value, abs=1e-12), name
    assert computed["feature_non_null_n"] == pytest.approx(0.9)


def test_features_without_metrics_are_left_out(tmp_path):
    pd.DataFrame({"x": range(100)}).to_csv(tmp_path / "train.csv", index=False)
    statistics = _run(tmp_path, "train.csv", "base")
    constraints = _document(tmp_path / "base" / "constraints.json")
    constraints["monitoring_config"]["emit_metrics"] = "Disabled"
    assert data_quality_metrics(statistics, statistics, constraints, "c.json") == {}


def test_model_quality_metrics_and_violations():
    statistics = {"version": 0.0, "binary_classification_metrics": {
        "accuracy": {"value": 0.75, "standard_deviation": 0.01},
        "f1": {"value": float("nan")},
        "confusion_matrix": {"0": {"0": 1, "1": 2}}}}
    assert model_quality_metrics(statistics) == {"accuracy": 0.75}
    assert violation_count({"violations": [{}, {}]}) == {"violations": 2.0}
    assert violation_count(None) == {"violations": 0.0}
