"""Monitoring schedules for a model served anywhere: cron expressions as
``sagemaker.model_monitor.CronExpressionGenerator`` writes them, one execution per window of
captured traffic, kept in the SQLite store.

An execution at scheduled time ``T`` analyses the captured data from the previous scheduled
time to ``T`` (a monthly schedule: the whole month; shifted by the schedule's start / end
offsets, as model-quality schedules use them to wait for ground truth). Its row is written as
``InProgress`` before the job runs and updated after, so a scheduler that restarts after a crash
re-runs the unfinished window and never a finished one, and runs every window it missed. A
window is claimed with a lease (:mod:`byom_monitor.live.leases`) before it runs, so several
schedulers sharing one store run each window once.
"""
from __future__ import annotations

import json
import logging
import re
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta, timezone, tzinfo
from datetime import time as clock_time
from functools import cached_property, partial
from pathlib import Path
from typing import Any

from byom_monitor.analyzer.ground_truth import parse_duration
from byom_monitor.errors import InputError
from byom_monitor.io import storage
from byom_monitor.io.config import Config
from byom_monitor.io.formats import load_json
from byom_monitor.live.leases import Leases
from byom_monitor.live.sdk_schedules import is_local, record_execution, sdk_schedules
from byom_monitor.live.window_jobs import WindowSource, run_window
from byom_monitor.session.aws_session import s3_root
from byom_monitor.session.cloudwatch import publish_safely, put_metrics
from byom_monitor.session.job_limits import max_runtime
from byom_monitor.session.sagemaker_model import ensure_model, predictor_model_names
from byom_monitor.session.sessions import session_from_config

logger = logging.getLogger(__name__)
CHECK_TYPES = ("data-quality", "model-quality", "model-bias", "model-explainability")
TERMINAL = ("Completed", "CompletedWithViolations", "Failed", "Stopped")
_NAMES = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7,
          "JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8,
          "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
LOOKBACK_DAYS = 8 * 366 + 1
#: ``CronExpressionGenerator.hourly()`` of the SageMaker SDK (not imported: it logs to stdout).
HOURLY = "cron(0 * ? * * *)"


class ScheduleError(InputError):
    """A schedule that cannot be created or found."""


# -- cron -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cron:
    """An AWS cron expression: ``cron(minutes hours day-of-month month day-of-week year)``;
    ``*``, ``?``, numbers, names, ranges ``a-b``, steps ``a/n`` and lists."""

    expression: str
    fields: tuple[frozenset[int] | None, ...]

    RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (1, 7), (1970, 2199))

    @classmethod
    def parse(cls, expression: str) -> Cron:
        found = re.fullmatch(r"\s*cron\((.*)\)\s*", expression)
        parts = found.group(1).split() if found else []
        if len(parts) != 6:
            raise ScheduleError(f"{expression!r} is not an AWS cron expression such as "
                                f"cron(0 * ? * * *)")
        return cls(expression, tuple(_field(p, lo, hi, expression)
                                     for p, (lo, hi) in zip(parts, cls.RANGES)))

    def matches(self, when: datetime) -> bool:
        return self._day_matches(when.date()) and (when.hour, when.minute) in self._clock

    def between(self, after: datetime, until: datetime) -> list[datetime]:
        """Matching whole minutes in (after, until], found day by day (not minute by minute);
        AWS cron is in UTC."""
        after, until = _utc(after), _utc(until)
        times = []
        day = after.date()
        while day <= until.date():
            if self._day_matches(day):
                times.extend(moment for moment in self._moments(day, after.tzinfo)
                             if after < moment <= until)
            day += timedelta(days=1)
        return times

    def previous(self, before: datetime) -> datetime | None:
        """The latest matching minute before ``before``; None when there is none within the
        last eight years (the longest gap between two 29 Februaries)."""
        before = _utc(before)
        day = before.date()
        for _ in range(LOOKBACK_DAYS):
            if self._day_matches(day):
                earlier = [m for m in self._moments(day, before.tzinfo) if m < before]
                if earlier:
                    return earlier[-1]
            day -= timedelta(days=1)
        return None

    @cached_property
    def _clock(self) -> list[tuple[int, int]]:
        """The matching (hour, minute) pairs of a matching day, in order."""
        minutes, hours = (sorted(f) if f is not None else range(lo, hi + 1)
                          for f, (lo, hi) in zip(self.fields[:2], self.RANGES[:2]))
        return [(hour, minute) for hour in hours for minute in minutes]

    def _moments(self, day: date, zone: tzinfo | None) -> list[datetime]:
        return [datetime.combine(day, clock_time(hour, minute), zone)
                for hour, minute in self._clock]

    def _day_matches(self, day: date) -> bool:
        values = (day.day, day.month, day.isoweekday() % 7 + 1, day.year)
        return all(f is None or v in f for f, v in zip(self.fields[2:], values))


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc) if moment.tzinfo else moment


