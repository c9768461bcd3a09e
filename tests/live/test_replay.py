"""Replay: inference ids unique across runs, ground truth appended (issue 13 item 9)."""
import json
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from byom_monitor.live.capture import DataCapture
from byom_monitor.live.replay import replay, write_ground_truth
from byom_monitor.live.server import make_app, serve

START = datetime(2024, 1, 1, 10, tzinfo=timezone.utc)


@pytest.fixture
def served(prepared, tmp_path):
    capture = DataCapture(str(tmp_path / "capture"), "credit", flush_seconds=3600)
    server = serve(make_app(prepared["models"], capture=capture, simulated_time=True), port=0)
    yield f"http://127.0.0.1:{server.server_port}/invocations", capture
    server.shutdown()


def jsonl(folder) -> list[dict]:
    return [json.loads(line) for path in sorted(folder.rglob("*.jsonl"))
            for line in path.read_text().splitlines()]


def test_two_replays_into_the_same_hour_keep_every_label(served, prepared, tmp_path):
    url, capture = served
    frame = pd.read_csv(prepared["data"] / "test.csv").head(40)
    features = [c for c in frame.columns if c != "credit_risk"]
    flipped = frame.assign(credit_risk=1 - frame["credit_risk"])
    reports = [replay(url, data, features, start=START, interval=timedelta(seconds=10),
                      label="credit_risk", ground_truth=str(tmp_path / "truth"), clients=2)
               for data in (frame, flipped)]
    capture.close()
    first, second = (r.prefix for r in reports)
    assert first != second and first.startswith("replay-")
    truth = {r["eventMetadata"]["eventId"]: r["groundTruthData"]["data"]
             for r in jsonl(tmp_path / "truth")}
    assert len(truth) == 80  # nothing overwritten
    expected = {**{f"{first}-{i}": str(v) for i, v in enumerate(frame["credit_risk"])},
                **{f"{second}-{i}": str(v) for i, v in enumerate(flipped["credit_risk"])}}
    assert truth == expected
    captured = {r["eventMetadata"]["inferenceId"] for r in jsonl(tmp_path / "capture")}
    assert captured == set(expected)  # every captured inference has its own label


def test_ground_truth_is_appended_not_overwritten(tmp_path):
    for labels in ([1, 0], [0, 0, 1]):
        write_ground_truth(labels, str(tmp_path), start=START, interval=timedelta(minutes=1),
                           prefix="batch")
    records = jsonl(tmp_path)
    assert [r["groundTruthData"]["data"] for r in records] == ["1", "0", "0", "0", "1"]
