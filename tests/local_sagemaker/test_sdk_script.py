"""The original example's SageMaker SDK calls, unchanged, against the in-process session.

One session (module scope) runs the script once; each test checks one part of it at the
locations the SDK reports.
"""
from __future__ import annotations

import json
import tarfile
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from byom_monitor.io.config import Config
from byom_monitor.sessions import LOCAL_ROLE, session_from_config

FEATURES = ["checking", "duration", "foreign_worker", "amount"]
LABEL = "credit_risk"
WEIGHTS = {"w": [0.6, -0.04, -0.5, 0.0001], "b": 0.2}

INFERENCE = textwrap.dedent('''
    import json, os
    import numpy as np

    def model_fn(model_dir):
        with open(os.path.join(model_dir, "weights.json")) as handle:
            return json.load(handle)

    def input_fn(body, content_type):
        text = body.decode() if isinstance(body, bytes) else body
        return np.array([[float(v) for v in line.split(",")]
                         for line in text.splitlines() if line.strip()])

    def predict_fn(data, model):
        return 1 / (1 + np.exp(-(data @ np.array(model["w"]) + model["b"])))

    def output_fn(prediction, accept):
        return "".join(f"{p}\\n" for p in prediction), "text/csv"
''')


def credit_frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"checking": rng.integers(1, 5, rows),
                          "duration": rng.integers(6, 60, rows),
                          "foreign_worker": rng.integers(1, 3, rows),
                          "amount": rng.integers(500, 15000, rows)})
    score = 1 / (1 + np.exp(-(frame.to_numpy() @ np.array(WEIGHTS["w"]) + WEIGHTS["b"])))
    frame.insert(0, LABEL, (rng.random(rows) < score).astype(int))
    return frame


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """The notebooks' one line, on a fresh config.ini (local backend)."""
    base = tmp_path_factory.mktemp("local-sagemaker")
    config = Config(base / "config.ini")
    session, role, bucket = session_from_config(config)
    return {"base": base, "config": config, "session": session, "role": role,
            "bucket": bucket}


@pytest.fixture(scope="module")
def data(local):
    base, session, bucket = local["base"], local["session"], local["bucket"]
    train = credit_frame(240, 0)
    train.to_csv(base / "train.csv", index=False)
    train[FEATURES].to_csv(base / "train_no_target.csv", index=False)
    scored = train.copy()
    scored["prediction_probability"] = 1 / (1 + np.exp(-(train[FEATURES].to_numpy()
                                                       @ np.array(WEIGHTS["w"]) + WEIGHTS["b"])))
    scored["prediction"] = (scored["prediction_probability"] > 0.5).astype(int)
    scored.to_csv(base / "with_prediction.csv", index=False)
    drifted = credit_frame(120, 1)
    drifted["duration"] = drifted["duration"] * 5 + 400
    drifted[FEATURES].to_csv(base / "drifted.csv", index=False)
    prefix = "model-monitor-bring-your-own-model"
    upload = lambda name, key: session.upload_data(str(base / name), bucket, f"{prefix}/{key}")
    return {"prefix": f"s3://{bucket}/{prefix}",
            "train": upload("train.csv", "model-bias/baseline_input_data"),
            "no_target": upload("train_no_target.csv", "data-quality/baseline_input_data"),
            "with_prediction": upload("with_prediction.csv", "model-quality/baseline_input_data"),
            "drifted": upload("drifted.csv", "data-quality/modified")}


def test_the_one_line_gives_the_local_session_role_and_bucket(local):
    from byom_monitor.local_sagemaker.session import LocalSagemakerSession

    assert isinstance(local["session"], LocalSagemakerSession)
    assert local["role"] == LOCAL_ROLE
    assert local["bucket"] == "byom-monitor-local"
    assert local["session"].default_bucket() == "byom-monitor-local"
    assert (local["base"] / "results" / "s3" / "byom-monitor-local").is_dir()


