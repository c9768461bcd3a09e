"""A reference model server: any model :func:`~byom_monitor.clarify.models.as_predictor`
accepts (an estimator, an XGBoost booster, a callable, a model folder) behind
``POST /invocations`` and ``GET /ping``, with data capture and per-minute operational metrics,
on the standard library's WSGI server.

``POST /invocations`` takes ``text/csv`` rows of the model's features (no header; a header
row equal to the feature names is skipped) and answers one probability per line. A body larger
than ``max_body_bytes`` gets 413 (decided from ``Content-Length``, before reading), a bad or
missing length 400 / 411, another content type 415, a malformed body or time header 400 with a
message naming the row, column or header; the server never crashes on input.

The server is threaded, with a listen backlog of 128 (no connection resets under a burst of
clients), and closes a connection idle for ``idle_timeout`` seconds.
"""
from __future__ import annotations

import signal
import socket
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import numpy as np
import pandas as pd

from byom_monitor.clarify.models import Predictor, as_predictor
from byom_monitor.live.capture import CaptureMiddleware, DataCapture
from byom_monitor.live.http_request import MAX_BODY_BYTES, BadRequest, header_time, read_body

TIME_HEADER = "X-Byom-Inference-Time"
IDLE_TIMEOUT_SECONDS = 30.0


class OperationalMetrics:
    """Invocations, 4xx and 5xx counts and model latency per minute, as an endpoint reports
    them, and the capture's write failures and dropped records, kept in the SQLite store.
    Counts are added to the store every ``flush_seconds`` by a timer and on :meth:`close`, so
    an idle server stores its last busy minute and a crash loses at most that interval."""

    SCHEMA = """CREATE TABLE IF NOT EXISTS endpoint_metrics (
        endpoint TEXT NOT NULL, minute TEXT NOT NULL, invocations INTEGER NOT NULL,
        errors_4xx INTEGER NOT NULL, errors_5xx INTEGER NOT NULL,
        model_latency_ms_sum REAL NOT NULL, model_latency_ms_max REAL NOT NULL,
        PRIMARY KEY (endpoint, minute))"""
    #: Columns added after the first version (the table is only ever extended).
    ADDED_COLUMNS = ("capture_write_failures", "capture_dropped")

    def __init__(self, database: str | Path, endpoint: str, *, flush_seconds: float = 5.0) -> None:
        self.database, self.endpoint = Path(database), endpoint
        self.database.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.database, timeout=30)) as db, db:
            db.execute(self.SCHEMA)
            present = {row[1] for row in db.execute("PRAGMA table_info(endpoint_metrics)")}
            for column in self.ADDED_COLUMNS:
                if column not in present:
                    try:
                        db.execute(f"ALTER TABLE endpoint_metrics ADD COLUMN {column} "
                                   f"INTEGER NOT NULL DEFAULT 0")
                    except sqlite3.OperationalError:  # another process added it meanwhile
                        pass
        self.flush_seconds = flush_seconds
        self._lock = threading.Lock()
        self._minutes: dict[str, list[float]] = {}
        self._closed = threading.Event()
        self._timer = threading.Thread(target=self._flush_periodically, daemon=True)
        self._timer.start()

    def observe(self, status: int, latency_ms: float, when: datetime | None = None) -> None:
        with self._lock:
            self._add(_minute(when), [1, 400 <= status < 500, status >= 500, latency_ms,
                                      latency_ms, 0, 0])

    def capture_problem(self, kind: str, count: int = 1) -> None:
        """Count capture write failures or dropped records (``DataCapture.on_problem``)."""
        values = [0, 0, 0, 0.0, 0.0, 0, 0]
        values[5 + self.ADDED_COLUMNS.index(kind)] = count
        with self._lock:
            self._add(_minute(None), values)

    def _add(self, minute: str, values: list[float]) -> None:
        """Add one minute's counts (under the lock); the latency maximum is a maximum."""
        row = self._minutes.setdefault(minute, [0, 0, 0, 0.0, 0.0, 0, 0])
        peak = max(row[4], values[4])
        row[:] = [a + b for a, b in zip(row, values)]
        row[4] = peak

    def flush(self) -> None:
        """Add the counts so far to the store (they stay in memory if the store fails)."""
        with self._lock:
            pending, self._minutes = self._minutes, {}
        try:
            self._store(pending)
        except sqlite3.Error:
            with self._lock:
                for minute, values in pending.items():
                    self._add(minute, values)
            raise

    def close(self) -> None:
        """Stop the timer and store everything."""
        self._closed.set()
        self._timer.join()
        self.flush()

    def _flush_periodically(self) -> None:
        while not self._closed.wait(self.flush_seconds):
            try:
                self.flush()
            except sqlite3.Error:  # a locked or failing store: retried on the next tick
                pass

    def _store(self, minutes: dict[str, list[float]]) -> None:
        if not minutes:
            return
        with closing(sqlite3.connect(self.database, timeout=30)) as db, db:
            for minute, (calls, e4, e5, total, peak, failures, dropped) in minutes.items():
                db.execute(
                    "INSERT INTO endpoint_metrics (endpoint, minute, invocations, errors_4xx, "
                    "errors_5xx, model_latency_ms_sum, model_latency_ms_max, "
                    "capture_write_failures, capture_dropped) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(endpoint, minute) DO UPDATE SET "
                    "invocations = invocations + excluded.invocations, "
                    "errors_4xx = errors_4xx + excluded.errors_4xx, "
                    "errors_5xx = errors_5xx + excluded.errors_5xx, "
                    "model_latency_ms_sum = model_latency_ms_sum + excluded.model_latency_ms_sum, "
                    "model_latency_ms_max = MAX(model_latency_ms_max, "
                    "excluded.model_latency_ms_max), "
                    "capture_write_failures = capture_write_failures + "
                    "excluded.capture_write_failures, "
                    "capture_dropped = capture_dropped + excluded.capture_dropped",
                    (self.endpoint, minute, int(calls), int(e4), int(e5), total, peak,
                     int(failures), int(dropped)))

    def table(self) -> pd.DataFrame:
        with closing(sqlite3.connect(self.database, timeout=30)) as db:
            return pd.read_sql_query("SELECT * FROM endpoint_metrics WHERE endpoint = ? "
                                     "ORDER BY minute", db, params=(self.endpoint,))


