"""How the in-process session ends jobs it cannot finish, and the one-line errors it gives."""
from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from byom_monitor.io.config import Config
from byom_monitor.session.sessions import session_from_config

ROOT = Path(__file__).resolve().parents[2]

BLOCKING_MODEL = textwrap.dedent('''
    import threading

    def model_fn(model_dir):
        threading.Event().wait()  # never returns: the job can only end by its max runtime
''')


@pytest.fixture
def local(tmp_path):
    session, role, bucket = session_from_config(Config(tmp_path / "config.ini"))
    return session, role, bucket


def test_a_job_over_its_max_runtime_is_stopped(local, tmp_path):
    from sagemaker import Model, clarify, image_uris
    from sagemaker.model_monitor import ModelExplainabilityMonitor

    session, role, bucket = local
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "inference.py").write_text(BLOCKING_MODEL)
    (tmp_path / "data.csv").write_text("y,a,b\n1,2,5\n0,3,6\n")
    data = session.upload_data(str(tmp_path / "data.csv"), bucket, "stuck/input")
    with tarfile.open(tmp_path / "model.tar.gz", "w:gz") as archive:
        archive.add(tmp_path / "data.csv", arcname="data.csv")
    model_data = session.upload_data(str(tmp_path / "model.tar.gz"), bucket, "stuck/model")
    Model(image_uri=image_uris.retrieve("xgboost", session.boto_region_name, "1.7-1"),
          model_data=model_data,
          entry_point="inference.py", source_dir=str(tmp_path / "code"), role=role,
          name="stuck-model", sagemaker_session=session).create(instance_type="ml.m5.large")
    monitor = ModelExplainabilityMonitor(role=role, sagemaker_session=session,
                                         max_runtime_in_seconds=1)
    monitor.suggest_baseline(
        data_config=clarify.DataConfig(s3_data_input_path=data, label="y", headers=["y", "a", "b"],
                                       s3_output_path=f"s3://{bucket}/stuck/output",
                                       dataset_type="text/csv"),
        model_config=clarify.ModelConfig(model_name="stuck-model", instance_count=1,
                                         instance_type="ml.m5.large"),
        explainability_config=clarify.SHAPConfig(baseline=[[2, 5]], num_samples=2,
                                                 agg_method="mean_abs"),
        wait=True, logs=False)  # the SDK treats Stopped as an end, not an error
    (job,) = session.sagemaker_client.list_processing_jobs()["ProcessingJobSummaries"]
    assert job["ProcessingJobStatus"] == "Stopped"
    assert "MaxRuntimeInSeconds (1 s)" in job["ExitMessage"]
    assert session.list_s3_files(bucket, "stuck/output") == ["stuck/output/analysis_config.json"]


def test_an_image_without_a_local_analyzer_fails_the_job(local):
    from sagemaker import image_uris
    from sagemaker.exceptions import UnexpectedStatusException
    from sagemaker.processing import Processor

    session, role, _ = local
    image = image_uris.retrieve("sklearn", session.boto_region_name, "1.2-1")
    processor = Processor(role=role, image_uri=image, instance_count=1,
                          instance_type="ml.m5.xlarge", sagemaker_session=session)
    with pytest.raises(UnexpectedStatusException, match="cannot run locally"):
        processor.run(wait=True, logs=False)
    description = processor.latest_job.describe()
    assert description["ProcessingJobStatus"] == "Failed"
    assert description["FailureReason"].startswith(f"ClientError: image {image} cannot run "
                                                   f"locally")


def test_an_api_that_is_not_emulated_names_itself(local):
    from byom_monitor.session.local_sagemaker.transport import NotEmulated

    session, _, _ = local
    with pytest.raises(NotEmulated, match=r"^sagemaker\.CreateEndpoint is not emulated by "
                                          r"the local SageMaker session$"):
        session.sagemaker_client.create_endpoint(EndpointName="e", EndpointConfigName="c")


def test_a_missing_s3_key_is_the_services_no_such_key(local):
    session, _, bucket = local
    with pytest.raises(ClientError) as error:
        session.read_s3_file(bucket, "nothing/here.json")
    assert error.value.response["Error"]["Code"] == "NoSuchKey"
    assert "s3://byom-monitor-local/nothing/here.json" in str(error.value)


def test_a_missing_processing_job_names_itself(local):
    session, _, _ = local
    with pytest.raises(ClientError, match='Could not find processing job "nope"'):
        session.describe_processing_job("nope")


@pytest.mark.parametrize("profile", ["does-not-exist", ""])
def test_the_local_backend_ignores_a_broken_aws_profile(tmp_path, profile):
    script = textwrap.dedent(f'''
        import os
        from byom_monitor.session.sessions import session_from_config
        session, role, bucket = session_from_config({str(tmp_path / "config.ini")!r})
        print(session.upload_string_as_file_body("x", bucket, "probe.txt"))
        print(repr(os.environ["AWS_PROFILE"]))
    ''')
    environment = {**os.environ, "AWS_PROFILE": profile,
                   "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
                   "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials")}
    result = subprocess.run([sys.executable, "-c", script], env=environment, cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines()[-2:] == ["s3://byom-monitor-local/probe.txt",
                                               repr(profile)]


def test_the_sdks_telemetry_is_never_sent_for_a_local_session(local, monkeypatch):
    from sagemaker.estimator import Estimator
    from sagemaker.telemetry import telemetry_logging

    from byom_monitor.session.local_sagemaker.transport import NotEmulated

    session, role, bucket = local
    requests = []
    monkeypatch.setattr(telemetry_logging, "_requests_helper",
                        lambda url, timeout: requests.append(url))
    estimator = Estimator(image_uri="123.dkr.ecr.us-east-1.amazonaws.com/any:1", role=role,
                          instance_count=1, instance_type="ml.m5.large",
                          output_path=f"s3://{bucket}/training", sagemaker_session=session)
    with pytest.raises(NotEmulated, match="sagemaker.CreateTrainingJob"):
        estimator.fit(wait=False)  # a call the SDK reports to its telemetry
    assert requests == []
