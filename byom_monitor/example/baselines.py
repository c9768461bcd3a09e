"""The example's four baselines through the SageMaker SDK, on the session of config.ini.

Notebook 01 makes these calls one by one and reviews the suggestions (tolerances); this module
makes the same calls for ``byom-monitor baseline``, the demo and tests, and records in
config.ini's ``[BASELINES]`` the keys notebook 01 records, with the suggested files as they
are. Each waits for its job and raises :class:`~byom_monitor.errors.JobFailed` with the
service's reason when it did not complete.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from byom_monitor.errors import JobFailed
from byom_monitor.io.config import Config
from byom_monitor.session import sagemaker_model
from byom_monitor.session.aws_session import s3_root
from byom_monitor.session.job_limits import max_runtime
from byom_monitor.session.managed_jobs import INSTANCE_TYPE
from byom_monitor.session.processing_results import wait_for_job

CHECKS = ("data-quality", "model-quality", "model-bias", "model-explainability")
LABEL, FACET = "credit_risk", "foreign_worker"
#: The SageMaker Models the original's Clarify configs name.
MODEL_NAMES = {"model-bias": "e2e-model-bias", "model-explainability": "e2e-model"}


def build_baseline(config: Config, session: Any, role: str, bucket: str,
                   check: str) -> dict[str, str]:
    """Build one check's baseline; the config.ini keys it recorded, with their locations."""
    builders = {"data-quality": _data_quality, "model-quality": _model_quality,
                "model-bias": _bias, "model-explainability": _explainability}
    if check not in builders:
        raise ValueError(f"unknown check {check!r}; expected one of {', '.join(CHECKS)}")
    recorded = builders[check](config, session, role, f"{s3_root(config, bucket)}/{check}")
    for key, location in recorded.items():
        config.save_baseline(key, location)
    return recorded


def _upload(session: Any, source: Path, prefix: str) -> str:
    bucket, key = prefix.removeprefix("s3://").split("/", 1)
    return session.upload_data(str(source), bucket, f"{key}/baseline_input_data")


def _wait(session: Any, job_name: str, check: str) -> None:
    result = wait_for_job(session.sagemaker_client, job_name)
    if not result.ok:
        raise JobFailed(f"{check} baseline ({job_name}): {result.message}")


def _data_quality(config: Config, session: Any, role: str, prefix: str) -> dict[str, str]:
    from sagemaker.model_monitor import DatasetFormat, DefaultModelMonitor

    data = _upload(session, Path(config.data_dir) / "train_data_no_target.csv", prefix)
    monitor = DefaultModelMonitor(role=role, instance_count=1, instance_type=INSTANCE_TYPE,
                                  max_runtime_in_seconds=max_runtime("data-quality"),
                                  sagemaker_session=session)
    monitor.suggest_baseline(baseline_dataset=data,
                             dataset_format=DatasetFormat.csv(header=True),
                             output_s3_uri=f"{prefix}/baseline_results", wait=False, logs=False)
    _wait(session, monitor.latest_baselining_job_name, "data-quality")
    job = monitor.latest_baselining_job
    return {"data-quality-statistics": job.baseline_statistics().file_s3_uri,
            "data-quality-constraints": job.suggested_constraints().file_s3_uri,
            "data-quality-baseline-data": data}


def _model_quality(config: Config, session: Any, role: str, prefix: str) -> dict[str, str]:
    from sagemaker.model_monitor import DatasetFormat, ModelQualityMonitor

    data = _upload(session, Path(config.data_dir) / "validation_data_with_prediction.csv", prefix)
    monitor = ModelQualityMonitor(role=role, instance_count=1, instance_type=INSTANCE_TYPE,
                                  max_runtime_in_seconds=max_runtime("model-quality"),
                                  sagemaker_session=session)
    monitor.suggest_baseline(
        baseline_dataset=data, dataset_format=DatasetFormat.csv(header=True),
        output_s3_uri=f"{prefix}/baseline_results", problem_type="BinaryClassification",
        inference_attribute="prediction", probability_attribute="prediction_probability",
        ground_truth_attribute=LABEL, wait=False, logs=False)
    _wait(session, monitor.latest_baselining_job_name, "model-quality")
    job = monitor.latest_baselining_job
    return {"model-quality-statistics": job.baseline_statistics().file_s3_uri,
            "model-quality-constraints": job.suggested_constraints().file_s3_uri,
            "model-quality-baseline-data": data}


