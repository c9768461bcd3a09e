import json
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

from byom_monitor.live.capture import DataCapture, capture_line, capture_record
from byom_monitor.io.datasets import DatasetFormat, read_chunks

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
    deadline = time.time() + 5
    while not lines_in(tmp_path) and time.time() < deadline:
        time.sleep(0.05)
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
