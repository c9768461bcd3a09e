"""Read-only queries over the monitoring store's SQLite file (schedules, executions, alert rules
and deliveries, endpoint metrics), each bounded: one row by key, one page of rows,
or an aggregate computed inside SQLite. The dashboard never writes to the store.
"""
from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

TERMINAL = ("Completed", "CompletedWithViolations", "Failed", "Stopped")


@dataclass
class ExecutionRow:
    schedule: str
    scheduled_time: str
    status: str
    exit_message: str
    failure_reason: str | None
    outputs: dict[str, str]
    metrics: dict[str, float]
    seconds: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def violations(self) -> int | None:
        value = self.metrics.get("violations")
        return None if value is None else int(value)


def _decoded(text: str | None) -> dict:
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _execution(row: sqlite3.Row) -> ExecutionRow:
    keys = row.keys()
    known = {"schedule", "scheduled_time", "status", "exit_message", "failure_reason", "outputs",
             "metrics"}
    return ExecutionRow(row["schedule"], row["scheduled_time"], row["status"],
                        row["exit_message"] or "", row["failure_reason"],
                        _decoded(row["outputs"]), _decoded(row["metrics"]),
                        _seconds(row), {k: row[k] for k in keys if k not in known})


def _seconds(row: sqlite3.Row) -> float | None:
    """The execution's duration, when the store records one (a ``seconds`` column, or start
    and end times)."""
    keys = row.keys()
    if "seconds" in keys and row["seconds"] is not None:
        return float(row["seconds"])
    for start, end in (("started", "finished"), ("started_at", "finished_at")):
        if start in keys and end in keys and row[start] and row[end]:
            try:
                return (datetime.fromisoformat(row[end])
                        - datetime.fromisoformat(row[start])).total_seconds()
            except (TypeError, ValueError):
                return None
    return None


