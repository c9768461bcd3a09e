"""Alert rules on monitoring executions, delivered to a webhook, a shell command or SNS.

A rule fires for an execution when its metric crosses the threshold (any metric the execution
recorded: ``feature_baseline_drift_duration``, ``accuracy``, ``violations``, ``errors_5xx``...)
or, with ``on_violations``, when the execution found violations. Every delivery attempt and
its outcome is recorded in the SQLite store. Webhooks get an HTTP POST of the alert document
(JSON), retried with backoff; commands get it on standard input; SNS topics as the message.

Alerts go through an outbox: a row is written before delivery and marked done after, so an
alert whose delivering process was killed is delivered (and the interruption recorded) by
:meth:`Alerter.deliver_pending`, which the scheduler calls on every tick. A lease keeps two
schedulers from delivering the same alert at once.
"""
from __future__ import annotations

import json
import operator
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from byom_monitor.errors import InputError
from byom_monitor.live.leases import Leases
from byom_monitor.live.schedule import ExecutionRecord, Schedule

ACTIONS = ("webhook", "command", "sns")
COMPARISONS = {"GreaterThanThreshold": operator.gt, "LessThanThreshold": operator.lt,
               "GreaterThanOrEqualToThreshold": operator.ge,
               "LessThanOrEqualToThreshold": operator.le}


class AlertError(InputError):
    """An alert rule that cannot be created."""


@dataclass
class AlertRule:
    name: str
    action: str
    target: str                      # webhook URL, shell command, or SNS topic ARN
    metric: str | None = None
    threshold: float | None = None
    comparison: str = "GreaterThanThreshold"
    on_violations: bool = False
    schedule: str | None = None      # only this schedule (default: all)
    check: str | None = None         # only this check type (default: all)
    retries: int = 3

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise AlertError(f"action must be one of {ACTIONS}, got {self.action!r}")
        if self.comparison not in COMPARISONS:
            raise AlertError(f"comparison must be one of {tuple(COMPARISONS)}")
        if not self.on_violations and (self.metric is None or self.threshold is None):
            raise AlertError(f"alert {self.name!r}: give a metric and a threshold, or "
                             f"on_violations")

    def reason(self, schedule: Schedule, record: ExecutionRecord) -> str | None:
        """Why this rule fires for the execution, or None."""
        if (self.schedule and self.schedule != schedule.name) or \
                (self.check and self.check != schedule.check):
            return None
        if self.on_violations and record.status == "CompletedWithViolations":
            return f"{schedule.check} found {record.metrics.get('violations', 0):.0f} violations"
        if self.on_violations and record.status == "Failed":
            return f"the execution failed: {record.failure_reason}"
        if self.metric is not None and self.metric in record.metrics:
            value = record.metrics[self.metric]
            if COMPARISONS[self.comparison](value, self.threshold):
                return f"{self.metric} = {value} is {self.comparison} {self.threshold}"
        return None


