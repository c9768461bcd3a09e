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
from byom_monitor.session.sessions import LOCAL_ROLE, session_from_config

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
    from byom_monitor.session.local_sagemaker.session import LocalSagemakerSession

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
