"""Schedule metrics in CloudWatch: our own namespace, finite values only, and a PutMetricData
error never stops the scheduler."""
import logging
import math
from datetime import datetime, timezone

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws

from byom_monitor.io.config import Config
from byom_monitor.live.schedule import Schedule, Scheduler, ScheduleStore
from byom_monitor.session.cloudwatch import metric_data, namespace, publish_safely, put_metrics

WHEN = datetime(2024, 1, 1, 3, tzinfo=timezone.utc)
DIMENSIONS = {"Endpoint": "credit-model", "MonitoringSchedule": "dq"}


def test_only_finite_numbers_are_sent():
    metrics = {"accuracy": 0.9, "violations": 2, "nan": math.nan, "inf": math.inf,
               "minus_inf": -math.inf, "none": None, "text": "x", "numpy": float("0.5")}
    data = metric_data(metrics, DIMENSIONS, WHEN)
    assert [d["MetricName"] for d in data] == ["accuracy", "violations", "numpy"]
    assert data[1]["Value"] == 2.0 and data[0]["Dimensions"] == [
        {"Name": "Endpoint", "Value": "credit-model"},
        {"Name": "MonitoringSchedule", "Value": "dq"}]


def test_our_namespace_not_the_services():
    for check in ("data-quality", "model-quality", "model-bias", "model-explainability"):
        assert namespace(check) == f"byom-monitor/{check}"
        assert not namespace(check).lower().startswith(("aws/", "/aws"))


def test_metrics_reach_cloudwatch_in_batches(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("cloudwatch", region_name="us-east-1")
        metrics = {f"feature_baseline_drift_f{i}": i / 100 for i in range(45)}
        metrics["broken"] = math.nan
        sent = []
        client.meta.events.register("provide-client-params.cloudwatch.PutMetricData",
                                    lambda params, **_: sent.append(len(params["MetricData"])))
        assert put_metrics(client, namespace("data-quality"), DIMENSIONS, metrics, WHEN) == 45
        assert sent == [20, 20, 5]
        listed = client.list_metrics(Namespace="byom-monitor/data-quality")["Metrics"]
        assert len(listed) == 45 and "broken" not in {m["MetricName"] for m in listed}


class _SessionWithoutCloudWatch:
    """A SageMaker session (not the local one) whose every PutMetricData is refused
    (throttled, no permission...)."""

    def __init__(self):
        self.published = 0
        self.boto_session = self

    def client(self, service):
        assert service == "cloudwatch"
        return self

    def put_metric_data(self, **_):
        self.published += 1
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no PutMetricData"}},
                          "PutMetricData")


def test_a_publishing_error_does_not_stop_the_other_schedules(tmp_path, caplog, monkeypatch):
    from byom_monitor.live import schedule as schedule_module
    from byom_monitor.live.window_jobs import WindowRun
    from byom_monitor.session.managed_jobs import ManagedJobRun
    from byom_monitor.session.processing_results import JobResult

    config = Config(tmp_path / "config.ini")
    config.save_baseline("data-quality-constraints", str(tmp_path / "constraints.json"))
    config.save_baseline("data-quality-statistics", str(tmp_path / "statistics.json"))
    store = ScheduleStore(config.database)
    for name in ("first", "second"):
        store.create(Schedule(name, "data-quality", "cron(0 * ? * * *)", "credit-model",
                              str(tmp_path / "capture"), created=WHEN.isoformat()))
    completed = WindowRun(ManagedJobRun(JobResult("job-1", "Completed", "Completed: ok")),
                          {"violations": 0.0})
    monkeypatch.setattr(schedule_module, "run_window", lambda *_: completed)
    scheduler = Scheduler(config, store)
    scheduler.session = session = _SessionWithoutCloudWatch()
    with caplog.at_level(logging.WARNING, logger="byom_monitor.session.cloudwatch"):
        records = scheduler.run_due(WHEN.replace(hour=5))
    assert sorted((r.schedule, r.status) for r in records) == [
        ("first", "Completed"), ("first", "Completed"),
        ("second", "Completed"), ("second", "Completed")]
    assert session.published == 4
    assert "metrics of schedule first at 2024-01-01T04:00:00+00:00 not published" in caplog.text


def test_publish_safely_reports_what_failed():
    def refuse(*_):
        raise RuntimeError("endpoint unreachable")

    assert publish_safely(lambda *_: None, "model-quality", "ep", "mq", {"f1": 1.0}, WHEN) is None
    assert "endpoint unreachable" in publish_safely(refuse, "model-quality", "ep", "mq", {}, WHEN)