def _field(text: str, low: int, high: int, expression: str) -> frozenset[int] | None:
    if text in ("*", "?"):
        return None
    values: set[int] = set()
    for part in text.split(","):
        base, _, step = part.partition("/")
        if base in ("*", ""):
            start, end = low, high
        elif "-" in base:
            start, end = (_number(v, expression) for v in base.split("-", 1))
        else:
            start = _number(base, expression)
            end = high if step else start
        values.update(range(start, end + 1, int(step) if step else 1))
    if not values or min(values) < low or max(values) > high:
        raise ScheduleError(f"{expression!r}: field {text!r} is outside {low}-{high}")
    return frozenset(values)


def _number(text: str, expression: str) -> int:
    text = text.upper()
    if text in _NAMES:
        return _NAMES[text]
    if not text.isdigit():
        raise ScheduleError(f"{expression!r}: {text!r} is not a number")
    return int(text)


# -- schedules ------------------------------------------------------------------------------------
@dataclass
class Schedule:
    name: str
    check: str
    cron: str
    endpoint: str
    capture: str                      # capture destination (the server's --capture)
    variant: str = "AllTraffic"
    ground_truth: str | None = None   # ground-truth JSON Lines (model quality)
    start_offset: str | None = None   # ISO-8601 durations, e.g. -PT1H
    end_offset: str | None = None
    status: str = "Scheduled"
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat())

    def __post_init__(self) -> None:
        if self.check not in CHECK_TYPES:
            raise ScheduleError(f"check must be one of {CHECK_TYPES}, got {self.check!r}")
        if not re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*", self.name):
            raise ScheduleError(f"schedule name {self.name!r}: letters, digits and hyphens")
        Cron.parse(self.cron)
        if self.check == "model-quality" and not self.ground_truth:
            raise ScheduleError("a model-quality schedule needs the ground-truth location")
        for offset in (self.start_offset, self.end_offset):
            if offset:
                parse_duration(offset, "offset")


@dataclass
class ExecutionRecord:
    """A stored row about one scheduled run. Not an :class:`~byom_monitor.analyzer.outcome.Outcome`:
    it also says when the run was due and why it failed outside the job (no data in the window),
    and outlives the process; ``status`` uses the same words."""

    schedule: str
    scheduled_time: str
    status: str
    exit_message: str = ""
    failure_reason: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    seconds: float | None = None  # how long the execution ran (None while it runs)


