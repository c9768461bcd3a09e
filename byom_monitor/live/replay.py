"""Replay a dataset against a model server with simulated timestamps, and write the matching
ground truth (``groundTruthData`` JSON Lines, spec A.4) for model-quality checks.

Row ``i`` is sent at simulated time ``start + i * interval`` with inference id ``{prefix}-{i}``;
its label goes to ``{ground_truth}/yyyy/mm/dd/hh/{prefix}-ground-truth.jsonl`` (the hour of the
simulated time). Requests run on ``clients`` threads. The default prefix holds a run id
(``replay-<8 hex digits>``), so the inference ids of two replays never collide, and ground truth
is appended to an existing file, never overwritten.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pandas as pd

from byom_monitor.io import storage
from byom_monitor.live.server import TIME_HEADER


@dataclass
class ReplayReport:
    sent: int = 0
    answered: int = 0
    status_counts: dict[int, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    prefix: str = ""  # of the inference ids sent


def replay(url: str, frame: pd.DataFrame, features: list[str], *, start: datetime,
           interval: timedelta = timedelta(seconds=1), label: str | None = None,
           ground_truth: str | None = None, prefix: str | None = None, clients: int = 1,
           timeout: float = 30.0) -> ReplayReport:
    """Send every row (one request each) and write the ground truth of ``label``."""
    prefix = prefix or run_prefix()
    rows = frame[features].to_csv(header=False, index=False).splitlines()
    report = ReplayReport(sent=len(rows), prefix=prefix)

    def send(i: int) -> tuple[int, float]:
        when = start + i * interval
        request = urllib.request.Request(
            url, data=(rows[i] + "\n").encode(), method="POST",
            headers={"Content-Type": "text/csv", "X-Amzn-SageMaker-Inference-Id": f"{prefix}-{i}",
                     TIME_HEADER: when.strftime("%Y-%m-%dT%H:%M:%SZ")})
        clock = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        return status, (time.perf_counter() - clock) * 1000

    with ThreadPoolExecutor(max_workers=clients) as pool:
        for status, latency in pool.map(send, range(len(rows))):
            report.answered += 1
            report.status_counts[status] = report.status_counts.get(status, 0) + 1
            report.latencies_ms.append(latency)
    if label is not None and ground_truth is not None:
        write_ground_truth(frame[label].tolist(), ground_truth, start=start, interval=interval,
                           prefix=prefix)
    return report


def run_prefix() -> str:
    """An inference id prefix of its own for one replay run."""
    return f"replay-{uuid.uuid4().hex[:8]}"


def write_ground_truth(labels: list, folder: str, *, start: datetime, interval: timedelta,
                       prefix: str) -> list[str]:
    """One ground-truth record per label, appended to hourly files."""
    hours: dict[str, list[str]] = {}
    for i, value in enumerate(labels):
        hour = (start + i * interval).strftime("%Y/%m/%d/%H")
        hours.setdefault(hour, []).append(json.dumps({
            "groundTruthData": {"data": str(value), "encoding": "CSV"},
            "eventMetadata": {"eventId": f"{prefix}-{i}"}, "eventVersion": "0"}))
    written = []
    for hour, lines in hours.items():
        location = storage.join(folder, *hour.split("/"), f"{prefix}-ground-truth.jsonl")
        earlier = storage.read_text(location) if storage.exists(location) else ""
        storage.write_text(location, earlier + "\n".join(lines) + "\n")
        written.append(location)
    return written
