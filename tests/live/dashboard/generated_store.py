"""A generated monitoring store for the dashboard's tests and benchmark.

Four hourly schedules (data quality, model quality, bias, explainability) with ``days`` of
executions each, per-minute endpoint metrics, alert rules and deliveries, and recorded scenario
runs. The result files are real: the analyzers of this project run on a small synthetic dataset
(a baseline and a few drift levels per check), and each execution's outputs name the files of
one of those runs, its metrics taken from them as the scheduler takes them. So a year of hourly
executions costs a few runs of each analyzer, not nine thousand.
"""
from __future__ import annotations

import json
import random
import sqlite3
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from byom_monitor.analyzer.contract import run_job
from byom_monitor.clarify.api import analyze
from byom_monitor.example.scenario_recording import EXPERIMENT
from byom_monitor.io import storage
from byom_monitor.io.config import Config
from byom_monitor.live.alerts import Alerter, AlertRule
from byom_monitor.live.schedule import ExecutionRecord, Schedule, ScheduleStore
from byom_monitor.live.server import OperationalMetrics

END = datetime(2025, 1, 1, tzinfo=timezone.utc)
ENDPOINT = "credit-model"
FEATURES = ["duration", "amount", "age", "purpose", "foreign_worker"]
LABEL = "credit_risk"
THRESHOLD = 0.5
TRAIN_ROWS, SHAP_ROWS = 600, 100
#: drift levels of the pooled runs: months added to ``duration`` and share of labels flipped
LEVELS = {"normal": (0, 0.0), "mild": (6, 0.15), "drifted": (24, 0.35)}
SCHEDULES = {"data-quality-hourly": "data-quality", "model-quality-hourly": "model-quality",
             "model-bias-hourly": "model-bias",
             "model-explainability-hourly": "model-explainability"}


class LinearPredictor:
    """A fixed logistic model of the synthetic data (Clarify calls it in-process)."""

    default_threshold = THRESHOLD

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        score = (1.5 - 0.04 * features["duration"].astype(float)
                 - 0.0001 * features["amount"].astype(float)
                 + 0.02 * features["age"].astype(float)
                 - 0.8 * features["foreign_worker"].astype(float))
        return 1.0 / (1.0 + np.exp(-score.to_numpy()))


def credit_frame(rows: int, seed: int) -> pd.DataFrame:
    """Features, the model's probability and prediction, and a ground-truth label."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "duration": rng.integers(4, 48, rows),
        "amount": rng.integers(250, 15000, rows),
        "age": rng.integers(19, 75, rows),
        "purpose": rng.choice(["car", "furniture", "education", "business"], rows,
                              p=[0.4, 0.3, 0.1, 0.2]),
        "foreign_worker": rng.choice([0, 1], rows, p=[0.85, 0.15])})
    return _scored(frame).assign(**{LABEL: (rng.random(rows) < _scored(frame)["probability"])
                                    .astype(int)})


def _scored(frame: pd.DataFrame) -> pd.DataFrame:
    probability = LinearPredictor().predict(_clarify_data(frame.assign(**{LABEL: 0})))
    return frame.assign(probability=probability, prediction=(probability > THRESHOLD).astype(int))


def drifted(frame: pd.DataFrame, months_added: int, flipped: float, seed: int) -> pd.DataFrame:
    """Longer loans, labels flipped, and the foreign workers' loans all bad (bias drift)."""
    if not months_added and not flipped:
        return frame
    rng = np.random.default_rng(seed)
    changed = _scored(frame.assign(duration=frame["duration"] + months_added))
    labels = np.where(rng.random(len(frame)) < flipped, 1 - changed[LABEL], changed[LABEL])
    labels[changed["foreign_worker"].to_numpy() == 1] = 0
    return changed.assign(**{LABEL: labels})


