"""The ``sagemaker-model-monitor-analyzer`` container contract (spec section C).

The job is described by environment variables; ``analysis_type`` picks data quality (the
default) or ``MODEL_QUALITY``. It reads the dataset at ``dataset_source``,
writes its result files to ``output_path``, a one-line status message where the container
writes it (``/opt/ml/output/message``), and CloudWatch metric files when asked. Without
``baseline_constraints`` it suggests a baseline (statistics.json, constraints.json); with it, it
checks (statistics.json, constraints.json, constraint_violations.json).

Nothing is written until every result is computed and the post-analytics script (if any) has
loaded; then all result files are published together (:mod:`byom_monitor.io.staged_output`), so a
failed job, a full disk included, leaves no partial result files.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from byom_monitor.analyzer import data_quality as dq
from byom_monitor.analyzer import model_quality as mq
from byom_monitor.analyzer.ground_truth import GROUND_TRUTH_COLUMN, merge, parse_duration
from byom_monitor.analyzer.inputs import load_script, profile_dataset
from byom_monitor.analyzer.outcome import MESSAGE_FILE, Outcome, run_guarded
from byom_monitor.errors import InputError
from byom_monitor.io import storage
from byom_monitor.io.config import ConfigError
from byom_monitor.io.datasets import DatasetError, DatasetFormat, parse_time, read_chunks
from byom_monitor.io.formats import FormatError, dumps_jackson, load_json
from byom_monitor.io.staged_output import PublishError, StagedOutput

METRICS_DIR = "/opt/ml/output/metrics/cloudwatch"
logger = logging.getLogger("byom_monitor.analyzer")


class JobError(InputError):
    """A problem with the job's inputs: it ends as ``Failed: <message>``."""


@dataclass(frozen=True)
class JobSpec:
    """The environment variables of one analyzer run, validated."""

    dataset_format: DatasetFormat
    dataset_source: str
    output_path: str
    baseline_constraints: str | None = None
    baseline_statistics: str | None = None
    publish_metrics: bool = False
    record_preprocessor_script: str | None = None
    post_analytics_processor_script: str | None = None
    categorical_drift_method: str = "LInfinity"
    analysis_type: str = "DATA_QUALITY"
    start_time: datetime | None = None
    end_time: datetime | None = None
    endpoint_name: str | None = None
    schedule_name: str | None = None
    attributes: mq.Attributes | None = None
    ground_truth_source: str | None = None

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> JobSpec:
        def value(name: str) -> str | None:
            text = env.get(name)
            return text.strip() if text and text.strip() else None

        for required in ("dataset_source", "output_path"):
            if value(required) is None:
                raise JobError(f"environment variable {required} is not set")
        analysis_type = (value("analysis_type") or "DATA_QUALITY").upper()
        if analysis_type not in ("DATA_QUALITY", "MODEL_QUALITY"):
            raise JobError(f"analysis_type must be DATA_QUALITY or MODEL_QUALITY, "
                           f"got {analysis_type!r}")
        attributes = None
        if analysis_type == "MODEL_QUALITY":
            threshold = value("probability_threshold_attribute") or "0.5"
            try:
                cut = float(threshold)
            except ValueError:
                raise JobError(f"probability_threshold_attribute must be a number, "
                               f"got {threshold!r}") from None
            try:
                attributes = mq.Attributes(
                    problem_type=value("problem_type") or "",
                    ground_truth=value("ground_truth_attribute"),
                    inference=value("inference_attribute"),
                    probability=value("probability_attribute"), probability_threshold=cut)
            except (DatasetError, ConfigError) as exc:
                raise JobError(str(exc)) from exc
        try:
            method = dq.checked_drift_method(value("categorical_drift_method") or "LInfinity",
                                             "environment variable")
        except FormatError as exc:
            raise JobError(str(exc)) from exc
        publish = (value("publish_cloudwatch_metrics") or "Disabled")
        if publish not in (dq.ENABLED, dq.DISABLED):
            raise JobError(f"publish_cloudwatch_metrics must be Enabled or Disabled, "
                           f"got {publish!r}")
        statistics, constraints = value("baseline_statistics"), value("baseline_constraints")
        if statistics and not constraints:
            raise JobError("baseline_statistics is set but baseline_constraints is not: a check "
                           "needs the constraints (statistics alone are not a baseline)")
        try:
            dataset_format = DatasetFormat.parse(value("dataset_format")
                                                 or '{"csv": {"header": false}}')
        except DatasetError as exc:
            raise JobError(str(exc)) from exc
        start, end = _time(value("start_time"), "start_time"), _time(value("end_time"), "end_time")
        try:
            if value("start_time_offset"):
                offset = parse_duration(value("start_time_offset"), "start_time_offset")
                start = start and start + offset
            if value("end_time_offset"):
                end = end and end + parse_duration(value("end_time_offset"), "end_time_offset")
        except DatasetError as exc:
            raise JobError(str(exc)) from exc
        return cls(
            dataset_format=dataset_format,
            dataset_source=value("dataset_source"),
            output_path=value("output_path"),
            baseline_constraints=constraints,
            baseline_statistics=statistics,
            publish_metrics=publish == dq.ENABLED,
            record_preprocessor_script=value("record_preprocessor_script"),
            post_analytics_processor_script=value("post_analytics_processor_script"),
            categorical_drift_method=method,
            analysis_type=analysis_type,
            start_time=start,
            end_time=end,
            endpoint_name=value("sagemaker_endpoint_name"),
            schedule_name=value("sagemaker_monitoring_schedule_name"),
            attributes=attributes,
            ground_truth_source=value("ground_truth_source"),
        )


