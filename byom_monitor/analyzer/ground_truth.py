"""Merging captured inferences with ground-truth labels (spec A.4).

A ground-truth record ``{"groundTruthData": {"data": "1", "encoding": "CSV"},
"eventMetadata": {"eventId": ...}}`` labels the captured record whose ``inferenceId`` (when the
capture has one) or else ``eventId`` equals its ``eventId``. The merged records are written as
JSON Lines in the service's merged shape, and the counts of what did not match are reported:
captured records still waiting for a label, and labels for unknown event ids.
"""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from byom_monitor.io import storage
from byom_monitor.io.datasets import DatasetError, data_files, parse_time, payload_rows, text_lines

GROUND_TRUTH_COLUMN = "groundTruth"
_DURATION = re.compile(r"^([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def parse_duration(text: str, name: str) -> timedelta:
    """ISO-8601 durations as the offsets use them: ``-P1D``, ``-PT1H``, ``P1DT2H30M``."""
    found = _DURATION.match(text.strip())
    if not found or not any(found.groups()[1:]):
        raise DatasetError(f"{name} {text!r} is not an ISO-8601 duration such as -P1D or -PT1H")
    sign, weeks, days, hours, minutes, seconds = found.groups()
    delta = timedelta(weeks=int(weeks or 0), days=int(days or 0), hours=int(hours or 0),
                      minutes=int(minutes or 0), seconds=float(seconds or 0))
    return -delta if sign == "-" else delta


@dataclass
class MergeReport:
    captured: int = 0
    ground_truth: int = 0
    matched: int = 0
    captured_without_ground_truth: int = 0
    ground_truth_for_unknown_events: int = 0  # labels whose event was never captured
    outside_window: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def merge(capture_location: str, ground_truth_location: str, output_folder: str, *,
          start: datetime | None = None, end: datetime | None = None
          ) -> tuple[pd.DataFrame, MergeReport, dict[str, tuple[str, str]]]:
    """The merged rows (endpoint output columns ``_c0``... then ``groundTruth``), the report,
    and the files to write below ``output_folder/merge`` (``merge`` and ``merge_report``:
    location and text); the caller publishes them with the job's other results."""
    labels = ground_truth_labels(ground_truth_location)
    report = MergeReport(ground_truth=len(labels))
    seen: set[str] = set()  # every captured event, in the window or not
    rows: list[list[str]] = []
    merged_lines: list[str] = []
    for path in data_files(capture_location):
        for number, line in text_lines(path):
            if not line.strip():
                continue
            where = f"{path}: line {number}"
            try:
                record = json.loads(line)
                metadata = record["eventMetadata"]
                key = metadata.get("inferenceId") or metadata["eventId"]
            except (json.JSONDecodeError, KeyError, TypeError):
                raise DatasetError(f"{where} is not a capture record with eventMetadata.eventId") from None
            when = parse_time(metadata.get("inferenceTime", ""), f"{where}: inferenceTime")
            seen.add(key)
            if (start is not None and when < start) or (end is not None and when >= end):
                report.outside_window += 1
                continue
            report.captured += 1
            if key not in labels:
                report.captured_without_ground_truth += 1
                continue
            truth = labels[key]
            outputs = payload_rows(record["captureData"]["endpointOutput"], where)
            truth_rows = payload_rows(truth, f"{ground_truth_location} (eventId {key})")
            if len(truth_rows) != len(outputs):
                raise DatasetError(f"{where}: {len(outputs)} output row(s) but the ground truth "
                                   f"for {key} has {len(truth_rows)}")
            rows.extend(out + [label[0]] for out, label in zip(outputs, truth_rows))
            report.matched += 1
            merged_lines.append(json.dumps({"eventVersion": record.get("eventVersion", "0"),
                                            "groundTruthData": truth,
                                            "captureData": record["captureData"],
                                            "eventMetadata": metadata}))
    report.ground_truth_for_unknown_events = len(set(labels) - seen)
    if not rows:
        raise DatasetError(
            f"{capture_location}: no captured record in the window has ground truth "
            f"({report.captured} captured, {report.ground_truth} labels in "
            f"{ground_truth_location}, {report.outside_window} outside the window)")
    width = len(rows[0])
    frame = pd.DataFrame(rows, columns=[f"_c{i}" for i in range(width - 1)] + [GROUND_TRUTH_COLUMN])
    merged_path = storage.join(output_folder, "merge", f"part-00000-{uuid.uuid4()}.c000.jsonl")
    files = {"merge": (merged_path, "\n".join(merged_lines) + "\n"),
             "merge_report": (storage.join(output_folder, "merge", "merge_report.json"),
                              json.dumps(report.to_dict(), indent=2) + "\n")}
    return frame, report, files


def ground_truth_labels(location: str) -> dict[str, dict[str, Any]]:
    """Every ground-truth record's ``groundTruthData`` by its ``eventId``."""
    labels: dict[str, dict[str, Any]] = {}
    for path in data_files(location):
        for number, line in text_lines(path):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                labels[str(record["eventMetadata"]["eventId"])] = record["groundTruthData"]
            except (json.JSONDecodeError, KeyError, TypeError):
                raise DatasetError(f"{path}: line {number} is not a ground-truth record "
                                   f"(groundTruthData and eventMetadata.eventId)") from None
    if not labels:
        raise DatasetError(f"{location}: no ground-truth records")
    return labels
