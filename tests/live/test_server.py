"""The reference server: answers, errors, capture, metrics, and the load test of issue 7."""
import json
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from byom_monitor.live.capture import DataCapture
from byom_monitor.example.model import CreditRiskModel
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
                    ground_truth=str(tmp_path / "truth"), clients=8)
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
