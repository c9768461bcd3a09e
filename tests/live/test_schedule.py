"""Schedules: cron, windows, store, the scheduler's restart rules, and the integration test of
issue 7 (server, replay, schedules over several windows, stored metrics, a webhook alert)."""
import io
import json
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer

import pandas as pd
import pytest

from byom_monitor.io import storage
from byom_monitor.live.alerts import Alerter, AlertRule
from byom_monitor.live.schedule import Cron, Schedule, ScheduleError, Scheduler, ScheduleStore

START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def test_cron_from_the_sdk_generator():
    from sagemaker.model_monitor import CronExpressionGenerator as Cron_

    hourly = Cron.parse(Cron_.hourly())
    assert hourly.between(START, START + timedelta(hours=3)) == [
        START + timedelta(hours=h) for h in (1, 2, 3)]
    daily = Cron.parse(Cron_.daily(5))
    assert daily.between(START, START + timedelta(days=2)) == [
        START.replace(hour=5), START.replace(day=2, hour=5)]
    every_six = Cron.parse(Cron_.daily_every_x_hours(6, 2))
    assert [t.hour for t in every_six.between(START, START + timedelta(days=1))] == [2, 8, 14, 20]
    weekdays = Cron.parse("cron(30 9 ? * MON-FRI *)")
    assert len(weekdays.between(START, START + timedelta(days=7))) == 5  # 2024-01-01 is a Monday
    for bad in ("0 * * * *", "cron(0 25 ? * * *)", "cron(x * ? * * *)"):
        with pytest.raises(ScheduleError):
            Cron.parse(bad)


def utc(*parts):
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.mark.parametrize("cron, scheduled, previous", [
    ("cron(0 0 1 * ? *)", utc(2024, 8, 1), utc(2024, 7, 1)),          # after a 31-day month
    ("cron(0 0 1 * ? *)", utc(2024, 3, 1), utc(2024, 2, 1)),          # leap February
    ("cron(0 0 1 * ? *)", utc(2023, 3, 1), utc(2023, 2, 1)),
    ("cron(0 0 1 * ? *)", utc(2025, 1, 1), utc(2024, 12, 1)),         # across a year end
    ("cron(0 5 * * ? *)", utc(2024, 3, 1, 5), utc(2024, 2, 29, 5)),   # daily over 29 February
    ("cron(0 5 * * ? *)", utc(2023, 3, 1, 5), utc(2023, 2, 28, 5)),
    ("cron(30 9 ? * MON *)", utc(2024, 3, 4, 9, 30), utc(2024, 2, 26, 9, 30)),  # weekly
    ("cron(0 0 29 2 ? *)", utc(2028, 2, 29), utc(2024, 2, 29)),       # every leap year
    ("cron(0 0/6 ? * * *)", utc(2024, 1, 1, 0), utc(2023, 12, 31, 18)),
])
def test_window_covers_the_whole_period_since_the_previous_firing(cron, scheduled, previous,
                                                                  example_config):
    schedule = Schedule("s", "data-quality", cron, "ep", "capture",
                        created=utc(2020, 1, 1).isoformat())
    assert Cron.parse(cron).matches(scheduled)
    assert Cron.parse(cron).previous(scheduled) == previous
    assert Scheduler(example_config)._window(schedule, scheduled) == (previous, scheduled)


def test_monthly_firings_over_a_leap_year():
    monthly = Cron.parse("cron(0 0 1 * ? *)")
    firings = monthly.between(utc(2023, 12, 31), utc(2024, 12, 31))
    assert firings == [utc(2024, month, 1) for month in range(1, 13)]
    assert Cron.parse("cron(0 12 31 * ? *)").between(
        utc(2024, 1, 1), utc(2024, 12, 31, 23)) == [
        utc(2024, m, 31, 12) for m in (1, 3, 5, 7, 8, 10, 12)]


def test_cron_is_evaluated_in_utc():
    created = datetime(2024, 1, 1, 2, 30, tzinfo=timezone(timedelta(hours=2)))  # 00:30 UTC
    assert Cron.parse("cron(0 1 * * ? *)").between(created, utc(2024, 1, 2, 0)) == [
        utc(2024, 1, 1, 1)]