class ScheduleStore:
    SCHEMA = """
    CREATE TABLE IF NOT EXISTS schedules (name TEXT PRIMARY KEY, definition TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS executions (
        schedule TEXT NOT NULL, scheduled_time TEXT NOT NULL, status TEXT NOT NULL,
        exit_message TEXT, failure_reason TEXT, outputs TEXT, metrics TEXT,
        PRIMARY KEY (schedule, scheduled_time));
    """

    def __init__(self, database: str | Path) -> None:
        self.database = Path(database)
        self.database.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._db()) as db, db:
            db.executescript(self.SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(executions)")}
            if "seconds" not in columns:  # added after the first version; the table only grows
                db.execute("ALTER TABLE executions ADD COLUMN seconds REAL")

    def _db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.database, timeout=30)

    def create(self, schedule: Schedule) -> Schedule:
        with closing(self._db()) as db, db:
            try:
                db.execute("INSERT INTO schedules VALUES (?, ?)",
                           (schedule.name, json.dumps(asdict(schedule))))
            except sqlite3.IntegrityError:
                raise ScheduleError(f"a schedule named {schedule.name!r} exists") from None
        return schedule

    def get(self, name: str) -> Schedule:
        with closing(self._db()) as db:
            row = db.execute("SELECT definition FROM schedules WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise ScheduleError(f"no schedule named {name!r}")
        return Schedule(**json.loads(row[0]))

    def list(self) -> list[Schedule]:
        with closing(self._db()) as db:
            rows = db.execute("SELECT definition FROM schedules ORDER BY name").fetchall()
        return [Schedule(**json.loads(r[0])) for r in rows]

    def set_status(self, name: str, status: str) -> None:
        schedule = replace(self.get(name), status=status)
        with closing(self._db()) as db, db:
            db.execute("UPDATE schedules SET definition = ? WHERE name = ?",
                       (json.dumps(asdict(schedule)), name))

    def delete(self, name: str) -> None:
        self.get(name)
        with closing(self._db()) as db, db:
            db.execute("DELETE FROM executions WHERE schedule = ?", (name,))
            db.execute("DELETE FROM schedules WHERE name = ?", (name,))

    def save(self, record: ExecutionRecord) -> None:
        with closing(self._db()) as db, db:
            db.execute("INSERT OR REPLACE INTO executions (schedule, scheduled_time, status, "
                       "exit_message, failure_reason, outputs, metrics, seconds) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (record.schedule, record.scheduled_time, record.status,
                        record.exit_message, record.failure_reason, json.dumps(record.outputs),
                        json.dumps(record.metrics), record.seconds))

    def finished_times(self, name: str) -> set[str]:
        """The scheduled times of the schedule's finished executions."""
        with closing(self._db()) as db:
            rows = db.execute("SELECT scheduled_time FROM executions WHERE schedule = ? AND "
                              f"status IN ({', '.join('?' * len(TERMINAL))})",
                              (name, *TERMINAL)).fetchall()
        return {r[0] for r in rows}

    def list_executions(self, name: str | None = None) -> list[ExecutionRecord]:
        query, parameters = ("SELECT schedule, scheduled_time, status, exit_message, "
                             "failure_reason, outputs, metrics, seconds FROM executions", ())
        if name:
            query, parameters = query + " WHERE schedule = ?", (name,)
        with closing(self._db()) as db:
            rows = db.execute(query + " ORDER BY scheduled_time", parameters).fetchall()
        return [ExecutionRecord(r[0], r[1], r[2], r[3] or "", r[4], json.loads(r[5] or "{}"),
                                json.loads(r[6] or "{}"), r[7]) for r in rows]

    def latest(self, name: str) -> ExecutionRecord | None:
        finished = [e for e in self.list_executions(name) if e.status in TERMINAL]
        return finished[-1] if finished else None

    def latest_violations(self, name: str) -> list[dict[str, Any]]:
        """The violations of the schedule's latest finished execution (like the SDK's
        ``latest_monitoring_constraint_violations``); empty when it found none."""
        location = (self.latest(name) or ExecutionRecord(name, "", "")).outputs.get(
            "constraint_violations.json")
        return json.loads(storage.read_text(location))["violations"] if location else []

    def latest_statistics(self, name: str) -> dict[str, Any] | None:
        """statistics.json (or Clarify's analysis.json) of the latest finished execution."""
        outputs = (self.latest(name) or ExecutionRecord(name, "", "")).outputs
        location = outputs.get("statistics.json") or outputs.get("analysis.json")
        return json.loads(storage.read_text(location)) if location else None


