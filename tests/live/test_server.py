"""The reference server: answers, errors, capture, metrics, and the load test of issue 7."""
import json
import socket
import threading
import time
import tracemalloc
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from byom_monitor.example.model import CreditRiskModel
from byom_monitor.live.capture import DataCapture
from byom_monitor.live.replay import replay
from byom_monitor.live.server import OperationalMetrics, make_app, serve


@pytest.fixture
def served(prepared, tmp_path):
    capture = DataCapture(str(tmp_path / "capture"), "credit", flush_seconds=0.5)
    metrics = OperationalMetrics(tmp_path / "monitor.sqlite", "credit")
    server = serve(make_app(prepared["models"], capture=capture, metrics=metrics,
                            simulated_time=True), port=0)
    yield f"http://127.0.0.1:{server.server_port}", capture, metrics
    server.shutdown()
    capture.close()
    metrics.close()


def post(url, body, content_type="text/csv"):
    request = urllib.request.Request(url + "/invocations", data=body, method="POST",
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_ping_and_predictions(served, prepared):
    url = served[0]
    with urllib.request.urlopen(url + "/ping", timeout=5) as response:
        assert response.status == 200
    test = pd.read_csv(prepared["data"] / "test.csv")
    model = CreditRiskModel.load(prepared["models"])
    rows = test[model.features].head(3)
    status, text = post(url, rows.to_csv(header=True, index=False).encode())  # header skipped
    assert status == 200
    assert np.allclose([float(v) for v in text.split()], model.predict_proba(rows), atol=1e-6)


@pytest.mark.parametrize("body, content_type, status, message", [
    (b"1,2,3\n", "text/csv", 400, "row 1 has 3 values, expected 20"),
    (b"", "text/csv", 400, "empty body"),
    (b"\xff\xfe", "text/csv", 400, "not UTF-8"),
    (b'{"a": 1}', "application/json", 415, "Content-Type must be text/csv"),
    (b",".join([b"1"] * 19 + [b"x"]) + b"\n", "text/csv", 400, "column 'foreign_worker': 'x'"),
])
def test_malformed_requests_get_a_message(served, body, content_type, status, message):
    got, text = post(served[0], body, content_type)
    assert got == status and message in text


def test_oversized_body_is_refused(prepared, tmp_path):
    server = serve(make_app(prepared["models"]), port=0)
    try:
        app = server.get_app()
        app.max_body_bytes = 100
        status, text = post(f"http://127.0.0.1:{server.server_port}", b"1," * 100)
        assert status == 413 and "exceeds 100 bytes" in text
    finally:
        server.shutdown()


def test_operational_metrics_count_errors(served, prepared):
    url, _, metrics = served
    row = pd.read_csv(prepared["data"] / "test.csv").iloc[:1, :20].to_csv(header=False, index=False)
    for _ in range(3):
        post(url, row.encode())
    post(url, b"1,2\n")
    metrics.flush()
    table = metrics.table()
    assert table[["invocations", "errors_4xx", "errors_5xx"]].sum().tolist() == [4, 1, 0]
    assert (table["model_latency_ms_max"] > 0).all()


def test_load_8_clients_20000_requests(served, prepared, tmp_path):
    """Every request answered; the capture holds exactly the sampled (here: all) records, each
    line valid JSON with the simulated time and the caller's inference id."""
    url, capture, _ = served
    train = pd.read_csv(prepared["data"] / "train.csv")
    frame = pd.concat([train] * 29, ignore_index=True).head(20_000)
    features = [c for c in train.columns if c != "credit_risk"]
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    report = replay(url + "/invocations", frame, features, start=start,
                    interval=timedelta(seconds=1), label="credit_risk",
                    ground_truth=str(tmp_path / "truth"), clients=8, prefix="row")
    assert report.answered == 20_000 and report.status_counts == {200: 20_000}
    capture.close()
    records = [json.loads(line) for path in (tmp_path / "capture").rglob("*.jsonl")
               for line in path.read_text().splitlines()]
    assert len(records) == 20_000
    ids = {r["eventMetadata"]["inferenceId"] for r in records}
    assert ids == {f"row-{i}" for i in range(20_000)}
    times = sorted(r["eventMetadata"]["inferenceTime"] for r in records)
    assert times[0] == "2024-01-01T00:00:00Z" and times[-1] == "2024-01-01T05:33:19Z"
    truth = [json.loads(line) for path in (tmp_path / "truth").rglob("*.jsonl")
             for line in path.read_text().splitlines()]
    assert len(truth) == 20_000 and len(list((tmp_path / "truth").rglob("*.jsonl"))) == 6


def test_clean_shutdown_writes_every_captured_record(prepared, tmp_path):
    import signal
    import socket
    import subprocess
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "byom_monitor.live.server", "--model-dir",
                               str(prepared["models"]), "--port", str(port), "--capture",
                               str(tmp_path / "capture")], stdout=subprocess.PIPE, text=True)
    try:
        assert "serving" in server.stdout.readline()
        row = pd.read_csv(prepared["data"] / "test.csv").iloc[:1, :20].to_csv(header=False, index=False)
        for _ in range(25):
            assert post(f"http://127.0.0.1:{port}", row.encode())[0] == 200
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=20) == 0
    records = [line for path in (tmp_path / "capture").rglob("*.jsonl")
               for line in path.read_text().splitlines()]
    assert len(records) == 25  # buffered records were written on SIGTERM


