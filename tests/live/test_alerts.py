import json
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import boto3
import pytest
from moto import mock_aws

from byom_monitor.live.alerts import Alerter, AlertError, AlertRule
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


class _Unavailable(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        self.send_response(503)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_failed_deliveries_are_retried_and_recorded(tmp_path):
    receiver = HTTPServer(("127.0.0.1", 0), _Unavailable)  # a free port, answering 503
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        alerter = Alerter(tmp_path / "db.sqlite", backoff_seconds=0.01)
        alerter.add(AlertRule("hook", "webhook", f"http://127.0.0.1:{receiver.server_port}/x",
                              on_violations=True, retries=3))
        alerter.handle(SCHEDULE, record())
    finally:
        receiver.shutdown()
        receiver.server_close()
    attempts = alerter.deliveries()
    assert [d["attempt"] for d in attempts] == [1, 2, 3] and not any(d["ok"] for d in attempts)
    assert "HTTP Error 503" in attempts[0]["detail"]
    assert [e["state"] for e in alerter.outbox()] == ["failed"]


def test_an_execution_alerts_once_per_rule(tmp_path):
    alerter = Alerter(tmp_path / "db.sqlite")
    alerter.add(AlertRule("v", "command", f"cat >> {tmp_path / 'alerts'}", on_violations=True))
    alerter.handle(SCHEDULE, record())
    alerter.handle(SCHEDULE, record())  # the same window again (a re-run after a crash)
    assert len(alerter.deliveries()) == 1 and alerter.deliver_pending() == 0


KILLED_WHILE_DELIVERING = """
import sys
from byom_monitor.live.alerts import AlertRule, Alerter
from byom_monitor.live.schedule import ExecutionRecord, Schedule
alerter = Alerter(sys.argv[1])
alerter.add(AlertRule("v", "command", sys.argv[2], on_violations=True))
alerter.handle(Schedule("dq", "data-quality", "cron(0 * ? * * *)", "ep", "capture"),
               ExecutionRecord("dq", "2024-01-01T01:00:00+00:00", "CompletedWithViolations"))
"""


def test_alert_of_a_process_killed_during_delivery_is_delivered_on_restart(tmp_path):
    """The command kills its caller (SIGKILL) the first time: the outbox row written before
    delivery makes the restarted alerter deliver it and record the interruption."""
    marker, out = tmp_path / "killed-once", tmp_path / "alert.json"
    command = (f"if [ ! -e {marker} ]; then touch {marker}; kill -9 $PPID; exit 1; fi; "
               f"cat > {out}")
    killed = subprocess.run([sys.executable, "-c", KILLED_WHILE_DELIVERING,
                             str(tmp_path / "db.sqlite"), command], timeout=120)
    assert killed.returncode == -signal.SIGKILL and not out.exists()
    alerter = Alerter(tmp_path / "db.sqlite")
    assert [e["state"] for e in alerter.outbox()] == ["delivering"]
    assert alerter.deliver_pending() == 1
    assert json.loads(out.read_text())["schedule"] == "dq"
    assert [(d["ok"], d["detail"].split(":")[0]) for d in alerter.deliveries()] == [
        (0, "interrupted"), (1, "exit 0")]
    assert [e["state"] for e in alerter.outbox()] == ["delivered"]


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
