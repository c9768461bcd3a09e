"""The example's four checks as SageMaker Processing jobs, through the SageMaker SDK.

Notebooks 02-04 show these calls one by one (as the original's notebooks did); notebook 05 runs
them for every scenario through :func:`run_check`, like the original's ``utils.py`` helpers.
The locations come from config.ini: the baselines of notebook 01 and the datasets
``generate_altered.main()`` wrote last. Each check's results go to
``s3://<bucket>/<prefix>/results-<check>-<UTC time>``; the violations file is recorded in
config.ini as ``<check>-violations`` ("" when the check found none).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from byom_monitor.io.config import Config, ConfigError
from byom_monitor.session.job_limits import Sample, max_runtime, sample_rows
from byom_monitor.session.managed_jobs import BASE_JOB_NAMES

CHECKS = ("data-quality", "model-quality", "model-bias", "model-explainability")
PROCESSING = "/opt/ml/processing"
#: The original's results prefixes.
RESULTS = {"data-quality": "results-data-quality", "model-quality": "results-model-quality",
           "model-bias": "results-model-bias", "model-explainability": "results-model-explain"}
#: Where each check's own analysis lands besides the violations.
ANALYSIS_FILE = {"data-quality": "statistics.json", "model-quality": "statistics.json",
                 "model-bias": "analysis.json", "model-explainability": "analysis.json"}
MODEL_QUALITY_ENVIRONMENT = {"analysis_type": "MODEL_QUALITY",
                             "problem_type": "BinaryClassification",
                             "inference_attribute": "prediction",
                             "probability_attribute": "prediction_probability",
                             "ground_truth_attribute": "credit_risk"}


class NotReady(RuntimeError):
    """A check run before the step that provides its input (notebook 01, generate_altered)."""


@dataclass
class CheckRun:
    """One finished check: its job, exit message, result locations and violations."""

    check: str
    job_name: str
    exit_message: str
    destination: str
    violations_uri: str
    violations: list[dict[str, Any]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.exit_message.split(":", 1)[0]

    @property
    def analysis_uri(self) -> str:
        return f"{self.destination}/{ANALYSIS_FILE[self.check]}"

    @property
    def names(self) -> list[str]:
        """What the violations name: features (data quality), metrics, or ``shap``."""
        key = "feature_name" if self.check == "data-quality" else "metric_name"
        return sorted({str(v.get(key)) for v in self.violations})


def baseline(config: Config, key: str) -> str:
    """A location notebook 01 recorded; NotReady saying what to run when it is missing."""
    try:
        return config.get_baseline(key)
    except ConfigError:
        raise NotReady(f"{config.path} has no baseline '{key}' yet: run notebook "
                       f"01_create_baselines.ipynb first") from None


def dataset(config: Config, check: str) -> str:
    try:
        return config.get_dataset(f"{check}-modified-data")
    except ConfigError:
        raise NotReady(f"{config.path} has no dataset for {check} yet: run "
                       f"generate_altered.main() first") from None


def explainability_sample(config: Config) -> Sample:
    """The rows the explainability check explains: a seeded sample of its current dataset
    (all of it when small), written next to it as ``<name>-sample.csv``. Kernel SHAP costs
    100 model predictions per row, too many for the big scenario's rows in one job (see
    :mod:`byom_monitor.session.job_limits`); the bias check reads every row."""
    source = dataset(config, "model-explainability")
    return sample_rows(source, f"{source.removesuffix('.csv')}-sample.csv")


def destination(bucket: str, prefix: str, check: str) -> str:
    return f"s3://{bucket}/{prefix}/{RESULTS[check]}-{stamp()}"


def monitor_environment(check: str) -> dict[str, str]:
    """The original's environment of the model-monitor container (data or model quality)."""
    from sagemaker.model_monitor import DatasetFormat

    environment = {"dataset_format": json.dumps(DatasetFormat.csv()),
                   "dataset_source": f"{PROCESSING}/input/baseline_dataset_input",
                   "output_path": f"{PROCESSING}/output",
                   "publish_cloudwatch_metrics": "Disabled",
                   "baseline_constraints": f"{PROCESSING}/baseline/constraints/constraints.json",
                   "baseline_statistics": f"{PROCESSING}/baseline/stats/statistics.json"}
    if check == "model-quality":
        environment.update(MODEL_QUALITY_ENVIRONMENT)
    return environment


