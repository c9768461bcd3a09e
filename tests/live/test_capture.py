import errno
import json
import os
import stat
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

from byom_monitor.io import storage
from byom_monitor.io.datasets import DatasetFormat, read_chunks
from byom_monitor.live.capture import DataCapture, capture_line, capture_record
from byom_monitor.live.server import OperationalMetrics

WHEN = datetime(2024, 1, 1, 10, 5, 3, 250000, tzinfo=timezone.utc)


def lines_in(folder: Path) -> list[dict]:
    return [json.loads(line) for path in sorted(folder.rglob("*.jsonl"))
            for line in path.read_text().splitlines()]


def test_record_shape_is_sagemakers():
    record = capture_record(b"1,2,3", "text/csv", b"0.9", "text/csv; charset=utf-8",
                            event_id="e-1", inference_id="7", when=WHEN)
    assert record == {"captureData": {
        "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": "1,2,3",
                          "encoding": "CSV"},
        "endpointOutput": {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT",
                           "data": "0.9", "encoding": "CSV"}},
        "eventMetadata": {"eventId": "e-1", "inferenceId": "7", "inferenceTime": "2024-01-01T10:05:03Z"},
        "eventVersion": "0"}
    binary = capture_record(b"\x00\xff", "application/x-image", b"{}", "application/json",
                            event_id="e", when=WHEN)
    assert binary["captureData"]["endpointInput"]["encoding"] == "BASE64"
    assert binary["captureData"]["endpointOutput"]["encoding"] == "JSON"


@pytest.mark.parametrize("inference_id", [None, 'id "quoted" \\ 7'])
def test_fast_line_equals_the_record(inference_id):
    line = capture_line(b'a,"b"\n', "text/csv", b"0.5", "text/csv", event_id="e",
                        inference_id=inference_id, when=WHEN)
    record = capture_record(b'a,"b"\n', "text/csv", b"0.5", "text/csv", event_id="e",
                            inference_id=inference_id, when=WHEN)
    assert line == json.dumps(record, separators=(",", ":"))


def test_layout_by_hour_and_readable_by_the_analyzer(tmp_path):
    with DataCapture(str(tmp_path), "credit", "AllTraffic", flush_records=2) as capture:
        for minute in (5, 6, 65):  # the third falls into the next hour
            capture.record(b"1,2", "text/csv", b"0.1", "text/csv",
                           when=WHEN.replace(minute=minute % 60, hour=10 + minute // 60))
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.jsonl"))
    assert [f.rsplit("/", 1)[0] for f in files] == ["credit/AllTraffic/2024/01/01/10",
                                                    "credit/AllTraffic/2024/01/01/11"]
    assert files[0].rsplit("/", 1)[1].startswith("05-03-250-")
    frame = pd.concat(c.frame for c in read_chunks(str(tmp_path / "credit"),
                                                   DatasetFormat("capture")))
    assert len(frame) == 3 and frame["_c0"].tolist() == [0.1] * 3


def test_sampling_captures_the_sampled_share(tmp_path):
    capture = DataCapture(str(tmp_path), "e", sampling_percentage=20, seed=1)
    taken = sum(capture.record(b"1", "text/csv", b"0", "text/csv") for _ in range(5000))
    capture.close()
    assert 900 < taken < 1100 and len(lines_in(tmp_path)) == taken == capture.written
    with pytest.raises(ValueError, match="sampling_percentage"):
        DataCapture(str(tmp_path), "e", sampling_percentage=120)


def test_threads_lose_nothing_and_lines_are_whole(tmp_path):
    capture = DataCapture(str(tmp_path), "e", flush_records=97)

    def client(n):
        for i in range(500):
            capture.record(f"{n},{i}".encode(), "text/csv", b"0.5", "text/csv")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    capture.close()
    inputs = {r["captureData"]["endpointInput"]["data"] for r in lines_in(tmp_path)}
    assert len(inputs) == 4000  # every record exactly once, every line valid JSON
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".")]  # no temporary files


def test_old_records_are_flushed_by_time(tmp_path):
    capture = DataCapture(str(tmp_path), "e", flush_records=10_000, flush_seconds=0.2)
    capture.record(b"1", "text/csv", b"0", "text/csv")
    assert wait_for(lambda: lines_in(tmp_path))
    assert len(lines_in(tmp_path)) == 1  # written without close()
    capture.close()
    with pytest.raises(RuntimeError, match="closed"):
        capture.record(b"1", "text/csv", b"0", "text/csv")