def _minute(when: datetime | None) -> str:
    return (when or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M")


class ModelApp:
    """The WSGI application serving one model; a request's rows are the values of
    ``features``, in order (default: the model's own ``features``)."""

    def __init__(self, model: Predictor, features: list[str] | None = None, *,
                 max_body_bytes: int = MAX_BODY_BYTES, metrics: OperationalMetrics | None = None,
                 time_header: str | None = None) -> None:
        features = features if features is not None else getattr(model, "features", None)
        if not features:
            raise ValueError("the served model needs its feature names (features=...)")
        self.model, self.features = model, list(features)
        self.max_body_bytes, self.metrics, self.time_header = max_body_bytes, metrics, time_header

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
        if method == "GET" and path == "/ping":
            return _answer(start_response, 200, b"")
        if path != "/invocations" or method != "POST":
            return _answer(start_response, 404, b"only POST /invocations and GET /ping\n")
        started = time.perf_counter()
        when = None
        try:
            when = header_time(environ, self.time_header) if self.time_header else None
            body = self._body(environ)
            rows = pd.DataFrame(self._rows(body), columns=self.features)
            scores = np.asarray(self.model.predict(rows), dtype=float)
            status, payload = 200, "".join(f"{p}\n" for p in scores).encode()
        except BadRequest as exc:
            status, payload = exc.status, f"{exc}\n".encode()
        except Exception as exc:  # the server must answer, whatever the model does
            status, payload = 500, f"internal error: {type(exc).__name__}: {exc}\n".encode()
        if self.metrics is not None:
            self.metrics.observe(status, (time.perf_counter() - started) * 1000, when)
        return _answer(start_response, status, payload,
                       "text/csv" if status == 200 else "text/plain")

    def _body(self, environ: dict[str, Any]) -> bytes:
        content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type != "text/csv":
            raise BadRequest(415, f"Content-Type must be text/csv, got {content_type or 'none'}")
        body = read_body(environ, self.max_body_bytes)
        if not body:
            raise BadRequest(400, "empty body: send CSV rows of the model's features")
        return body

    def _rows(self, body: bytes) -> np.ndarray:
        """The CSV rows as a float matrix (an empty field is a missing value)."""
        features = self.features
        try:
            lines = [line for line in body.decode("utf-8").splitlines() if line.strip()]
        except UnicodeDecodeError:
            raise BadRequest(400, "body is not UTF-8 text") from None
        rows = [line.split(",") for line in lines]
        if rows and [v.strip() for v in rows[0]] == features:
            rows = rows[1:]
        if not rows:
            raise BadRequest(400, "no rows: send CSV rows of the model's features")
        for number, row in enumerate(rows, start=1):
            if len(row) != len(features):
                raise BadRequest(400, f"row {number} has {len(row)} values, expected "
                                      f"{len(features)} ({', '.join(features)})")
        try:
            return np.array([[v if v.strip() else "nan" for v in row] for row in rows], dtype=float)
        except ValueError:
            for number, row in enumerate(rows, start=1):
                for name, value in zip(features, row):
                    try:
                        float(value or "nan")
                    except ValueError:
                        raise BadRequest(400, f"row {number}, column '{name}': {value!r} is "
                                              f"not a number") from None
            raise


def _answer(start_response: Callable, status: int, body: bytes,
            content_type: str = "text/plain") -> list[bytes]:
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 411: "Length Required",
              413: "Payload Too Large", 415: "Unsupported Media Type",
              500: "Internal Server Error"}[status]
    start_response(f"{status} {reason}", [("Content-Type", content_type),
                                          ("Content-Length", str(len(body)))])
    return [body]


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128  # the listen backlog (socketserver's 5 resets bursts of clients)
    #: After answering, what is still sent (a refused body) is read and discarded, up to this
    #: much, so that closing does not reset the connection before the client reads the answer.
    linger_bytes, linger_seconds = 8 * 1024 * 1024, 2.0

    def shutdown_request(self, request: socket.socket) -> None:
        try:
            request.shutdown(socket.SHUT_WR)  # the answer is complete
            request.settimeout(self.linger_seconds)
            deadline, drained = time.monotonic() + self.linger_seconds, 0
            while drained < self.linger_bytes and time.monotonic() < deadline:
                chunk = request.recv(65536)
                if not chunk:
                    break
                drained += len(chunk)
        except OSError:  # the client is gone already
            pass
        self.close_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line instead of socketserver's traceback; nothing for an idle or gone client."""
        error = sys.exc_info()[1]
        if not isinstance(error, (TimeoutError, ConnectionError)):
            print(f"error: request from {client_address[0]}: {type(error).__name__}: {error}",
                  file=sys.stderr)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:  # no line per request on stderr
        pass


