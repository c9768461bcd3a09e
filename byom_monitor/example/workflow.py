"""The example's steps as functions the notebooks call: build a baseline, run a check, and
record where the results went in config.ini.

Every step is a :mod:`~byom_monitor.session.jobs` description handed to the runner of the configured
backend (local in-process, or SageMaker Processing), so the notebooks never branch on it.
Results go below the result store of config.ini: ``baselines/<check>/`` and
``checks/<check>/<UTC time>/``, like the S3 prefixes of the original.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pandas as pd

from byom_monitor.analyzer import (
    Baseline,
    CheckResult,
    ModelQualityStatistics,
    Statistics,
    Violations,
)
from byom_monitor.clarify import ClarifyResult
from byom_monitor.errors import JobFailed
from byom_monitor.example.checks import baseline as recorded_baseline
from byom_monitor.io import storage
from byom_monitor.io.config import Config
from byom_monitor.session.backends import runner_for
from byom_monitor.session.jobs import (
    ProcessingJob,
    clarify_job,
    data_quality_job,
    model_quality_job,
)
from byom_monitor.session.runners import Execution

#: How the example's model-quality datasets name label, prediction and probability.
MODEL_QUALITY_ATTRIBUTES = {"problem_type": "BinaryClassification",
                            "ground_truth_attribute": "credit_risk",
                            "inference_attribute": "prediction",
                            "probability_attribute": "prediction_probability"}
#: The original's Clarify settings: label credit_risk (1 = good), facet foreign_worker = 1, the
#: two SageMaker model names of the original, SHAP with the training data's mode as baseline.
LABEL, FACET = "credit_risk", "foreign_worker"
CLARIFY_CHECKS = {"model-bias": "e2e-model-bias", "model-explainability": "e2e-model"}


#: A job of the example ended ``Failed`` (the package's one "job failed" error).
StepFailed = JobFailed


def run(config: Config, job: ProcessingJob) -> Execution:
    """Run one job on the configured backend; StepFailed when it fails."""
    execution = runner_for(config).run(job)
    if not execution.ok:
        raise StepFailed(f"{job.purpose} ({execution.job_name}): {execution.exit_message}")
    return execution


def _baseline_folder(config: Config, check: str) -> str:
    return storage.join(config.store, "baselines", check)


def _check_output(config: Config, check: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d-%H-%M-%S-%f")
    return storage.join(config.store, "checks", check, stamp)


def _record_baseline(config: Config, check: str, baseline: Baseline, dataset: str) -> Baseline:
    """Where the baseline's files and data are, in config.ini's [BASELINES]."""
    config.save_baseline(f"{check}-statistics", baseline.statistics.location)
    config.save_baseline(f"{check}-constraints", baseline.constraints.location)
    config.save_baseline(f"{check}-baseline-data", dataset)
    return baseline


# -- data quality ---------------------------------------------------------------------------------
def data_quality_baseline(config: Config) -> Baseline:
    """Statistics and suggested constraints of the training features (no label, no prediction)."""
    dataset = storage.join(config.data_dir, "train_data_no_target.csv")
    run(config, data_quality_job(dataset, _baseline_folder(config, "data-quality")))
    return _record_baseline(config, "data-quality",
                            Baseline.from_folder(_baseline_folder(config, "data-quality")), dataset)


def data_quality_check(config: Config) -> CheckResult:
    """Check the current data-quality dataset (from generate_altered.py) against the baseline."""
    job = data_quality_job(config.get_dataset("data-quality-modified-data"),
                           _check_output(config, "data-quality"),
                           constraints=recorded_baseline(config, "data-quality-constraints"),
                           statistics=recorded_baseline(config, "data-quality-statistics"))
    execution = run(config, job)
    result = CheckResult(execution.outcome, Statistics.from_uri(execution.output("statistics.json")),
                         Violations.from_uri(execution.output("constraint_violations.json")))
    config.save_baseline("data-quality-violations", result.violations.location)
    return result


# -- model quality --------------------------------------------------------------------------------
def model_quality_baseline(config: Config) -> Baseline:
    """Metrics of the model on held-out labelled data (the validation split; never trained on),
    and suggested constraints at those values."""
    dataset = storage.join(config.data_dir, "validation_data_with_prediction.csv")
    run(config, model_quality_job(dataset, _baseline_folder(config, "model-quality"),
                                  MODEL_QUALITY_ATTRIBUTES))
    baseline = Baseline.from_folder(_baseline_folder(config, "model-quality"), model_quality=True)
    return _record_baseline(config, "model-quality", baseline, dataset)


def model_quality_check(config: Config) -> CheckResult:
    """Metrics of the current labelled scenario against the model-quality constraints."""
    job = model_quality_job(config.get_dataset("model-quality-modified-data"),
                            _check_output(config, "model-quality"), MODEL_QUALITY_ATTRIBUTES,
                            constraints=recorded_baseline(config, "model-quality-constraints"))
    execution = run(config, job)
    result = CheckResult(execution.outcome,
                         ModelQualityStatistics.from_uri(execution.output("statistics.json")),
                         Violations.from_uri(execution.output("constraint_violations.json")))
    config.save_baseline("model-quality-violations", result.violations.location)
    return result


# -- Clarify: bias and explainability --------------------------------------------------------------
def clarify_config(config: Config, check: str) -> dict:
    """The analysis config of the bias or the explainability baseline (as the SDK's DataConfig,
    BiasConfig / SHAPConfig and ModelConfig would write it)."""
    train = pd.read_csv(storage.join(config.data_dir, "train.csv"))
    metadata = json.loads(storage.read_text(storage.join(config.model_dir, "metadata.json")))
    document = {"dataset_type": "text/csv", "headers": list(train.columns), "label": LABEL,
                # the model's own threshold, stated (the original silently used 0.5)
                "probability_threshold": metadata["threshold"],
                "predictor": {"model_name": CLARIFY_CHECKS[check], "content_type": "text/csv",
                              "accept_type": "text/csv", "instance_type": "ml.m5.large",
                              "initial_instance_count": 1}}
    report = {"name": "report", "title": "Analysis Report"}  # what the SDK adds by default
    if check == "model-bias":
        document.update(label_values_or_threshold=[1],
                        facet=[{"name_or_index": FACET, "value_or_threshold": [1]}],
                        methods={"report": report, "pre_training_bias": {"methods": "all"},
                                 "post_training_bias": {"methods": "all"}})
    else:
        mode = train.drop(columns=LABEL).mode().iloc[0].astype(int).tolist()
        document["methods"] = {"report": report,
                               "shap": {"baseline": [mode], "num_samples": 100,
                                        "agg_method": "mean_abs",
                                        "save_local_shap_values": True}}
    return document


def _clarify_result(execution: Execution) -> ClarifyResult:
    violations = execution.output("constraint_violations.json")
    return ClarifyResult(
        execution.outcome, json.loads(storage.read_text(execution.output("analysis.json"))),
        Violations.from_uri(violations) if violations else Violations({"violations": []}))


def clarify_baseline(config: Config, check: str) -> ClarifyResult:
    """The bias (``model-bias``) or explainability (``model-explainability``) baseline of the
    model on its training data."""
    folder = _baseline_folder(config, check)
    analysis_config = storage.join(folder, "input", "analysis_config.json")
    storage.write_text(analysis_config, json.dumps(clarify_config(config, check), indent=2))
    dataset = storage.join(config.data_dir, "train.csv")
    result = _clarify_result(run(config, clarify_job(check, analysis_config, dataset, folder)))
    config.save_baseline(f"{check}-analysis", result.location("analysis.json"))
    config.save_baseline(f"{check}-analysis_config", analysis_config)
    config.save_baseline(f"{check}-baseline-data", dataset)
    return result


def clarify_check(config: Config, check: str) -> ClarifyResult:
    """The current scenario's bias or explainability against its baseline analysis.json."""
    job = clarify_job(check, recorded_baseline(config, f"{check}-analysis_config"),
                      config.get_dataset(f"{check}-modified-data"), _check_output(config, check),
                      baseline_analysis=recorded_baseline(config, f"{check}-analysis"))
    result = _clarify_result(run(config, job))
    # Clarify writes no violations file when there are none; record that too
    config.save_baseline(f"{check}-violations", result.location("constraint_violations.json") or "")
    return result
