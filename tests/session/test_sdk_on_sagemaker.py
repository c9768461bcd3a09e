"""The original example's SDK calls on the session of ``backend = sagemaker`` (moto): the
requests go to the region's managed images, and every S3 key is under [aws-settings] prefix."""
import json

import pandas as pd
import pytest

from byom_monitor.session.aws_session import s3_root, sagemaker_session_from_config
from byom_monitor.session.processing_results import wait_for_job
from byom_monitor.session.sagemaker_model import ensure_model

REGION_IMAGES = {  # eu-west-1, from the SDK's image table
    "model-monitor": "468650794304.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-model-monitor-analyzer",
    "clarify": "131013547314.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-clarify-processing:1.0",
}


@pytest.fixture
def sagemaker(sagemaker_config, monkeypatch):
    import sagemaker.session

    monkeypatch.setattr(sagemaker.session.time, "sleep", lambda *_: None)  # moto is instant
    session, role, bucket = sagemaker_session_from_config(sagemaker_config)
    requests = {"CreateProcessingJob": [], "CreateModel": []}
    for operation, seen in requests.items():
        session.sagemaker_client.meta.events.register(
            f"provide-client-params.sagemaker.{operation}",
            lambda params, seen=seen, **_: seen.append(params))
    return session, role, s3_root(sagemaker_config, bucket), requests


def _s3_uris(value):
    if isinstance(value, dict):
        return [u for v in value.values() for u in _s3_uris(v)]
    if isinstance(value, list):
        return [u for v in value for u in _s3_uris(v)]
    return [value] if isinstance(value, str) and value.startswith("s3://") else []


def test_the_originals_sdk_calls_on_the_sagemaker_session(sagemaker, prepared):
    from sagemaker import clarify
    from sagemaker.model_monitor import DatasetFormat, DefaultModelMonitor, ModelBiasMonitor

    session, role, root, requests = sagemaker
    train = pd.read_csv(prepared["data"] / "train.csv")
    dataset = session.upload_string_as_file_body(
        train.to_csv(index=False), "my-bucket",
        root.removeprefix("s3://my-bucket/") + "/data/train.csv")
    assert dataset == f"{root}/data/train.csv"
    settings = {"role": role, "instance_count": 1, "instance_type": "ml.m5.xlarge",
                "max_runtime_in_seconds": 1800, "sagemaker_session": session}

    monitor = DefaultModelMonitor(volume_size_in_gb=30, **settings)
    monitor.suggest_baseline(baseline_dataset=dataset,
                             dataset_format=DatasetFormat.csv(header=True), wait=False,
                             logs=False)
    result = wait_for_job(session.sagemaker_client, monitor.latest_baselining_job_name,
                          sleep=lambda _: None)
    assert result.ok  # what moto answers

    model = ensure_model(session, role, prepared["models"], "e2e-model-bias", root)
    bias = ModelBiasMonitor(**settings)
    bias.suggest_baseline(
        data_config=clarify.DataConfig(s3_data_input_path=dataset,
                                       s3_output_path=f"{root}/baselines/model-bias",
                                       label="credit_risk", headers=list(train.columns),
                                       dataset_type="text/csv"),
        bias_config=clarify.BiasConfig(label_values_or_threshold=[1],
                                       facet_name="foreign_worker", facet_values_or_threshold=[1]),
        model_config=clarify.ModelConfig(model_name=model.name, instance_count=1,
                                         instance_type="ml.m5.large", content_type="text/csv",
                                         accept_type="text/csv"),
        model_predicted_label_config=clarify.ModelPredictedLabelConfig(probability_threshold=0.7),
        wait=False, logs=False)

    data_quality, model_bias = requests["CreateProcessingJob"]
    assert data_quality["AppSpecification"]["ImageUri"] == REGION_IMAGES["model-monitor"]
    assert data_quality["Environment"]["dataset_format"] == json.dumps(
        {"csv": {"header": True, "output_columns_position": "START"}})
    assert data_quality["ProcessingResources"]["ClusterConfig"]["VolumeSizeInGB"] == 30
    assert data_quality["StoppingCondition"] == {"MaxRuntimeInSeconds": 1800}
    assert model_bias["AppSpecification"]["ImageUri"] == REGION_IMAGES["clarify"]
    assert {i["InputName"] for i in model_bias["ProcessingInputs"]} == {"analysis_config",
                                                                       "dataset"}
    (created,) = requests["CreateModel"]
    assert created["PrimaryContainer"]["Image"].endswith("/sagemaker-xgboost:3.0-5")
    assert created["PrimaryContainer"]["Image"].split(".")[3] == "eu-west-1"
    uris = _s3_uris(requests)
    assert uris and all(u.startswith(root + "/") for u in uris), [
        u for u in uris if not u.startswith(root + "/")]
