"""``python -m byom_monitor.example.demo`` (``make demo``): continuous monitoring, end to end.

Serves the model on 127.0.0.1 with data capture, replays two simulated hours of normal traffic
and two of drifted traffic (loans about 24 months longer) with their ground truth, runs hourly
data-quality and model-quality schedules over the four hours, and sends a webhook alert to a
local receiver when the drift distance of ``duration`` exceeds 0.1. Everything goes to
``results/demo/`` (its own config.ini, capture, store and SQLite file), started afresh.
"""
from __future__ import annotations

import json
import shutil
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pandas as pd

from byom_monitor.example.baselines import build_baseline
from byom_monitor.io import storage
from byom_monitor.io.config import Config
from byom_monitor.live.alerts import Alerter, AlertRule
from byom_monitor.live.capture import DataCapture
from byom_monitor.live.replay import replay
from byom_monitor.live.schedule import Schedule, Scheduler, ScheduleStore
from byom_monitor.live.server import OperationalMetrics, make_app, serve
from byom_monitor.session.sessions import quiet_sdk_output, session_from_config

START = datetime(2024, 1, 1, tzinfo=timezone.utc)


class _AlertReceiver(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server naming)
        alert = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        print(f"  ALERT received by the webhook: {alert['alert']} for {alert['schedule']} "
              f"at {alert['scheduled_time']}: {alert['reason']}", flush=True)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def main(project: str = ".") -> int:
    quiet_sdk_output()
    root = Path(project).resolve()
    main_config = Config(root / "config.ini")
    folder = root / "results" / "demo"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    config = Config(folder / "config.ini")
    for key, value in (("model_dir", main_config.model_dir), ("data_dir", main_config.data_dir),
                       ("store", str(folder)), ("database", str(folder / "monitor.sqlite")),
                       ("local_s3", str(folder / "s3"))):
        config.set("monitoring", key, value)

    print("1. baselines (data quality, model quality), on the in-process SageMaker session",
          flush=True)
    session, role, bucket = session_from_config(config)
    for check in ("data-quality", "model-quality"):
        build_baseline(config, session, role, bucket, check)

    print("2. serving the model with data capture; replaying 2 h of normal and 2 h of drifted "
          "traffic (simulated time)", flush=True)
    capture = DataCapture(str(folder / "capture"), "credit-model", flush_seconds=1)
    metrics = OperationalMetrics(config.database, "credit-model")
    server = serve(make_app(config.model_dir, capture=capture, metrics=metrics,
                            simulated_time=True), port=0)
    url = f"http://127.0.0.1:{server.server_port}/invocations"
    train = pd.read_csv(Path(config.data_dir) / "train.csv")
    features = [c for c in train.columns if c != "credit_risk"]
    every = timedelta(seconds=7200 / len(train))
    for name, frame, offset in (("normal", train, 0),
                                ("drifted", train.assign(duration=train["duration"] + 24), 2)):
        report = replay(url, frame, features, start=START + timedelta(hours=offset), interval=every,
                        label="credit_risk", ground_truth=str(folder / "ground-truth"),
                        clients=4, prefix=name)
        print(f"   {name}: {report.answered} requests answered {report.status_counts}", flush=True)
    server.shutdown()
    capture.close()
    metrics.close()

    print("3. hourly schedules and a webhook alert on duration drift", flush=True)
    receiver = HTTPServer(("127.0.0.1", 0), _AlertReceiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    store = ScheduleStore(config.database)
    store.create(Schedule("data-quality-hourly", "data-quality", "cron(0 * ? * * *)",
                          "credit-model", str(folder / "capture"), created=START.isoformat()))
    store.create(Schedule("model-quality-hourly", "model-quality", "cron(0 * ? * * *)",
                          "credit-model", str(folder / "capture"),
                          ground_truth=str(folder / "ground-truth"), created=START.isoformat()))
    alerter = Alerter(config.database)
    alerter.add(AlertRule("duration-drift", "webhook",
                          f"http://127.0.0.1:{receiver.server_port}/alerts",
                          metric="feature_baseline_drift_duration", threshold=0.1))

    print("4. the scheduler runs every window of the four hours", flush=True)
    executions = Scheduler(config, store, on_execution=alerter.handle).run_due(
        START + timedelta(hours=4))
    receiver.shutdown()

    print("\nexecutions:")
    for record in executions:
        drift = record.metrics.get("feature_baseline_drift_duration")
        extra = f" duration drift {drift:.2f}" if drift is not None else \
            f" accuracy {record.metrics.get('accuracy', float('nan')):.3f}"
        print(f"  {record.schedule:22s} {record.scheduled_time}  {record.status:24s}{extra}")
    last = next(r for r in reversed(executions) if r.schedule == "data-quality-hourly")
    print("\nviolations of the last data-quality window:")
    for violation in json.loads(storage.read_text(last.outputs["constraint_violations.json"]))[
            "violations"]:
        print(f"  {violation['feature_name']}: {violation['description']}")
    print(f"\nalert deliveries recorded: {len(alerter.deliveries())}; "
          f"everything is in {folder}")
    print(f"see it in the browser: byom-monitor --config {folder / 'config.ini'} dashboard, "
          f"then open http://127.0.0.1:8050/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
