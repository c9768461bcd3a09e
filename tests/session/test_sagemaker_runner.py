"""The SageMaker runner under moto: the exact requests it sends (moto does not run them)."""
import json

import boto3
import pytest
from moto import mock_aws

from byom_monitor.io import storage
from byom_monitor.io.config import Config, ConfigError
from byom_monitor.session import jobs
from byom_monitor.session.backends import runner_for

ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
REGION = "us-east-1"
MONITOR_IMAGE = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        session.client("s3").create_bucket(Bucket="bkt")
        storage.set_s3_client(session.client("s3"))
        requests = []
        session.events.register("provide-client-params.sagemaker.CreateProcessingJob",
                                lambda params, **_: requests.append(params))
        yield session, requests
        storage.set_s3_client(None)


@pytest.fixture
def runner(aws, monkeypatch):
    import sagemaker.session
    from sagemaker import Session

    # moto finishes jobs at once; skip the SDK's 5-second polling pause
    monkeypatch.setattr(sagemaker.session.time, "sleep", lambda *_: None)

    from byom_monitor.session.sagemaker_runner import SageMakerRunner

    return SageMakerRunner(Session(boto_session=aws[0], default_bucket="bkt"), ROLE,
                           staging="s3://bkt/staging")


def _channels(request):
    return {i["InputName"]: (i["S3Input"]["S3Uri"], i["S3Input"]["LocalPath"])
            for i in request["ProcessingInputs"]}


def test_check_job_is_sent_as_described(aws, runner, tmp_path):
    (tmp_path / "current.csv").write_text("a\n1\n")
    job = jobs.data_quality_job(str(tmp_path / "current.csv"), "s3://bkt/results/check",
                                constraints="s3://bkt/base/constraints.json",
                                statistics="s3://bkt/base/statistics.json")
    execution = runner.run(job)
    (request,) = aws[1]
    assert request["AppSpecification"]["ImageUri"] == MONITOR_IMAGE
    assert request["Environment"] == job.environment
    assert request["RoleArn"] == ROLE
    assert request["ProcessingResources"]["ClusterConfig"]["InstanceType"] == "ml.m5.xlarge"
    assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 1800}
    assert request["ProcessingResources"]["ClusterConfig"]["VolumeSizeInGB"] == 30  # SDK default
    staged = f"s3://bkt/staging/{execution.job_name}/baseline_dataset_input/current.csv"
    assert _channels(request) == {
        "baseline_dataset_input": (staged, "/opt/ml/processing/input/baseline_dataset_input"),
        "constraints": ("s3://bkt/base/constraints.json", "/opt/ml/processing/baseline/constraints"),
        "baseline": ("s3://bkt/base/statistics.json", "/opt/ml/processing/baseline/stats")}
    assert storage.read_text(staged) == "a\n1\n"  # the local input was uploaded first
    (output,) = request["ProcessingOutputConfig"]["Outputs"]
    assert output["OutputName"] == "monitoring_output"
    assert output["S3Output"] == {"S3Uri": "s3://bkt/results/check",
                                  "LocalPath": "/opt/ml/processing/output",
                                  "S3UploadMode": "EndOfJob"}
    assert request["ProcessingJobName"] == execution.job_name
    assert execution.status == "Completed"  # what moto reports


