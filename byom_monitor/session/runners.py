"""Running a :class:`~byom_monitor.session.jobs.ProcessingJob`: locally in-process, or on SageMaker.

Both return an :class:`Execution` with the monitoring status (``Completed``,
``CompletedWithViolations``, ``Failed``), the container's exit message, the failure reason and
where the outputs went, so the notebooks never branch on the backend.
"""
from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from byom_monitor.analyzer.outcome import Outcome
from byom_monitor.io import storage
from byom_monitor.session.jobs import JobInput, ProcessingJob
from byom_monitor.session.local_sagemaker.staging import run_staged, stage_files, staged_path


@dataclass
class Execution:
    job_name: str
    status: str
    exit_message: str
    outputs: dict[str, str] = field(default_factory=dict)
    started: datetime | None = None
    seconds: float = 0.0

    @property
    def failure_reason(self) -> str | None:
        if self.ok:
            return None
        return self.exit_message.removeprefix(f"{self.status}: ")

    @property
    def ok(self) -> bool:
        """Ran to its end with readable outputs (a Stopped job did not)."""
        return self.status in ("Completed", "CompletedWithViolations")

    @property
    def outcome(self) -> Outcome:
        return Outcome(self.status, self.exit_message, self.outputs)

    def output(self, name: str) -> str | None:
        """The location of one result file (``statistics.json``, ``analysis.json``...)."""
        return self.outputs.get(name)


class Runner(Protocol):
    def run(self, job: ProcessingJob) -> Execution: ...

    def record_run(self, experiment: str, run_name: str, parameters: dict[str, str]) -> str | None:
        """Record a run with the backend's own experiment tracking (None: nothing to add)."""

    def publish_metrics(self, namespace: str, dimensions: dict[str, str],
                        metrics: dict[str, float], when: datetime) -> None:
        """Publish execution metrics where the backend keeps them (CloudWatch on AWS)."""

    def prepare_predictors(self, model_dir: str, names: list[str]) -> None:
        """Make the models that Clarify jobs call by these names available."""


class LocalRunner:
    """Runs the analyzer in this process under a temporary ``/opt/ml`` look-alike, then copies
    the outputs to their destinations (a local folder or S3)."""

    def __init__(self, predictors: dict[str, str] | None = None) -> None:
        self.predictors = predictors or {}

    def run(self, job: ProcessingJob) -> Execution:
        started, clock = datetime.now(timezone.utc), time.perf_counter()
        name = f"{job.base_job_name}-{started.strftime('%Y-%m-%d-%H-%M-%S-%f')[:-3]}"
        root = Path(tempfile.mkdtemp(prefix="byom-job-"))
        try:
            outcome = self._run_staged(job, root)
            outputs = {}
            if outcome.ok:
                for output in job.outputs:
                    for location in storage.copy_tree(staged_path(root, output.source),
                                                      output.destination):
                        outputs[location.replace("\\", "/").rsplit("/", 1)[-1]] = location
                metrics = root / "output" / "metrics" / "cloudwatch"
                if metrics.exists():  # what SageMaker would publish to CloudWatch
                    target = storage.join(job.output, "cloudwatch-metrics")
                    for location in storage.copy_tree(metrics, target):
                        outputs[location.replace("\\", "/").rsplit("/", 1)[-1]] = location
        finally:
            shutil.rmtree(root, ignore_errors=True)
        return Execution(name, outcome.status, outcome.message, outputs, started,
                         time.perf_counter() - clock)

    def record_run(self, experiment: str, run_name: str, parameters: dict[str, str]) -> None:
        return None  # the local experiment store (SQLite) already holds every run

    def publish_metrics(self, namespace: str, dimensions: dict[str, str],
                        metrics: dict[str, float], when: datetime) -> None:
        return None  # locally the executions' metrics live in the SQLite store

    def prepare_predictors(self, model_dir: str, names: list[str]) -> None:
        return None  # locally the names resolve through config.ini's [predictors]

    def _run_staged(self, job: ProcessingJob, root: Path) -> Outcome:
        for channel in job.inputs:
            sources = input_files(channel)
            if not sources:
                return Outcome("Failed", f"Failed: input {channel.name}: nothing at "
                                         f"{channel.source}")
            stage_files(sources, channel.source, staged_path(root, channel.destination))
        for output in job.outputs:
            staged_path(root, output.source).mkdir(parents=True, exist_ok=True)
        return run_staged(job.image, root, job.environment, job.outputs[0].source,
                          self.predictors)


def input_files(channel: JobInput) -> list[str]:
    """The files of an input channel (only its ``include`` sub-folders, when given)."""
    if not channel.include:
        return storage.list_files(channel.source)
    files = []
    for folder in channel.include:
        location = storage.join(channel.source, *folder.split("/"))
        if storage.exists(location):
            files.extend(storage.list_files(location))
    return files