def test_first_window_starts_at_the_previous_firing_even_before_creation(example_config):
    schedule = Schedule("s", "data-quality", "cron(0 * ? * * *)", "ep", "capture",
                        created=utc(2024, 1, 1, 0, 30).isoformat())
    assert Scheduler(example_config)._window(schedule, utc(2024, 1, 1, 1)) == (
        utc(2024, 1, 1, 0), utc(2024, 1, 1, 1))


def test_schedule_store_round_trip(tmp_path):
    store = ScheduleStore(tmp_path / "s.sqlite")
    store.create(Schedule("dq", "data-quality", "cron(0 * ? * * *)", "ep", "capture"))
    with pytest.raises(ScheduleError, match="exists"):
        store.create(Schedule("dq", "data-quality", "cron(0 * ? * * *)", "ep", "capture"))
    with pytest.raises(ScheduleError, match="ground-truth"):
        Schedule("mq", "model-quality", "cron(0 * ? * * *)", "ep", "capture")
    store.set_status("dq", "Stopped")
    assert store.get("dq").status == "Stopped" and [s.name for s in store.list()] == ["dq"]
    store.delete("dq")
    with pytest.raises(ScheduleError, match="no schedule named 'dq'"):
        store.get("dq")


class _Receiver(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802
        self.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_scheduled_windows_metrics_and_alerts(monitored):
    config, folder = monitored
    store = ScheduleStore(config.database)
    for schedule in (
            Schedule("dq-hourly", "data-quality", "cron(0 * ? * * *)", "credit-model",
                     str(folder / "capture"), created=START.isoformat()),
            Schedule("mq-hourly", "model-quality", "cron(0 * ? * * *)", "credit-model",
                     str(folder / "capture"), ground_truth=str(folder / "truth"),
                     created=START.isoformat())):
        store.create(schedule)
    receiver = HTTPServer(("127.0.0.1", 0), type("R", (_Receiver,), {"received": []}))
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    alerter = Alerter(config.database, backoff_seconds=0.01)
    alerter.add(AlertRule("duration-drift", "webhook",
                          f"http://127.0.0.1:{receiver.server_port}/alerts",
                          metric="feature_baseline_drift_duration", threshold=0.1))
    scheduler = Scheduler(config, store, on_execution=alerter.handle)
    try:
        first = scheduler.run_due(START + timedelta(hours=2, minutes=30))  # windows 1-2
        later = scheduler.run_due(START + timedelta(hours=4))              # windows 3-4
    finally:
        receiver.shutdown()
    dq = [e for e in store.list_executions("dq-hourly")]
    assert [e.status for e in dq] == ["Completed", "Completed", "CompletedWithViolations",
                                      "CompletedWithViolations"]
    assert len(first) == 4 and len(later) == 4  # nothing repeated, nothing skipped
    assert all(e.seconds is not None and e.seconds > 0 for e in dq)  # the dashboard shows them
    assert all(e.metrics["feature_baseline_drift_duration"] > 0.1 for e in dq[2:])
    assert all(e.metrics["feature_baseline_drift_duration"] <= 0.1 for e in dq[:2])
    assert sum(e.metrics["invocations"] for e in dq) == 1400  # the server's own counts
    assert all(e.metrics["errors_5xx"] == 0 for e in dq)
    mq = store.list_executions("mq-hourly")
    assert all(e.status != "Failed" and 0 < e.metrics["accuracy"] <= 1 for e in mq)
    assert [v["feature_name"] for v in store.latest_violations("dq-hourly")] == ["duration"]
    assert store.latest_statistics("mq-hourly")["binary_classification_metrics"]["accuracy"]
    alerts = receiver.RequestHandlerClass.received
    assert sorted(a["scheduled_time"] for a in alerts) == [
        (START + timedelta(hours=h)).isoformat() for h in (3, 4)]
    assert alerts[0]["reason"].startswith("feature_baseline_drift_duration = ")
    assert all(d["ok"] for d in alerter.deliveries())


def test_killed_scheduler_finishes_every_window_exactly_once(monitored, tmp_path):
    config, folder = monitored
    store = ScheduleStore(config.database)
    store.create(Schedule("dq-15min", "data-quality", "cron(0/15 * ? * * *)", "credit-model",
                          str(folder / "capture"), created=START.isoformat()))
    now = START + timedelta(hours=4)
    command = [sys.executable, "-m", "byom_monitor", "--config", str(config.path),
               "schedule", "run", "--now", now.isoformat()]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None:
        if sum(e.status == "CompletedWithViolations" or e.status == "Completed"
               for e in store.list_executions("dq-15min")) >= 3:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished_before = {e.scheduled_time for e in store.list_executions("dq-15min")
                       if e.status != "InProgress"}
    assert 3 <= len(finished_before) < 16  # killed mid-run
    rerun = Scheduler(config, store).run_due(now)
    windows = {(START + timedelta(minutes=15 * i)).isoformat() for i in range(1, 17)}
    assert {r.scheduled_time for r in rerun} == windows - finished_before  # no repeats
    executions = store.list_executions("dq-15min")
    assert {e.scheduled_time for e in executions} == windows and len(executions) == 16
    assert all(e.status in ("Completed", "CompletedWithViolations") for e in executions)


def test_bias_schedule_analyses_the_captured_window(monitored, add_baselines):
    config, folder = monitored
    add_baselines(config, "model-bias")
    scheduler = Scheduler(config)
    # the SageMaker Model that Clarify calls is made again from the model folder when missing
    scheduler.session.sagemaker_client.delete_model(ModelName="e2e-model-bias")
    store = ScheduleStore(config.database)
    store.create(Schedule("bias-2h", "model-bias", "cron(0 0/2 ? * * *)", "credit-model",
                          str(folder / "capture"), created=START.isoformat()))
    records = scheduler.run_due(START + timedelta(hours=4))
    assert [r.status for r in records] != [] and all(r.status != "Failed" for r in records)
    window = records[-1].outputs["analysis.json"].rsplit("/output/", 1)[0]
    assert window.endswith("/monitoring/bias-2h/2024/01/01/04")
    captured = pd.read_csv(io.StringIO(storage.read_text(f"{window}/input/captured.csv")))
    assert len(captured) == 700 and list(captured.columns)[-1] == "credit_risk"
    analysis = json.loads(storage.read_text(records[-1].outputs["analysis.json"]))
    assert "post_training_bias_metrics" in analysis


def test_two_schedulers_at_once_run_every_window_once(monitored):
    """Two `schedule run` processes on one store: each window is run by one of them, and its
    alert is delivered once."""
    config, folder = monitored
    store = ScheduleStore(config.database)
    store.create(Schedule("dq-30min", "data-quality", "cron(0/30 * ? * * *)", "credit-model",
                          str(folder / "capture"), created=START.isoformat()))
    alerts = folder / "alerts"
    alerts.mkdir()
    Alerter(config.database).add(AlertRule("any", "command", f"cat > {alerts}/$$.json",
                                           metric="violations", threshold=-1))
    now = START + timedelta(hours=4)
    command = [sys.executable, "-m", "byom_monitor", "--config", str(config.path),
               "schedule", "run", "--now", now.isoformat()]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=600) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    ran = [line.split()[1].rstrip(":") for out, _ in outputs for line in out.splitlines()]
    windows = sorted((START + timedelta(minutes=30 * i)).isoformat() for i in range(1, 9))
    assert sorted(ran) == windows  # each window by exactly one of the two
    executions = store.list_executions("dq-30min")
    assert [e.scheduled_time for e in executions] == windows
    assert all(e.status in ("Completed", "CompletedWithViolations") for e in executions)
    delivered = [json.loads(path.read_text())["scheduled_time"] for path in alerts.iterdir()]
    assert sorted(delivered) == windows
    assert len(Alerter(config.database).deliveries()) == 8