@pytest.fixture(scope="module")
def data_quality_monitor(local, data):
    from sagemaker.model_monitor import DatasetFormat, DefaultModelMonitor

    monitor = DefaultModelMonitor(role=local["role"], instance_count=1,
                                  instance_type="ml.m5.xlarge", volume_size_in_gb=20,
                                  max_runtime_in_seconds=3600,
                                  sagemaker_session=local["session"])
    monitor.suggest_baseline(baseline_dataset=data["no_target"],
                             dataset_format=DatasetFormat.csv(header=True),
                             output_s3_uri=f"{data['prefix']}/data-quality/baseline_results",
                             wait=True, logs=False)
    return monitor


def test_data_quality_suggest_baseline(data_quality_monitor, data, local):
    job = data_quality_monitor.latest_baselining_job
    statistics = job.baseline_statistics().body_dict
    constraints = job.suggested_constraints().body_dict
    assert [f["name"] for f in statistics["features"]] == FEATURES
    assert statistics["dataset"]["item_count"] == 240
    assert {f["name"] for f in constraints["features"]} == set(FEATURES)
    description = job.describe()
    assert description["ProcessingJobStatus"] == "Completed"
    assert description["ExitMessage"].startswith("Completed:")
    output = description["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    assert output == f"{data['prefix']}/data-quality/baseline_results"
    assert local["session"].list_s3_files(local["bucket"], output.split("/", 3)[3]) == [
        f"{output.split('/', 3)[3]}/constraints.json",
        f"{output.split('/', 3)[3]}/statistics.json"]


def test_model_quality_suggest_baseline(local, data):
    from sagemaker.model_monitor import DatasetFormat, ModelQualityMonitor

    monitor = ModelQualityMonitor(role=local["role"], instance_count=1,
                                  instance_type="ml.m5.xlarge", volume_size_in_gb=20,
                                  max_runtime_in_seconds=1800,
                                  sagemaker_session=local["session"])
    job = monitor.suggest_baseline(
        baseline_dataset=data["with_prediction"].rsplit("/", 1)[0],
        dataset_format=DatasetFormat.csv(header=True),
        output_s3_uri=f"{data['prefix']}/model-quality/baseline_results",
        problem_type="BinaryClassification", inference_attribute="prediction",
        probability_attribute="prediction_probability", ground_truth_attribute=LABEL)
    job.wait(logs=False)
    constraints = monitor.latest_baselining_job.suggested_constraints().body_dict
    assert "binary_classification_constraints" in constraints
    statistics = monitor.latest_baselining_job.baseline_statistics().body_dict
    assert statistics["binary_classification_metrics"]["accuracy"]["value"] > 0.5


def test_processor_check_with_the_model_monitor_image(local, data, data_quality_monitor,
                                                      capsys):
    from sagemaker import image_uris
    from sagemaker.model_monitor import DatasetFormat
    from sagemaker.processing import ProcessingInput, ProcessingOutput, Processor

    baseline = data_quality_monitor.latest_baselining_job
    image = image_uris.retrieve(framework="model-monitor", region="eu-west-1",
                                version="latest")
    destination = f"{data['prefix']}/results-data-quality-test"
    processor = Processor(
        role=local["role"], image_uri=image, instance_count=1, instance_type="ml.m5.xlarge",
        base_job_name="model-monitor-byom", max_runtime_in_seconds=1800,
        sagemaker_session=local["session"],
        env={"dataset_format": json.dumps(DatasetFormat.csv()),
             "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
             "output_path": "/opt/ml/processing/output",
             "publish_cloudwatch_metrics": "Disabled",
             "baseline_constraints": "/opt/ml/processing/baseline/constraints/constraints.json",
             "baseline_statistics": "/opt/ml/processing/baseline/stats/statistics.json"})
    processor.run(
        inputs=[ProcessingInput(data["drifted"], "/opt/ml/processing/input/baseline_dataset_input",
                                input_name="baseline_dataset_input"),
                ProcessingInput(baseline.suggested_constraints().file_s3_uri,
                                "/opt/ml/processing/baseline/constraints",
                                input_name="constraints"),
                ProcessingInput(baseline.baseline_statistics().file_s3_uri,
                                "/opt/ml/processing/baseline/stats", input_name="baseline")],
        outputs=[ProcessingOutput(source="/opt/ml/processing/output", destination=destination,
                                  output_name="monitoring_output")],
        wait=True, logs=True)
    description = processor.latest_job.describe()
    assert description["ProcessingJobStatus"] == "Completed"
    assert description["ExitMessage"].startswith("CompletedWithViolations:")
    assert description["ExitMessage"] in capsys.readouterr().out  # logs=True printed the log
    output = description["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    violations = json.loads(local["session"].read_s3_file(
        local["bucket"], f"{output.split('/', 3)[3]}/constraint_violations.json"))
    assert any(v["feature_name"] == "duration" for v in violations["violations"])


