"""The result of a SageMaker Processing job, whatever way it ended.

With ``wait=True`` the SDK raises ``UnexpectedStatusException`` when a job fails, so code after
``run`` never sees a ``Failed`` job, and it only logs a warning for a ``Stopped`` one (a job past
its ``MaxRuntimeInSeconds``), which then looks like a success with missing outputs. Here a job is
started without waiting, then DescribeProcessingJob is polled until the job ends, and every end
is a :class:`JobResult`: ``Completed`` and ``CompletedWithViolations`` (from the container's exit
message, spec 0.3) are results to read; ``Failed`` and ``Stopped`` carry the service's reason.

For a ``Processor``, :func:`run_processing` does both steps; for the SDK's monitors, call
``suggest_baseline(..., wait=False)`` and then ``wait_for_job(session.sagemaker_client,
monitor.latest_baselining_job_name)``.

``logs=False`` does not lose the container's logs: :func:`container_logs` reads them from
CloudWatch Logs (``/aws/sagemaker/ProcessingJobs``) afterwards, and :attr:`JobResult.logs_command`
is the AWS CLI line that prints them.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: The ProcessingJobStatus values after which nothing changes.
TERMINAL = ("Completed", "Failed", "Stopped")
#: Monitoring statuses whose outputs can be read.
SUCCESSFUL = ("Completed", "CompletedWithViolations")
LOG_GROUP = "/aws/sagemaker/ProcessingJobs"


class JobTimeout(TimeoutError):
    """Waiting for a job took longer than the caller allowed (the job itself goes on)."""


@dataclass(frozen=True)
class JobResult:
    """How one processing job ended.

    ``status`` is the monitoring status: ``Completed`` / ``CompletedWithViolations`` from the
    exit message of a completed job, or ``Failed`` / ``Stopped``. ``message`` is one line for a
    person: the exit message, or the status and the service's reason."""

    job_name: str
    status: str
    message: str
    failure_reason: str | None = None
    exit_message: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    seconds: float | None = None

    @property
    def ok(self) -> bool:
        """True when the job ran to its end and its outputs can be read (not Stopped)."""
        return self.status in SUCCESSFUL

    @property
    def logs_command(self) -> str:
        """The AWS CLI command that prints the job's container logs."""
        return (f"aws logs tail {LOG_GROUP} --log-stream-names "
                f"$(aws logs describe-log-streams --log-group-name {LOG_GROUP} "
                f"--log-stream-name-prefix {self.job_name}/ --query 'logStreams[].logStreamName' "
                f"--output text)")

    def output(self, name: str) -> str:
        """The S3 URI of an output channel; KeyError naming the job when it has no such one."""
        try:
            return self.outputs[name]
        except KeyError:
            raise KeyError(f"processing job {self.job_name} has no output {name!r} "
                           f"(it has {', '.join(self.outputs) or 'none'})") from None


def result_from_description(description: dict[str, Any]) -> JobResult:
    """A :class:`JobResult` from a DescribeProcessingJob answer of an ended job."""
    name = description["ProcessingJobName"]
    job_status = description["ProcessingJobStatus"]
    if job_status not in TERMINAL:
        raise ValueError(f"processing job {name} has not ended (status {job_status})")
    exit_message = description.get("ExitMessage") or None
    reason = description.get("FailureReason") or None
    outputs = {o["OutputName"]: o["S3Output"]["S3Uri"]
               for o in description.get("ProcessingOutputConfig", {}).get("Outputs", [])
               if "S3Output" in o}
    seconds = None
    if description.get("ProcessingStartTime") and description.get("ProcessingEndTime"):
        seconds = (description["ProcessingEndTime"]
                   - description["ProcessingStartTime"]).total_seconds()
    if job_status == "Completed":
        status = _monitoring_status(exit_message)
        message = exit_message or "Completed: Job completed successfully."
    else:
        status = job_status
        why = reason or exit_message or "no reason given by the service"
        message = f"{status}: {why}"
    return JobResult(name, status, message, reason, exit_message, outputs, seconds)


def _monitoring_status(exit_message: str | None) -> str:
    """The prefix of a Model Monitor exit message (spec 0.3); Completed when there is none."""
    prefix = (exit_message or "").split(":", 1)[0].strip()
    return prefix if prefix in SUCCESSFUL else "Completed"


def wait_for_job(sagemaker_client: Any, job_name: str, *, poll_seconds: float = 15,
                 timeout_seconds: float | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> JobResult:
    """Poll DescribeProcessingJob until the job ends; its result, never an exception for a
    failed or stopped job. ``timeout_seconds`` bounds the wait (JobTimeout), not the job."""
    waited = 0.0
    while True:
        description = sagemaker_client.describe_processing_job(ProcessingJobName=job_name)
        if description["ProcessingJobStatus"] in TERMINAL:
            return result_from_description(description)
        if timeout_seconds is not None and waited >= timeout_seconds:
            raise JobTimeout(f"processing job {job_name} still "
                             f"{description['ProcessingJobStatus']} after {waited:.0f} s")
        sleep(poll_seconds)
        waited += poll_seconds


def run_processing(processor: Any, *, poll_seconds: float = 15,
                   sleep: Callable[[float], None] = time.sleep, **run_arguments: Any) -> JobResult:
    """``processor.run(...)`` (a ``sagemaker.processing.Processor`` or a subclass) without the
    SDK's wait, then the job's :class:`JobResult`."""
    processor.run(wait=False, logs=False, **run_arguments)
    return wait_for_job(processor.sagemaker_session.sagemaker_client,
                        processor.latest_job.job_name, poll_seconds=poll_seconds, sleep=sleep)


def container_logs(boto_session: Any, job_name: str, limit: int = 10_000) -> list[str]:
    """The job's container log lines from CloudWatch Logs, from every instance's stream
    (``{job_name}/algo-1-...``), at most ``limit``; empty when the job wrote none yet."""
    client = boto_session.client("logs")
    prefix = f"{job_name}/"
    try:
        streams = [stream["logStreamName"]
                   for page in client.get_paginator("describe_log_streams").paginate(
                       logGroupName=LOG_GROUP, logStreamNamePrefix=prefix)
                   for stream in page.get("logStreams", [])
                   if stream["logStreamName"].startswith(prefix)]
        lines: list[str] = []
        for start in range(0, len(streams), 100):  # FilterLogEvents takes 100 streams a call
            pages = client.get_paginator("filter_log_events").paginate(
                logGroupName=LOG_GROUP, logStreamNames=streams[start:start + 100])
            for page in pages:
                lines.extend(event["message"] for event in page.get("events", []))
                if len(lines) >= limit:
                    return lines[:limit]
    except client.exceptions.ResourceNotFoundException:
        return []
    return lines
