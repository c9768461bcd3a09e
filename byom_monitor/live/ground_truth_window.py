"""Scheduled model quality on SageMaker: our merge step, then the managed analyzer.

The managed model-quality container ignores a ``ground_truth_source`` variable (it is this
project's own); the service merges ground truth only inside its own monitoring schedules. So
for a window of captured traffic this step merges the captured inferences with their labels
here (the spec A.4 join, :func:`byom_monitor.analyzer.ground_truth.merge`) and writes one CSV
with a header, which the managed analyzer reads like a baseline dataset (the confirmed
``csv`` format with named attributes): ``probability`` (the endpoint's output) and
``groundTruth`` (the label).

The metrics a scheduled model-quality execution publishes come from its ``statistics.json``
output (a plain Processing job cannot output ``/opt/ml/output/metrics``, where the container
writes CloudWatch files only for the service's own schedules).
"""
from __future__ import annotations

import json
from datetime import datetime

import pandas as pd

from byom_monitor.analyzer.ground_truth import (
    GROUND_TRUTH_COLUMN,
    MergeReport,
    ground_truth_labels,
    merge,
)
from byom_monitor.io import storage
from byom_monitor.io.datasets import DatasetError, payload_rows

PROBABILITY_COLUMN = "probability"


def merged_window(capture: str, ground_truth: str, start: datetime, end: datetime,
                  output_folder: str) -> tuple[str, MergeReport]:
    """The window's labelled inferences as ``{output_folder}/merged/merged.csv``
    (``probability,groundTruth``: the analyzer's input folder holds only it), and the merge
    report (also in ``{output_folder}/merge/`` with the merged JSON Lines)."""
    frame, report, files = merge(capture, ground_truth, output_folder, start=start, end=end)
    for location, text in files.values():
        storage.write_text(location, text)
    target = storage.join(output_folder, "merged", "merged.csv")
    frame = frame[["_c0", GROUND_TRUTH_COLUMN]].rename(columns={"_c0": PROBABILITY_COLUMN})
    storage.write_text(target, frame.to_csv(index=False))
    return target, report


def merged_export_window(rows: list[list[str]], probability_column: int, ground_truth: str,
                         output_folder: str) -> tuple[str, MergeReport]:
    """The same CSV from exported transform-output rows (features, prediction(s), inference
    id, inference time: :mod:`byom_monitor.live.batch_transform_export`), joined on the
    inference id with the ground truth's ``eventId``, and the report (also in
    ``{output_folder}/merge/merge_report.json``). Labels of other windows are not counted as
    unknown (only the window's rows are read)."""
    labels = ground_truth_labels(ground_truth)
    report = MergeReport(captured=len(rows), ground_truth=len(labels))
    merged = []
    for row in rows:
        truth = labels.get(row[-2])
        if truth is None:
            report.captured_without_ground_truth += 1
            continue
        label = payload_rows(truth, f"{ground_truth} (eventId {row[-2]})")[0][0]
        merged.append((row[probability_column], label))
        report.matched += 1
    if not merged:
        raise DatasetError(f"no exported row in the window has ground truth ({len(rows)} rows, "
                           f"{len(labels)} labels in {ground_truth})")
    storage.write_text(storage.join(output_folder, "merge", "merge_report.json"),
                       json.dumps(report.to_dict(), indent=2) + "\n")
    target = storage.join(output_folder, "merged", "merged.csv")
    frame = pd.DataFrame(merged, columns=[PROBABILITY_COLUMN, GROUND_TRUTH_COLUMN])
    storage.write_text(target, frame.to_csv(index=False))
    return target, report


def model_quality_environment(threshold: float) -> dict[str, str]:
    """The managed analyzer's variables for the merged CSV (binary classification)."""
    return {"analysis_type": "MODEL_QUALITY", "problem_type": "BinaryClassification",
            "probability_attribute": PROBABILITY_COLUMN,
            "probability_threshold_attribute": str(threshold),
            "ground_truth_attribute": GROUND_TRUTH_COLUMN,
            "dataset_format": json.dumps({"csv": {"header": True}})}