def make_app(model: Any, *, features: list[str] | None = None,
             capture: DataCapture | None = None, metrics: OperationalMetrics | None = None,
             simulated_time: bool = False) -> Callable:
    """The served application: the model (a model folder, or any model
    :func:`~byom_monitor.clarify.models.as_predictor` accepts), wrapped in capture when given. With
    ``simulated_time`` the ``X-Byom-Inference-Time`` header sets the captured inference time
    (for replaying traffic with simulated timestamps)."""
    header = TIME_HEADER if simulated_time else None
    app: Callable = ModelApp(as_predictor(model), features, metrics=metrics, time_header=header)
    if capture is not None:
        if metrics is not None:
            capture.on_problem = metrics.capture_problem
        app = CaptureMiddleware(app, capture, time_header=header)
    return app


def serve(app: Callable, host: str = "127.0.0.1", port: int = 8080, *,
          idle_timeout: float = IDLE_TIMEOUT_SECONDS) -> ThreadingWSGIServer:
    """A started server (in a background thread); ``server.shutdown()`` stops it. A
    connection that sends nothing for ``idle_timeout`` seconds is closed."""
    handler = type("Handler", (_QuietHandler,), {"timeout": idle_timeout})
    server = make_server(host, port, app, server_class=ThreadingWSGIServer, handler_class=handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    """``python -m byom_monitor.live.server``: serve a model folder until interrupted."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m byom_monitor.live.server",
                                     description="Serve a model folder: POST /invocations "
                                                 "(text/csv rows -> probabilities), GET /ping.")
    parser.add_argument("--model-dir", default="models")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--capture", metavar="DESTINATION",
                        help="capture traffic below this folder or s3:// prefix")
    parser.add_argument("--endpoint", default="credit-model", help="endpoint name for capture")
    parser.add_argument("--sampling-percentage", type=float, default=100.0)
    parser.add_argument("--simulated-time", action="store_true",
                        help=f"take the captured inference time from the {TIME_HEADER} header")
    parser.add_argument("--database", help="SQLite file for per-minute operational metrics")
    args = parser.parse_args(argv)
    try:  # a wrong folder, database or port is one line on stderr, exit code 2
        capture = (DataCapture(args.capture, args.endpoint,
                               sampling_percentage=args.sampling_percentage)
                   if args.capture else None)
        metrics = OperationalMetrics(args.database, args.endpoint) if args.database else None
        server = serve(make_app(args.model_dir, capture=capture, metrics=metrics,
                                simulated_time=args.simulated_time), args.host, args.port)
    except (OSError, sqlite3.Error, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"serving {args.model_dir} on http://{args.host}:{server.server_port}/invocations",
          flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())  # a clean shutdown, like Ctrl-C
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        unwritten = None
        if capture is not None:
            try:
                capture.close()  # every buffered record is written on a clean shutdown
            except RuntimeError as exc:
                unwritten = exc
        if metrics is not None:
            metrics.close()
    if unwritten is not None:
        print(f"error: {unwritten}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