# -- running windows ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Planned:
    """A schedule to run, and how to find what its windows check (resolved when one runs, so
    a missing baseline fails that execution, not the scheduler)."""

    schedule: Schedule
    source: Callable[[], WindowSource]
    made_with_sdk: bool = False


class Scheduler:
    """Runs the due executions of every schedule (``run_due``), with an injectable clock: the
    schedules of the store (``byom-monitor schedule create``) and, on the local backend, those
    made with the SDK's ``create_monitoring_schedule`` (:mod:`byom_monitor.live.sdk_schedules`).
    Every window is a Processing job on the session of config.ini
    (:mod:`byom_monitor.live.window_jobs`), so ``MaxRuntimeInSeconds`` bounds it."""

    def __init__(self, config: Config, store: ScheduleStore | None = None,
                 on_execution: Callable[[Schedule, ExecutionRecord], None] | None = None) -> None:
        self.config = config
        self.store = store or ScheduleStore(config.database)
        self.session, self.role, bucket = session_from_config(config)
        self.output_root = storage.join(s3_root(config, bucket), "monitoring")
        self.leases = Leases(self.store.database)
        self.on_execution = on_execution

    def run_due(self, now: datetime) -> list[ExecutionRecord]:
        """Run every unfinished window up to ``now``. A window is claimed with a lease first,
        so schedulers sharing a store run each window once."""
        done = []
        for planned in self._planned():
            schedule = planned.schedule
            if schedule.status != "Scheduled":
                continue
            finished = self.store.finished_times(schedule.name)
            created = datetime.fromisoformat(schedule.created)
            for scheduled in Cron.parse(schedule.cron).between(created, now):
                key = scheduled.isoformat()
                if key in finished:
                    continue
                with self.leases.holding(f"window:{schedule.name}:{key}") as claimed:
                    if claimed and key not in self.store.finished_times(schedule.name):
                        done.append(self._run(planned, scheduled))
        return done

    def run_window(self, schedule: Schedule, scheduled: datetime) -> ExecutionRecord:
        """Run one window of a schedule of the store."""
        return self._run(_Planned(schedule, partial(self._store_source, schedule)), scheduled)

    def _planned(self) -> list[_Planned]:
        planned = [_Planned(s, partial(self._store_source, s)) for s in self.store.list()]
        names = {p.schedule.name for p in planned}
        for found in sdk_schedules(self.session, self.config):
            source = found.source
            if source.schedule in names:
                logger.warning("monitoring schedule %s made with the SDK is not run: the "
                               "store has a schedule of the same name", source.schedule)
                continue
            schedule = Schedule(source.schedule, source.check, found.cron, source.endpoint,
                                source.capture, ground_truth=source.ground_truth,
                                start_offset=found.start_offset, end_offset=found.end_offset,
                                status=found.status, created=found.created)
            planned.append(_Planned(schedule, lambda s=source: s, made_with_sdk=True))
        return planned

    def _run(self, planned: _Planned, scheduled: datetime) -> ExecutionRecord:
        schedule = planned.schedule
        record = ExecutionRecord(schedule.name, scheduled.isoformat(), "InProgress")
        self.store.save(record)
        clock = time.perf_counter()
        job_name = None
        try:
            start, end = self._window(schedule, scheduled)
            window = run_window(self.session, self.role, planned.source(), start, end, scheduled)
            result = window.run.result
            job_name = result.job_name
            record.status, record.exit_message = result.status, result.message
            record.failure_reason = result.failure_reason
            record.outputs, record.metrics = window.run.files, window.metrics
            record.metrics.update(_endpoint_metrics(self.config.database, schedule.endpoint,
                                                    start, end))
        except Exception as exc:  # an execution fails; the scheduler goes on
            record.status, record.exit_message = "Failed", f"Failed: {exc}"
            record.failure_reason = str(exc)
        record.seconds = round(time.perf_counter() - clock, 3)
        self.store.save(record)
        if planned.made_with_sdk:
            arn = (self.session.sagemaker_client.describe_processing_job(
                ProcessingJobName=job_name)["ProcessingJobArn"] if job_name else None)
            record_execution(self.session, schedule.name, scheduled, record.status, arn,
                             record.failure_reason)
        if record.metrics and not is_local(self.session):  # locally: the SQLite store only
            # a CloudWatch error is logged; the other schedules still run
            cloudwatch = self.session.boto_session.client("cloudwatch")
            publish_safely(partial(put_metrics, cloudwatch), schedule.check, schedule.endpoint,
                           schedule.name, record.metrics, scheduled)
        if self.on_execution is not None:
            self.on_execution(schedule, record)
        return record

    def _window(self, schedule: Schedule, scheduled: datetime) -> tuple[datetime, datetime]:
        """From the previous firing (or the schedule's creation) to ``scheduled``, shifted by
        the offsets."""
        previous = (Cron.parse(schedule.cron).previous(scheduled)
                    or datetime.fromisoformat(schedule.created))
        start, end = previous, scheduled
        if schedule.start_offset:
            start += parse_duration(schedule.start_offset, "start_offset")
        if schedule.end_offset:
            end += parse_duration(schedule.end_offset, "end_offset")
        return start, end

    def _serve_model_dir(self, analysis_config: str) -> None:
        """Make the SageMaker Model the Clarify job calls serve config.ini's model folder, when
        the analysis config names a model that stands for it (``e2e-model``...): created, or
        replaced when the folder changed since (``sagemaker_model.ensure_model``)."""
        predictors = self.config.predictors
        for name in predictor_model_names(load_json(analysis_config)):
            if predictors.get(name) == self.config.model_dir:
                ensure_model(self.session, self.role, self.config.model_dir, name,
                             self.output_root.rsplit("/", 1)[0])

    def _store_source(self, schedule: Schedule) -> WindowSource:
        """What a schedule of the store checks: the baselines config.ini records."""
        config, check = self.config, schedule.check
        if check == "data-quality":
            baselines = {"constraints": config.get_baseline("data-quality-constraints"),
                         "statistics": config.get_baseline("data-quality-statistics")}
        elif check == "model-quality":
            baselines = {"constraints": config.get_baseline("model-quality-constraints")}
        else:
            baselines = {"analysis_config": config.get_baseline(f"{check}-analysis_config"),
                         "analysis": config.get_baseline(f"{check}-analysis")}
            self._serve_model_dir(baselines["analysis_config"])
        return WindowSource(schedule.name, check,
                            storage.join(schedule.capture, schedule.endpoint, schedule.variant),
                            schedule.endpoint, baselines,
                            storage.join(self.output_root, schedule.name), max_runtime(check),
                            schedule.ground_truth, _threshold(config))


