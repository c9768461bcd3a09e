"""Recording monitoring runs: one SQLite file (standard library) under the result store.

An *experiment* groups *runs* (one per scenario and time); a run holds one row per check with
its status, exit message, number of violations, output locations and duration. Notebook 06 reads
them back; the original kept the same facts as SageMaker Experiments parameters.
"""
from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id      TEXT PRIMARY KEY,
    experiment  TEXT NOT NULL,
    scenario    TEXT NOT NULL,
    started     TEXT NOT NULL,
    seconds     REAL
);
CREATE TABLE IF NOT EXISTS checks (
    run_id        TEXT NOT NULL REFERENCES runs(run_id),
    check_name    TEXT NOT NULL,
    status        TEXT NOT NULL,
    exit_message  TEXT,
    violations    INTEGER NOT NULL,
    outputs       TEXT NOT NULL,
    seconds       REAL NOT NULL,
    PRIMARY KEY (run_id, check_name)
);
CREATE TABLE IF NOT EXISTS parameters (
    run_id  TEXT NOT NULL REFERENCES runs(run_id),
    name    TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (run_id, name)
);
"""


class ExperimentStore:
    """Runs and check results in one SQLite file (created on first use)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def start_run(self, experiment: str, scenario: str) -> str:
        started = datetime.now(timezone.utc)
        run_id = f"{experiment}-{scenario}-{started.strftime('%Y%m%dT%H%M%S%f')}"
        with closing(self._connect()) as db, db:
            db.execute("INSERT INTO runs VALUES (?, ?, ?, ?, NULL)",
                       (run_id, experiment, scenario, started.isoformat()))
        return run_id

    def record_check(self, run_id: str, check: str, status: str, exit_message: str,
                     violations: int, outputs: dict[str, str], seconds: float) -> None:
        with closing(self._connect()) as db, db:
            db.execute("INSERT OR REPLACE INTO checks VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (run_id, check, status, exit_message, int(violations),
                        json.dumps(outputs), float(seconds)))

    def log_parameters(self, run_id: str, parameters: dict[str, str]) -> None:
        """String parameters of a run (as SageMaker Experiments' ``Run.log_parameters``)."""
        with closing(self._connect()) as db, db:
            db.executemany("INSERT OR REPLACE INTO parameters VALUES (?, ?, ?)",
                           [(run_id, name, str(value)) for name, value in parameters.items()])

    def parameters(self, run_id: str) -> dict[str, str]:
        with closing(self._connect()) as db:
            found = db.execute("SELECT name, value FROM parameters WHERE run_id = ?",
                               (run_id,)).fetchall()
        if not found:
            raise KeyError(f"{self.path}: no parameters recorded for run {run_id!r}")
        return dict(found)

    def finish_run(self, run_id: str, seconds: float) -> None:
        with closing(self._connect()) as db, db:
            db.execute("UPDATE runs SET seconds = ? WHERE run_id = ?", (float(seconds), run_id))

    def checks(self, experiment: str | None = None, latest_only: bool = True) -> pd.DataFrame:
        """One row per (run, check); with ``latest_only`` the newest run of each scenario."""
        query = ("SELECT r.run_id, r.experiment, r.scenario, r.started, r.seconds AS run_seconds,"
                 " c.check_name, c.status, c.exit_message, c.violations, c.outputs, c.seconds"
                 " FROM runs r JOIN checks c ON c.run_id = r.run_id")
        parameters: tuple = ()
        if experiment is not None:
            query += " WHERE r.experiment = ?"
            parameters = (experiment,)
        with closing(self._connect()) as db:
            frame = pd.read_sql_query(query + " ORDER BY r.started", db, params=parameters)
        frame["outputs"] = frame["outputs"].map(json.loads)
        if latest_only and not frame.empty:
            newest = frame.groupby("scenario")["started"].transform("max")
            frame = frame[frame["started"] == newest].reset_index(drop=True)
        return frame