def test_baselines_use_the_sdk_monitors(aws, runner):
    runner.run(jobs.data_quality_job("s3://bkt/data/train.csv", "s3://bkt/base/dq"))
    attributes = {"problem_type": "BinaryClassification", "inference_attribute": "prediction",
                  "probability_attribute": "prediction_probability",
                  "ground_truth_attribute": "credit_risk"}
    runner.run(jobs.model_quality_job("s3://bkt/data/train_pred.csv", "s3://bkt/base/mq",
                                      attributes))
    dq, mq = aws[1]
    assert dq["AppSpecification"]["ImageUri"] == mq["AppSpecification"]["ImageUri"] == MONITOR_IMAGE
    assert dq["Environment"]["dataset_format"] == json.dumps(
        {"csv": {"header": True, "output_columns_position": "START"}})
    assert dq["Environment"]["publish_cloudwatch_metrics"] == "Disabled"
    assert "baseline_constraints" not in dq["Environment"]
    assert {k: mq["Environment"][k] for k in attributes} == attributes
    assert mq["Environment"]["analysis_type"] == "MODEL_QUALITY"
    assert mq["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == "s3://bkt/base/mq"


def _analysis_config(check):
    headers = ["status", "foreign_worker", "credit_risk"]
    document = {"dataset_type": "text/csv", "headers": headers, "label": "credit_risk",
                "probability_threshold": 0.735,
                "predictor": {"model_name": "e2e-model-bias", "instance_type": "ml.m5.large",
                              "initial_instance_count": 1, "content_type": "text/csv",
                              "accept_type": "text/csv"}}
    if check == "model-bias":
        document.update(label_values_or_threshold=[1],
                        facet=[{"name_or_index": "foreign_worker", "value_or_threshold": [1]}],
                        methods={"pre_training_bias": {"methods": "all"},
                                 "post_training_bias": {"methods": "all"}})
    else:
        document["methods"] = {"shap": {"baseline": [[4, 2]], "num_samples": 100,
                                        "agg_method": "mean_abs", "save_local_shap_values": True}}
    return document


@pytest.mark.parametrize("check", ["model-bias", "model-explainability"])
def test_clarify_baselines_send_the_analysis_config(aws, runner, check):
    storage.write_text("s3://bkt/cfg/analysis_config.json", json.dumps(_analysis_config(check)))
    runner.run(jobs.clarify_job(check, "s3://bkt/cfg/analysis_config.json",
                                "s3://bkt/data/train.csv", f"s3://bkt/base/{check}"))
    (request,) = aws[1]
    assert "sagemaker-clarify-processing" in request["AppSpecification"]["ImageUri"]
    channels = _channels(request)
    assert channels["dataset"][1] == "/opt/ml/processing/input/data"
    sent = json.loads(storage.read_text(channels["analysis_config"][0] + "/analysis_config.json")
                      if not channels["analysis_config"][0].endswith(".json")
                      else storage.read_text(channels["analysis_config"][0]))
    assert sent["label"] == "credit_risk" and sent["predictor"]["model_name"] == "e2e-model-bias"
    if check == "model-bias":
        assert sent["facet"] == [{"name_or_index": "foreign_worker", "value_or_threshold": [1]}]
        assert sent["probability_threshold"] == 0.735  # the model's own threshold
    else:
        assert sent["methods"]["shap"]["baseline"] == [[4, 2]]
        assert sent["methods"]["shap"]["num_samples"] == 100


def test_clarify_check_uses_the_baseline_analysis(aws, runner):
    runner.run(jobs.clarify_job("model-bias", "s3://bkt/cfg/analysis_config.json",
                                "s3://bkt/data/bias.csv", "s3://bkt/checks/bias",
                                baseline_analysis="s3://bkt/base/model-bias/analysis.json"))
    (request,) = aws[1]
    assert request["Environment"] == {
        "baseline_constraints": "/opt/ml/processing/baseline/constraints/analysis.json"}
    assert _channels(request)["analysis_file"] == (
        "s3://bkt/base/model-bias/analysis.json", "/opt/ml/processing/baseline/constraints")


def test_local_destinations_are_refused(runner, tmp_path):
    execution = runner.run(jobs.data_quality_job("s3://bkt/d.csv", str(tmp_path / "out")))
    assert execution.status == "Failed" and "write to S3" in execution.failure_reason


def test_runner_for_a_sagemaker_config(aws, tmp_path):
    aws[0].client("iam").create_role(RoleName="SageMakerRole", AssumeRolePolicyDocument="{}")
    config = Config(tmp_path / "config.ini")
    config.set("monitoring", "backend", "sagemaker")
    with pytest.raises(ConfigError, match="store = s3://"):
        runner_for(config)
    config.set("monitoring", "store", "s3://bkt/monitoring")
    with pytest.raises(ConfigError, match="executionrole is not set"):
        runner_for(config)
    config.set("aws-settings", "executionrole", "SageMakerRole")
    config.set("aws-settings", "region", REGION)
    config.set("aws-settings", "bucket", "bkt")
    runner = runner_for(config)
    assert runner.role == "arn:aws:iam::123456789012:role/SageMakerRole"
    assert runner.staging == "s3://bkt/model-monitor-bring-your-own-model/inputs"  # prefix


def test_runs_are_recorded_as_sagemaker_experiments(aws, runner):
    parameters = {"data-quality-violations": "s3://bkt/checks/dq/constraint_violations.json",
                  "data-quality-violation-count": "1"}
    name = runner.record_run("model-monitor-byom", "model-monitor-byom-concept_drift-2024", parameters)
    component = runner.session.sagemaker_client.describe_trial_component(TrialComponentName=name)
    assert {k: v["StringValue"] for k, v in component["Parameters"].items()} == parameters
    assert name == "model-monitor-byom-concept-drift-2024"  # the experiment named once


def test_execution_metrics_are_published_to_cloudwatch(aws, runner):
    from datetime import datetime, timezone

    when = datetime(2024, 1, 1, 3, tzinfo=timezone.utc)
    metrics = {f"feature_baseline_drift_f{i}": i / 100 for i in range(25)}
    metrics.update(broken=float("inf"), missing=float("nan"))
    runner.publish_metrics("byom-monitor/data-quality",
                           {"Endpoint": "credit-model", "MonitoringSchedule": "dq"}, metrics, when)
    listed = aws[0].client("cloudwatch").list_metrics(
        Namespace="byom-monitor/data-quality")["Metrics"]
    assert len(listed) == 25  # in two calls of at most 20; non-finite values are left out
    assert listed[0]["Dimensions"] == [{"Name": "Endpoint", "Value": "credit-model"},
                                       {"Name": "MonitoringSchedule", "Value": "dq"}]


def test_clarify_models_are_created_once(aws, runner, prepared):
    created = []  # the SDK's client exists already: hook its own event system
    runner.session.sagemaker_client.meta.events.register(
        "provide-client-params.sagemaker.CreateModel", lambda params, **_: created.append(params))
    runner.prepare_predictors(str(prepared["models"]), ["e2e-model", "e2e-model-bias"])
    runner.prepare_predictors(str(prepared["models"]), ["e2e-model"])  # exists: nothing sent
    assert [c["ModelName"] for c in created] == ["e2e-model", "e2e-model-bias"]
    container = created[0]["PrimaryContainer"]
    assert "sagemaker-xgboost:3.0-5" in container["Image"]
    assert container["Environment"]["SAGEMAKER_PROGRAM"] == "inference.py"
    assert container["ModelDataUrl"].startswith("s3://bkt/staging/models/")
    assert created[0]["ExecutionRoleArn"] == ROLE


def test_window_inputs_become_a_manifest_of_the_hours(aws, runner):
    for hour in ("09", "10", "11"):
        storage.write_text(f"s3://bkt/capture/ep/AllTraffic/2024/01/01/{hour}/a.jsonl", "{}\n")
    job = jobs.data_quality_job("s3://bkt/capture/ep/AllTraffic", "s3://bkt/monitoring/dq",
                                constraints="s3://bkt/c.json", statistics="s3://bkt/s.json")
    channel = job.inputs[0]
    from dataclasses import replace

    job = replace(job, inputs=(replace(channel, include=("2024/01/01/10", "2024/01/01/11")),)
                  + job.inputs[1:])
    runner.run(job)
    (request,) = aws[1]
    source = request["ProcessingInputs"][0]["S3Input"]
    assert source["S3DataType"] == "ManifestFile"
    manifest = json.loads(storage.read_text(source["S3Uri"]))
    assert manifest == [{"prefix": "s3://bkt/capture/ep/AllTraffic/"},
                        "2024/01/01/10/a.jsonl", "2024/01/01/11/a.jsonl"]


@pytest.mark.parametrize("status, reason", [("Failed", "AlgorithmError: no such column"),
                                            ("Stopped", "MaxRuntimeInSeconds 1800 exceeded")])
def test_failed_and_stopped_jobs_come_back_with_the_reason(aws, runner, monkeypatch, status,
                                                           reason):
    client = runner.session.sagemaker_client
    real = client.describe_processing_job

    def ended(**arguments):  # what the service answers for such a job (moto always completes)
        return {**real(**arguments), "ProcessingJobStatus": status, "FailureReason": reason}

    monkeypatch.setattr(client, "describe_processing_job", ended)
    storage.write_text("s3://bkt/results/check/statistics.json", "{}")  # a stale file
    execution = runner.run(jobs.data_quality_job("s3://bkt/d.csv", "s3://bkt/results/check",
                                                 constraints="s3://bkt/c.json"))
    assert (execution.status, execution.failure_reason) == (status, reason)
    assert not execution.ok and execution.outputs == {}


def test_every_clarify_job_first_makes_its_model_current(aws, runner, prepared):
    """A check on a baseline made elsewhere finds its model (issue 12 item 4)."""
    calls = []
    for operation in ("CreateModel", "CreateProcessingJob"):
        runner.session.sagemaker_client.meta.events.register(
            f"provide-client-params.sagemaker.{operation}",
                               lambda params, operation=operation, **_: calls.append(operation))
    runner.model_dir = str(prepared["models"])
    storage.write_text("s3://bkt/cfg/analysis_config.json",
                       json.dumps(_analysis_config("model-bias")))
    for _ in range(2):
        runner.run(jobs.clarify_job("model-bias", "s3://bkt/cfg/analysis_config.json",
                                    "s3://bkt/data/bias.csv", "s3://bkt/checks/bias",
                                    baseline_analysis="s3://bkt/base/model-bias/analysis.json"))
    assert calls == ["CreateModel", "CreateProcessingJob", "CreateProcessingJob"]
    described = runner.session.sagemaker_client.describe_model(ModelName="e2e-model-bias")
    assert described["PrimaryContainer"]["ModelDataUrl"].startswith("s3://bkt/staging/models/")