class StoreReader:
    """Queries of one SQLite file, opened read-only per call; a missing file is an empty store."""

    def __init__(self, database: str | Path) -> None:
        self.database = Path(database)

    def _db(self) -> sqlite3.Connection | None:
        if not self.database.is_file():
            return None
        db = sqlite3.connect(f"file:{quote(str(self.database.resolve()))}?mode=ro", uri=True,
                             timeout=10)
        db.row_factory = sqlite3.Row
        return db

    def _rows(self, query: str, parameters: tuple = (), table: str | None = None
              ) -> list[sqlite3.Row]:
        """The rows of a query; none when the file or the query's table does not exist."""
        db = self._db()
        if db is None:
            return []
        with closing(db):
            if table and not db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                                        "AND name = ?", (table,)).fetchone():
                return []
            return db.execute(query, parameters).fetchall()

    # -- schedules and executions ---------------------------------------------------------------
    def schedules(self) -> list[dict[str, Any]]:
        rows = self._rows("SELECT name, definition FROM schedules ORDER BY name", table="schedules")
        return [{"name": r["name"], **_decoded(r["definition"])} for r in rows]

    def schedule(self, name: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT name, definition FROM schedules WHERE name = ?", (name,),
                          table="schedules")
        return {"name": rows[0]["name"], **_decoded(rows[0]["definition"])} if rows else None

    def latest(self, schedule: str) -> ExecutionRow | None:
        """The schedule's newest execution (whatever its status)."""
        rows = self._rows("SELECT * FROM executions WHERE schedule = ? "
                          "ORDER BY scheduled_time DESC LIMIT 1", (schedule,), table="executions")
        return _execution(rows[0]) if rows else None

    def count(self, schedule: str) -> int:
        rows = self._rows("SELECT COUNT(*) FROM executions WHERE schedule = ?", (schedule,),
                          table="executions")
        return rows[0][0] if rows else 0

    def executions(self, schedule: str, before: str | None = None, limit: int = 50
                   ) -> list[ExecutionRow]:
        """A page of executions, newest first, older than ``before`` (keyset pagination)."""
        query, parameters = "SELECT * FROM executions WHERE schedule = ?", (schedule,)
        if before:
            query, parameters = query + " AND scheduled_time < ?", (schedule, before)
        rows = self._rows(query + " ORDER BY scheduled_time DESC LIMIT ?", (*parameters, limit),
                          table="executions")
        return [_execution(r) for r in rows]

    def execution(self, schedule: str, scheduled_time: str) -> ExecutionRow | None:
        rows = self._rows("SELECT * FROM executions WHERE schedule = ? AND scheduled_time = ?",
                          (schedule, scheduled_time), table="executions")
        return _execution(rows[0]) if rows else None

    def metric_series(self, schedule: str, since: str, names: tuple[str, ...] = (),
                      prefixes: tuple[str, ...] = ()) -> dict[str, list[tuple[str, float]]]:
        """``metric -> [(scheduled time, value)]`` of the executions since ``since``, for the
        named metrics and those starting with a prefix."""
        series: dict[str, list[tuple[str, float]]] = {}
        for moment, metrics in self._rows(
                "SELECT scheduled_time, metrics FROM executions WHERE schedule = ? "
                "AND scheduled_time >= ? ORDER BY scheduled_time", (schedule, since),
                table="executions"):
            for name, value in _decoded(metrics).items():
                if (name in names or name.startswith(prefixes)) and \
                        isinstance(value, (int, float)) and not isinstance(value, bool):
                    series.setdefault(name, []).append((moment, float(value)))
        return series

    def day_fingerprints(self, schedule: str, since: str) -> dict[str, tuple[int, int]]:
        """Per day since ``since``: the number of executions and the newest row id, which
        change when an execution is added or saved again (the store replaces a saved row).
        Read from the index alone."""
        rows = self._rows("SELECT substr(scheduled_time, 1, 10) AS day, COUNT(*), MAX(rowid) "
                          "FROM executions WHERE schedule = ? AND scheduled_time >= ? "
                          "GROUP BY day", (schedule, since), table="executions")
        return {r[0]: (r[1], r[2]) for r in rows}

    def daily_extremes(self, schedule: str, days: list[str]
                       ) -> dict[str, dict[str, tuple[float, float]]]:
        """``day -> metric -> (lowest, highest)`` of every metric of the given days."""
        if not days:
            return {}
        marks = ", ".join("?" * len(days))
        rows = self._rows(
            "SELECT substr(e.scheduled_time, 1, 10) AS day, j.key, MIN(j.value), MAX(j.value) "
            "FROM executions e, json_each(e.metrics) j WHERE e.schedule = ? "
            "AND e.scheduled_time >= ? AND e.scheduled_time < ? AND json_valid(e.metrics) "
            f"AND j.type IN ('real', 'integer') AND substr(e.scheduled_time, 1, 10) IN ({marks}) "
            "GROUP BY day, j.key", (schedule, min(days), max(days) + "~", *days),
            table="executions")
        extremes: dict[str, dict[str, tuple[float, float]]] = {day: {} for day in days}
        for day, name, low, high in rows:
            extremes[day][name] = (low, high)
        return extremes

    # -- endpoints --------------------------------------------------------------------------------
    def endpoints(self) -> list[str]:
        """Endpoints of the schedules and of the recorded operational metrics."""
        names = {s.get("endpoint") for s in self.schedules() if s.get("endpoint")}
        db = self._db()
        if db is None:
            return sorted(names)
        with closing(db):
            if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'endpoint_metrics'").fetchone():
                # distinct leading key values by index seeks, not by reading every minute
                current = db.execute("SELECT MIN(endpoint) FROM endpoint_metrics").fetchone()[0]
                while current is not None:
                    names.add(current)
                    current = db.execute("SELECT MIN(endpoint) FROM endpoint_metrics "
                                         "WHERE endpoint > ?", (current,)).fetchone()[0]
        return sorted(names)

    def endpoint_traffic(self, endpoint: str, since: str, bucket: int
                         ) -> list[sqlite3.Row]:
        """Per bucket (the first ``bucket`` characters of the minute: 16 a minute, 13 an hour,
        10 a day): invocations, 4xx, 5xx, mean and peak model latency."""
        return self._rows(
            "SELECT substr(minute, 1, ?) AS moment, SUM(invocations) AS invocations, "
            "SUM(errors_4xx) AS errors_4xx, SUM(errors_5xx) AS errors_5xx, "
            "SUM(model_latency_ms_sum) / MAX(SUM(invocations), 1) AS latency_mean, "
            "MAX(model_latency_ms_max) AS latency_max FROM endpoint_metrics "
            "WHERE endpoint = ? AND minute >= ? GROUP BY moment ORDER BY moment",
            (bucket, endpoint, since), table="endpoint_metrics")

    def last_minute(self, endpoint: str) -> str | None:
        rows = self._rows("SELECT MAX(minute) FROM endpoint_metrics WHERE endpoint = ?",
                          (endpoint,), table="endpoint_metrics")
        return rows[0][0] if rows else None

    # -- alerts -----------------------------------------------------------------------------------
    def alert_rules(self) -> list[dict[str, Any]]:
        rows = self._rows("SELECT name, definition FROM alert_rules ORDER BY name",
                          table="alert_rules")
        return [{"name": r["name"], **_decoded(r["definition"])} for r in rows]

    def deliveries(self, offset: int = 0, limit: int = 50) -> list[dict[str, Any]]:
        """A page of delivery attempts, newest first (insertion order; no sort of the table)."""
        rows = self._rows("SELECT rule, schedule, scheduled_time, attempt, delivered_at, ok, "
                          "detail, document FROM alert_deliveries ORDER BY rowid DESC "
                          "LIMIT ? OFFSET ?", (limit, offset), table="alert_deliveries")
        return [{**dict(r), "document": _decoded(r["document"])} for r in rows]

    def open_alerts(self, limit: int = 50) -> list[dict[str, Any]]:
        """Alerts waiting in the outbox (queued, or being delivered), newest first."""
        rows = self._rows("SELECT rule, schedule, scheduled_time, queued_at, state "
                          "FROM alert_outbox WHERE state IN ('queued', 'delivering') "
                          "ORDER BY id DESC LIMIT ?", (limit,), table="alert_outbox")
        return [dict(r) for r in rows]

    def delivery_count(self) -> int:
        rows = self._rows("SELECT COUNT(*) FROM alert_deliveries", table="alert_deliveries")
        return rows[0][0] if rows else 0