def _analyzer(env: dict[str, str], output: Path) -> dict[str, str]:
    """Run the Model Monitor analyzer; its outputs named by file, as the local runner names them."""
    metrics = output / "cloudwatch-metrics"
    outcome = run_job({**env, "output_path": str(output), "publish_cloudwatch_metrics": "Enabled",
                       "dataset_format": json.dumps({"csv": {"header": True}})},
                      message_file=None, metrics_dir=str(metrics))
    if not outcome.ok:
        raise RuntimeError(outcome.message)
    return {Path(location).name: location for location in outcome.outputs.values()}


def _clarify_config(check: str) -> dict[str, Any]:
    document: dict[str, Any] = {"dataset_type": "text/csv", "headers": FEATURES + [LABEL],
                                "label": LABEL, "probability_threshold": THRESHOLD,
                                "predictor": {"model_name": "generated-model"}}
    if check == "model-bias":
        document.update(label_values_or_threshold=[1],
                        facet=[{"name_or_index": "foreign_worker", "value_or_threshold": [1]}],
                        methods={"pre_training_bias": {"methods": "all"},
                                 "post_training_bias": {"methods": "all"}})
    else:
        document["methods"] = {"shap": {"baseline": [[24, 3000, 35, 0, 0]], "num_samples": 40,
                                        "agg_method": "mean_abs"}}
    return document


def _clarify_data(frame: pd.DataFrame) -> pd.DataFrame:
    coded = frame.assign(purpose=frame["purpose"].map(
        {"car": 0, "furniture": 1, "education": 2, "business": 3}))
    return coded[FEATURES + [LABEL]]


def _clarify(check: str, frame: pd.DataFrame, output: Path, baseline: str | None) -> dict[str, str]:
    result = analyze(_clarify_config(check), _clarify_data(frame), str(output),
                     predictor=LinearPredictor(), baseline=baseline)
    return {name: location for name, location in result.outcome.outputs.items()}


def _baselines(root: Path, config: Config) -> None:
    train = credit_frame(TRAIN_ROWS, seed=1)
    folder = root / "baselines"
    dq = _analyzer({"dataset_source": _csv(train[FEATURES], folder / "dq-data.csv")},
                   folder / "data-quality")
    config.save_baseline("data-quality-statistics", dq["statistics.json"])
    config.save_baseline("data-quality-constraints", dq["constraints.json"])
    mq = _analyzer({"dataset_source": _csv(train, folder / "mq-data.csv"),
                    **_model_quality_env()}, folder / "model-quality")
    config.save_baseline("model-quality-statistics", mq["statistics.json"])
    config.save_baseline("model-quality-constraints", mq["constraints.json"])
    for check in ("model-bias", "model-explainability"):
        sample = train.head(SHAP_ROWS) if check == "model-explainability" else train
        outputs = _clarify(check, sample, folder / check, None)
        config.save_baseline(f"{check}-analysis", outputs["analysis.json"])
        config.save_baseline(f"{check}-analysis_config", outputs["analysis_config.json"])


def _model_quality_env() -> dict[str, str]:
    return {"analysis_type": "MODEL_QUALITY", "problem_type": "BinaryClassification",
            "ground_truth_attribute": LABEL, "inference_attribute": "prediction",
            "probability_attribute": "probability",
            "probability_threshold_attribute": str(THRESHOLD)}