def run_check(config: Config, session, role: str, bucket: str, check: str) -> CheckRun:
    """Run one check on the current datasets; records ``<check>-violations`` in config.ini."""
    from sagemaker import image_uris
    from sagemaker.processing import ProcessingInput, ProcessingOutput, Processor

    region = session.boto_region_name
    output = destination(bucket, config.prefix, check)
    if check in ("data-quality", "model-quality"):
        image = image_uris.retrieve(framework="model-monitor", region=region, version="latest")
        environment = monitor_environment(check)
        inputs = [ProcessingInput(dataset(config, check),
                                  f"{PROCESSING}/input/baseline_dataset_input",
                                  input_name="baseline_dataset_input"),
                  ProcessingInput(baseline(config, f"{check}-constraints"),
                                  f"{PROCESSING}/baseline/constraints", input_name="constraints"),
                  ProcessingInput(baseline(config, f"{check}-statistics"),
                                  f"{PROCESSING}/baseline/stats", input_name="baseline")]
        output_name = "monitoring_output"
    else:
        image = image_uris.retrieve(framework="clarify", region=region, version="latest")
        environment = {"baseline_constraints":
                       f"{PROCESSING}/baseline/constraints/analysis.json"}
        inputs = [ProcessingInput(baseline(config, f"{check}-analysis"),
                                  f"{PROCESSING}/baseline/constraints",
                                  input_name="analysis_file"),
                  ProcessingInput(baseline(config, f"{check}-analysis_config"),
                                  f"{PROCESSING}/input/config", input_name="analysis_config"),
                  ProcessingInput(dataset(config, check) if check == "model-bias"
                                  else explainability_sample(config).location,
                                  f"{PROCESSING}/input/data", input_name="dataset")]
        output_name = "analysis_result"
    processor = Processor(role=role, image_uri=image, instance_count=1,
                          instance_type="ml.m5.xlarge", base_job_name=BASE_JOB_NAMES[check],
                          max_runtime_in_seconds=max_runtime(check),
                          sagemaker_session=session,
                          env=environment)
    processor.run(inputs=inputs, outputs=[ProcessingOutput(
        source=f"{PROCESSING}/output", destination=output, output_name=output_name)],
        wait=True, logs=False)
    return record(config, session, check, processor.latest_job.describe(), output)


def record(config: Config, session, check: str, description: dict[str, Any],
           output: str) -> CheckRun:
    """Read a finished check's violations (none: Clarify writes no file) and record them."""
    from botocore.exceptions import ClientError
    from sagemaker.s3 import S3Downloader

    uri = f"{output}/constraint_violations.json"
    try:
        violations = json.loads(S3Downloader.read_file(uri, sagemaker_session=session))
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("NoSuchKey", "404"):
            raise
        violations, uri = {"violations": []}, ""
    config.save_baseline(f"{check}-violations", uri)
    return CheckRun(check, description["ProcessingJobName"],
                    description.get("ExitMessage", ""), output, uri,
                    violations.get("violations", []))


def stamp() -> str:
    """A UTC time stamp for names (runs, result prefixes)."""
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-%f")


def expected_vs_observed(frame, expected: dict[str, dict[str, tuple[str, ...]]]):
    """Per scenario and check (rows of ``frame``: scenario, check, names): the names the
    scenario declares, the names violated, and whether they agree (a declared check fires with
    every declared name among its violations; an undeclared check has no violation)."""
    import pandas as pd

    rows = []
    for row in frame.itertuples():
        declared_checks = expected.get(row.scenario, {})
        declared = tuple(declared_checks.get(row.check, ()))
        agrees = (bool(row.names) and set(declared) <= set(row.names)
                  if row.check in declared_checks else not row.names)
        rows.append({"scenario": row.scenario, "check": row.check,
                     "expected": ", ".join(declared) or "-",
                     "observed": ", ".join(row.names) or "-", "as expected": agrees})
    return pd.DataFrame(rows)
