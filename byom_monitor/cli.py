"""``byom-monitor`` (or ``python -m byom_monitor``): the monitor from the command line.

Exit codes: 0 done (a check with violations included, unless --fail-on-violations),
1 a step failed (the message says why), 2 wrong usage or setup (arguments, config.ini, the
database location, AWS credentials for an S3 store), 3 violations found with
--fail-on-violations. Errors are one line on standard error, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from typing import Any

CHECKS = ("data-quality", "model-quality", "model-bias", "model-explainability")
EXAMPLES = """examples:
  byom-monitor baseline --check data-quality
  byom-monitor check --check data-quality --fail-on-violations
  byom-monitor serve --capture results/capture --database results/monitor.sqlite
  byom-monitor replay --url http://127.0.0.1:8080/invocations --data data/test.csv \\
      --label credit_risk --ground-truth results/ground-truth --start 2024-01-01T00:00:00Z
  byom-monitor schedule create dq-hourly --check data-quality --capture results/capture
  byom-monitor schedule run --forever
  byom-monitor executions --schedule dq-hourly
  byom-monitor alert create drift --metric feature_baseline_drift_duration \\
      --threshold 0.1 --action webhook --target http://127.0.0.1:9000/alerts
  byom-monitor dashboard --port 8050
"""


def _time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO-8601 time") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="byom-monitor", description="Model Monitor and Clarify checks for a model served "
        "anywhere: baselines, checks, a model server with data capture, schedules, alerts.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="config.ini", help="config.ini to use")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    baseline = commands.add_parser("baseline", help="build a baseline from the training data")
    baseline.add_argument("--check", choices=CHECKS, required=True)

    check = commands.add_parser("check", help="check the current dataset of config.ini")
    check.add_argument("--check", choices=CHECKS, required=True)
    check.add_argument("--fail-on-violations", action="store_true",
                       help="exit with status 3 when violations are found")

    serve = commands.add_parser("serve", help="serve the model with data capture")
    serve.add_argument("--model-dir")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--capture", help="capture destination (folder or s3://)")
    serve.add_argument("--endpoint", default="credit-model")
    serve.add_argument("--sampling-percentage", type=float, default=100.0)
    serve.add_argument("--database", help="SQLite file for operational metrics")
    serve.add_argument("--simulated-time", action="store_true")

    replay = commands.add_parser("replay", help="send a dataset to a model server")
    replay.add_argument("--url", required=True)
    replay.add_argument("--data", required=True, help="CSV with the model's features")
    replay.add_argument("--start", type=_time, default=None,
                        help="simulated time of the first row (default: now)")
    replay.add_argument("--interval-seconds", type=float, default=1.0)
    replay.add_argument("--label", help="label column to write as ground truth")
    replay.add_argument("--ground-truth", help="folder for the ground-truth JSON Lines")
    replay.add_argument("--clients", type=int, default=4)
    replay.add_argument("--prefix", default=None,
                        help="inference id prefix (default: replay-<run id>, unique per run)")

    schedule = commands.add_parser("schedule", help="monitoring schedules")
    actions = schedule.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a schedule")
    create.add_argument("name")
    create.add_argument("--check", choices=CHECKS, required=True)
    create.add_argument("--cron", default=None,
                        help="AWS cron expression (default: hourly, cron(0 * ? * * *))")
    create.add_argument("--endpoint", default="credit-model")
    create.add_argument("--capture", required=True, help="the server's capture destination")
    create.add_argument("--ground-truth", help="ground-truth folder (model quality)")
    create.add_argument("--start-offset")
    create.add_argument("--end-offset")
    create.add_argument("--from", dest="created", type=_time, default=None,
                        help="first window starts here (default: now)")
    actions.add_parser("list", help="list schedules")
    for name in ("describe", "stop", "start", "delete"):
        actions.add_parser(name, help=f"{name} a schedule").add_argument("name")
    run = actions.add_parser("run", help="run the due executions")
    run.add_argument("--now", type=_time, default=None, help="the scheduler's clock (default: now)")
    run.add_argument("--forever", action="store_true", help="keep running, every --interval s")
    run.add_argument("--interval", type=float, default=60.0)

    executions = commands.add_parser("executions", help="list executions")
    executions.add_argument("--schedule")

    alert = commands.add_parser("alert", help="alert rules and deliveries")
    alert_actions = alert.add_subparsers(dest="alert_action", required=True, metavar="ACTION")
    alert_create = alert_actions.add_parser("create", help="create an alert rule")
    alert_create.add_argument("name")
    alert_create.add_argument("--action", dest="kind", choices=("webhook", "command", "sns"),
                              required=True, help="how to deliver the alert")
    alert_create.add_argument("--target", required=True)
    alert_create.add_argument("--metric")
    alert_create.add_argument("--threshold", type=float)
    alert_create.add_argument("--comparison", default="GreaterThanThreshold")
    alert_create.add_argument("--on-violations", action="store_true")
    alert_create.add_argument("--schedule")
    alert_create.add_argument("--check", choices=CHECKS)
    alert_actions.add_parser("list", help="list alert rules")
    alert_actions.add_parser("deliveries", help="list alert deliveries")

    commands.add_parser("report", help="charts and HTML report of the recorded runs")

    dashboard = commands.add_parser("dashboard", help="serve a read-only web dashboard")
    dashboard.add_argument("--host", default="127.0.0.1",
                           help="address to bind (another than 127.0.0.1 needs a token)")
    dashboard.add_argument("--port", type=int, default=8050)
    dashboard.add_argument("--token", default=None,
                           help="access token asked of every request (default: the "
                                "BYOM_DASHBOARD_TOKEN environment variable)")
    return parser


def main(argv: list[str] | None = None) -> int:
    from byom_monitor.io.numpy_kernels import prefer_avx2_on_zen4

    prefer_avx2_on_zen4()  # before numpy loads: it reads its CPU settings once
    args = build_parser().parse_args(argv)
    from byom_monitor.session.sessions import quiet_sdk_output

    quiet_sdk_output()
    from byom_monitor.errors import MonitorError
    from byom_monitor.io.config import Config, ConfigError

    try:
        config = Config(args.config)
        if args.command in STORE_COMMANDS or getattr(args, "action", None) == "run":
            _check_credentials(config)
        return COMMANDS[args.command](args, config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (MonitorError, LookupError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _check_credentials(config: Any) -> None:
    """ConfigError, before any work, when the store is on S3 and no AWS credentials are found
    (nothing is sent to AWS for this)."""
    from byom_monitor.io import storage
    from byom_monitor.io.config import ConfigError

    if not storage.is_s3(config.store):
        return
    import boto3
    import botocore.exceptions

    try:
        found = boto3.Session(profile_name=config.aws_profile).get_credentials()
    except botocore.exceptions.BotoCoreError as exc:
        raise ConfigError(f"{config.path}: [monitoring] store = {config.store}: {exc}") from None
    if found is None:
        raise ConfigError(f"{config.path}: [monitoring] store = {config.store} is on S3, but no "
                          f"AWS credentials were found (set [aws-settings] profilename, or "
                          f"AWS_ACCESS_KEY_ID / AWS_PROFILE)")


def _print(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))


def _baseline(args: argparse.Namespace, config: Any) -> int:
    from byom_monitor.example.baselines import build_baseline
    from byom_monitor.session.sessions import session_from_config

    print(f"building the {args.check} baseline ...", file=sys.stderr)
    session, role, bucket = session_from_config(config)
    recorded = build_baseline(config, session, role, bucket, args.check)
    _print({"check": args.check, "status": "Completed", "locations": recorded})
    return 0


def _check(args: argparse.Namespace, config: Any) -> int:
    from sagemaker.exceptions import UnexpectedStatusException

    from byom_monitor.errors import JobFailed
    from byom_monitor.example import checks
    from byom_monitor.io.config import ConfigError
    from byom_monitor.session.sessions import session_from_config

    session, role, bucket = session_from_config(config)
    try:
        result = checks.run_check(config, session, role, bucket, args.check)
    except checks.NotReady as exc:
        raise ConfigError(str(exc)) from None
    except UnexpectedStatusException as exc:
        raise JobFailed(f"{args.check}: {exc}") from None
    print(result.exit_message, file=sys.stderr)
    _print({"status": result.status, "job": result.job_name, "results": result.destination,
            "violations": result.violations})
    return 3 if args.fail_on_violations and result.violations else 0


def _serve(args: argparse.Namespace, config: Any) -> int:
    from byom_monitor.live import server

    argv = ["--model-dir", args.model_dir or config.model_dir, "--port", str(args.port),
            "--host", args.host, "--endpoint", args.endpoint,
            "--sampling-percentage", str(args.sampling_percentage)]
    for flag, value in (("--capture", args.capture), ("--database", args.database)):
        if value:
            argv += [flag, value]
    if args.simulated_time:
        argv.append("--simulated-time")
    return server.main(argv)


def _replay(args: argparse.Namespace, config: Any) -> int:
    import pandas as pd

    from byom_monitor.clarify.models import load_model_folder
    from byom_monitor.io.config import ConfigError
    from byom_monitor.live.replay import replay

    frame = pd.read_csv(args.data)
    features = getattr(load_model_folder(config.model_dir), "features", None)
    if not features:
        raise ConfigError(f"{config.model_dir}: metadata.json names no 'features' to replay")
    start = args.start or datetime.now(timezone.utc)
    print(f"replaying {len(frame)} rows to {args.url} ...", file=sys.stderr)
    report = replay(args.url, frame, features, start=start,
                    interval=timedelta(seconds=args.interval_seconds), label=args.label,
                    ground_truth=args.ground_truth, clients=args.clients, prefix=args.prefix)
    _print({"sent": report.sent, "answered": report.answered, "status": report.status_counts,
            "inference_id_prefix": report.prefix})
    return 0 if report.status_counts.get(200, 0) == report.sent else 1


def _schedule(args: argparse.Namespace, config: Any) -> int:

    from byom_monitor.live.alerts import Alerter
    from byom_monitor.live.schedule import HOURLY, Schedule, Scheduler, ScheduleStore, describe

    store = ScheduleStore(config.database)
    if args.action == "create":
        created = (args.created or datetime.now(timezone.utc)).isoformat()
        schedule = store.create(Schedule(
            args.name, args.check, args.cron or HOURLY, args.endpoint,
            args.capture, ground_truth=args.ground_truth, start_offset=args.start_offset,
            end_offset=args.end_offset, created=created))
        _print(asdict(schedule))
    elif args.action == "list":
        for schedule in store.list():
            print(f"{schedule.name}\t{schedule.check}\t{schedule.cron}\t{schedule.status}")
    elif args.action == "describe":
        _print(describe(store.get(args.name), store))
    elif args.action in ("stop", "start"):
        store.set_status(args.name, "Stopped" if args.action == "stop" else "Scheduled")
        print(f"{args.name}: {'Stopped' if args.action == 'stop' else 'Scheduled'}")
    elif args.action == "delete":
        store.delete(args.name)
        print(f"{args.name}: deleted")
    else:
        alerter = Alerter(config.database)
        scheduler = Scheduler(config, store, on_execution=alerter.handle)
        while True:
            alerter.deliver_pending()  # alerts a killed scheduler had not delivered
            now = args.now or datetime.now(timezone.utc)
            for record in scheduler.run_due(now):
                print(f"{record.schedule} {record.scheduled_time}: {record.exit_message}",
                      flush=True)
            if not args.forever:
                break
            time.sleep(args.interval)
    return 0


def _executions(args: argparse.Namespace, config: Any) -> int:
    from byom_monitor.live.schedule import ScheduleStore

    for record in ScheduleStore(config.database).list_executions(args.schedule):
        print(f"{record.schedule}\t{record.scheduled_time}\t{record.status}\t{record.exit_message}")
    return 0


def _alert(args: argparse.Namespace, config: Any) -> int:
    from byom_monitor.live.alerts import Alerter, AlertRule

    alerter = Alerter(config.database)
    if args.alert_action == "create":
        rule = alerter.add(AlertRule(args.name, args.kind, args.target, metric=args.metric,
                                     threshold=args.threshold, comparison=args.comparison,
                                     on_violations=args.on_violations, schedule=args.schedule,
                                     check=args.check))
        _print(asdict(rule))
    elif args.alert_action == "list":
        for rule in alerter.rules():
            print(json.dumps(asdict(rule)))
    else:
        for delivery in alerter.deliveries():
            print(f"{delivery['delivered_at']}\t{delivery['rule']}\t{delivery['schedule']}\t"
                  f"{delivery['scheduled_time']}\tattempt {delivery['attempt']}\t"
                  f"{'ok' if delivery['ok'] else 'failed'}\t{delivery['detail']}")
    return 0


def _report(args: argparse.Namespace, config: Any) -> int:
    from pathlib import Path

    from byom_monitor.example import report
    from byom_monitor.session.sessions import session_from_config

    session, _, _ = session_from_config(config)
    location = report.write_report(report.Results.load(config, session),
                                   Path(config.store) / "report")
    print(location)
    return 0


def _dashboard(args: argparse.Namespace, config: Any) -> int:
    import os

    from byom_monitor.example.scenario_runs import scenario_runs_page
    from byom_monitor.live.dashboard.app import DashboardError, run
    from byom_monitor.session.sessions import session_from_config

    if config.backend == "local":  # result files at s3:// locations are in the local S3
        session_from_config(config)
    try:
        return run(config, args.host, args.port,
                   args.token or os.environ.get("BYOM_DASHBOARD_TOKEN") or None,
                   (scenario_runs_page(),))
    except (DashboardError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


#: The commands that read or write the result store (and ``schedule run``).
STORE_COMMANDS = ("baseline", "check", "report")
COMMANDS = {"baseline": _baseline, "check": _check, "serve": _serve, "replay": _replay,
            "schedule": _schedule, "executions": _executions, "alert": _alert,
            "report": _report, "dashboard": _dashboard}


if __name__ == "__main__":
    sys.exit(main())
