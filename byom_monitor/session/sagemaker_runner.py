"""Running a :class:`~byom_monitor.session.jobs.ProcessingJob` on SageMaker Processing (SDK v2).

Baselines use the SDK's monitor classes as the original did (``DefaultModelMonitor``,
``ModelQualityMonitor``, ``ModelBiasMonitor``, ``ModelExplainabilityMonitor``); checks use a plain
``Processor`` with the managed image from ``image_uris.retrieve`` and the job's environment,
inputs and outputs. Local inputs are uploaded to S3 first; results must go to S3 (the store of
config.ini). The Clarify predictor is a SageMaker Model with the name the analysis config gives
(``predictor.model_name``), as in the original; before every Clarify job the runner makes it
serve the prep.py model, created or replaced by content (:mod:`byom_monitor.session.sagemaker_model`).
"""
from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Collection
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from byom_monitor.io import storage
from byom_monitor.io.config import Config, ConfigError
from byom_monitor.session.cloudwatch import put_metrics
from byom_monitor.session.jobs import CLARIFY, JobInput, ProcessingJob
from byom_monitor.session.processing_results import wait_for_job
from byom_monitor.session.runners import Execution, input_files
from byom_monitor.session.sagemaker_model import ensure_model, predictor_model_names

os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
logging.getLogger("sagemaker.config").setLevel(logging.WARNING)

from sagemaker import Session, clarify, image_uris  # noqa: E402
from sagemaker.model_monitor import (  # noqa: E402
    DatasetFormat,
    DefaultModelMonitor,
    ModelBiasMonitor,
    ModelExplainabilityMonitor,
    ModelQualityMonitor,
)
from sagemaker.processing import ProcessingInput, ProcessingOutput, Processor  # noqa: E402

INSTANCE_TYPE = "ml.m5.xlarge"