def _clarify_settings(config: Config, session: Any, role: str, prefix: str,
                      check: str) -> dict[str, Any]:
    """The SageMaker Model Clarify calls (made to serve model_dir), the data and the model
    configs, as notebook 01 builds them."""
    from sagemaker import clarify

    sagemaker_model.ensure_model(session, role, config.model_dir, MODEL_NAMES[check],
                                 prefix.rsplit("/", 1)[0])
    train = Path(config.data_dir) / "train.csv"
    data = _upload(session, train, prefix)
    output = f"{prefix}/baseline_results"
    return {"data": data, "output": output, "train": train, "data_config": clarify.DataConfig(
        s3_data_input_path=data, s3_output_path=output, label=LABEL,
        headers=list(pd.read_csv(train, nrows=0).columns), dataset_type="text/csv"),
        "model_config": clarify.ModelConfig(
            model_name=MODEL_NAMES[check], instance_count=1, instance_type="ml.m5.large",
            content_type="text/csv", accept_type="text/csv")}


def _clarify_recorded(check: str, settings: dict[str, Any]) -> dict[str, str]:
    output = settings["output"]
    return {f"{check}-analysis": f"{output}/analysis.json",
            f"{check}-analysis_config": f"{output}/analysis_config.json",
            f"{check}-baseline-data": settings["data"]}


def _bias(config: Config, session: Any, role: str, prefix: str) -> dict[str, str]:
    from sagemaker import clarify
    from sagemaker.model_monitor import ModelBiasMonitor

    settings = _clarify_settings(config, session, role, prefix, "model-bias")
    threshold = json.loads((Path(config.model_dir) / "metadata.json").read_text())["threshold"]
    monitor = ModelBiasMonitor(role=role, sagemaker_session=session,
                               max_runtime_in_seconds=max_runtime("model-bias"))
    monitor.suggest_baseline(
        data_config=settings["data_config"], model_config=settings["model_config"],
        bias_config=clarify.BiasConfig(label_values_or_threshold=[1], facet_name=FACET,
                                       facet_values_or_threshold=[1]),
        model_predicted_label_config=clarify.ModelPredictedLabelConfig(
            probability_threshold=threshold), wait=False, logs=False)
    _wait(session, monitor.latest_baselining_job_name, "model-bias")
    return _clarify_recorded("model-bias", settings)


def _explainability(config: Config, session: Any, role: str, prefix: str) -> dict[str, str]:
    from sagemaker import clarify
    from sagemaker.model_monitor import ModelExplainabilityMonitor

    settings = _clarify_settings(config, session, role, prefix, "model-explainability")
    mode = (pd.read_csv(settings["train"]).drop(columns=LABEL).mode().iloc[0]
            .astype(int).tolist())
    monitor = ModelExplainabilityMonitor(
        role=role, sagemaker_session=session,
        max_runtime_in_seconds=max_runtime("model-explainability"))
    monitor.suggest_baseline(
        data_config=settings["data_config"], model_config=settings["model_config"],
        explainability_config=clarify.SHAPConfig(baseline=[mode], num_samples=100,
                                                 agg_method="mean_abs",
                                                 save_local_shap_values=True),
        wait=False, logs=False)
    _wait(session, monitor.latest_baselining_job_name, "model-explainability")
    return _clarify_recorded("model-explainability", settings)
