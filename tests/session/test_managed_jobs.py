"""A managed-image job through the SDK on the local session: results, failures and the time
limit come back as results, never as exceptions."""
import json

import pandas as pd
import pytest

from byom_monitor.io.config import Config
from byom_monitor.session.managed_jobs import (
    MODEL_MONITOR,
    OUTPUT,
    PROCESSING,
    ManagedJob,
    run_managed_job,
)
from byom_monitor.session.sessions import session_from_config

DATASET = f"{PROCESSING}/input/baseline_dataset_input"
CSV = json.dumps({"csv": {"header": True, "output_columns_position": "START"}})


@pytest.fixture
def local(tmp_path, restore_storage):
    session, role, bucket = session_from_config(Config(tmp_path / "config.ini"))
    data = pd.DataFrame({"x": range(50), "c": ["a", "b"] * 25}).to_csv(index=False)
    uri = session.upload_string_as_file_body(data, bucket, "data/train.csv")
    requests = []
    session.sagemaker_client.meta.events.register(
        "provide-client-params.sagemaker.CreateProcessingJob",
        lambda params, **_: requests.append(params))
    return session, role, bucket, uri, requests


def _job(bucket, uri, **environment):
    return ManagedJob(MODEL_MONITOR, "test-job",
                      {"dataset_format": CSV, "dataset_source": DATASET, "output_path": OUTPUT,
                       **environment},
                      {"baseline_dataset_input": (uri, DATASET)}, f"s3://{bucket}/out", 123)


def test_a_job_runs_with_the_managed_image_and_returns_its_files(local):
    session, role, bucket, uri, requests = local
    run = run_managed_job(session, role, _job(bucket, uri))
    assert run.ok and run.result.status == "Completed"
    assert sorted(run.files) == ["constraints.json", "statistics.json"]
    assert run.files["statistics.json"] == f"s3://{bucket}/out/statistics.json"
    (request,) = requests
    assert request["AppSpecification"]["ImageUri"].endswith(
        "/sagemaker-model-monitor-analyzer")
    assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 123}
    assert request["ProcessingOutputConfig"]["Outputs"][0]["OutputName"] == "monitoring_output"


def test_a_failed_job_is_a_result_with_the_reason_and_no_files(local):
    session, role, bucket, uri, _ = local
    run = run_managed_job(session, role, _job(bucket, uri, dataset_format='{"parquet": {}}'))
    assert not run.ok and run.result.status == "Failed" and run.files == {}
    assert "not supported" in run.result.message
    assert not session.list_s3_files(bucket, "out/")


def test_a_job_past_its_time_limit_is_stopped(local, tmp_path):
    """A preprocessor that never returns: the job ends Stopped at MaxRuntimeInSeconds."""
    session, role, bucket, uri, _ = local
    script = session.upload_string_as_file_body(
        "import threading\nthreading.Event().wait()\n", bucket, "code/stuck.py")
    job = _job(bucket, uri, record_preprocessor_script=f"{PROCESSING}/code/stuck.py")
    job = ManagedJob(job.framework, job.base_job_name, job.environment,
                     {**job.inputs, "code": (script, f"{PROCESSING}/code")}, job.output, 1)
    run = run_managed_job(session, role, job)
    assert run.result.status == "Stopped" and run.files == {}
    assert "MaxRuntimeInSeconds" in run.result.message