def _time(text: str | None, name: str) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_time(text, f"environment variable {name}")
    except DatasetError as exc:
        raise JobError(str(exc)) from exc


def run_job(env: Mapping[str, str], *, message_file: str | None = MESSAGE_FILE,
            metrics_dir: str = METRICS_DIR) -> Outcome:
    """Run one analyzer job; never raises for bad input (the outcome says ``Failed``)."""
    def work() -> Outcome:
        spec = JobSpec.from_environment(env)
        post_analytics = (load_script(spec.post_analytics_processor_script,
                                      "postprocess_handler")
                          if spec.post_analytics_processor_script else None)
        staged = StagedOutput()
        violations = _run(spec, metrics_dir, staged)
        staged.publish()
        if post_analytics is not None:
            _post_analytics(post_analytics, spec.post_analytics_processor_script, staged)
        return Outcome.completed(dict(staged.names), violations)

    return run_guarded(work, (JobError, DatasetError, FormatError, PublishError), message_file)


def _post_analytics(handler: Callable[[], Any], script: str, staged: StagedOutput) -> None:
    """Run the user's post-analytics handler on the published results; when it fails the
    results are withdrawn (the job fails, so it leaves no outputs)."""
    try:
        handler()
    except Exception as exc:  # the user's code: report, do not crash
        staged.withdraw()
        raise JobError(f"{script}: postprocess_handler failed: {type(exc).__name__}: {exc}"
                       ) from exc


def _run(spec: JobSpec, metrics_dir: str, staged: StagedOutput) -> int:
    """Stage the job's result files; returns the number of violations."""
    if spec.analysis_type == "MODEL_QUALITY":
        return _run_model_quality(spec, metrics_dir, staged)
    return _run_data_quality(spec, metrics_dir, staged)


def _stage(spec: JobSpec, files: dict[str, str], staged: StagedOutput) -> None:
    for name, text in files.items():
        staged.add(storage.join(spec.output_path, name), text, name)


def _run_model_quality(spec: JobSpec, metrics_dir: str, staged: StagedOutput) -> int:
    attributes = spec.attributes
    baseline_constraints = (load_json(spec.baseline_constraints)
                            if spec.baseline_constraints else None)
    if spec.dataset_format.kind == "capture":
        if not spec.ground_truth_source:
            raise JobError("captured data needs ground_truth_source (the ground-truth JSON "
                           "Lines) for a model-quality job")
        frame, report, merged = merge(spec.dataset_source, spec.ground_truth_source,
                                      spec.output_path, start=spec.start_time, end=spec.end_time)
        for name, (location, text) in merged.items():
            staged.add(location, text, name)
        if report.captured_without_ground_truth or report.ground_truth_for_unknown_events:
            logger.warning("merge: %s", report.to_dict())
        if attributes.ground_truth is None:
            attributes = mq.Attributes(**{**attributes.__dict__,
                                          "ground_truth": GROUND_TRUTH_COLUMN})
    else:
        chunks = [c.frame for c in read_chunks(spec.dataset_source, spec.dataset_format,
                                               start=spec.start_time, end=spec.end_time)]
        frame = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()
    evaluation = mq.evaluation_from_frame(frame, attributes, spec.dataset_source)
    statistics = mq.statistics_document(evaluation)
    files = {"statistics.json": dumps_jackson(statistics)}
    violations: list[mq.MetricViolation] = []
    if baseline_constraints is None:
        files["constraints.json"] = dumps_jackson(
            mq.suggest_constraints(statistics, attributes.problem_type))
    else:
        violations = mq.check_model_quality(statistics, baseline_constraints,
                                            attributes.problem_type, spec.baseline_constraints)
        files["constraint_violations.json"] = dumps_jackson(
            {"violations": [v.to_dict() for v in violations]})
    if spec.publish_metrics:
        _stage_model_metrics(spec, metrics_dir, statistics, attributes.problem_type, staged)
    _stage(spec, files, staged)
    return len(violations)