def raw_request(port: int, head: str, body: bytes = b"",
                half_close: bool = True) -> tuple[int, str]:
    """Send a hand-made request (then close our sending side) and read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as connection:
        connection.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        if half_close:
            connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2].decode()


ROW = b",".join([b"1"] * 20) + b"\n"


@pytest.mark.parametrize("headers, status, message", [
    ("Content-Length: -1\n", 400, "invalid Content-Length '-1'"),
    ("Content-Length: abc\n", 400, "invalid Content-Length 'abc'"),
    ("", 411, "Content-Length required"),
    ("Transfer-Encoding: chunked\n", 411, "send a Content-Length"),
])
def test_bad_or_missing_length_is_refused_and_nothing_captured(served, headers, status, message,
                                                                tmp_path):
    url, capture, _ = served
    port = int(url.rsplit(":", 1)[1])
    got, text = raw_request(port, f"POST /invocations HTTP/1.1\nHost: x\nContent-Type: text/csv\n"
                                  f"{headers}", ROW * 5000)
    assert got == status and message in text and "Traceback" not in text
    capture.flush()
    assert not list((tmp_path / "capture").rglob("*.jsonl"))


def test_body_size_is_checked_before_reading(served):
    """A body over the limit is refused from its Content-Length: the server's memory does not
    grow by the body's size (20 MB here, behind the capture middleware)."""
    url, capture, _ = served
    port = int(url.rsplit(":", 1)[1])
    size = 20 * 1024 * 1024
    body = b"1" * size  # made before tracing: the client's copy is not the server's memory
    tracemalloc.start()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=20) as connection:
            connection.sendall(f"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv"
                               f"\r\nContent-Length: {size}\r\n\r\n".encode())
            sender = threading.Thread(target=_send_quietly, args=(connection, body))
            sender.start()
            answer = _receive_quietly(connection)
            sender.join()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"
    assert not answer or answer.startswith(b"HTTP/1.0 413")


def _send_quietly(connection: socket.socket, data: bytes) -> None:
    try:
        connection.sendall(memoryview(data))
    except OSError:  # the server closed the connection without reading: expected
        pass


def _receive_quietly(connection: socket.socket) -> bytes:
    answer = b""
    try:
        while chunk := connection.recv(65536):
            answer += chunk
    except OSError:
        pass
    return answer


