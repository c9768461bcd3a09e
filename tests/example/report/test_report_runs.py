import json
from types import SimpleNamespace

import pytest

from byom_monitor.example.report.runs import (
    BASELINE_KEYS,
    ResultError,
    Results,
    document_reader,
    last_orchestration,
    trial_component_parameters,
)
from byom_monitor.io.config import Config


def write(path, document) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
    return str(path)


@pytest.fixture
def folder(tmp_path):
    """config.ini naming two runs; the result files and a parameter table beside it."""
    config = Config(tmp_path / "config.ini")
    for key in BASELINE_KEYS:
        config.save_baseline(key, write(tmp_path / "baselines" / f"{key}.json", {"key": key}))
    parameters = {}
    for scenario in ("control", "label_drift", "stale"):
        found = write(tmp_path / scenario / "violations.json",
                      {"violations": [{"metric_name": "accuracy"}]})
        parameters[f"run-{scenario}"] = {
            "scenario": scenario,
            "model-quality-violations": found if scenario != "control" else "",
            "model-quality-analysis": write(tmp_path / scenario / "statistics.json",
                                            {"scenario": scenario}),
            "model-quality-violation-count": "0" if scenario == "control" else "1.0"}
    config.save_trial("control", "run-control")
    config.save_trial("label-drift", "run-label_drift")
    return SimpleNamespace(config=config, parameters=parameters, path=tmp_path)


def test_only_the_runs_config_ini_names_are_read(folder):
    runs = last_orchestration(folder.config, folder.parameters.__getitem__,
                              document_reader(folder.path))
    assert [r.scenario for r in runs] == ["control", "label_drift"]  # not "stale"
    control, label = runs
    assert control.checks["model-quality"].violations == []
    assert label.checks["model-quality"].names == ["accuracy"]
    assert label.checks["model-quality"].analysis == {"scenario": "label_drift"}
    assert set(label.checks) == {"model-quality"}  # checks not run are left out


def test_results_load_reads_the_baselines(folder):
    results = Results.read(folder.config, folder.parameters.__getitem__,
                           document_reader(folder.path))
    assert results.baselines["model-bias-analysis"] == {"key": "model-bias-analysis"}
    assert results.scenarios == ["control", "label_drift"]
    with pytest.raises(ResultError, match="'stale' is not in the last orchestration"):
        results.run("stale")


@pytest.mark.parametrize("run, key, value, message", [
    ("run-control", "model-quality-analysis", None,
     "run 'run-control' has no parameter 'model-quality-analysis'"),
    ("run-control", "model-quality-analysis", "",
     r"'model-quality-analysis' is empty \(did the model-quality check fail"),
    ("run-label_drift", "model-quality-violation-count", "3",
     "recorded 3 violations, but .* holds 1"),
])
def test_inconsistent_parameters_are_named(folder, run, key, value, message):
    if value is None:
        del folder.parameters[run][key]
    else:
        folder.parameters[run][key] = value
    with pytest.raises(ResultError, match=message):
        last_orchestration(folder.config, folder.parameters.__getitem__,
                           document_reader(folder.path))


def test_no_orchestration_says_to_run_notebook_05(tmp_path):
    config = Config(tmp_path / "config.ini")
    with pytest.raises(ResultError, match=r"\[EXPERIMENT_TRIALS\] is empty: run notebook 05"):
        last_orchestration(config, {}.__getitem__, document_reader(tmp_path))


def test_documents_relative_to_the_config_folder_and_a_clear_error(tmp_path):
    write(tmp_path / "results" / "a.json", {"a": 1})
    read = document_reader(tmp_path)
    assert read("results/a.json") == {"a": 1}
    with pytest.raises(ResultError, match="cannot read the result document results/b.json"):
        read("results/b.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ResultError, match="bad.json"):
        read("bad.json")


def test_s3_documents_go_through_the_sdks_s3_downloader(tmp_path):
    calls = []

    class Session:  # what S3Downloader.read_file calls on the session it is given
        def read_s3_file(self, bucket, key_prefix):
            calls.append((bucket, key_prefix))
            return '{"violations": []}'

    read = document_reader(tmp_path, Session())
    assert read("s3://bucket/checks/constraint_violations.json") == {"violations": []}
    assert calls == [("bucket", "checks/constraint_violations.json")]


def test_trial_component_parameters():
    class Client:
        def describe_trial_component(self, TrialComponentName):
            if TrialComponentName != "tc":
                raise RuntimeError("ResourceNotFound: no such trial component")
            return {"Parameters": {"scenario": {"StringValue": "control"},
                                   "model-quality-violation-count": {"NumberValue": 0.0}}}

    parameters = trial_component_parameters(Client())
    assert parameters("tc") == {"scenario": "control", "model-quality-violation-count": "0.0"}
    with pytest.raises(ResultError, match="trial component 'other': ResourceNotFound"):
        parameters("other")


def test_the_fixture_runs_are_read_through_the_local_sagemaker_session(orchestrated, results):
    from byom_monitor.session.sessions import session_from_config

    session, _, _ = session_from_config(orchestrated)
    component = orchestrated.get_trial("control")
    found = trial_component_parameters(session.sagemaker_client)(component)
    assert found["scenario"] == "control" and "model-bias-violation-count" in found
    assert results.run("control").run_name == component


def test_runs_read_back_through_the_sdk_and_s3_downloader(tmp_path, monkeypatch):
    """As 06 does on SageMaker: parameters of a ``sagemaker.experiments.Run`` (moto), the
    documents through ``S3Downloader``."""
    import boto3
    from moto import mock_aws

    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    with mock_aws():
        from sagemaker import Session
        from sagemaker.experiments.run import Run

        boto = boto3.Session(region_name="us-east-1")
        s3 = boto.client("s3")
        s3.create_bucket(Bucket="bkt")

        def upload(key, document) -> str:
            s3.put_object(Bucket="bkt", Key=key, Body=json.dumps(document).encode())
            return f"s3://bkt/{key}"

        session = Session(boto_session=boto, default_bucket="bkt")
        config = Config(tmp_path / "config.ini")
        for key in BASELINE_KEYS:
            config.save_baseline(key, upload(f"baselines/{key}.json", {"key": key}))
        parameters = {"scenario": "concept_drift",
                      "model-quality-violations": upload("checks/mq/constraint_violations.json",
                                                         {"violations": [{"metric_name": "auc"}]}),
                      "model-quality-analysis": upload("checks/mq/statistics.json", {"n": 1}),
                      "model-quality-violation-count": "1"}
        with Run(experiment_name="model-monitor-byom", run_name="concept-drift-1",
                 sagemaker_session=session) as run:
            run.log_parameters(parameters)
            component = run.experiment_config["RunName"]
        config.save_trial("concept-drift", component)
        results = Results.load(config, session)
    (found,) = results.runs
    assert (found.scenario, found.run_name) == ("concept_drift", component)
    assert found.checks["model-quality"].names == ["auc"]
    assert found.checks["model-quality"].analysis == {"n": 1}
    assert results.baselines["data-quality-statistics"] == {"key": "data-quality-statistics"}
