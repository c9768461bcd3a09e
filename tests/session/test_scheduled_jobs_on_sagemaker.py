"""The scheduler with ``backend = sagemaker`` (moto): each window's dataset is written to S3
first, then a Processing job with the region's managed image reads it. Model quality gets the
window's captured probabilities merged with their ground truth (the managed container ignores
any other way), every job has its time limit, and the metrics go to CloudWatch."""
import io
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from byom_monitor import baseline_data_quality, baseline_model_quality
from byom_monitor.io import storage
from byom_monitor.live.capture import DataCapture
from byom_monitor.live.replay import write_ground_truth
from byom_monitor.live.schedule import Schedule, Scheduler, ScheduleStore
from byom_monitor.session.sessions import session_from_config

START = datetime(2024, 1, 1, tzinfo=timezone.utc)
MONITOR_IMAGE = "468650794304.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-model-monitor-analyzer"


@pytest.fixture
def scheduled(sagemaker_config, tmp_path, monkeypatch):
    """Two hours of captured traffic with ground truth, baselines in S3, and an hourly
    data-quality and model-quality schedule."""
    import sagemaker.session

    monkeypatch.setattr(sagemaker.session.time, "sleep", lambda *_: None)  # moto is instant
    config = sagemaker_config
    rng = np.random.default_rng(0)
    rows = pd.DataFrame(rng.normal(size=(240, 3)), columns=["f0", "f1", "f2"])
    probabilities = rng.uniform(size=240)
    labels = (rng.uniform(size=240) < probabilities).astype(int)
    capture = DataCapture(str(tmp_path / "capture"), "credit-model", flush_seconds=3600)
    every = timedelta(seconds=30)
    for i, row in enumerate(rows.itertuples(index=False)):
        capture.record(",".join(map(str, row)).encode(), "text/csv",
                       f"{probabilities[i]}".encode(), "text/csv", inference_id=f"t-{i}",
                       when=START + i * every)
    capture.close()
    write_ground_truth(labels.tolist(), str(tmp_path / "truth"), start=START, interval=every,
                       prefix="t")
    session_from_config(config)  # points storage at moto's S3 (as the scheduler will)
    root = "s3://my-bucket/model-monitor-bring-your-own-model/baselines"
    local = baseline_data_quality(rows, str(tmp_path / "dq"))
    quality = baseline_model_quality(
        pd.DataFrame({"probability": probabilities, "groundTruth": labels}), str(tmp_path / "mq"),
        problem_type="BinaryClassification", ground_truth_attribute="groundTruth",
        probability_attribute="probability", probability_threshold_attribute=0.5)
    for key, source in (("data-quality-statistics", local.statistics.location),
                        ("data-quality-constraints", local.constraints.location),
                        ("model-quality-constraints", quality.constraints.location)):
        target = f"{root}/{key}.json"
        storage.copy(source, target)
        config.save_baseline(key, target)
    store = ScheduleStore(config.database)
    store.create(Schedule("dq", "data-quality", "cron(0 * ? * * *)", "credit-model",
                          str(tmp_path / "capture"), created=START.isoformat()))
    store.create(Schedule("mq", "model-quality", "cron(0 * ? * * *)", "credit-model",
                          str(tmp_path / "capture"), ground_truth=str(tmp_path / "truth"),
                          created=START.isoformat()))
    return config, store


def test_windows_run_as_managed_jobs_over_prepared_datasets(scheduled):
    config, store = scheduled
    scheduler = Scheduler(config, store)
    requests = []
    scheduler.session.sagemaker_client.meta.events.register(
        "provide-client-params.sagemaker.CreateProcessingJob",
        lambda params, **_: requests.append(params))
    records = scheduler.run_due(START + timedelta(hours=2))
    assert sorted((r.schedule, r.scheduled_time) for r in records) == [
        (name, (START + timedelta(hours=h)).isoformat()) for name in ("dq", "mq") for h in (1, 2)]
    assert all(r.status == "Completed" for r in records), [r.exit_message for r in records]
    assert len(requests) == 4
    for request in requests:
        assert request["AppSpecification"]["ImageUri"] == MONITOR_IMAGE
        assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 1800}
        assert request["RoleArn"] == "arn:aws:iam::123456789012:role/SageMakerRole"
    second_window = [r for r in requests if r["ProcessingOutputConfig"]["Outputs"][0][
        "S3Output"]["S3Uri"].endswith("/2024/01/01/02/output")]
    channels = {request["Environment"].get("analysis_type", "DATA_QUALITY"):
                {i["InputName"]: i["S3Input"] for i in request["ProcessingInputs"]}
                for request in second_window}
    model_quality = next(r["Environment"] for r in requests
                         if r["Environment"].get("analysis_type") == "MODEL_QUALITY")
    assert "ground_truth_source" not in model_quality
    assert (model_quality["probability_attribute"], model_quality["ground_truth_attribute"]) == (
        "probability", "groundTruth")
    window = "s3://my-bucket/model-monitor-bring-your-own-model/monitoring/{}/2024/01/01/02"
    merged = channels["MODEL_QUALITY"]["baseline_dataset_input"]
    assert merged["S3Uri"] == window.format("mq") + "/input/merged/merged.csv"
    frame = pd.read_csv(io.StringIO(storage.read_text(merged["S3Uri"])))
    assert list(frame.columns) == ["probability", "groundTruth"] and len(frame) == 120
    report = storage.read_text(window.format("mq") + "/input/merge/merge_report.json")
    assert '"matched": 120' in report
    captured = channels["DATA_QUALITY"]["baseline_dataset_input"]["S3Uri"]
    assert captured == window.format("dq") + "/input/captured.csv"
    assert list(pd.read_csv(io.StringIO(storage.read_text(captured))).columns) == [
        "f0", "f1", "f2"]
    outputs = {request["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
               for request in requests}
    assert window.format("mq") + "/output" in outputs

    listed = scheduler.session.boto_session.client("cloudwatch").list_metrics(
        Namespace="byom-monitor/model-quality")["Metrics"]
    assert {m["MetricName"] for m in listed} == {"violations"}  # moto's job wrote no files
