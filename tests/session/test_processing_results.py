"""Processing jobs end as results: Completed, CompletedWithViolations, Failed and Stopped, from
faked DescribeProcessingJob answers (botocore Stubber); container logs from CloudWatch (moto)."""
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from byom_monitor.session.processing_results import (
    JobResult,
    JobTimeout,
    container_logs,
    result_from_description,
    run_processing,
    wait_for_job,
)

STARTED = datetime(2026, 1, 1, 10, tzinfo=timezone.utc)
JOB = "model-monitor-byom-2026-01-01-10-00-00-000"


def _description(status, **extra):
    return {"ProcessingJobName": JOB, "ProcessingJobStatus": status,
            "ProcessingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:processing-job/{JOB}",
            "CreationTime": STARTED,
            "ProcessingResources": {"ClusterConfig": {
                "InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
            "AppSpecification": {"ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/"
                                             "sagemaker-model-monitor-analyzer"},
            "ProcessingOutputConfig": {"Outputs": [{
                "OutputName": "monitoring_output",
                "S3Output": {"S3Uri": "s3://bkt/checks/dq", "LocalPath": "/opt/ml/processing/output",
                             "S3UploadMode": "EndOfJob"}}]},
            **extra}


@pytest.fixture
def stubbed():
    client = boto3.client("sagemaker", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _answers(stubber, *descriptions):
    for description in descriptions:
        stubber.add_response("describe_processing_job", description, {"ProcessingJobName": JOB})


@pytest.mark.parametrize("description, status, message, ok", [
    (_description("Completed", ExitMessage="Completed: Job completed successfully with no "
                                            "violations."),
     "Completed", "Completed: Job completed successfully with no violations.", True),
    (_description("Completed", ExitMessage="CompletedWithViolations: Job completed "
                                            "successfully with 3 violations."),
     "CompletedWithViolations", "CompletedWithViolations: Job completed successfully with 3 "
                                "violations.", True),
    (_description("Completed"), "Completed", "Completed: Job completed successfully.", True),
    (_description("Failed", FailureReason="AlgorithmError: no column credit_risk",
                  ExitMessage="Failed: missing column"),
     "Failed", "Failed: AlgorithmError: no column credit_risk", False),
    (_description("Stopped", FailureReason="MaxRuntimeInSeconds 1800 exceeded"),
     "Stopped", "Stopped: MaxRuntimeInSeconds 1800 exceeded", False),
    (_description("Stopped"), "Stopped", "Stopped: no reason given by the service", False),
])
def test_every_end_is_a_result(stubbed, description, status, message, ok):
    client, stubber = stubbed
    _answers(stubber, _description("InProgress"), _description("Stopping"), description)
    pauses = []
    result = wait_for_job(client, JOB, poll_seconds=5, sleep=pauses.append)
    assert (result.status, result.message, result.ok) == (status, message, ok)
    assert result.failure_reason == description.get("FailureReason")
    assert result.outputs == {"monitoring_output": "s3://bkt/checks/dq"}
    assert pauses == [5, 5]


def test_the_sdk_raises_where_a_result_is_returned(stubbed):
    """Why the SDK's own wait is not used: Failed raises, Stopped passes as success."""
    from sagemaker.exceptions import UnexpectedStatusException
    from sagemaker.session import _check_job_status

    failed = _description("Failed", FailureReason="ClientError: no such key")
    with pytest.raises(UnexpectedStatusException):
        _check_job_status(JOB, failed, "ProcessingJobStatus")
    assert _check_job_status(JOB, _description("Stopped"), "ProcessingJobStatus") is None
    client, stubber = stubbed
    _answers(stubber, failed)
    assert wait_for_job(client, JOB, sleep=lambda _: None).message == \
        "Failed: ClientError: no such key"


def test_waiting_has_a_deadline(stubbed):
    client, stubber = stubbed
    _answers(stubber, *[_description("InProgress")] * 3)
    with pytest.raises(JobTimeout, match=f"{JOB} still InProgress after 10 s"):
        wait_for_job(client, JOB, poll_seconds=5, timeout_seconds=10, sleep=lambda _: None)


def test_duration_and_unfinished_jobs():
    result = result_from_description(_description(
        "Completed", ProcessingStartTime=STARTED,
        ProcessingEndTime=STARTED + timedelta(seconds=95)))
    assert result.seconds == 95
    with pytest.raises(ValueError, match="has not ended"):
        result_from_description(_description("InProgress"))
    with pytest.raises(KeyError, match="has no output 'analysis_result'"):
        result.output("analysis_result")


def test_a_processor_run_comes_back_as_its_result(stubbed):
    from sagemaker import Session
    from sagemaker.processing import Processor

    client, stubber = stubbed
    stubber.add_response("create_processing_job", {"ProcessingJobArn": "arn:x"})  # any request
    _answers(stubber, _description("InProgress"),
             _description("Stopped", FailureReason="MaxRuntimeInSeconds 1800 exceeded"))
    session = Session(boto_session=boto3.Session(region_name="us-east-1",
                                                 aws_access_key_id="x",
                                                 aws_secret_access_key="x"),
                      sagemaker_client=client, default_bucket="bkt")
    processor = Processor(role="arn:aws:iam::123456789012:role/R", image_uri="img",
                          instance_count=1, instance_type="ml.m5.xlarge",
                          env={"dataset_format": "{}"}, sagemaker_session=session)
    result = run_processing(processor, job_name=JOB, sleep=lambda _: None)
    assert isinstance(result, JobResult) and result.status == "Stopped" and not result.ok


def test_container_logs_are_read_from_cloudwatch(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        assert container_logs(session, JOB) == []  # no log group yet
        logs = session.client("logs")
        logs.create_log_group(logGroupName="/aws/sagemaker/ProcessingJobs")
        now = int(datetime.now(timezone.utc).timestamp() * 1000)  # older events are refused
        for stream, lines in ((f"{JOB}/algo-1-1700000000", ["starting", "done"]),
                              ("other-job/algo-1-1700000000", ["not this one"])):
            logs.create_log_stream(logGroupName="/aws/sagemaker/ProcessingJobs",
                                   logStreamName=stream)
            logs.put_log_events(
                logGroupName="/aws/sagemaker/ProcessingJobs", logStreamName=stream,
                logEvents=[{"timestamp": now + i, "message": line}
                           for i, line in enumerate(lines)])
        assert container_logs(session, JOB) == ["starting", "done"]
    assert JOB in JobResult(JOB, "Failed", "Failed: x").logs_command
