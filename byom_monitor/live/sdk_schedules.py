"""Monitoring schedules made with the SDK (``create_monitoring_schedule``) on the in-process
session, turned into what the project's scheduler runs.

On SageMaker the service runs such schedules itself; locally the session only stores them, and
:class:`~byom_monitor.live.schedule.Scheduler` runs their windows. A schedule's job definition
gives what to check:

- the traffic: an ``EndpointInput`` names an endpoint served by ``byom-monitor serve``, whose
  capture is below config.ini's ``[monitoring] capture``; a ``BatchTransformInput``'s
  ``DataCapturedDestinationS3Uri`` is a batch-transform export of the capture
  (:mod:`byom_monitor.live.batch_transform_export`), read as SageMaker reads it, so the same
  schedule runs here and on SageMaker;
- the baseline files (``BaselineConfig``), ground truth (``GroundTruthS3Input``), the analysis
  config (``ConfigUri``), the time offsets and ``MaxRuntimeInSeconds``;
- the output: below ``S3Output.S3Uri``, as the service lays it out
  (``{uri}/{endpoint}/{schedule}/yyyy/mm/dd/hh``).

Each execution is also recorded with the session, so the SDK's ``list_executions()`` and
``describe_schedule()`` show it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from byom_monitor.errors import InputError
from byom_monitor.io import storage
from byom_monitor.io.config import Config
from byom_monitor.live.window_jobs import WindowSource

logger = logging.getLogger(__name__)
#: MonitoringType -> our check name.
CHECKS = {"DataQuality": "data-quality", "ModelQuality": "model-quality",
          "ModelBias": "model-bias", "ModelExplainability": "model-explainability"}


@dataclass(frozen=True)
class SdkSchedule:
    """A schedule's timing (cron, offsets, status, creation) and what its windows check."""

    cron: str
    status: str
    created: str
    start_offset: str | None
    end_offset: str | None
    source: WindowSource


def is_local(session: Any) -> bool:
    return hasattr(session, "monitoring") and hasattr(session, "local_s3")


def sdk_schedules(session: Any, config: Config) -> list[SdkSchedule]:
    """The schedules stored by the in-process session (none on SageMaker, which runs its own).
    A schedule that cannot run here is left out with a warning naming it and the field at
    fault."""
    if not is_local(session):
        return []
    client = session.sagemaker_client
    found = []
    for summary in client.list_monitoring_schedules()["MonitoringScheduleSummaries"]:
        description = client.describe_monitoring_schedule(
            MonitoringScheduleName=summary["MonitoringScheduleName"])
        try:
            found.append(_schedule(client, description, config))
        except InputError as exc:
            logger.warning("%s", exc)
    return found


def record_execution(session: Any, schedule: str, scheduled: datetime, status: str,
                     job_arn: str | None, failure_reason: str | None) -> None:
    """The execution as ``ListMonitoringExecutions`` shows it."""
    session.monitoring.record_execution(schedule, scheduled, status, job_arn, failure_reason)


def _schedule(client: Any, description: dict[str, Any], config: Config) -> SdkSchedule:
    name = description["MonitoringScheduleName"]
    kind = description.get("MonitoringType", "DataQuality")
    settings = description["MonitoringScheduleConfig"]
    definition_name = settings.get("MonitoringJobDefinitionName")
    if not definition_name:
        raise InputError(f"monitoring schedule {name}: only schedules with a job definition "
                            f"(as the SDK's monitors create them) run locally")
    describe = {"DataQuality": client.describe_data_quality_job_definition,
                "ModelQuality": client.describe_model_quality_job_definition,
                "ModelBias": client.describe_model_bias_job_definition,
                "ModelExplainability": client.describe_model_explainability_job_definition}
    definition = describe[kind](JobDefinitionName=definition_name)
    job_input = definition[f"{kind}JobInput"]
    traffic = job_input.get("EndpointInput") or job_input.get("BatchTransformInput") or {}
    if "EndpointInput" in job_input:
        endpoint = traffic["EndpointName"]
        capture = storage.join(config.capture, endpoint, "AllTraffic")
    elif "BatchTransformInput" in job_input:
        endpoint, capture = "", traffic["DataCapturedDestinationS3Uri"]  # no endpoint to name
    else:
        raise InputError(f"monitoring schedule {name}: {kind}JobInput has neither an "
                            f"EndpointInput nor a BatchTransformInput")
    baseline = definition.get(f"{kind}BaselineConfig") or {}
    baselines = {key: baseline[resource]["S3Uri"]
                 for key, resource in (("constraints", "ConstraintsResource"),
                                       ("statistics", "StatisticsResource"))
                 if resource in baseline}
    application = definition.get(f"{kind}AppSpecification") or {}
    if "ConfigUri" in application:
        baselines["analysis_config"] = application["ConfigUri"]
        if "constraints" in baselines:
            baselines["analysis"] = baselines["constraints"]
    output = definition[f"{kind}JobOutputConfig"]["MonitoringOutputs"][0]["S3Output"]["S3Uri"]
    threshold = float(traffic.get("ProbabilityThresholdAttribute") or 0.5)
    source = WindowSource(name, CHECKS[kind], capture, endpoint, baselines,
                          storage.join(output, endpoint, name),
                          int(definition["StoppingCondition"]["MaxRuntimeInSeconds"]),
                          (job_input.get("GroundTruthS3Input") or {}).get("S3Uri"), threshold,
                          exported="BatchTransformInput" in job_input,
                          probability_column=_column(traffic.get("ProbabilityAttribute"), name))
    return SdkSchedule(settings["ScheduleConfig"]["ScheduleExpression"],
                       description["MonitoringScheduleStatus"],
                       description["CreationTime"].isoformat(), traffic.get("StartTimeOffset"),
                       traffic.get("EndTimeOffset"), source)


def _column(attribute: str | None, schedule: str) -> int:
    """A ``ProbabilityAttribute`` of exported rows: a 0-based column index (``"20"`` or
    ``"_c20"``); the column before the inference id and time when not given."""
    if attribute is None:
        return -3
    text = str(attribute).removeprefix("_c")
    if not text.isdigit():
        raise InputError(f"monitoring schedule {schedule}: ProbabilityAttribute "
                         f"{attribute!r} must be a column index of the exported rows")
    return int(text)
