"""One window of captured traffic, checked by a one-off Processing job on either backend.

The managed containers read captured traffic only inside the service's own schedules on real
endpoints. For a model served anywhere, a step of ours first turns the window's capture into
a dataset every container reads in a one-off job (a CSV with a header row, the confirmed
``csv`` format), below ``{execution}/input/``:

- data quality: the captured request rows, named after the baseline statistics' features;
- model quality: the captured probabilities merged with their ground truth
  (:mod:`byom_monitor.live.ground_truth_window`; the container ignores any other way);
- bias and explainability: the captured rows with the model's predicted label as the analysis
  config's ``label`` column.

Then the image runs through :func:`~byom_monitor.session.managed_jobs.run_managed_job`, its
results go to ``{execution}/output/``, and the execution's metrics are computed from them
(:mod:`byom_monitor.analyzer.execution_metrics`), since a one-off job cannot output the
CloudWatch metrics folder.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from byom_monitor.analyzer import execution_metrics
from byom_monitor.errors import InputError
from byom_monitor.io import storage
from byom_monitor.io.datasets import DatasetFormat, read_chunks
from byom_monitor.io.formats import load_json
from byom_monitor.live.batch_transform_export import read_rows
from byom_monitor.live.ground_truth_window import (
    merged_export_window,
    merged_window,
    model_quality_environment,
)
from byom_monitor.session.managed_jobs import (
    BASE_JOB_NAMES,
    CLARIFY,
    MODEL_MONITOR,
    OUTPUT,
    PROCESSING,
    ManagedJob,
    ManagedJobRun,
    run_managed_job,
)

DATASET = f"{PROCESSING}/input/baseline_dataset_input"
CONSTRAINTS = f"{PROCESSING}/baseline/constraints"
STATISTICS = f"{PROCESSING}/baseline/stats"
CLARIFY_CONFIG = f"{PROCESSING}/input/config"
CLARIFY_DATA = f"{PROCESSING}/input/data"


@dataclass(frozen=True)
class WindowSource:
    """What a schedule checks: ``capture`` holds the ``yyyy/mm/dd/hh`` folders of one
    endpoint's capture JSON Lines, or, when ``exported``, a batch-transform export of it
    (:mod:`byom_monitor.live.batch_transform_export`: CSV rows behind ``input/`` and
    ``output/`` manifests); ``baselines`` maps ``constraints``, ``statistics`` (data
    quality), ``analysis_config`` and ``analysis`` (bias, explainability) to their locations.
    ``probability_column`` is the 0-based column of the exported output rows that holds the
    model's probability (default: the one before the inference id and time)."""

    schedule: str
    check: str
    capture: str
    endpoint: str
    baselines: Mapping[str, str]
    output: str                      # s3:// prefix of the schedule's executions
    max_runtime_in_seconds: int
    ground_truth: str | None = None  # model quality
    threshold: float = 0.5           # the model's decision threshold
    exported: bool = False
    probability_column: int = -3


@dataclass
class WindowRun:
    """The job's run and the execution's metrics (none when the job failed)."""

    run: ManagedJobRun
    metrics: dict[str, float] = field(default_factory=dict)


def execution_prefix(source: WindowSource, scheduled: datetime) -> str:
    return storage.join(source.output, scheduled.strftime("%Y/%m/%d/%H"))


def run_window(session: Any, role: str, source: WindowSource, start: datetime, end: datetime,
               scheduled: datetime) -> WindowRun:
    """Prepare the window's dataset, run the check's job on it, and read its metrics."""
    prefix = execution_prefix(source, scheduled)
    job = _job(source, start, end, storage.join(prefix, "input"), storage.join(prefix, "output"))
    run = run_managed_job(session, role, job)
    return WindowRun(run, _metrics(source, run) if run.ok else {})


def _job(source: WindowSource, start: datetime, end: datetime, inputs: str,
         output: str) -> ManagedJob:
    base = BASE_JOB_NAMES[source.check]
    monitor = {"dataset_source": DATASET, "output_path": OUTPUT,
               "publish_cloudwatch_metrics": "Disabled",
               "baseline_constraints": f"{CONSTRAINTS}/constraints.json"}
    if source.check == "data-quality":
        from sagemaker.model_monitor import DatasetFormat as SdkDatasetFormat

        dataset = _captured_features(source, start, end, storage.join(inputs, "captured.csv"))
        environment = {**monitor, "dataset_format": json.dumps(SdkDatasetFormat.csv(header=True)),
                       "baseline_statistics": f"{STATISTICS}/statistics.json"}
        channels = {"baseline_dataset_input": (dataset, DATASET),
                    "constraints": (source.baselines["constraints"], CONSTRAINTS),
                    "baseline": (source.baselines["statistics"], STATISTICS)}
        return ManagedJob(MODEL_MONITOR, base, environment, channels, output,
                          source.max_runtime_in_seconds)
    if source.check == "model-quality":
        if not source.ground_truth:
            raise InputError(f"schedule {source.schedule}: model quality needs ground truth")
        if source.exported:
            dataset, _ = merged_export_window(
                exported_rows(source.capture, "output", start, end), source.probability_column,
                source.ground_truth, inputs)
        else:
            dataset, _ = merged_window(source.capture, source.ground_truth, start, end, inputs)
        environment = {**monitor, **model_quality_environment(source.threshold)}
        channels = {"baseline_dataset_input": (dataset, DATASET),
                    "constraints": (source.baselines["constraints"], CONSTRAINTS)}
        return ManagedJob(MODEL_MONITOR, base, environment, channels, output,
                          source.max_runtime_in_seconds)
    dataset = _captured_with_label(source, start, end, storage.join(inputs, "captured.csv"))
    channels = {"analysis_config": (source.baselines["analysis_config"], CLARIFY_CONFIG),
                "dataset": (dataset, CLARIFY_DATA),
                "analysis_file": (source.baselines["analysis"], CONSTRAINTS)}
    return ManagedJob(CLARIFY, base, {"baseline_constraints": f"{CONSTRAINTS}/analysis.json"},
                      channels, output, source.max_runtime_in_seconds)


