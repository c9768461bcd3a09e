import io

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


class Intercepted(Exception):
    """Raised by the CreateProcessingJob hook: the request is kept, the job never runs."""


@pytest.fixture
def requested_jobs(tmp_path, restore_storage):
    """The local session with datasets of 5,000 rows recorded for every check, and the
    CreateProcessingJob request each ``run_check(check)`` makes (intercepted before it runs)."""
    from byom_monitor.io import storage
    from byom_monitor.io.config import Config
    from byom_monitor.session.sessions import session_from_config

    config = Config(tmp_path / "config.ini")
    session, role, bucket = session_from_config(config)
    frame = pd.DataFrame({"amount": range(5000), "foreign_worker": [i % 2 for i in range(5000)],
                          "credit_risk": [i % 3 % 2 for i in range(5000)]})
    for check in checks.CHECKS:
        location = f"s3://{bucket}/{config.prefix}/{check}/input_data/bias_drift.csv"
        storage.write_text(location, frame.to_csv(index=False))
        config.save_dataset(f"{check}-modified-data", location)
        for kind in ("constraints", "statistics", "analysis", "analysis_config"):
            config.save_baseline(f"{check}-{kind}", f"s3://{bucket}/baselines/{check}/{kind}")
    requests = []

    def intercept(params, **_):
        requests.append(params)
        raise Intercepted

    session.sagemaker_client.meta.events.register(
        "provide-client-params.sagemaker.CreateProcessingJob", intercept)
    for check in checks.CHECKS:
        with pytest.raises(Intercepted):
            checks.run_check(config, session, role, bucket, check)
    return config, dict(zip(checks.CHECKS, requests))


def test_every_check_job_has_its_time_limit(requested_jobs):
    from byom_monitor.session.job_limits import max_runtime

    _, requests = requested_jobs
    assert {check: r["StoppingCondition"]["MaxRuntimeInSeconds"]
            for check, r in requests.items()} == {check: max_runtime(check)
                                                  for check in checks.CHECKS}
    assert requests["model-explainability"]["StoppingCondition"]["MaxRuntimeInSeconds"] == 3600


def test_the_explainability_job_reads_a_sample_and_bias_every_row(requested_jobs):
    from byom_monitor.io import storage
    from byom_monitor.session.job_limits import EXPLAINABILITY_ROWS

    config, requests = requested_jobs

    def dataset_uri(check):
        return next(i["S3Input"]["S3Uri"] for i in requests[check]["ProcessingInputs"]
                    if i["InputName"] == "dataset")

    full = config.get_dataset("model-explainability-modified-data")
    assert dataset_uri("model-explainability") == full.removesuffix(".csv") + "-sample.csv"
    assert dataset_uri("model-bias") == config.get_dataset("model-bias-modified-data")
    sample = pd.read_csv(io.BytesIO(storage.read_bytes(dataset_uri("model-explainability"))))
    assert len(sample) == EXPLAINABILITY_ROWS and sample["amount"].is_unique
    whole = pd.read_csv(io.BytesIO(storage.read_bytes(full))).set_index("amount")
    assert sample.set_index("amount").equals(whole.loc[sample["amount"]])  # rows of the dataset
