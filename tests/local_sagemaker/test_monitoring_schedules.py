"""Monitoring schedules made with the SDK's monitors on the in-process session."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError

from byom_monitor.io.config import Config
from byom_monitor.session.sessions import session_from_config


@pytest.fixture
def local(tmp_path):
    session, role, bucket = session_from_config(Config(tmp_path / "config.ini"))
    for name in ("statistics.json", "constraints.json"):
        session.upload_string_as_file_body('{"version": 0.0}', bucket, f"baseline/{name}")
    return session, role, bucket


def capture_input(bucket: str, **attributes: str):
    """A model served outside SageMaker: its captured data in S3, read as a batch transform's."""
    from sagemaker.model_monitor import BatchTransformInput
    from sagemaker.model_monitor.dataset_format import MonitoringDatasetFormat

    return BatchTransformInput(data_captured_destination_s3_uri=f"s3://{bucket}/capture",
                               destination="/opt/ml/processing/input",
                               dataset_format=MonitoringDatasetFormat.csv(header=False),
                               **attributes)


def test_schedule_lifecycle_with_the_sdk(local):
    from sagemaker.model_monitor import CronExpressionGenerator, DefaultModelMonitor

    session, role, bucket = local
    monitor = DefaultModelMonitor(role=role, sagemaker_session=session,
                                  max_runtime_in_seconds=1800)
    monitor.create_monitoring_schedule(
        monitor_schedule_name="dq-hourly", batch_transform_input=capture_input(bucket),
        output_s3_uri=f"s3://{bucket}/monitoring/dq",
        statistics=f"s3://{bucket}/baseline/statistics.json",
        constraints=f"s3://{bucket}/baseline/constraints.json",
        schedule_cron_expression=CronExpressionGenerator.hourly())
    described = monitor.describe_schedule()
    assert (described["MonitoringScheduleStatus"], described["MonitoringType"]) == \
        ("Scheduled", "DataQuality")
    monitor.update_monitoring_schedule(schedule_cron_expression=CronExpressionGenerator.daily())
    config = monitor.describe_schedule()["MonitoringScheduleConfig"]
    assert config["ScheduleConfig"]["ScheduleExpression"] == "cron(0 0 ? * * *)"
    monitor.stop_monitoring_schedule()
    assert monitor.describe_schedule()["MonitoringScheduleStatus"] == "Stopped"
    monitor.start_monitoring_schedule()
    assert monitor.describe_schedule()["MonitoringScheduleStatus"] == "Scheduled"
    assert monitor.list_executions() == []
    monitor.delete_monitoring_schedule()
    with pytest.raises(ClientError, match="dq-hourly does not exist"):
        session.sagemaker_client.describe_monitoring_schedule(MonitoringScheduleName="dq-hourly")


def test_model_quality_schedule_keeps_its_job_definition_and_executions(local):
    from sagemaker import image_uris
    from sagemaker.model_monitor import CronExpressionGenerator, ModelQualityMonitor
    from sagemaker.processing import ProcessingOutput, Processor

    session, role, bucket = local
    monitor = ModelQualityMonitor(role=role, sagemaker_session=session,
                                  max_runtime_in_seconds=1800)
    monitor.create_monitoring_schedule(
        monitor_schedule_name="mq-hourly",
        batch_transform_input=capture_input(bucket, inference_attribute="0",
                                            probability_attribute="1"),
        ground_truth_input=f"s3://{bucket}/ground-truth", problem_type="BinaryClassification",
        output_s3_uri=f"s3://{bucket}/monitoring/mq",
        constraints=f"s3://{bucket}/baseline/constraints.json",
        schedule_cron_expression=CronExpressionGenerator.hourly())
    config = monitor.describe_schedule()["MonitoringScheduleConfig"]
    definition = session.sagemaker_client.describe_model_quality_job_definition(
        JobDefinitionName=config["MonitoringJobDefinitionName"])
    job_input = definition["ModelQualityJobInput"]
    assert job_input["BatchTransformInput"]["DataCapturedDestinationS3Uri"] == \
        f"s3://{bucket}/capture"
    assert job_input["GroundTruthS3Input"]["S3Uri"] == f"s3://{bucket}/ground-truth"
    summaries = session.sagemaker_client.list_monitoring_schedules(
        MonitoringTypeEquals="ModelQuality")["MonitoringScheduleSummaries"]
    assert [s["MonitoringScheduleName"] for s in summaries] == ["mq-hourly"]

    # what the scheduler records for one execution: the processing job it ran
    processor = Processor(role=role, image_uri=image_uris.retrieve("sklearn", "us-east-1",
                                                                   "1.2-1"),
                          instance_count=1, instance_type="ml.m5.xlarge",
                          sagemaker_session=session)
    processor.run(outputs=[ProcessingOutput(source="/opt/ml/processing/output",
                                            destination=f"s3://{bucket}/monitoring/mq/x")],
                  wait=False, logs=False)
    job = processor.latest_job.describe()
    session.monitoring.record_execution("mq-hourly", datetime(2026, 1, 1, 5, tzinfo=timezone.utc),
                                        "Failed", job["ProcessingJobArn"], job["FailureReason"])
    (execution,) = monitor.list_executions()
    assert execution.describe()["ProcessingJobStatus"] == "Failed"
    last = monitor.describe_schedule()["LastMonitoringExecutionSummary"]
    assert last["MonitoringExecutionStatus"] == "Failed"
    assert last["ScheduledTime"] == datetime(2026, 1, 1, 5, tzinfo=timezone.utc)


def test_a_bias_schedule_can_be_attached_and_its_definition_goes_with_it(local):
    from sagemaker import clarify
    from sagemaker.model_monitor import CronExpressionGenerator, ModelBiasMonitor
    from sagemaker.model_monitor.clarify_model_monitoring import BiasAnalysisConfig

    session, role, bucket = local
    session.upload_string_as_file_body('{"version": "1.0"}', bucket, "baseline/analysis.json")
    monitor = ModelBiasMonitor(role=role, sagemaker_session=session)
    monitor.create_monitoring_schedule(
        analysis_config=BiasAnalysisConfig(
            clarify.BiasConfig(label_values_or_threshold=[1], facet_name="foreign_worker",
                               facet_values_or_threshold=[1]),
            headers=["credit_risk", "foreign_worker", "amount"], label="credit_risk"),
        batch_transform_input=capture_input(bucket, features_attribute="0",
                                            inference_attribute="1"),
        ground_truth_input=f"s3://{bucket}/ground-truth",
        output_s3_uri=f"s3://{bucket}/monitoring/bias",
        constraints=f"s3://{bucket}/baseline/analysis.json",
        schedule_cron_expression=CronExpressionGenerator.hourly(),
        monitor_schedule_name="bias-hourly")
    attached = ModelBiasMonitor.attach("bias-hourly", sagemaker_session=session)
    assert attached.job_definition_name == monitor.job_definition_name
    client = session.sagemaker_client
    schedule_arn = monitor.describe_schedule()["MonitoringScheduleArn"]
    client.add_tags(ResourceArn=schedule_arn, Tags=[{"Key": "team", "Value": "risk"}])
    assert {"Key": "team", "Value": "risk"} in client.list_tags(ResourceArn=schedule_arn)["Tags"]
    monitor.delete_monitoring_schedule()
    assert client.list_model_bias_job_definitions()["JobDefinitionSummaries"] == []