@pytest.mark.parametrize("stamp, status, recorded", [
    ("2024-01-01T10:00:00+05:00", 200, "2024-01-01T05:00:00Z"),
    ("2024-01-01T10:00:00Z", 200, "2024-01-01T10:00:00Z"),
    ("yesterday", 400, "X-Byom-Inference-Time: 'yesterday' is not an ISO-8601 time"),
    ("2024-01-01T10:00:00", 400, "has no UTC offset"),
])
def test_simulated_time_header(served, tmp_path, stamp, status, recorded):
    url, capture, metrics = served
    request = urllib.request.Request(url + "/invocations", data=ROW, method="POST",
                                     headers={"Content-Type": "text/csv",
                                              "X-Byom-Inference-Time": stamp})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            got, text = response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        got, text = exc.code, exc.read().decode()
    assert got == status
    capture.flush()
    records = [json.loads(line) for path in (tmp_path / "capture").rglob("*.jsonl")
               for line in path.read_text().splitlines()]
    if status == 200:
        assert [r["eventMetadata"]["inferenceTime"] for r in records] == [recorded]
        metrics.flush()
        assert metrics.table()["minute"].tolist() == [recorded[:16]]
    else:
        assert recorded in text and not records


def test_idle_connection_is_closed(prepared, capfd):
    server = serve(make_app(prepared["models"]), port=0, idle_timeout=0.2)
    try:
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=20) as idle:
            assert idle.recv(1) == b""  # closed by the server, long before our 20 s timeout
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=20) as slow:
            slow.sendall(b"POST /invocations HTTP/1.1\r\nContent-Type: text/csv\r\n"
                         b"Content-Length: 100\r\n\r\n1,2")  # then nothing more
            assert slow.recv(100).startswith(b"HTTP/1.0 400")
    finally:
        server.shutdown()
    assert "Traceback" not in capfd.readouterr().err


def test_load_32_concurrent_clients_without_resets(served):
    """32 clients start together (a burst of connections: one per request) on 127.0.0.1."""
    url, _, _ = served
    clients, each = 32, 40
    start = threading.Barrier(clients)
    latencies, failures = [], []
    lock = threading.Lock()

    def client() -> None:
        start.wait()
        for _ in range(each):
            began = time.perf_counter()
            try:
                status, _ = post(url, ROW)
            except OSError as exc:  # a reset or a refused connection
                with lock:
                    failures.append(repr(exc))
                continue
            with lock:
                latencies.append((time.perf_counter() - began) * 1000)
                if status != 200:
                    failures.append(status)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [] and len(latencies) == clients * each
    p99 = sorted(latencies)[int(len(latencies) * 0.99)]
    print(f"\n32 clients x {each} requests: 0 resets, p99 {p99:.0f} ms")


def test_idle_server_stores_its_last_busy_minute(tmp_path):
    metrics = OperationalMetrics(tmp_path / "m.sqlite", "e", flush_seconds=0.05)
    try:
        metrics.observe(200, 3.0, datetime(2024, 1, 1, 10, 7, 30, tzinfo=timezone.utc))
        metrics.observe(500, 5.0, datetime(2024, 1, 1, 10, 7, 50, tzinfo=timezone.utc))
        deadline = time.monotonic() + 20
        while metrics.table().empty and time.monotonic() < deadline:  # no request follows
            metrics._closed.wait(0.02)
        table = metrics.table()
        assert table[["minute", "invocations", "errors_5xx"]].values.tolist() == [
            ["2024-01-01T10:07", 2, 1]]
    finally:
        metrics.close()
    metrics.observe(200, 1.0, datetime(2024, 1, 1, 10, 8, tzinfo=timezone.utc))
    metrics.flush()
    assert metrics.table()["invocations"].tolist() == [2, 1]


def test_setup_errors_are_one_line(prepared, tmp_path, capsys):
    from byom_monitor.live.server import main

    (tmp_path / "plain").write_text("")
    assert main(["--model-dir", str(prepared["models"]), "--port", "0",
                 "--database", str(tmp_path / "plain" / "monitor.sqlite")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "plain" in err
    assert main(["--model-dir", str(tmp_path / "nowhere"), "--port", "0"]) == 2
    assert capsys.readouterr().err.startswith("error: ")
