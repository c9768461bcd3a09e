"""Monitoring job definitions (data quality, model quality, model bias, model explainability)
and monitoring schedules, as the SDK's monitors create, update, start, stop and delete them,
with their executions (``ListMonitoringExecutions``).

The schedules are kept, not run: the project's scheduler executes them and records each
execution with :meth:`Monitoring.record_execution`.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from byom_monitor.session.local_sagemaker.store import ResourceStore
from byom_monitor.session.local_sagemaker.transport import (
    PAGING,
    ServiceError,
    only_emulated,
    page,
)

DEFINITION_KINDS = ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability")
_ARN_TYPES = {"DataQuality": "data-quality-job-definition",
              "ModelQuality": "model-quality-job-definition",
              "ModelBias": "model-bias-job-definition",
              "ModelExplainability": "model-explainability-job-definition"}
SCHEDULE = "MonitoringSchedule"
EXECUTION = "MonitoringExecution"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _endpoint_of(definition: dict) -> str | None:
    """The endpoint a job definition watches (its EndpointInput), if any."""
    for key, value in definition.items():
        if key.endswith("JobInput") or key == "MonitoringInputs":
            inputs = value if isinstance(value, list) else [value]
            for item in inputs:
                if "EndpointInput" in item:
                    return item["EndpointInput"].get("EndpointName")
    return None


class Monitoring:
    def __init__(self, store: ResourceStore, arn: Callable[[str, str], str]) -> None:
        self.store, self.arn = store, arn

    # -- job definitions ------------------------------------------------------------------------
    def _definition(self, kind: str, name: str) -> dict:
        document = self.store.find(f"{kind}JobDefinition", name)
        if document is None:
            raise ServiceError("ResourceNotFound", f"Job definition {name} "
                                                   f"({kind}) does not exist")
        return document

    def create_definition(self, kind: str, params: dict) -> dict:
        name = params["JobDefinitionName"]
        arn = self.arn(_ARN_TYPES[kind], name)
        self.store.add(f"{kind}JobDefinition", name,
                       {**params, "JobDefinitionArn": arn, "CreationTime": _now()})
        return {"JobDefinitionArn": arn}

    def describe_definition(self, kind: str, params: dict) -> dict:
        return self._definition(kind, params["JobDefinitionName"])

    def delete_definition(self, kind: str, params: dict) -> dict:
        self._definition(kind, params["JobDefinitionName"])
        self.store.delete(f"{kind}JobDefinition", params["JobDefinitionName"])
        return {}

    def list_definitions(self, kind: str, params: dict) -> dict:
        only_emulated(params, f"List{kind}JobDefinitions", "NameContains", "EndpointName",
                      *PAGING)
        summaries = [{"MonitoringJobDefinitionName": d["JobDefinitionName"],
                      "MonitoringJobDefinitionArn": d["JobDefinitionArn"],
                      "CreationTime": d["CreationTime"],
                      "EndpointName": _endpoint_of(d) or ""}
                     for d in self.store.all(f"{kind}JobDefinition")
                     if params.get("NameContains", "") in d["JobDefinitionName"]
                     and params.get("EndpointName") in (None, _endpoint_of(d))]
        return page(params, "JobDefinitionSummaries", summaries,
                    {"CreationTime": "CreationTime", "Name": "MonitoringJobDefinitionName"})

    # -- schedules --------------------------------------------------------------------------------
    def _schedule(self, name: str) -> dict:
        document = self.store.find(SCHEDULE, name)
        if document is None:
            raise ServiceError("ResourceNotFound", f"Monitoring schedule {name} does not exist")
        return document

    def _schedule_fields(self, config: dict) -> dict:
        """What the service derives from a schedule's config: its type and endpoint."""
        monitoring_type = config.get("MonitoringType", "DataQuality")
        definition_name = config.get("MonitoringJobDefinitionName")
        definition = (self._definition(monitoring_type, definition_name) if definition_name
                      else config.get("MonitoringJobDefinition", {}))
        return {"MonitoringType": monitoring_type, "EndpointName": _endpoint_of(definition)}

    def create_monitoring_schedule(self, params: dict) -> dict:
        name = params["MonitoringScheduleName"]
        arn = self.arn("monitoring-schedule", name)
        now = _now()
        self.store.add(SCHEDULE, name, {
            **params, **self._schedule_fields(params["MonitoringScheduleConfig"]),
            "MonitoringScheduleArn": arn, "MonitoringScheduleStatus": "Scheduled",
            "CreationTime": now, "LastModifiedTime": now})
        return {"MonitoringScheduleArn": arn}

    def describe_monitoring_schedule(self, params: dict) -> dict:
        schedule = self._schedule(params["MonitoringScheduleName"])
        executions = self._executions(schedule["MonitoringScheduleName"])
        if executions:
            schedule["LastMonitoringExecutionSummary"] = executions[-1]
        return schedule

    def update_monitoring_schedule(self, params: dict) -> dict:
        schedule = self._schedule(params["MonitoringScheduleName"])
        config = params["MonitoringScheduleConfig"]
        self.store.update(SCHEDULE, schedule["MonitoringScheduleName"], {
            "MonitoringScheduleConfig": config, **self._schedule_fields(config),
            "LastModifiedTime": _now()})
        return {"MonitoringScheduleArn": schedule["MonitoringScheduleArn"]}

    def _set_status(self, params: dict, status: str) -> dict:
        schedule = self._schedule(params["MonitoringScheduleName"])
        self.store.update(SCHEDULE, schedule["MonitoringScheduleName"],
                          {"MonitoringScheduleStatus": status, "LastModifiedTime": _now()})
        return {}

    def start_monitoring_schedule(self, params: dict) -> dict:
        return self._set_status(params, "Scheduled")

    def stop_monitoring_schedule(self, params: dict) -> dict:
        return self._set_status(params, "Stopped")

    def delete_monitoring_schedule(self, params: dict) -> dict:
        self._schedule(params["MonitoringScheduleName"])
        self.store.delete(SCHEDULE, params["MonitoringScheduleName"])
        return {}

    def list_monitoring_schedules(self, params: dict) -> dict:
        only_emulated(params, "ListMonitoringSchedules", "NameContains", "EndpointName",
                      "StatusEquals", "MonitoringTypeEquals", *PAGING)
        filters = {"EndpointName": "EndpointName", "StatusEquals": "MonitoringScheduleStatus",
                   "MonitoringTypeEquals": "MonitoringType"}
        keys = ("MonitoringScheduleName", "MonitoringScheduleArn", "CreationTime",
                "LastModifiedTime", "MonitoringScheduleStatus", "EndpointName",
                "MonitoringType")
        summaries = [{k: s[k] for k in keys if s.get(k) is not None}
                     for s in self.store.all(SCHEDULE)
                     if params.get("NameContains", "") in s["MonitoringScheduleName"]
                     and all(params[p] == s.get(f) for p, f in filters.items() if p in params)]
        return page(params, "MonitoringScheduleSummaries", summaries,
                    {"CreationTime": "CreationTime", "Name": "MonitoringScheduleName",
                     "Status": "MonitoringScheduleStatus"})

    # -- executions ---------------------------------------------------------------------------
    def _executions(self, schedule: str) -> list[dict]:
        return [e for e in self.store.all(EXECUTION) if e["MonitoringScheduleName"] == schedule]

    def record_execution(self, schedule_name: str, scheduled_time: datetime, status: str,
                         processing_job_arn: str | None = None,
                         failure_reason: str | None = None) -> dict:
        """Record (or update) one execution of a schedule, as the scheduler runs it.
        ``status`` is a MonitoringExecutionStatus (``Completed``, ``CompletedWithViolations``,
        ``Failed``, ``Stopped``, ``InProgress``...)."""
        schedule = self._schedule(schedule_name)
        name = f"{schedule_name}@{scheduled_time.astimezone(timezone.utc).isoformat()}"
        document = {"MonitoringScheduleName": schedule_name, "ScheduledTime": scheduled_time,
                    "LastModifiedTime": _now(), "MonitoringExecutionStatus": status,
                    "ProcessingJobArn": processing_job_arn, "FailureReason": failure_reason,
                    "EndpointName": schedule.get("EndpointName"),
                    "MonitoringType": schedule.get("MonitoringType"),
                    "MonitoringJobDefinitionName": schedule["MonitoringScheduleConfig"].get(
                        "MonitoringJobDefinitionName")}
        document = {k: v for k, v in document.items() if v is not None}
        if self.store.find(EXECUTION, name) is None:
            self.store.add(EXECUTION, name, {**document, "CreationTime": _now()})
            return self.store.get(EXECUTION, name)
        return self.store.update(EXECUTION, name, document)

    def list_monitoring_executions(self, params: dict) -> dict:
        only_emulated(params, "ListMonitoringExecutions", "MonitoringScheduleName",
                      "EndpointName", "StatusEquals", *PAGING)
        executions = [e for e in self.store.all(EXECUTION)
                      if params.get("MonitoringScheduleName",
                                    e["MonitoringScheduleName"]) == e["MonitoringScheduleName"]
                      and params.get("EndpointName") in (None, e.get("EndpointName"))
                      and params.get("StatusEquals", e["MonitoringExecutionStatus"])
                      == e["MonitoringExecutionStatus"]]
        return page(params, "MonitoringExecutionSummaries", executions,
                    {"CreationTime": "CreationTime", "ScheduledTime": "ScheduledTime",
                     "Status": "MonitoringExecutionStatus"})

    def operations(self) -> dict[tuple[str, str], Callable[[dict], dict]]:
        table: dict[tuple[str, str], Callable[[dict], dict]] = {}
        for kind in DEFINITION_KINDS:
            for verb, method in (("Create", self.create_definition),
                                 ("Describe", self.describe_definition),
                                 ("Delete", self.delete_definition)):
                table[("sagemaker", f"{verb}{kind}JobDefinition")] = \
                    lambda params, m=method, k=kind: m(k, params)
            table[("sagemaker", f"List{kind}JobDefinitions")] = \
                lambda params, k=kind: self.list_definitions(k, params)
        table.update({
            ("sagemaker", "CreateMonitoringSchedule"): self.create_monitoring_schedule,
            ("sagemaker", "DescribeMonitoringSchedule"): self.describe_monitoring_schedule,
            ("sagemaker", "UpdateMonitoringSchedule"): self.update_monitoring_schedule,
            ("sagemaker", "StartMonitoringSchedule"): self.start_monitoring_schedule,
            ("sagemaker", "StopMonitoringSchedule"): self.stop_monitoring_schedule,
            ("sagemaker", "DeleteMonitoringSchedule"): self.delete_monitoring_schedule,
            ("sagemaker", "ListMonitoringSchedules"): self.list_monitoring_schedules,
            ("sagemaker", "ListMonitoringExecutions"): self.list_monitoring_executions,
        })
        return table