def _threshold(config: Config) -> float:
    """The model's decision threshold: its model folder's ``metadata.json`` ``threshold``, 0.5
    when the folder gives none."""
    metadata = storage.join(config.model_dir, "metadata.json")
    if not storage.exists(metadata):
        return 0.5
    return float(json.loads(storage.read_text(metadata)).get("threshold", 0.5))


def _endpoint_metrics(database: str, endpoint: str, start: datetime,
                      end: datetime) -> dict[str, float]:
    """The endpoint's operational metrics (model server) summed over the window, if recorded."""
    with closing(sqlite3.connect(database, timeout=30)) as db:
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'endpoint_metrics'").fetchone():
            return {}
        row = db.execute(
            "SELECT SUM(invocations), SUM(errors_4xx), SUM(errors_5xx) FROM endpoint_metrics "
            "WHERE endpoint = ? AND minute >= ? AND minute < ?",
            (endpoint, start.strftime("%Y-%m-%dT%H:%M"), end.strftime("%Y-%m-%dT%H:%M"))).fetchone()
    if row[0] is None:
        return {}
    return {"invocations": float(row[0]), "errors_4xx": float(row[1]), "errors_5xx": float(row[2])}


def describe(schedule: Schedule, store: ScheduleStore) -> dict[str, Any]:
    latest = store.latest(schedule.name)
    return {**asdict(schedule), "last_execution": asdict(latest) if latest else None}