def package_model(base: Path, session, bucket: str, script: str = INFERENCE) -> tuple[str, Path]:
    """model.tar.gz (the weights) uploaded, and a source folder with the entry point."""
    (base / "model").mkdir(exist_ok=True)
    (base / "model" / "weights.json").write_text(json.dumps(WEIGHTS))
    with tarfile.open(base / "model.tar.gz", "w:gz") as archive:
        archive.add(base / "model" / "weights.json", arcname="weights.json")
    source = base / "code"
    source.mkdir(exist_ok=True)
    (source / "inference.py").write_text(script)
    return session.upload_data(str(base / "model.tar.gz"), bucket, "models/credit"), source


@pytest.fixture(scope="module")
def models(local):
    """As notebook 01: a framework image's Model in script mode, inside a PipelineModel."""
    from sagemaker import Model, PipelineModel, image_uris

    session, role = local["session"], local["role"]
    model_data, source = package_model(local["base"], session, local["bucket"])
    image = image_uris.retrieve("xgboost", session.boto_region_name, "1.7-1")
    for suffix in ("explainability", "bias"):
        model = Model(image_uri=image, model_data=model_data, entry_point="inference.py",
                      source_dir=str(source), role=role, sagemaker_session=session,
                      name=f"sm-model-for-{suffix}")
        name = "e2e-model" if suffix == "explainability" else "e2e-model-bias"
        PipelineModel(name=name, models=[model], role=role,
                      sagemaker_session=session).create(instance_type="ml.m5.large")
    return ("e2e-model", "e2e-model-bias")


def test_pipeline_model_is_described_with_its_containers(local, models):
    description = local["session"].sagemaker_client.describe_model(ModelName="e2e-model")
    (container,) = description["Containers"]
    assert container["Environment"]["SAGEMAKER_PROGRAM"] == "inference.py"
    assert container["ModelDataUrl"].startswith("s3://byom-monitor-local/")
    assert description["ModelArn"].endswith(":model/e2e-model")


def clarify_configs(data, output: str, model_name: str):
    from sagemaker import clarify

    data_config = clarify.DataConfig(s3_data_input_path=data["train"], s3_output_path=output,
                                     label=LABEL, headers=[LABEL, *FEATURES],
                                     dataset_type="text/csv")
    model_config = clarify.ModelConfig(model_name=model_name, instance_count=1,
                                       instance_type="ml.m5.large", content_type="text/csv",
                                       accept_type="text/csv")
    return data_config, model_config


def test_bias_baseline_calls_the_model_through_the_session(local, data, models):
    from sagemaker import clarify
    from sagemaker.model_monitor import ModelBiasMonitor

    output = f"{data['prefix']}/model-bias/baseline_results"
    data_config, model_config = clarify_configs(data, output, "e2e-model-bias")
    bias_config = clarify.BiasConfig(label_values_or_threshold=[1], facet_name="foreign_worker",
                                     facet_values_or_threshold=[1])
    monitor = ModelBiasMonitor(role=local["role"], sagemaker_session=local["session"],
                               max_runtime_in_seconds=1800)
    monitor.suggest_baseline(data_config=data_config, model_config=model_config,
                             bias_config=bias_config, wait=True, logs=False)
    assert monitor.latest_baselining_job.describe()["ProcessingJobStatus"] == "Completed"
    analysis = monitor.latest_baselining_job.suggested_constraints().body_dict
    metrics = {m["name"]: m["value"] for m in
               analysis["post_training_bias_metrics"]["facets"]["foreign_worker"][0]["metrics"]}
    assert "DPPL" in metrics and metrics["DPPL"] is not None
    key = output.split("/", 3)[3]
    assert set(local["session"].list_s3_files(local["bucket"], key)) == {
        f"{key}/analysis.json", f"{key}/analysis_config.json"}


