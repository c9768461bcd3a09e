"""The SageMaker, STS and SageMaker Metrics operations the SDK's monitors, Clarify, models,
experiments and monitoring schedules call, answered from the resource store.

Processing jobs run when created (see :mod:`.processing`), so ``wait=True`` finds them
finished. Describe answers are the create request plus what the service adds (ARN, status,
times); a name that does not exist is the service's ``ValidationException`` or
``ResourceNotFound``, naming it.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from byom_monitor.session.local_sagemaker.processing import LocalServices, run_processing_job
from byom_monitor.session.local_sagemaker.store import ResourceStore
from byom_monitor.session.local_sagemaker.transport import (
    ACCOUNT_ID,
    PAGING,
    ServiceError,
    only_emulated,
    page,
)

_TERMINAL = ("Completed", "Failed", "Stopped")


def _now() -> datetime:
    return datetime.now(timezone.utc)


class ControlPlane:
    def __init__(self, store: ResourceStore, region: str, services: LocalServices) -> None:
        self.store, self.region, self.services = store, region, services

    def arn(self, resource: str, name: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{ACCOUNT_ID}:{resource}/{name}"

    def _missing(self, what: str, name: str) -> ServiceError:
        return ServiceError("ValidationException", f"Could not find {what} \"{name}\"")

    def _get(self, kind: str, name: str, what: str) -> dict[str, Any]:
        document = self.store.find(kind, name)
        if document is None:
            raise self._missing(what, name)
        return document

    # -- processing jobs ----------------------------------------------------------------------
    def create_processing_job(self, params: dict) -> dict:
        name = params["ProcessingJobName"]
        arn = self.arn("processing-job", name)
        started = _now()
        self.store.add("ProcessingJob", name, {
            "ProcessingInputs": [], **params, "ProcessingJobArn": arn,
            "ProcessingJobStatus": "InProgress",
            "CreationTime": started, "ProcessingStartTime": started, "LastModifiedTime": started})
        result = run_processing_job(params, self.services)
        self.store.add_logs(name, list(result.logs))
        ended = _now()
        self.store.update("ProcessingJob", name, {
            "ProcessingJobStatus": result.status, "ExitMessage": result.exit_message or None,
            "FailureReason": result.failure_reason, "ProcessingEndTime": ended,
            "LastModifiedTime": ended})
        return {"ProcessingJobArn": arn}

    def describe_processing_job(self, params: dict) -> dict:
        return self._get("ProcessingJob", params["ProcessingJobName"], "processing job")

    def stop_processing_job(self, params: dict) -> dict:
        job = self.describe_processing_job(params)
        if job["ProcessingJobStatus"] in _TERMINAL:
            raise ServiceError("ValidationException", f"The processing job "
                               f"{job['ProcessingJobName']} has already ended "
                               f"({job['ProcessingJobStatus']})")
        self.store.update("ProcessingJob", job["ProcessingJobName"],
                          {"ProcessingJobStatus": "Stopped", "ProcessingEndTime": _now()})
        return {}

    def list_processing_jobs(self, params: dict) -> dict:
        def summary(job: dict) -> dict:
            keys = ("ProcessingJobName", "ProcessingJobArn", "CreationTime",
                    "ProcessingEndTime", "LastModifiedTime", "ProcessingJobStatus",
                    "FailureReason", "ExitMessage")
            return {k: job[k] for k in keys if k in job}

        only_emulated(params, "ListProcessingJobs", "NameContains", "StatusEquals", *PAGING)
        jobs = [job for job in self.store.all("ProcessingJob")
                if params.get("NameContains", "") in job["ProcessingJobName"]
                and params.get("StatusEquals", job["ProcessingJobStatus"])
                == job["ProcessingJobStatus"]]
        return page(params, "ProcessingJobSummaries", [summary(j) for j in jobs],
                    {"CreationTime": "CreationTime", "Name": "ProcessingJobName",
                     "Status": "ProcessingJobStatus"})

    # -- models -------------------------------------------------------------------------------
    def create_model(self, params: dict) -> dict:
        name = params["ModelName"]
        arn = self.arn("model", name)
        if self.store.find("Model", name) is not None:
            raise ServiceError("ValidationException", f"Cannot create already existing model "
                                                      f"\"{arn}\".")
        self.store.add("Model", name, {**params, "ModelArn": arn, "CreationTime": _now()})
        return {"ModelArn": arn}

    def describe_model(self, params: dict) -> dict:
        return self._get("Model", params["ModelName"], "model")

    def delete_model(self, params: dict) -> dict:
        self._get("Model", params["ModelName"], "model")
        self.store.delete("Model", params["ModelName"])
        return {}

    def list_models(self, params: dict) -> dict:
        only_emulated(params, "ListModels", "NameContains", *PAGING)
        models = [{k: m[k] for k in ("ModelName", "ModelArn", "CreationTime")}
                  for m in self.store.all("Model")
                  if params.get("NameContains", "") in m["ModelName"]]
        return page(params, "Models", models, {"CreationTime": "CreationTime", "Name": "ModelName"})

    # -- tags ---------------------------------------------------------------------------------
    def _tagged(self, arn: str) -> tuple[str, str, list[dict]]:
        found = self.store.find_arn(arn)
        if found is None:
            raise ServiceError("ValidationException", f"Resource {arn} does not exist")
        kind, name = found
        return kind, name, self.store.get(kind, name).get("Tags", [])

    def add_tags(self, params: dict) -> dict:
        kind, name, tags = self._tagged(params["ResourceArn"])
        added = {t["Key"]: t for t in params.get("Tags", [])}
        tags = [t for t in tags if t["Key"] not in added] + list(added.values())
        self.store.update(kind, name, {"Tags": tags})
        return {"Tags": params.get("Tags", [])}

    def delete_tags(self, params: dict) -> dict:
        kind, name, tags = self._tagged(params["ResourceArn"])
        self.store.update(kind, name, {"Tags": [t for t in tags
                                                if t["Key"] not in params.get("TagKeys", [])]})
        return {}

    def list_tags(self, params: dict) -> dict:
        return {"Tags": self._tagged(params["ResourceArn"])[2]}

    # -- STS ----------------------------------------------------------------------------------
    @staticmethod
    def get_caller_identity(params: dict) -> dict:
        return {"UserId": "LOCAL", "Account": ACCOUNT_ID,
                "Arn": f"arn:aws:iam::{ACCOUNT_ID}:user/byom-local"}

    def operations(self) -> dict[tuple[str, str], Callable[[dict], dict]]:
        return {
            ("sts", "GetCallerIdentity"): self.get_caller_identity,
            ("sagemaker", "CreateProcessingJob"): self.create_processing_job,
            ("sagemaker", "DescribeProcessingJob"): self.describe_processing_job,
            ("sagemaker", "StopProcessingJob"): self.stop_processing_job,
            ("sagemaker", "ListProcessingJobs"): self.list_processing_jobs,
            ("sagemaker", "CreateModel"): self.create_model,
            ("sagemaker", "DescribeModel"): self.describe_model,
            ("sagemaker", "DeleteModel"): self.delete_model,
            ("sagemaker", "ListModels"): self.list_models,
            ("sagemaker", "AddTags"): self.add_tags,
            ("sagemaker", "DeleteTags"): self.delete_tags,
            ("sagemaker", "ListTags"): self.list_tags,
        }