class SageMakerRunner:
    def __init__(self, session: Session, role: str, *, instance_type: str = INSTANCE_TYPE,
                 instance_count: int = 1, volume_size_in_gb: int = 30,
                 staging: str | None = None, model_dir: str | None = None) -> None:
        self.session, self.role, self.model_dir = session, role, model_dir
        self.instance_type, self.instance_count = instance_type, instance_count
        self.volume_size_in_gb = volume_size_in_gb
        self.staging = staging or f"s3://{session.default_bucket()}/model-monitor-bring-your-own-model/inputs"

    @classmethod
    def from_config(cls, config: Config) -> SageMakerRunner:
        from byom_monitor.session.aws_session import s3_root, sagemaker_session_from_config

        if not storage.is_s3(config.store):
            raise ConfigError(f"{config.path}: backend = sagemaker writes results to S3; set "
                              f"[monitoring] store = s3://bucket/prefix (now {config.store})")
        session, role, bucket = sagemaker_session_from_config(config)
        return cls(session, role, staging=f"{s3_root(config, bucket)}/inputs",
                   model_dir=config.model_dir)

    # -- running ------------------------------------------------------------------------------
    def run(self, job: ProcessingJob) -> Execution:
        started, clock = datetime.now(timezone.utc), time.perf_counter()
        name = f"{job.base_job_name}-{started.strftime('%Y-%m-%d-%H-%M-%S-%f')[:-3]}"
        if not storage.is_s3(job.output):
            return Execution(name, "Failed", f"Failed: SageMaker jobs write to S3, not to "
                             f"{job.output}", started=started)
        sources = {channel.name: self._on_s3(channel.source, name, channel.name)
                   for channel in job.inputs}
        if job.image == CLARIFY and self.model_dir:  # baselines, checks and schedules alike
            document = json.loads(storage.read_text(sources["analysis_config"]))
            self.prepare_predictors(self.model_dir, predictor_model_names(document))
        manifests = {channel.name: self._manifest(channel, sources[channel.name], name)
                     for channel in job.inputs if channel.include}
        if manifests:  # only the window's hours: a manifest of their files, a plain Processor
            self._processor(job, name, {**sources, **manifests}, set(manifests))
        else:
            runner = getattr(self, "_" + job.purpose.replace("-", "_"), self._processor)
            runner(job, name, sources)
        result = wait_for_job(self.session.sagemaker_client, name)  # Failed, Stopped: results
        outputs = {}
        if result.ok:
            for location in storage.list_files(job.output):
                outputs[location.rsplit("/", 1)[-1]] = location
        return Execution(name, result.status, result.message, outputs, started,
                         time.perf_counter() - clock)

    def record_run(self, experiment: str, run_name: str, parameters: dict[str, str]) -> str:
        """A SageMaker Experiments run with the parameters (as the original's notebook 05 kept
        the violation locations); returns its trial component name."""
        from sagemaker.experiments.run import Run

        from byom_monitor.session.run_names import experiment_name, fit

        name = fit(run_name.removeprefix(f"{experiment}-"))  # Run prepends the experiment
        with Run(experiment_name=experiment_name(experiment), run_name=name,
                 sagemaker_session=self.session) as run:
            run.log_parameters(parameters)
            return run.experiment_config["RunName"]  # the trial component name

    def publish_metrics(self, namespace: str, dimensions: dict[str, str],
                        metrics: dict[str, float], when: datetime) -> None:
        """CloudWatch datums of the finite values (see :mod:`byom_monitor.session.cloudwatch`)."""
        put_metrics(self.session.boto_session.client("cloudwatch"), namespace, dimensions,
                    metrics, when)

    def prepare_predictors(self, model_dir: str, names: list[str]) -> None:
        """Make the SageMaker Models Clarify calls serve the model in ``model_dir`` (created,
        or replaced when made from other content)."""
        for name in names:
            ensure_model(self.session, self.role, model_dir, name, self.staging)

    def _on_s3(self, source: str, job_name: str, channel: str) -> str:
        if storage.is_s3(source):
            return source
        if Path(source).is_dir():
            prefix = f"{self.staging}/{job_name}/{channel}"
            storage.copy_tree(source, prefix)
            return prefix
        target = f"{self.staging}/{job_name}/{channel}/{Path(source).name}"
        storage.copy(source, target)
        return target

    def _monitor_settings(self, job: ProcessingJob) -> dict[str, Any]:
        return {"role": self.role, "instance_count": self.instance_count,
                "instance_type": self.instance_type, "volume_size_in_gb": self.volume_size_in_gb,
                "max_runtime_in_seconds": job.max_runtime_in_seconds,
                "sagemaker_session": self.session, "base_job_name": job.base_job_name}

    def _manifest(self, channel: JobInput, source: str, job_name: str) -> str:
        """An S3 manifest listing the files of the channel's ``include`` sub-folders."""
        files = input_files(replace(channel, source=source))
        prefix = source.rstrip("/") + "/"
        manifest = [{"prefix": prefix}] + [f[len(prefix):] for f in files]
        location = f"{self.staging}/{job_name}/{channel.name}.manifest"
        storage.write_text(location, json.dumps(manifest))
        return location

    def _processor(self, job: ProcessingJob, name: str, sources: dict[str, str],
                   manifests: Collection[str] = ()) -> None:
        framework = "clarify" if job.image == CLARIFY else "model-monitor"
        processor = Processor(role=self.role, image_uri=image_uris.retrieve(
            framework, self.session.boto_region_name), instance_count=self.instance_count,
            instance_type=self.instance_type, volume_size_in_gb=self.volume_size_in_gb,
            env=dict(job.environment), base_job_name=job.base_job_name,
            max_runtime_in_seconds=job.max_runtime_in_seconds, sagemaker_session=self.session)
        processor.run(
            inputs=[ProcessingInput(source=sources[c.name], destination=c.destination,
                                    input_name=c.name,
                                    s3_data_type="ManifestFile" if c.name in manifests
                                    else "S3Prefix") for c in job.inputs],
            outputs=[ProcessingOutput(source=o.source, destination=o.destination,
                                      output_name=o.name) for o in job.outputs],
            wait=False, logs=False, job_name=name)

    def _data_quality_baseline(self, job: ProcessingJob, name: str,
                               sources: dict[str, str]) -> None:
        DefaultModelMonitor(**self._monitor_settings(job)).suggest_baseline(
            baseline_dataset=sources["baseline_dataset_input"],
            dataset_format=DatasetFormat.csv(header=True), output_s3_uri=job.output,
            wait=False, logs=False, job_name=name)

    def _model_quality_baseline(self, job: ProcessingJob, name: str,
                                sources: dict[str, str]) -> None:
        env = job.environment
        ModelQualityMonitor(**self._monitor_settings(job)).suggest_baseline(
            baseline_dataset=sources["baseline_dataset_input"],
            dataset_format=DatasetFormat.csv(header=True), output_s3_uri=job.output,
            problem_type=env["problem_type"], inference_attribute=env.get("inference_attribute"),
            probability_attribute=env.get("probability_attribute"),
            ground_truth_attribute=env.get("ground_truth_attribute"),
            wait=False, logs=False, job_name=name)

    def _model_bias_baseline(self, job: ProcessingJob, name: str,
                             sources: dict[str, str]) -> None:
        document = json.loads(storage.read_text(sources["analysis_config"]))
        facet = document["facet"][0]
        ModelBiasMonitor(**self._clarify_settings(job)).suggest_baseline(
            data_config=_data_config(document, sources["dataset"], job.output),
            bias_config=clarify.BiasConfig(
                label_values_or_threshold=document["label_values_or_threshold"],
                facet_name=facet["name_or_index"],
                facet_values_or_threshold=facet.get("value_or_threshold"),
                group_name=document.get("group_variable")),
            model_config=_model_config(document),
            model_predicted_label_config=clarify.ModelPredictedLabelConfig(
                probability_threshold=document.get("probability_threshold")),
            wait=False, logs=False, job_name=name)

    def _model_explainability_baseline(self, job: ProcessingJob, name: str,
                                       sources: dict[str, str]) -> None:
        document = json.loads(storage.read_text(sources["analysis_config"]))
        shap = document["methods"]["shap"]
        ModelExplainabilityMonitor(**self._clarify_settings(job)).suggest_baseline(
            data_config=_data_config(document, sources["dataset"], job.output),
            explainability_config=clarify.SHAPConfig(
                baseline=shap.get("baseline"), num_samples=shap.get("num_samples"),
                agg_method=shap.get("agg_method", "mean_abs"),
                use_logit=shap.get("use_logit", False),
                save_local_shap_values=shap.get("save_local_shap_values", True)),
            model_config=_model_config(document), wait=False, logs=False, job_name=name)

    def _clarify_settings(self, job: ProcessingJob) -> dict[str, Any]:
        settings = self._monitor_settings(job)
        settings.pop("volume_size_in_gb")
        return settings


def _data_config(document: dict[str, Any], dataset: str, output: str) -> clarify.DataConfig:
    return clarify.DataConfig(s3_data_input_path=dataset, s3_output_path=output,
                              label=document.get("label"), headers=document.get("headers"),
                              dataset_type=document.get("dataset_type", "text/csv"))


def _model_config(document: dict[str, Any]) -> clarify.ModelConfig:
    predictor = document.get("predictor") or {}
    return clarify.ModelConfig(model_name=predictor["model_name"],
                               instance_count=predictor.get("initial_instance_count", 1),
                               instance_type=predictor.get("instance_type", "ml.m5.large"),
                               content_type=predictor.get("content_type", "text/csv"),
                               accept_type=predictor.get("accept_type", "text/csv"))
