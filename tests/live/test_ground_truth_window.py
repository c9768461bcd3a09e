"""Scheduled model quality on SageMaker: the window's merge done by us, read by the analyzer."""
import json
from datetime import datetime, timedelta, timezone

import pandas as pd

from byom_monitor.analyzer.contract import run_job
from byom_monitor.live.capture import capture_record
from byom_monitor.live.ground_truth_window import merged_window, model_quality_environment

START = datetime(2024, 1, 1, 10, tzinfo=timezone.utc)


def _write_window(folder):
    records, labels = [], []
    for i in range(300):
        when = START + timedelta(minutes=i % 90)  # minutes 60-89: after the window
        probability = (i % 10) / 10
        records.append(json.dumps(capture_record(b"1,2,3", "text/csv",
                                                 f"{probability}".encode(), "text/csv",
                                                 event_id=f"e{i}", when=when)))
        if i % 5:  # every fifth inference has no label yet
            labels.append(json.dumps({"groundTruthData": {"data": str(int(probability >= 0.5)),
                                                          "encoding": "CSV"},
                                      "eventMetadata": {"eventId": f"e{i}"},
                                      "eventVersion": "0"}))
    (folder / "capture" / "2024" / "01" / "01" / "10").mkdir(parents=True)
    (folder / "capture" / "2024" / "01" / "01" / "10" / "c.jsonl").write_text(
        "\n".join(records) + "\n")
    (folder / "truth").mkdir()
    (folder / "truth" / "t.jsonl").write_text("\n".join(labels) + "\n")


def test_merged_window_is_read_by_the_model_quality_analyzer(tmp_path):
    _write_window(tmp_path)
    merged, report = merged_window(str(tmp_path / "capture"), str(tmp_path / "truth"), START,
                                   START + timedelta(hours=1), str(tmp_path / "job"))
    frame = pd.read_csv(merged)
    assert list(frame.columns) == ["probability", "groundTruth"]
    assert report.captured == 210 and report.outside_window == 90
    assert report.matched == len(frame) == 168  # every fifth has no label yet
    environment = {**model_quality_environment(0.5),
                   "dataset_source": str(tmp_path / "job" / "merged"),
                   "output_path": str(tmp_path / "out")}
    outcome = run_job(environment, message_file=None, metrics_dir=str(tmp_path / "metrics"))
    assert outcome.status == "Completed", outcome.message
    statistics = json.loads((tmp_path / "out" / "statistics.json").read_text())
    assert statistics["binary_classification_metrics"]["accuracy"]["value"] == 1.0