class Alerter:
    """Rules and deliveries in the SQLite store; ``handle`` is the scheduler's callback."""

    SCHEMA = """
    CREATE TABLE IF NOT EXISTS alert_rules (name TEXT PRIMARY KEY, definition TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS alert_deliveries (
        rule TEXT NOT NULL, schedule TEXT NOT NULL, scheduled_time TEXT NOT NULL,
        attempt INTEGER NOT NULL, delivered_at TEXT NOT NULL, ok INTEGER NOT NULL,
        detail TEXT, document TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS alert_outbox (
        id INTEGER PRIMARY KEY, rule TEXT NOT NULL, schedule TEXT NOT NULL,
        scheduled_time TEXT NOT NULL, queued_at TEXT NOT NULL, state TEXT NOT NULL,
        document TEXT NOT NULL, UNIQUE (rule, schedule, scheduled_time));
    """
    #: Outbox states: queued, delivering (a process is on it, or died on it), delivered, failed.
    OPEN_STATES = ("queued", "delivering")

    def __init__(self, database: str | Path, *, sns_client: Any = None,
                 backoff_seconds: float = 0.5) -> None:
        self.database = Path(database)
        self.database.parent.mkdir(parents=True, exist_ok=True)
        self.sns_client, self.backoff_seconds = sns_client, backoff_seconds
        with closing(self._db()) as db, db:
            db.executescript(self.SCHEMA)
        self.leases = Leases(self.database)

    def _db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.database, timeout=30)

    def add(self, rule: AlertRule) -> AlertRule:
        with closing(self._db()) as db, db:
            db.execute("INSERT OR REPLACE INTO alert_rules VALUES (?, ?)",
                       (rule.name, json.dumps(asdict(rule))))
        return rule

    def rules(self) -> list[AlertRule]:
        with closing(self._db()) as db:
            rows = db.execute("SELECT definition FROM alert_rules ORDER BY name").fetchall()
        return [AlertRule(**json.loads(r[0])) for r in rows]

    def deliveries(self) -> list[dict[str, Any]]:
        with closing(self._db()) as db:
            db.row_factory = sqlite3.Row
            rows = db.execute("SELECT * FROM alert_deliveries ORDER BY delivered_at").fetchall()
        return [{**dict(r), "document": json.loads(r["document"])} for r in rows]

    def handle(self, schedule: Schedule, record: ExecutionRecord) -> None:
        """Queue the alerts the execution fires (once per rule and window), then deliver."""
        with closing(self._db()) as db, db:
            for rule in self.rules():
                reason = rule.reason(schedule, record)
                if reason is not None:
                    document = {
                        "alert": rule.name, "reason": reason, "schedule": schedule.name,
                        "check": schedule.check, "endpoint": schedule.endpoint,
                        "scheduled_time": record.scheduled_time, "status": record.status,
                        "exit_message": record.exit_message, "metrics": record.metrics,
                        "outputs": record.outputs}
                    db.execute("INSERT OR IGNORE INTO alert_outbox (rule, schedule, "
                               "scheduled_time, queued_at, state, document) VALUES "
                               "(?, ?, ?, ?, 'queued', ?)",
                               (rule.name, schedule.name, record.scheduled_time, _now(),
                                json.dumps(document)))
        self.deliver_pending()

    def deliver_pending(self) -> int:
        """Deliver every queued alert, and retry those whose delivery was interrupted;
        returns how many this call delivered."""
        with closing(self._db()) as db:
            pending = db.execute("SELECT id FROM alert_outbox WHERE state IN (?, ?) ORDER BY id",
                                 self.OPEN_STATES).fetchall()
        delivered = 0
        for (entry,) in pending:
            with self.leases.holding(f"alert:{entry}") as claimed:
                if claimed:
                    delivered += self._deliver_entry(entry)
        return delivered

    def _deliver_entry(self, entry: int) -> bool:
        with closing(self._db()) as db, db:
            row = db.execute("SELECT rule, state, document FROM alert_outbox WHERE id = ?",
                             (entry,)).fetchone()
            if row[1] not in self.OPEN_STATES:
                return False  # another process finished it meanwhile
            document = json.loads(row[2])
            if row[1] == "delivering":
                self._record(db, row[0], document, 0, False,
                             "interrupted: the delivering process ended; delivering again")
            db.execute("UPDATE alert_outbox SET state = 'delivering' WHERE id = ?", (entry,))
        rule = next((r for r in self.rules() if r.name == row[0]), None)
        ok = rule is not None and self.deliver(rule, document)
        with closing(self._db()) as db, db:
            if rule is None:
                self._record(db, row[0], document, 0, False, "the alert rule was deleted")
            db.execute("UPDATE alert_outbox SET state = ? WHERE id = ?",
                       ("delivered" if ok else "failed", entry))
        return ok

    def deliver(self, rule: AlertRule, document: dict[str, Any]) -> bool:
        """Send with retries; every attempt is recorded. True when one got through."""
        for attempt in range(1, rule.retries + 1):
            try:
                detail = self._send(rule, document)
                ok = True
            except Exception as exc:  # any failure of the target is recorded and retried
                detail, ok = f"{type(exc).__name__}: {exc}", False
            with closing(self._db()) as db, db:
                self._record(db, rule.name, document, attempt, ok, detail)
            if ok:
                return True
            if attempt < rule.retries:
                time.sleep(self.backoff_seconds * 2 ** (attempt - 1))
        return False

    @staticmethod
    def _record(db: sqlite3.Connection, rule: str, document: dict[str, Any], attempt: int,
                ok: bool, detail: str) -> None:
        db.execute("INSERT INTO alert_deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (rule, document["schedule"], document["scheduled_time"], attempt, _now(),
                    int(ok), detail, json.dumps(document)))

    def outbox(self) -> list[dict[str, Any]]:
        with closing(self._db()) as db:
            db.row_factory = sqlite3.Row
            rows = db.execute("SELECT id, rule, schedule, scheduled_time, queued_at, state "
                              "FROM alert_outbox ORDER BY id").fetchall()
        return [dict(r) for r in rows]

    def _send(self, rule: AlertRule, document: dict[str, Any]) -> str:
        body = json.dumps(document).encode()
        if rule.action == "webhook":
            request = urllib.request.Request(rule.target, data=body, method="POST",
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as response:
                return f"HTTP {response.status}"
        if rule.action == "command":
            done = subprocess.run(rule.target, shell=True, input=body, capture_output=True,
                                  timeout=60)
            if done.returncode != 0:
                raise RuntimeError(f"exit {done.returncode}: {done.stderr[:200]!r}")
            return "exit 0"
        client = self.sns_client
        if client is None:
            import boto3

            client = boto3.client("sns")
        response = client.publish(TopicArn=rule.target, Subject=f"byom-monitor: {rule.name}"[:100],
                                  Message=json.dumps(document, indent=2))
        return f"SNS message {response['MessageId']}"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()
