"""Leases in the SQLite store, so that of several processes sharing one store only one works
on a resource at a time (a schedule window, an alert delivery).

A lease row names its owner (``host:pid:token``) and an expiry, renewed by a heartbeat while
the work runs. Another process takes a lease over only when it has expired, or when its owner
is a process of this host that no longer runs (a scheduler killed with SIGKILL): its work is
then redone at once instead of after the expiry.
"""
from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

LEASE_SECONDS = 120.0
SCHEMA = ("CREATE TABLE IF NOT EXISTS leases (resource TEXT PRIMARY KEY, owner TEXT NOT NULL, "
          "expires REAL NOT NULL)")


class Leases:
    """Claims and releases leases in one SQLite file on behalf of this process."""

    def __init__(self, database: str | Path, seconds: float = LEASE_SECONDS) -> None:
        self.database, self.seconds = Path(database), seconds
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        with closing(self._db()) as db, db:
            db.execute(SCHEMA)

    def _db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.database, timeout=30, isolation_level=None)

    def claim(self, resource: str) -> bool:
        """Take the lease unless another live owner holds it; True when taken."""
        with closing(self._db()) as db:
            db.execute("BEGIN IMMEDIATE")  # one claimer at a time reads and writes the row
            try:
                row = db.execute("SELECT owner, expires FROM leases WHERE resource = ?",
                                 (resource,)).fetchone()
                if row and row[0] != self.owner and row[1] > time.time() and _alive(row[0]):
                    return False
                db.execute("INSERT OR REPLACE INTO leases VALUES (?, ?, ?)",
                           (resource, self.owner, time.time() + self.seconds))
                return True
            finally:
                db.execute("COMMIT")

    def release(self, resource: str) -> None:
        with closing(self._db()) as db:
            db.execute("DELETE FROM leases WHERE resource = ? AND owner = ?",
                       (resource, self.owner))

    def _renew(self, resource: str) -> None:
        with closing(self._db()) as db:
            db.execute("UPDATE leases SET expires = ? WHERE resource = ? AND owner = ?",
                       (time.time() + self.seconds, resource, self.owner))

    @contextmanager
    def holding(self, resource: str) -> Iterator[bool]:
        """Claim ``resource`` for the ``with`` block (True) or not (False), renewing the lease
        while the block runs and releasing it after."""
        if not self.claim(resource):
            yield False
            return
        stop = threading.Event()

        def heartbeat() -> None:
            while not stop.wait(self.seconds / 3):
                self._renew(resource)

        beating = threading.Thread(target=heartbeat, daemon=True)
        beating.start()
        try:
            yield True
        finally:
            stop.set()
            beating.join()
            self.release(resource)


def _alive(owner: str) -> bool:
    """False only when the owner is a process of this host that has ended (or is a zombie)."""
    host, pid, _ = owner.rsplit(":", 2)
    if host != socket.gethostname():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")
