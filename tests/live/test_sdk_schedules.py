"""Monitoring schedules made with the SDK on the local session are run by the scheduler, and
the SDK reads their executions back."""
import io
import json
import logging
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from byom_monitor.io import storage
from byom_monitor.live.batch_transform_export import read_rows
from byom_monitor.live.schedule import Scheduler
from byom_monitor.session.sessions import session_from_config

START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _data_quality_monitor(config, name, **traffic):
    from sagemaker.model_monitor import CronExpressionGenerator, DefaultModelMonitor

    session, role, bucket = session_from_config(config)
    monitor = DefaultModelMonitor(role=role, sagemaker_session=session,
                                  max_runtime_in_seconds=600)
    monitor.create_monitoring_schedule(
        monitor_schedule_name=name, output_s3_uri=f"s3://{bucket}/sdk-monitoring",
        statistics=config.get_baseline("data-quality-statistics"),
        constraints=config.get_baseline("data-quality-constraints"),
        schedule_cron_expression=CronExpressionGenerator.hourly(), **traffic)
    # as if created when the replayed traffic began
    session.resources.update("MonitoringSchedule", name, {"CreationTime": START})
    return session, bucket, monitor


def _exported(folder, bucket):
    """The four hours of capture exported as a batch transform's (what SageMaker reads)."""
    from byom_monitor.live.batch_transform_export import export_range

    export = f"s3://{bucket}/transform-export"
    export_range(str(folder / "capture" / "credit-model" / "AllTraffic"), export, START,
                 START + timedelta(hours=4))
    return export


def _batch_input(export, **attributes):
    from sagemaker.model_monitor import BatchTransformInput
    from sagemaker.model_monitor.dataset_format import MonitoringDatasetFormat

    return BatchTransformInput(data_captured_destination_s3_uri=export,
                               destination="/opt/ml/processing/input",
                               dataset_format=MonitoringDatasetFormat.csv(header=False),
                               **attributes)


def test_a_batch_transform_input_schedule_runs_over_the_export(monitored):
    """The schedule SageMaker would run over the exported capture runs here the same way."""
    config, folder = monitored
    requests = []
    _, bucket = session_from_config(config)[::2]
    session, bucket, monitor = _data_quality_monitor(
        config, "sdk-dq", batch_transform_input=_batch_input(_exported(folder, bucket)))
    scheduler = Scheduler(config)
    scheduler.session.sagemaker_client.meta.events.register(
        "provide-client-params.sagemaker.CreateProcessingJob",
        lambda params, **_: requests.append(params))
    records = scheduler.run_due(START + timedelta(hours=4))
    assert [(r.schedule, r.status) for r in records] == (
        [("sdk-dq", "Completed")] * 2 + [("sdk-dq", "CompletedWithViolations")] * 2)
    assert records[-1].metrics["feature_baseline_drift_duration"] > 0.1
    assert {r["StoppingCondition"]["MaxRuntimeInSeconds"] for r in requests} == {600}
    executions = monitor.list_executions()
    assert len(executions) == 4
    assert executions[-1].output.destination == (
        f"s3://{bucket}/sdk-monitoring/sdk-dq/2024/01/01/04/output")
    violations = monitor.latest_monitoring_constraint_violations().body_dict["violations"]
    assert [v["feature_name"] for v in violations] == ["duration"]
    last = monitor.describe_schedule()["LastMonitoringExecutionSummary"]
    assert last["MonitoringExecutionStatus"] == "CompletedWithViolations"
    assert Scheduler(config).run_due(START + timedelta(hours=4)) == []  # nothing twice


def test_a_model_quality_schedule_merges_the_export_with_ground_truth(monitored):
    from sagemaker.model_monitor import CronExpressionGenerator, ModelQualityMonitor

    config, folder = monitored
    session, role, bucket = session_from_config(config)
    export = _exported(folder, bucket)
    ground_truth = f"s3://{bucket}/ground-truth"
    storage.copy_tree(str(folder / "truth"), ground_truth)
    monitor = ModelQualityMonitor(role=role, sagemaker_session=session,
                                  max_runtime_in_seconds=600)
    monitor.create_monitoring_schedule(
        monitor_schedule_name="sdk-mq", ground_truth_input=ground_truth,
        batch_transform_input=_batch_input(export, probability_attribute="20",
                                           probability_threshold_attribute=0.5),
        problem_type="BinaryClassification", output_s3_uri=f"s3://{bucket}/sdk-monitoring",
        constraints=config.get_baseline("model-quality-constraints"),
        schedule_cron_expression=CronExpressionGenerator.hourly())
    session.resources.update("MonitoringSchedule", "sdk-mq", {"CreationTime": START})
    records = Scheduler(config).run_due(START + timedelta(hours=2))
    assert [r.status for r in records] != [] and all(r.status != "Failed" for r in records), \
        [r.exit_message for r in records]
    assert all(0.5 < r.metrics["accuracy"] <= 1 for r in records)
    merged = records[-1].outputs["statistics.json"].replace("/output/statistics.json",
                                                            "/input/merged/merged.csv")
    assert storage.read_text(merged).splitlines()[0] == "probability,groundTruth"
    exported = read_rows(f"{export}/output/2024/01/01/01/manifest.json")
    frame = pd.read_csv(io.StringIO(storage.read_text(merged)))
    assert frame["probability"].tolist() == [float(row[20]) for row in exported]  # all labelled
    assert set(frame["groundTruth"]) == {0, 1}
    report = json.loads(storage.read_text(merged.replace("/merged/merged.csv",
                                                         "/merge/merge_report.json")))
    assert report["matched"] == report["captured"] == len(exported)


def test_an_endpoint_input_schedule_reads_the_capture_of_config_ini(monitored, caplog):
    config, folder = monitored
    _data_quality_monitor(config, "sdk-endpoint", endpoint_input="credit-model")
    with caplog.at_level(logging.WARNING, logger="byom_monitor.live.sdk_schedules"):
        assert Scheduler(config).run_due(START + timedelta(hours=1)) == []
    assert "[monitoring] capture is not set" in caplog.text
    config.set("monitoring", "capture", str(folder / "capture"))
    records = Scheduler(config).run_due(START + timedelta(hours=2))
    assert [(r.schedule, r.status) for r in records] == [("sdk-endpoint", "Completed")] * 2


@pytest.mark.parametrize("kind", ["store", "sdk"])
def test_a_window_without_traffic_fails_and_the_scheduler_goes_on(monitored, kind):
    from byom_monitor.live.schedule import Schedule, ScheduleStore

    config, folder = monitored
    capture = folder / "elsewhere"
    if kind == "store":
        ScheduleStore(config.database).create(Schedule(
            "empty", "data-quality", "cron(0 * ? * * *)", "credit-model", str(capture),
            created=START.isoformat()))
    else:
        _, bucket = session_from_config(config)[::2]
        _data_quality_monitor(config, "empty", batch_transform_input=_batch_input(
            f"s3://{bucket}/no-export"))
    (record,) = Scheduler(config).run_due(START + timedelta(hours=1))
    expected = "no captured records" if kind == "store" else "no exported rows"
    assert record.status == "Failed" and expected in record.failure_reason
