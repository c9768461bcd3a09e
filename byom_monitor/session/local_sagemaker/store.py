"""The control plane's state in the project's SQLite file: one JSON document per resource.

Tables are prefixed ``sm_`` to stay clear of the scheduler's. Every call opens its own
connection, so a forked job process or a new kernel sees the same state.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from byom_monitor.session.local_sagemaker.transport import ServiceError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sm_resources (
    kind TEXT NOT NULL, name TEXT NOT NULL, created REAL NOT NULL, document TEXT NOT NULL,
    PRIMARY KEY (kind, name));
CREATE TABLE IF NOT EXISTS sm_job_logs (
    job TEXT NOT NULL, line_no INTEGER NOT NULL, line TEXT NOT NULL,
    PRIMARY KEY (job, line_no));
"""


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$time": value.timestamp()}
    raise TypeError(f"cannot store {type(value).__name__}")


def _decode(document: dict) -> Any:
    if set(document) == {"$time"}:
        return datetime.fromtimestamp(document["$time"], timezone.utc)
    return document


class ResourceStore:
    """Resources by kind (``ProcessingJob``, ``Model``, ...) and name."""

    def __init__(self, database: str | Path) -> None:
        self.database = Path(database)
        self.database.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.database, timeout=30)

    def add(self, kind: str, name: str, document: dict[str, Any],
            conflict: str = "ResourceInUse") -> None:
        """Store a new resource; the error code ``conflict`` when the name is taken."""
        with closing(self._connect()) as db, db:
            try:
                db.execute("INSERT INTO sm_resources VALUES (?, ?, ?, ?)",
                           (kind, name, datetime.now(timezone.utc).timestamp(),
                            json.dumps(document, default=_encode)))
            except sqlite3.IntegrityError:
                raise ServiceError(conflict, f"{kind} {name} already exists") from None

    def get(self, kind: str, name: str) -> dict[str, Any]:
        """The document; ``ResourceNotFound`` naming the kind and name when there is none."""
        with closing(self._connect()) as db:
            row = db.execute("SELECT document FROM sm_resources WHERE kind = ? AND name = ?",
                             (kind, name)).fetchone()
        if row is None:
            raise ServiceError("ResourceNotFound", f"{kind} {name} does not exist")
        return json.loads(row[0], object_hook=_decode)

    def find(self, kind: str, name: str) -> dict[str, Any] | None:
        try:
            return self.get(kind, name)
        except ServiceError:
            return None

    def find_arn(self, arn: str) -> tuple[str, str] | None:
        """The kind and name of the resource with this ARN (its own ``...Arn`` field)."""
        with closing(self._connect()) as db:
            rows = db.execute("SELECT kind, name, document FROM sm_resources "
                              "WHERE instr(document, ?) > 0", (json.dumps(arn),)).fetchall()
        for kind, name, document in rows:
            fields = json.loads(document)
            if any(key.endswith("Arn") and value == arn for key, value in fields.items()):
                return kind, name
        return None

    def update(self, kind: str, name: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Merge ``changes`` into the document (a None value removes the key)."""
        with closing(self._connect()) as db, db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT document FROM sm_resources WHERE kind = ? AND name = ?",
                             (kind, name)).fetchone()
            if row is None:
                raise ServiceError("ResourceNotFound", f"{kind} {name} does not exist")
            document = json.loads(row[0], object_hook=_decode)
            document.update(changes)
            document = {k: v for k, v in document.items() if v is not None}
            db.execute("UPDATE sm_resources SET document = ? WHERE kind = ? AND name = ?",
                       (json.dumps(document, default=_encode), kind, name))
        return document

    def delete(self, kind: str, name: str) -> None:
        with closing(self._connect()) as db, db:
            deleted = db.execute("DELETE FROM sm_resources WHERE kind = ? AND name = ?",
                                 (kind, name)).rowcount
        if not deleted:
            raise ServiceError("ResourceNotFound", f"{kind} {name} does not exist")

    def all(self, kind: str) -> Iterator[dict[str, Any]]:
        """Every resource of a kind, oldest first."""
        with closing(self._connect()) as db:
            rows = db.execute("SELECT document FROM sm_resources WHERE kind = ? "
                              "ORDER BY created, name", (kind,)).fetchall()
        return (json.loads(row[0], object_hook=_decode) for row in rows)

    # -- job logs -----------------------------------------------------------------------------
    def add_logs(self, job: str, lines: list[str]) -> None:
        with closing(self._connect()) as db, db:
            start = db.execute("SELECT COUNT(*) FROM sm_job_logs WHERE job = ?",
                               (job,)).fetchone()[0]
            db.executemany("INSERT INTO sm_job_logs VALUES (?, ?, ?)",
                           [(job, start + i, line) for i, line in enumerate(lines)])

    def logs(self, job: str) -> list[str]:
        with closing(self._connect()) as db:
            return [row[0] for row in db.execute(
                "SELECT line FROM sm_job_logs WHERE job = ? ORDER BY line_no", (job,))]
