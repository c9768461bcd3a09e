"""Benchmark: data capture.

1. The capture library alone: records per second (100,000 CSV requests).
2. The reference server in its own process, one client sending requests one after another:
   median request latency without and with capture (the overhead capture adds).

Run ``python prep.py`` first (the server serves models/).
"""
from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROW = b"4,24,2,3,1258,1,3,4,3,1,4,3,27,3,2,1,3,2,1,2\n"


def library_rate(records: int = 100_000) -> float:
    sys.path.insert(0, str(ROOT))
    from byom_monitor.live.capture import DataCapture

    with tempfile.TemporaryDirectory() as folder:
        capture = DataCapture(folder, "credit-model", flush_records=5000)
        started = time.perf_counter()
        for _ in range(records):
            capture.record(ROW, "text/csv", b"0.83\n", "text/csv")
        capture.close()
        return records / (time.perf_counter() - started)


def median_latency(capture_dir: str | None, requests: int = 2000) -> float:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "byom_monitor.live.server", "--model-dir", str(ROOT / "models"),
               "--port", str(port)] + (["--capture", capture_dir] if capture_dir else [])
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        server.stdout.readline()  # "serving ..."
        url = f"http://127.0.0.1:{port}/invocations"
        latencies = []
        for i in range(requests + 100):
            request = urllib.request.Request(url, data=ROW, method="POST",
                                             headers={"Content-Type": "text/csv"})
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
            if i >= 100:  # warm-up excluded
                latencies.append((time.perf_counter() - started) * 1000)
        return statistics.median(latencies)
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    print(f"capture library alone: {library_rate():,.0f} records/s")
    plain = median_latency(None)
    with tempfile.TemporaryDirectory() as folder:
        captured = median_latency(folder)
        files = list(Path(folder).rglob("*.jsonl"))
    print(f"server median latency: {plain:.3f} ms without capture, {captured:.3f} ms with "
          f"capture (+{(captured / plain - 1) * 100:.1f}%, {len(files)} capture files)")


if __name__ == "__main__":
    main()
