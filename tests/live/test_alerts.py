import json

import boto3
import pytest
from moto import mock_aws

from byom_monitor.live.alerts import AlertError, AlertRule, Alerter
from byom_monitor.live.schedule import ExecutionRecord, Schedule

SCHEDULE = Schedule("dq", "data-quality", "cron(0 * ? * * *)", "ep", "capture")


def record(status="CompletedWithViolations", **metrics):
    return ExecutionRecord("dq", "2024-01-01T01:00:00+00:00", status, "msg",
                           metrics={"violations": 2.0, **metrics})


def test_rules_fire_on_metrics_and_violations():
    drift = AlertRule("d", "command", "cat", metric="feature_baseline_drift_age", threshold=0.1)
    assert drift.reason(SCHEDULE, record(feature_baseline_drift_age=0.3)).startswith(
        "feature_baseline_drift_age = 0.3 is GreaterThanThreshold 0.1")
    assert drift.reason(SCHEDULE, record(feature_baseline_drift_age=0.05)) is None
    errors = AlertRule("e", "command", "cat", metric="errors_5xx", threshold=0)
    assert errors.reason(SCHEDULE, record(errors_5xx=3)) is not None
    violations = AlertRule("v", "command", "cat", on_violations=True, check="model-quality")
    assert violations.reason(SCHEDULE, record()) is None  # another check type
    assert AlertRule("v", "command", "cat", on_violations=True).reason(SCHEDULE, record())
    with pytest.raises(AlertError, match="metric and a threshold"):
        AlertRule("x", "webhook", "http://x")
    with pytest.raises(AlertError, match="action"):
        AlertRule("x", "email", "me", on_violations=True)


def test_command_delivery_gets_the_document(tmp_path):
    alerter = Alerter(tmp_path / "db.sqlite")
    alerter.add(AlertRule("v", "command", f"cat > {tmp_path / 'alert.json'}", on_violations=True))
    alerter.handle(SCHEDULE, record())
    document = json.loads((tmp_path / "alert.json").read_text())
    assert document["alert"] == "v" and document["schedule"] == "dq"
    assert [d["ok"] for d in alerter.deliveries()] == [1]


def test_failed_deliveries_are_retried_and_recorded(tmp_path):
    alerter = Alerter(tmp_path / "db.sqlite", backoff_seconds=0.01)
    alerter.add(AlertRule("hook", "webhook", "http://127.0.0.1:9/nowhere", on_violations=True,
                          retries=3))
    alerter.handle(SCHEDULE, record())
    attempts = alerter.deliveries()
    assert [d["attempt"] for d in attempts] == [1, 2, 3] and not any(d["ok"] for d in attempts)
    assert "URLError" in attempts[0]["detail"]


def test_sns_delivery(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        sns = boto3.client("sns", region_name="us-east-1")
        topic = sns.create_topic(Name="monitoring")["TopicArn"]
        alerter = Alerter(tmp_path / "db.sqlite", sns_client=sns)
        alerter.add(AlertRule("sns", "sns", topic, on_violations=True))
        alerter.handle(SCHEDULE, record())
        (delivery,) = alerter.deliveries()
        assert delivery["ok"] and delivery["detail"].startswith("SNS message ")
