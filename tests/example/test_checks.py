import pandas as pd
import pytest

from byom_monitor.example import checks


def test_a_check_before_notebook_01_or_generate_altered_says_what_to_run(tmp_path):
    from byom_monitor.io.config import Config

    config = Config(tmp_path / "config.ini")
    with pytest.raises(checks.NotReady, match="no baseline 'data-quality-constraints' yet: run "
                                              "notebook 01_create_baselines.ipynb first"):
        checks.baseline(config, "data-quality-constraints")
    with pytest.raises(checks.NotReady, match="run generate_altered.main"):
        checks.dataset(config, "model-bias")
    config.save_baseline("model-bias-analysis", "s3://bucket/analysis.json")
    assert checks.baseline(config, "model-bias-analysis") == "s3://bucket/analysis.json"


def test_a_check_run_names_what_its_violations_name():
    run = checks.CheckRun("data-quality", "job", "CompletedWithViolations: 2 violations",
                          "s3://b/results", "s3://b/results/constraint_violations.json",
                          [{"feature_name": "duration"}, {"feature_name": "amount"},
                           {"feature_name": "duration"}])
    assert (run.status, run.names) == ("CompletedWithViolations", ["amount", "duration"])
    assert run.analysis_uri == "s3://b/results/statistics.json"
    bias = checks.CheckRun("model-bias", "job", "Completed: none", "s3://b/r", "", [])
    assert (bias.names, bias.analysis_uri) == ([], "s3://b/r/analysis.json")


def test_the_original_environment_of_the_model_monitor_container():
    environment = checks.monitor_environment("model-quality")
    assert environment["dataset_source"] == "/opt/ml/processing/input/baseline_dataset_input"
    assert environment["publish_cloudwatch_metrics"] == "Disabled"
    assert environment["analysis_type"] == "MODEL_QUALITY"
    assert "analysis_type" not in checks.monitor_environment("data-quality")


def test_expected_against_observed():
    runs = pd.DataFrame([
        {"scenario": "control", "check": "data-quality", "names": []},
        {"scenario": "control", "check": "model-quality", "names": ["auc"]},
        {"scenario": "drift", "check": "data-quality", "names": ["age", "duration"]},
        {"scenario": "drift", "check": "model-quality", "names": ["auc"]},
    ])
    table = checks.expected_vs_observed(runs, {"control": {},
                                               "drift": {"data-quality": ("duration",)}})
    assert table["as expected"].tolist() == [True, False, True, False]
    assert table.loc[2, "observed"] == "age, duration" and table.loc[2, "expected"] == "duration"