def _run_data_quality(spec: JobSpec, metrics_dir: str, staged: StagedOutput) -> int:
    preprocessor = (load_script(spec.record_preprocessor_script, "preprocess_handler")
                    if spec.record_preprocessor_script else None)
    baseline_constraints = (load_json(spec.baseline_constraints)
                            if spec.baseline_constraints else None)
    baseline_statistics = (load_json(spec.baseline_statistics)
                           if spec.baseline_statistics else {"features": []})
    profile = profile_dataset(spec.dataset_source, spec.dataset_format, start=spec.start_time,
                              end=spec.end_time, preprocessor=preprocessor)
    statistics = dq.statistics_document(profile)
    files: dict[str, str] = {"statistics.json": dumps_jackson(statistics)}
    feature_checks: list[dq.FeatureCheck] = []
    if baseline_constraints is None:
        constraints = dq.suggest_constraints(profile, spec.categorical_drift_method)
        files["constraints.json"] = dumps_jackson(constraints)
        violations: list[dq.Violation] = []
    else:
        constraints = baseline_constraints
        violations, feature_checks = dq.check_data_quality(
            profile, baseline_statistics, baseline_constraints,
            statistics_source=spec.baseline_statistics or "baseline statistics",
            constraints_source=spec.baseline_constraints)
        files["constraints.json"] = dumps_jackson(baseline_constraints)
        files["constraint_violations.json"] = dumps_jackson(
            {"violations": [v.to_dict() for v in violations]})
    if spec.publish_metrics:
        _stage_metrics(spec, metrics_dir, statistics, constraints, feature_checks, staged)
    _stage(spec, files, staged)
    return len(violations)


def _metric_context(spec: JobSpec) -> tuple[str, list[dict[str, str]]]:
    """Timestamp and dimensions of the CloudWatch datums of this job."""
    when = (spec.end_time or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
    dimensions = []
    if spec.endpoint_name:
        dimensions.append({"Name": "Endpoint", "Value": spec.endpoint_name})
    if spec.schedule_name:
        dimensions.append({"Name": "MonitoringSchedule", "Value": spec.schedule_name})
    return when, dimensions


def _stage_metric_rows(metrics_dir: str, name: str, rows: list[dict[str, Any]],
                       staged: StagedOutput) -> None:
    staged.add(str(Path(metrics_dir) / name), "".join(json.dumps(row) + "\n" for row in rows),
               "metrics")


def _stage_model_metrics(spec: JobSpec, metrics_dir: str, statistics: dict[str, Any],
                         problem_type: str, staged: StagedOutput) -> None:
    """One datum per scalar metric, named by its key (``accuracy``, ``f2``, ``mae``...)."""
    when, dimensions = _metric_context(spec)
    rows = [{"MetricName": name, "Timestamp": when, "Dimensions": dimensions,
             "Value": metric["value"]}
            for name, metric in statistics[mq.METRICS_KEY[problem_type]].items()
            if isinstance(metric, dict) and "value" in metric
            and metric["value"] == metric["value"]]
    _stage_metric_rows(metrics_dir, "model-quality-metrics.jsonl", rows, staged)


def _stage_metrics(spec: JobSpec, metrics_dir: str, statistics: dict[str, Any],
                   constraints: dict[str, Any], checks: list[dq.FeatureCheck],
                   staged: StagedOutput) -> None:
    """CloudWatch datum lines (spec G.1/G.3): feature_data_*, feature_non_null_*,
    feature_baseline_drift_*; features whose constraints say emit_metrics Disabled are left out."""
    config = dq.MonitoringConfig.read(constraints, "constraints")
    emitting = {f.get("name") for f in constraints.get("features", []) if config.emits(f)}
    when, dimensions = _metric_context(spec)
    rows = []
    rows_total = statistics["dataset"]["item_count"]
    for feature in statistics["features"]:
        name = feature["name"]
        if name not in emitting:
            continue
        numbers = feature.get("numerical_statistics")
        if numbers:
            rows.append({"MetricName": f"feature_data_{name}", "Timestamp": when,
                         "Dimensions": dimensions, "StatisticValues": {
                             "SampleCount": float(numbers["common"]["num_present"]),
                             "Sum": numbers["sum"], "Minimum": numbers["min"],
                             "Maximum": numbers["max"]}})
        common = (numbers or feature.get("string_statistics"))["common"]
        rows.append({"MetricName": f"feature_non_null_{name}", "Timestamp": when,
                     "Dimensions": dimensions,
                     "Value": common["num_present"] / rows_total if rows_total else 0.0})
    for check in checks:
        if check.drift is not None and check.name in emitting:
            rows.append({"MetricName": f"feature_baseline_drift_{check.name}", "Timestamp": when,
                         "Dimensions": dimensions, "Value": check.drift})
    _stage_metric_rows(metrics_dir, "data-quality-metrics.jsonl", rows, staged)