def test_a_crash_loses_at_most_the_buffer(tmp_path):
    """Without close() (a crash), what was flushed is on disk whole, and what is lost is
    less than flush_records records."""
    capture = DataCapture(str(tmp_path), "e", flush_records=100, flush_seconds=3600)
    for i in range(1050):
        capture.record(str(i).encode(), "text/csv", b"0", "text/csv")
    on_disk = lines_in(tmp_path)  # the process "dies" here: no close()
    assert len(on_disk) == 1000 and 1050 - len(on_disk) < capture.flush_records


def test_capture_to_s3(s3_bucket):
    from byom_monitor.io import storage

    with DataCapture(f"{s3_bucket}/capture", "credit", flush_records=10) as capture:
        for _ in range(25):
            capture.record(b"1,2", "text/csv", b"0.5", "text/csv", when=WHEN)
    files = storage.list_files(f"{s3_bucket}/capture/credit/AllTraffic/2024/01/01/10")
    assert len(files) == 3
    assert sum(len(storage.read_text(f).splitlines()) for f in files) == 25


class FlakyDestination:
    """storage.write_text that fails (disk full) ``failures`` times, then works."""

    def __init__(self, failures: int) -> None:
        self.failures, self.calls = failures, 0
        self.real = storage.write_text

    def __call__(self, location, text):
        self.calls += 1
        if self.calls <= self.failures:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.real(location, text)


def wait_for(condition, seconds: float = 20.0) -> bool:
    """Poll a condition until a deadline (the flusher thread works on its own timer)."""
    deadline, done = time.monotonic() + seconds, threading.Event()
    while not condition() and time.monotonic() < deadline:
        done.wait(0.02)
    return condition()


def test_a_failing_destination_loses_nothing_and_the_flusher_survives(tmp_path, monkeypatch):
    flaky = FlakyDestination(failures=3)
    monkeypatch.setattr(storage, "write_text", flaky)
    problems = []
    capture = DataCapture(str(tmp_path), "e", flush_records=5, flush_seconds=0.05,
                          retry_seconds=0.05)
    capture.on_problem = lambda kind, count: problems.append((kind, count))
    for i in range(12):
        assert capture.record(str(i).encode(), "text/csv", b"0", "text/csv")  # never raises
    assert wait_for(lambda: capture.written == 12)  # retried by the background flusher
    assert capture._timer.is_alive()
    assert sorted(r["captureData"]["endpointInput"]["data"] for r in lines_in(tmp_path)) == \
        sorted(str(i) for i in range(12))
    stats = capture.stats()
    assert stats["write_failures"] == 3 and stats["dropped"] == 0 and stats["buffered"] == 0
    assert "No space left" in stats["last_error"]
    assert problems == [("capture_write_failures", 1)] * 3
    capture.close()


def test_memory_is_bounded_and_the_loss_counted(tmp_path, monkeypatch):
    monkeypatch.setattr(storage, "write_text", FlakyDestination(failures=10**9))
    metrics = OperationalMetrics(tmp_path / "m.sqlite", "e", flush_seconds=3600)
    capture = DataCapture(str(tmp_path), "e", flush_records=10, max_buffered_records=50,
                          retry_seconds=3600)
    capture.on_problem = metrics.capture_problem
    for i in range(80):
        capture.record(str(i).encode(), "text/csv", b"0", "text/csv")
    stats = capture.stats()
    assert stats["buffered"] == 50 and stats["dropped"] == 30 and stats["written"] == 0
    with pytest.raises(RuntimeError, match="50 captured records could not be written"):
        capture.close()
    metrics.close()
    table = metrics.table()
    assert table["capture_dropped"].sum() == 30 and table["capture_write_failures"].sum() >= 2


def test_capture_files_follow_the_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        with DataCapture(str(tmp_path), "e") as capture:
            capture.record(b"1", "text/csv", b"0", "text/csv", when=WHEN)
    finally:
        os.umask(previous)
    (path,) = tmp_path.rglob("*.jsonl")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_offset_times_are_recorded_in_utc(tmp_path):
    with DataCapture(str(tmp_path), "e") as capture:
        capture.record(b"1", "text/csv", b"0", "text/csv",
                       when=datetime(2024, 1, 1, 10, 0, tzinfo=timezone(timedelta(hours=5))))
    (path,) = tmp_path.rglob("*.jsonl")
    assert path.parent.relative_to(tmp_path).as_posix() == "e/AllTraffic/2024/01/01/05"
    assert lines_in(tmp_path)[0]["eventMetadata"]["inferenceTime"] == "2024-01-01T05:00:00Z"
