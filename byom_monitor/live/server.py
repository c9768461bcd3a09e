"""A reference model server: the prep.py model behind ``POST /invocations`` and ``GET /ping``,
with data capture and per-minute operational metrics, on the standard library's WSGI server.

``POST /invocations`` takes ``text/csv`` rows of the model's features (no header; a header
row equal to the feature names is skipped) and answers one probability per line. A body larger
than ``max_body_bytes`` gets 413, another content type 415, a malformed body 400 with a message
naming the row or column; the server never crashes on input.
"""
from __future__ import annotations

import signal
import sqlite3
import threading
import time
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any, Callable, Iterable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import numpy as np
import pandas as pd

from byom_monitor.live.capture import CaptureMiddleware, DataCapture
from byom_monitor.example.model import CreditRiskModel

MAX_BODY_BYTES = 6 * 1024 * 1024  # SageMaker's invocation payload limit
TIME_HEADER = "X-Byom-Inference-Time"


class OperationalMetrics:
    """Invocations, 4xx and 5xx counts and model latency per minute, as an endpoint reports
    them, kept in the SQLite store (written when a minute is over and on close)."""

    SCHEMA = """CREATE TABLE IF NOT EXISTS endpoint_metrics (
        endpoint TEXT NOT NULL, minute TEXT NOT NULL, invocations INTEGER NOT NULL,
        errors_4xx INTEGER NOT NULL, errors_5xx INTEGER NOT NULL,
        model_latency_ms_sum REAL NOT NULL, model_latency_ms_max REAL NOT NULL,
        PRIMARY KEY (endpoint, minute))"""

    def __init__(self, database: str | Path, endpoint: str) -> None:
        self.database, self.endpoint = Path(database), endpoint
        self.database.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.database, timeout=30)) as db, db:
            db.execute(self.SCHEMA)
        self._lock = threading.Lock()
        self._minutes: dict[str, list[float]] = {}

    def observe(self, status: int, latency_ms: float, when: datetime | None = None) -> None:
        minute = (when or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M")
        with self._lock:
            row = self._minutes.setdefault(minute, [0, 0, 0, 0.0, 0.0])
            row[0] += 1
            row[1] += 400 <= status < 500
            row[2] += status >= 500
            row[3] += latency_ms
            row[4] = max(row[4], latency_ms)
            finished = {m: v for m, v in self._minutes.items() if m < minute}
            for m in finished:
                del self._minutes[m]
        if finished:
            self._store(finished)

    def flush(self) -> None:
        with self._lock:
            pending, self._minutes = self._minutes, {}
        self._store(pending)

    def _store(self, minutes: dict[str, list[float]]) -> None:
        with closing(sqlite3.connect(self.database, timeout=30)) as db, db:
            for minute, (calls, e4, e5, total, peak) in minutes.items():
                db.execute(
                    "INSERT INTO endpoint_metrics VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(endpoint, minute) DO UPDATE SET "
                    "invocations = invocations + excluded.invocations, "
                    "errors_4xx = errors_4xx + excluded.errors_4xx, "
                    "errors_5xx = errors_5xx + excluded.errors_5xx, "
                    "model_latency_ms_sum = model_latency_ms_sum + excluded.model_latency_ms_sum, "
                    "model_latency_ms_max = MAX(model_latency_ms_max, excluded.model_latency_ms_max)",
                    (self.endpoint, minute, int(calls), int(e4), int(e5), total, peak))

    def table(self) -> pd.DataFrame:
        with closing(sqlite3.connect(self.database, timeout=30)) as db:
            return pd.read_sql_query("SELECT * FROM endpoint_metrics WHERE endpoint = ? "
                                     "ORDER BY minute", db, params=(self.endpoint,))


class BadRequest(ValueError):
    """The request cannot be served; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ModelApp:
    """The WSGI application serving one model."""

    def __init__(self, model: CreditRiskModel, *, max_body_bytes: int = MAX_BODY_BYTES,
                 metrics: OperationalMetrics | None = None, time_header: str | None = None) -> None:
        self.model, self.max_body_bytes, self.metrics = model, max_body_bytes, metrics
        self.time_environ = "HTTP_" + time_header.upper().replace("-", "_") if time_header else None

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
        if method == "GET" and path == "/ping":
            return _answer(start_response, 200, b"")
        if path != "/invocations" or method != "POST":
            return _answer(start_response, 404, b"only POST /invocations and GET /ping\n")
        started = time.perf_counter()
        try:
            body = self._body(environ)
            scores = self.model.predict_matrix(self._rows(body))
            status, payload = 200, "".join(f"{p}\n" for p in scores).encode()
        except BadRequest as exc:
            status, payload = exc.status, f"{exc}\n".encode()
        except Exception as exc:  # the server must answer, whatever the model does
            status, payload = 500, f"internal error: {type(exc).__name__}: {exc}\n".encode()
        if self.metrics is not None:
            stamp = environ.get(self.time_environ) if self.time_environ else None
            when = datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None
            self.metrics.observe(status, (time.perf_counter() - started) * 1000, when)
        return _answer(start_response, status, payload, "text/csv" if status == 200 else "text/plain")

    def _body(self, environ: dict[str, Any]) -> bytes:
        content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type != "text/csv":
            raise BadRequest(415, f"Content-Type must be text/csv, got {content_type or 'none'}")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise BadRequest(400, "invalid Content-Length") from None
        if length > self.max_body_bytes:
            raise BadRequest(413, f"body of {length} bytes exceeds {self.max_body_bytes} bytes")
        if length == 0:
            raise BadRequest(400, "empty body: send CSV rows of the model's features")
        return environ["wsgi.input"].read(length)

    def _rows(self, body: bytes) -> np.ndarray:
        """The CSV rows as a float matrix (an empty field is a missing value)."""
        features = self.model.features
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
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 413: "Payload Too Large",
              415: "Unsupported Media Type", 500: "Internal Server Error"}[status]
    start_response(f"{status} {reason}", [("Content-Type", content_type),
                                          ("Content-Length", str(len(body)))])
    return [body]


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:  # no line per request on stderr
        pass


def make_app(model_dir: str | Path, *, capture: DataCapture | None = None,
             metrics: OperationalMetrics | None = None, simulated_time: bool = False) -> Callable:
    """The served application: the model, wrapped in capture when given. With
    ``simulated_time`` the ``X-Byom-Inference-Time`` header sets the captured inference time
    (for replaying traffic with simulated timestamps)."""
    header = TIME_HEADER if simulated_time else None
    app: Callable = ModelApp(CreditRiskModel.load(model_dir), metrics=metrics, time_header=header)
    if capture is not None:
        app = CaptureMiddleware(app, capture, time_header=TIME_HEADER if simulated_time else None)
    return app


def serve(app: Callable, host: str = "127.0.0.1", port: int = 8080) -> ThreadingWSGIServer:
    """A started server (in a background thread); ``server.shutdown()`` stops it."""
    server = make_server(host, port, app, server_class=ThreadingWSGIServer,
                         handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    """``python -m byom_monitor.live.server``: serve a model folder until interrupted."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m byom_monitor.live.server",
                                     description="Serve a prep.py model: POST /invocations "
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
    capture = (DataCapture(args.capture, args.endpoint,
                           sampling_percentage=args.sampling_percentage)
               if args.capture else None)
    metrics = OperationalMetrics(args.database, args.endpoint) if args.database else None
    server = serve(make_app(args.model_dir, capture=capture, metrics=metrics,
                            simulated_time=args.simulated_time), args.host, args.port)
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
        if capture is not None:
            capture.close()  # every buffered record is written on a clean shutdown
        if metrics is not None:
            metrics.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