def window_hours(start: datetime, end: datetime) -> list[str]:
    """The capture hour folders (yyyy/mm/dd/hh) that hold records of [start, end)."""
    hour = start.replace(minute=0, second=0, microsecond=0)
    folders = []
    while hour < end:
        folders.append(hour.strftime("%Y/%m/%d/%H"))
        hour += timedelta(hours=1)
    return folders


def captured_frame(capture: str, start: datetime, end: datetime,
                   dataset_format: DatasetFormat) -> pd.DataFrame:
    """The window's captured rows, read from its hour folders only; ValueError when none."""
    chunks = []
    for hour in window_hours(start, end):
        folder = storage.join(capture, *hour.split("/"))
        if storage.exists(folder):
            chunks.extend(c.frame for c in read_chunks(folder, dataset_format, start=start,
                                                       end=end))
    if not chunks:
        raise ValueError(f"{capture}: no captured records between {start} and {end}")
    return pd.concat(chunks, ignore_index=True)


def exported_rows(export: str, side: str, start: datetime, end: datetime) -> list[list[str]]:
    """The CSV rows of a batch-transform export's ``input`` or ``output`` side, from the
    manifests of the window's hours; ValueError when none."""
    rows = []
    for hour in window_hours(start, end):
        manifest = storage.join(export, side, *hour.split("/"), "manifest.json")
        if storage.exists(manifest):
            rows.extend(read_rows(manifest))
    if not rows:
        raise ValueError(f"{export}: no exported rows between {start} and {end}")
    return rows


def _captured_features(source: WindowSource, start: datetime, end: datetime,
                       target: str) -> str:
    """The captured requests, named after the features of the baseline statistics."""
    statistics = load_json(source.baselines["statistics"])
    names = [f.get("name") for f in statistics.get("features", [])]
    if source.exported:
        frame = pd.DataFrame(exported_rows(source.capture, "input", start, end))
    else:
        frame = captured_frame(source.capture, start, end,
                               DatasetFormat("capture", capture_index_names=("endpointInput",)))
    if frame.shape[1] != len(names):
        raise InputError(f"{source.capture}: captured rows have {frame.shape[1]} values; "
                         f"{source.baselines['statistics']} names {len(names)} features")
    frame.columns = names
    storage.write_text(target, frame.to_csv(index=False))
    return target


def _captured_with_label(source: WindowSource, start: datetime, end: datetime,
                         target: str) -> str:
    """The captured requests as a CSV with the analysis config's ``headers``, and the model's
    predicted label (output above the threshold) as its ``label`` column."""
    location = source.baselines["analysis_config"]
    settings = load_json(location)
    headers, label = settings.get("headers"), settings.get("label")
    if not isinstance(headers, list) or label not in headers:
        raise InputError(f"{location}: needs 'headers' and a 'label' among them to name the "
                         f"captured columns")
    features = [name for name in headers if name != label]
    if source.exported:  # features, prediction(s), inference id, inference time
        frame = pd.DataFrame(exported_rows(source.capture, "output", start, end))
        if frame.shape[1] < len(features) + 3:
            raise InputError(f"{source.capture}: exported output rows have {frame.shape[1]} "
                             f"values; {location} names {len(features)} features, and a "
                             f"prediction, an inference id and a time follow them")
        scores, data = frame.iloc[:, source.probability_column], frame.iloc[:, :len(features)]
    else:  # the prediction first, then the request's values
        frame = captured_frame(source.capture, start, end, DatasetFormat("capture"))
        scores, data = frame.iloc[:, 0], frame.iloc[:, 1:]
    predicted = (scores.astype(float) > source.threshold).astype(int)
    if data.shape[1] != len(features):
        raise InputError(f"{source.capture}: captured rows have {data.shape[1]} values; "
                         f"{location} names {len(features)} features")
    data.columns = features
    storage.write_text(target, data.assign(**{label: predicted})[headers].to_csv(index=False))
    return target


def _metrics(source: WindowSource, run: ManagedJobRun) -> dict[str, float]:
    files = run.files
    violations = files.get("constraint_violations.json")
    metrics = execution_metrics.violation_count(load_json(violations) if violations else None)
    statistics = files.get("statistics.json")
    if statistics and source.check == "data-quality":
        metrics.update(execution_metrics.data_quality_metrics(
            load_json(statistics), load_json(source.baselines["statistics"]),
            load_json(source.baselines["constraints"]), source.baselines["constraints"]))
    elif statistics:
        metrics.update(execution_metrics.model_quality_metrics(load_json(statistics)))
    return metrics