def test_shap_baseline_gives_analysis_json(local, data, models):
    from sagemaker import clarify
    from sagemaker.model_monitor import ModelExplainabilityMonitor

    output = f"{data['prefix']}/model-explainability/baseline_results"
    data_config, model_config = clarify_configs(data, output, "e2e-model")
    shap_config = clarify.SHAPConfig(baseline=[[2, 24, 1, 3000]], num_samples=30,
                                     agg_method="mean_abs", save_local_shap_values=True)
    monitor = ModelExplainabilityMonitor(role=local["role"], sagemaker_session=local["session"],
                                         max_runtime_in_seconds=1800)
    monitor.suggest_baseline(data_config=data_config, model_config=model_config,
                             explainability_config=shap_config, wait=True, logs=False)
    analysis = monitor.latest_baselining_job.suggested_constraints().body_dict
    attributions = analysis["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
    assert set(attributions) == set(FEATURES)
    assert attributions["checking"] > 0  # the model's strongest per-unit weight matters


def test_unknown_model_name_fails_the_job_with_a_one_line_reason(local, data, models):
    from sagemaker import clarify
    from sagemaker.model_monitor import ModelExplainabilityMonitor

    data_config, model_config = clarify_configs(data, f"{data['prefix']}/unknown-model",
                                                "no-such-model")
    monitor = ModelExplainabilityMonitor(role=local["role"], sagemaker_session=local["session"])
    with pytest.raises(Exception, match="no-such-model"):
        monitor.suggest_baseline(
            data_config=data_config, model_config=model_config, wait=True, logs=False,
            explainability_config=clarify.SHAPConfig(baseline=[[2, 24, 1, 3000]],
                                                     num_samples=10, agg_method="mean_abs"))
    client = local["session"].sagemaker_client
    (failed,) = client.list_processing_jobs(StatusEquals="Failed")["ProcessingJobSummaries"]
    description = client.describe_processing_job(ProcessingJobName=failed["ProcessingJobName"])
    assert "'no-such-model' is not a SageMaker Model" in description["FailureReason"]
    assert "\n" not in description["FailureReason"]
    written = local["session"].list_s3_files(local["bucket"], "model-monitor-bring-your-own-"
                                                              "model/unknown-model")
    assert written == ["model-monitor-bring-your-own-model/unknown-model/analysis_config.json"]
    # (the SDK uploads the analysis config itself; the failed job published nothing)


def test_run_records_parameters_and_metrics(local):
    from sagemaker.experiments import Run, load_run

    with Run(experiment_name="byom-drift", run_name="concept-drift",
             sagemaker_session=local["session"]) as run:
        run.log_parameters({"scenario": "concept-drift", "violations": 3})
        run.log_metric("feature_baseline_drift", 0.25)
        run.log_metric("feature_baseline_drift", 0.75)
    with load_run(experiment_name="byom-drift", run_name="concept-drift",
                  sagemaker_session=local["session"]) as loaded:
        assert loaded._trial_component.parameters == {"scenario": "concept-drift",
                                                       "violations": 3}
    component = local["session"].sagemaker_client.describe_trial_component(
        TrialComponentName=run._trial_component.trial_component_name)
    (metric,) = component["Metrics"]
    assert (metric["MetricName"], metric["Count"], metric["Max"], metric["Last"]) == \
        ("feature_baseline_drift", 2, 0.75, 0.75)


def test_state_survives_a_new_session(local, data_quality_monitor):
    from sagemaker.experiments import list_runs

    job_name = data_quality_monitor.latest_baselining_job.job_name
    restarted, _, _ = session_from_config(local["config"])
    assert restarted is not local["session"]
    description = restarted.describe_processing_job(job_name)
    assert description["ProcessingJobStatus"] == "Completed"
    assert restarted.sagemaker_client.describe_model(ModelName="e2e-model-bias")
    names = [r.run_name for r in list_runs(experiment_name="byom-drift",
                                           sagemaker_session=restarted)]
    assert names == ["concept-drift"]
    summaries = restarted.sagemaker_client.list_processing_jobs(NameContains="baseline")
    assert job_name in [s["ProcessingJobName"] for s in summaries["ProcessingJobSummaries"]]
