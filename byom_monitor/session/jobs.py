"""Processing-job descriptions: what runs (the Model Monitor analyzer or Clarify), with which
environment, reading which inputs and writing which outputs.

A :class:`ProcessingJob` is backend-neutral. The local runner stages its inputs under a
temporary folder that mirrors ``/opt/ml/processing`` and runs the analyzer in-process; the
SageMaker runner hands the same description to SageMaker Processing. The builders below make
the jobs of the original example (its notebooks 01-04), with the same container paths and
environment variables.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field

from byom_monitor.session.job_limits import max_runtime

MODEL_MONITOR, CLARIFY = "model-monitor", "clarify"
PROCESSING = "/opt/ml/processing"
OUTPUT = f"{PROCESSING}/output"
DATASET_INPUT = f"{PROCESSING}/input/baseline_dataset_input"
CONSTRAINTS_INPUT = f"{PROCESSING}/baseline/constraints"
STATISTICS_INPUT = f"{PROCESSING}/baseline/stats"
CLARIFY_CONFIG_INPUT = f"{PROCESSING}/input/config"
CLARIFY_DATA_INPUT = f"{PROCESSING}/input/data"


@dataclass(frozen=True)
class JobInput:
    name: str
    source: str        # local path or s3:// URI (a file, or a folder / prefix)
    destination: str   # container path
    include: tuple[str, ...] = ()  # only these sub-folders of source (empty: all of it)


@dataclass(frozen=True)
class JobOutput:
    name: str
    source: str        # container path
    destination: str   # local folder or s3:// prefix


@dataclass(frozen=True)
class ProcessingJob:
    """One analyzer run. ``purpose`` says what it is for (``data-quality-baseline``,
    ``model-bias-check``, ...) so a backend can pick the matching SDK monitor class."""

    image: str                       # MODEL_MONITOR or CLARIFY
    purpose: str
    base_job_name: str
    environment: dict[str, str] = field(default_factory=dict)
    inputs: tuple[JobInput, ...] = ()
    outputs: tuple[JobOutput, ...] = ()
    max_runtime_in_seconds: int = 1800

    @property
    def output(self) -> str:
        """Where the results land (the destination of the output channel)."""
        return self.outputs[0].destination


def _csv_format() -> str:
    """The SDK's own ``DatasetFormat.csv(header=True)``, imported quietly (the SDK logs its
    config search and warns about v3 on import)."""
    os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
    logging.getLogger("sagemaker.config").setLevel(logging.WARNING)
    from sagemaker.model_monitor import DatasetFormat

    return json.dumps(DatasetFormat.csv(header=True))


def _monitor_job(purpose: str, base_job_name: str, dataset: str, output: str,
                 constraints: str | None, statistics: str | None,
                 extra_environment: dict[str, str]) -> ProcessingJob:
    environment = {"dataset_format": _csv_format(), "dataset_source": DATASET_INPUT,
                   "output_path": OUTPUT, "publish_cloudwatch_metrics": "Disabled",
                   **extra_environment}
    inputs = [JobInput("baseline_dataset_input", dataset, DATASET_INPUT)]
    if constraints:
        environment["baseline_constraints"] = f"{CONSTRAINTS_INPUT}/constraints.json"
        inputs.append(JobInput("constraints", constraints, CONSTRAINTS_INPUT))
    if statistics:
        environment["baseline_statistics"] = f"{STATISTICS_INPUT}/statistics.json"
        inputs.append(JobInput("baseline", statistics, STATISTICS_INPUT))
    return ProcessingJob(MODEL_MONITOR, purpose, base_job_name, environment, tuple(inputs),
                         (JobOutput("monitoring_output", OUTPUT, output),))


def data_quality_job(dataset: str, output: str, *, constraints: str | None = None,
                     statistics: str | None = None) -> ProcessingJob:
    """A data-quality baseline (no constraints given) or check (notebooks 01 and 02)."""
    purpose = "data-quality-check" if constraints else "data-quality-baseline"
    return _monitor_job(purpose, "model-monitor-byom", dataset, output, constraints,
                        statistics, {})


def model_quality_job(dataset: str, output: str, attributes: dict[str, str], *,
                      constraints: str | None = None) -> ProcessingJob:
    """A model-quality baseline or check; ``attributes`` holds ``problem_type`` and the
    ``*_attribute`` names (notebooks 01 and 03)."""
    purpose = "model-quality-check" if constraints else "model-quality-baseline"
    return _monitor_job(purpose, "model-monitor-byom", dataset, output, constraints, None,
                        {"analysis_type": "MODEL_QUALITY", **attributes})


def clarify_job(check: str, analysis_config: str, dataset: str, output: str, *,
                baseline_analysis: str | None = None) -> ProcessingJob:
    """A bias (``model-bias``) or explainability (``model-explainability``) analysis, checked
    against a baseline analysis.json when one is given (notebooks 01 and 04)."""
    inputs = [JobInput("analysis_config", analysis_config, CLARIFY_CONFIG_INPUT),
              JobInput("dataset", dataset, CLARIFY_DATA_INPUT)]
    environment = {}
    if baseline_analysis:
        environment["baseline_constraints"] = f"{CONSTRAINTS_INPUT}/analysis.json"
        inputs.append(JobInput("analysis_file", baseline_analysis, CONSTRAINTS_INPUT))
    name = "model-bias-byom" if check == "model-bias" else "model-explainability-byom"
    purpose = f"{check}-{'check' if baseline_analysis else 'baseline'}"
    return ProcessingJob(CLARIFY, purpose, name, environment, tuple(inputs),
                         (JobOutput("analysis_result", OUTPUT, output),),
                         max_runtime_in_seconds=max_runtime(check))
