"""Benchmark: the reference server under a burst of concurrent clients on 127.0.0.1.

The server runs in its own process with capture; ``--clients`` threads start together and each
sends ``--requests`` requests, one connection per request (as urllib does). Prints answered
requests, connection resets / refusals, throughput, and the median and p99 latency.

Run ``python prep.py`` first (the server serves models/).
"""
from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROW = b"4,24,2,3,1258,1,3,4,3,1,4,3,27,3,2,1,3,2,1,2\n"


def load(url: str, clients: int, requests: int) -> tuple[list[float], list[str]]:
    start = threading.Barrier(clients)
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        start.wait()
        for _ in range(requests):
            request = urllib.request.Request(url, data=ROW, method="POST",
                                             headers={"Content-Type": "text/csv"})
            began = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    response.read()
            except (OSError, urllib.error.URLError) as exc:
                with lock:
                    failures.append(type(getattr(exc, "reason", exc)).__name__)
                continue
            with lock:
                latencies.append((time.perf_counter() - began) * 1000)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=100, help="per client")
    args = parser.parse_args()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        server = subprocess.Popen([sys.executable, "-m", "byom_monitor.live.server", "--model-dir",
                                   str(ROOT / "models"), "--port", str(port), "--capture",
                                   folder], stdout=subprocess.PIPE, text=True)
        try:
            server.stdout.readline()  # "serving ..."
            began = time.perf_counter()
            latencies, failures = load(f"http://127.0.0.1:{port}/invocations", args.clients,
                                       args.requests)
            seconds = time.perf_counter() - began
        finally:
            server.terminate()
            server.wait()
    latencies.sort()
    print(f"{args.clients} clients x {args.requests} requests: {len(latencies)} answered, "
          f"{len(failures)} resets or refusals {sorted(set(failures))}, "
          f"{len(latencies) / seconds:.0f} requests/s")
    if latencies:
        print(f"latency: median {latencies[len(latencies) // 2]:.0f} ms, "
              f"p99 {latencies[int(len(latencies) * 0.99)]:.0f} ms, "
              f"max {latencies[-1]:.0f} ms")


if __name__ == "__main__":
    main()