def _csv(frame: pd.DataFrame, path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return str(path)


def _pool(root: Path, config: Config) -> dict[tuple[str, str], dict[str, str]]:
    """One real check run per (check, drift level) of the training data changed by that
    level: its outputs by file name (the normal level finds no violation)."""
    pool = {}
    train = credit_frame(TRAIN_ROWS, seed=1)
    for level, (months, flipped) in LEVELS.items():
        frame = drifted(train, months, flipped, seed=len(pool))
        folder = root / "pool" / level
        pool["data-quality", level] = _analyzer({
            "dataset_source": _csv(frame[FEATURES], folder / "dq-data.csv"),
            "baseline_statistics": config.get_baseline("data-quality-statistics"),
            "baseline_constraints": config.get_baseline("data-quality-constraints")},
            folder / "data-quality")
        pool["model-quality", level] = _analyzer({
            "dataset_source": _csv(frame, folder / "mq-data.csv"), **_model_quality_env(),
            "baseline_constraints": config.get_baseline("model-quality-constraints")},
            folder / "model-quality")
        for check in ("model-bias", "model-explainability"):
            sample = frame.head(SHAP_ROWS) if check == "model-explainability" else frame
            if check == "model-explainability" and months:  # the attributions reorder
                sample = (sample.assign(duration=24, amount=3000) if months > 6
                          else sample.assign(age=35))
            pool[check, level] = _clarify(check, sample, folder / check,
                                          config.get_baseline(f"{check}-analysis"))
    return pool


def execution_metrics(outputs: dict[str, str]) -> dict[str, float]:
    """The metrics the scheduler records for an execution with these outputs."""
    values: dict[str, float] = {"violations": 0.0}
    if "constraint_violations.json" in outputs:
        document = json.loads(storage.read_text(outputs["constraint_violations.json"]))
        values["violations"] = float(len(document["violations"]))
    for name, location in outputs.items():
        if name.endswith("metrics.jsonl"):
            for line in storage.read_text(location).splitlines():
                datum = json.loads(line)
                if "Value" in datum:
                    values[datum["MetricName"]] = float(datum["Value"])
    if "statistics.json" in outputs:
        document = json.loads(storage.read_text(outputs["statistics.json"]))
        block = next((v for k, v in document.items() if k.endswith("_metrics")), {})
        values.update({name: metric["value"] for name, metric in block.items()
                       if isinstance(metric, dict) and isinstance(metric.get("value"), float)})
    return values


def _level(hour: int, rng: random.Random) -> str:
    """Mostly normal traffic, drift for a few hours now and then, and always at the end."""
    if hour < 3:
        return "drifted"
    return rng.choices(list(LEVELS), weights=(90, 7, 3))[0]


def generate_store(root: Path, days: int = 14, *, end: datetime = END,
                   minutes_of_traffic: bool = True, seed: int = 0) -> Config:
    """Write a store with ``days`` of hourly executions per schedule below ``root``; returns
    its config.ini (store and database inside ``root``)."""
    root.mkdir(parents=True, exist_ok=True)
    config = Config(root / "config.ini")
    config.set("monitoring", "store", str(root))
    config.set("monitoring", "database", str(root / "monitor.sqlite"))
    _baselines(root, config)
    pool = _pool(root, config)
    metrics = {key: execution_metrics(outputs) for key, outputs in pool.items()}
    start = end - timedelta(days=days)
    store = ScheduleStore(config.database)
    for name, check in SCHEDULES.items():
        store.create(Schedule(name, check, "cron(0 * ? * * *)", ENDPOINT, str(root / "capture"),
                              ground_truth=str(root / "ground-truth")
                              if check == "model-quality" else None,
                              created=start.isoformat()))
    _executions(config.database, pool, metrics, start, days * 24, random.Random(seed))
    if minutes_of_traffic:
        _endpoint_metrics(config.database, start, end, random.Random(seed))
    _alerts(config.database, root)
    _scenario_runs(config, pool)
    return config


def _executions(database: str, pool: dict, metrics: dict, start: datetime, hours: int,
                rng: random.Random) -> None:
    rows = []
    for name, check in SCHEDULES.items():
        for hour in range(1, hours + 1):
            when = (start + timedelta(hours=hour)).isoformat()
            level = _level(hours - hour, rng)
            record = ExecutionRecord(name, when, "Completed")
            if rng.random() < 0.01 and hour < hours - 3:
                record.status, record.exit_message = "Failed", (
                    "Failed: input baseline_dataset_input: nothing at the capture location")
                record.failure_reason = record.exit_message.removeprefix("Failed: ")
            else:
                record.outputs, record.metrics = pool[check, level], dict(metrics[check, level])
                found = record.metrics["violations"]
                record.status = "CompletedWithViolations" if found else "Completed"
                record.exit_message = (f"CompletedWithViolations: {found:.0f} violations"
                                       if found else "Completed: Job completed successfully "
                                                     "with no violations.")
                record.metrics.update(invocations=float(rng.randint(2000, 4000)),
                                      errors_4xx=float(rng.randint(0, 5)), errors_5xx=0.0)
            rows.append((record.schedule, record.scheduled_time, record.status,
                         record.exit_message, record.failure_reason, json.dumps(record.outputs),
                         json.dumps(record.metrics)))
    with closing(sqlite3.connect(database)) as db, db:
        db.executemany("INSERT OR REPLACE INTO executions (schedule, scheduled_time, status, "
                       "exit_message, failure_reason, outputs, metrics) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


def _endpoint_metrics(database: str, start: datetime, end: datetime, rng: random.Random) -> None:
    OperationalMetrics(database, ENDPOINT)  # creates the table as the server does
    minutes = int((end - start).total_seconds() // 60)
    rows = []
    for minute in range(minutes):
        when = (start + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M")
        calls = rng.randint(30, 70)
        rows.append((ENDPOINT, when, calls, int(rng.random() < 0.05), int(rng.random() < 0.005),
                     calls * rng.uniform(3, 6), rng.uniform(8, 30)))
    with closing(sqlite3.connect(database)) as db, db:
        db.executemany("INSERT INTO endpoint_metrics (endpoint, minute, invocations, errors_4xx, "
                       "errors_5xx, model_latency_ms_sum, model_latency_ms_max) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


def _alerts(database: str, root: Path) -> None:
    alerter = Alerter(database)
    alerter.add(AlertRule("duration-drift", "webhook", "http://127.0.0.1:9/alerts",
                          metric="feature_baseline_drift_duration", threshold=0.1))
    alerter.add(AlertRule("any-violation", "command", f"cat >> {root / 'alerts.log'}",
                          on_violations=True, check="model-quality"))
    rows = []
    with closing(sqlite3.connect(database)) as db:
        found = db.execute("SELECT schedule, scheduled_time, metrics FROM executions "
                           "WHERE schedule = 'data-quality-hourly' AND "
                           "status = 'CompletedWithViolations' ORDER BY scheduled_time").fetchall()
    for schedule, when, metrics in found:
        drift = json.loads(metrics).get("feature_baseline_drift_duration", 0.0)
        if drift <= 0.1:
            continue
        document = {"alert": "duration-drift", "schedule": schedule, "scheduled_time": when,
                    "reason": f"feature_baseline_drift_duration = {drift} is "
                              f"GreaterThanThreshold 0.1"}
        delivered = datetime.fromisoformat(when) + timedelta(minutes=2)
        rows.append(("duration-drift", schedule, when, 1, delivered.isoformat(), 0,
                     "URLError: <urlopen error [Errno 111] Connection refused>",
                     json.dumps(document)))
        rows.append(("duration-drift", schedule, when, 2,
                     (delivered + timedelta(seconds=1)).isoformat(), 1, "HTTP 200",
                     json.dumps(document)))
    with closing(sqlite3.connect(database)) as db, db:
        db.executemany("INSERT INTO alert_deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _scenario_runs(config: Config, pool: dict) -> None:
    """Two scenario runs recorded as notebook 05 records them: a ``sagemaker.experiments.Run``
    on the local session whose parameters name each check's result files, named in config.ini."""
    from sagemaker.experiments import Run

    from byom_monitor.session.sessions import session_from_config

    session, _, _ = session_from_config(config)
    for scenario, level in (("control", "normal"), ("feature_drift", "drifted")):
        with Run(experiment_name=EXPERIMENT, run_name=scenario.replace("_", "-"),
                 sagemaker_session=session) as run:
            parameters = {"scenario": scenario}
            for check in SCHEDULES.values():
                outputs = pool[check, level]
                parameters.update({
                    f"{check}-violations": outputs.get("constraint_violations.json", ""),
                    f"{check}-analysis": outputs.get("analysis.json") or outputs["statistics.json"],
                    f"{check}-violation-count": str(int(execution_metrics(outputs)["violations"]))})
            run.log_parameters(parameters)
        config.save_trial(scenario.replace("_", "-"), run.experiment_config["RunName"])
