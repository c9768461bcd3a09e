"""Monitoring schedules made with the SDK on the local session are run by the scheduler, and
the SDK reads their executions back."""
import logging
from datetime import datetime, timedelta, timezone

import pytest

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


def test_a_batch_transform_input_schedule_runs_over_the_capture(monitored):
    from sagemaker.model_monitor import BatchTransformInput
    from sagemaker.model_monitor.dataset_format import MonitoringDatasetFormat

    config, folder = monitored
    requests = []
    session, bucket, monitor = _data_quality_monitor(
        config, "sdk-dq", batch_transform_input=BatchTransformInput(
            data_captured_destination_s3_uri=str(folder / "capture" / "credit-model" /
                                                 "AllTraffic"),
            destination="/opt/ml/processing/input",
            dataset_format=MonitoringDatasetFormat.csv(header=False)))
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
        from sagemaker.model_monitor import BatchTransformInput
        from sagemaker.model_monitor.dataset_format import MonitoringDatasetFormat

        _data_quality_monitor(config, "empty", batch_transform_input=BatchTransformInput(
            data_captured_destination_s3_uri=str(capture), destination="/opt/ml/processing/in",
            dataset_format=MonitoringDatasetFormat.csv(header=False)))
    (record,) = Scheduler(config).run_due(START + timedelta(hours=1))
    assert record.status == "Failed" and "no captured records" in record.failure_reason
