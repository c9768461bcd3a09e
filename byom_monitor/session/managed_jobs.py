"""One Processing job with a managed image (``model-monitor`` or ``clarify``), through the SDK.

The same call runs on either session of :func:`~byom_monitor.session.sessions.session_from_config`:
the in-process one runs this project's analyzers (with ``MaxRuntimeInSeconds`` enforced), a real
one SageMaker Processing. Inputs and the output are ``s3://`` locations. The job is started
without the SDK's wait and polled to its end (:mod:`~byom_monitor.session.processing_results`),
so a failed or stopped job is a result, never an exception.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from byom_monitor.io import storage
from byom_monitor.session.processing_results import JobResult, run_processing

MODEL_MONITOR, CLARIFY = "model-monitor", "clarify"
PROCESSING = "/opt/ml/processing"
OUTPUT = f"{PROCESSING}/output"
INSTANCE_TYPE = "ml.m5.xlarge"
#: The original example's base job name of each check.
BASE_JOB_NAMES = {"data-quality": "model-monitor-byom", "model-quality": "model-monitor-byom",
                  "model-bias": "model-bias-byom",
                  "model-explainability": "model-explainability-byom"}
#: The output channel each image's jobs name (as the SDK's monitors and Clarify name them).
OUTPUT_NAMES = {MODEL_MONITOR: "monitoring_output", CLARIFY: "analysis_result"}


@dataclass(frozen=True)
class ManagedJob:
    """What to run: the image, its environment, ``{input name: (s3 uri, container path)}``
    and the S3 prefix that receives ``/opt/ml/processing/output``."""

    framework: str
    base_job_name: str
    environment: Mapping[str, str]
    inputs: Mapping[str, tuple[str, str]]
    output: str
    max_runtime_in_seconds: int


@dataclass(frozen=True)
class ManagedJobRun:
    """How the job ended, and its result files by name (``statistics.json``, ...) when it
    succeeded."""

    result: JobResult
    files: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.result.ok


def managed_processor(session: Any, role: str, job: ManagedJob,
                      instance_type: str = INSTANCE_TYPE) -> Any:
    """The SDK ``Processor`` of ``job``: the region's managed image, one instance."""
    from sagemaker import image_uris
    from sagemaker.processing import Processor

    image = image_uris.retrieve(framework=job.framework, region=session.boto_region_name,
                                version="latest")
    return Processor(role=role, image_uri=image, instance_count=1, instance_type=instance_type,
                     base_job_name=job.base_job_name, env=dict(job.environment),
                     max_runtime_in_seconds=job.max_runtime_in_seconds,
                     sagemaker_session=session)


def run_managed_job(session: Any, role: str, job: ManagedJob, *,
                    poll_seconds: float = 15) -> ManagedJobRun:
    """Run ``job`` to its end; its result and, when it succeeded, its result files."""
    from sagemaker.processing import ProcessingInput, ProcessingOutput

    inputs = [ProcessingInput(source=source, destination=destination, input_name=name)
              for name, (source, destination) in job.inputs.items()]
    output = ProcessingOutput(source=OUTPUT, destination=job.output,
                              output_name=OUTPUT_NAMES[job.framework])
    result = run_processing(managed_processor(session, role, job), inputs=inputs,
                            outputs=[output], poll_seconds=poll_seconds)
    files = {}
    if result.ok:
        for location in storage.list_files(job.output):
            files[location.rsplit("/", 1)[-1]] = location
    return ManagedJobRun(result, files)
