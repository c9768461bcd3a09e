"""The capture exported as BatchTransformInput manifests and rows (issue 10), read back."""
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from byom_monitor.io import storage
from byom_monitor.io.datasets import DatasetError
from byom_monitor.live import batch_transform_export as export
from byom_monitor.live.capture import DataCapture

HOUR = datetime(2024, 3, 5, 14, tzinfo=timezone.utc)


def capture_into(root: str, records: list[tuple]) -> str:
    """Our capture writer's files for ``(request, response, inference id, time)`` records;
    returns the variant folder."""
    with DataCapture(root, "credit", flush_seconds=3600) as capture:
        for request, response, inference_id, when in records:
            capture.record(request.encode(), "text/csv", response.encode(), "text/csv",
                           inference_id=inference_id, when=when)
    return storage.join(root, "credit", "AllTraffic")


def test_an_hour_reads_back_as_transform_rows_through_its_manifests(tmp_path):
    variant = capture_into(str(tmp_path / "capture"), [
        ("1,2,3", "0.25", "a", HOUR + timedelta(minutes=1)),
        ("4,5,6\n7,8,9", "0.5\n0.75", "b", HOUR + timedelta(minutes=59, seconds=59)),
        ("0,0,0", "0.1", "next-hour", HOUR + timedelta(hours=1))])
    destination = str(tmp_path / "batch")

    result = export.export_hour(variant, destination, HOUR + timedelta(minutes=30))

    assert (result.hour, result.rows, result.feature_columns, result.output_columns) == (
        HOUR, 3, 3, 1)
    assert result.inference_id_column == 4
    assert result.output_manifest == f"{destination}/output/2024/03/05/14/manifest.json"
    assert export.read_rows(result.output_manifest) == [
        ["1", "2", "3", "0.25", "a", "2024-03-05T14:01:00Z"],
        ["4", "5", "6", "0.5", "b:0", "2024-03-05T14:59:59Z"],
        ["7", "8", "9", "0.75", "b:1", "2024-03-05T14:59:59Z"]]
    assert export.read_rows(result.input_manifest) == [["1", "2", "3"], ["4", "5", "6"],
                                                       ["7", "8", "9"]]
    prefix, name = json.loads(Path(result.input_manifest).read_text())
    assert prefix == {"prefix": f"{destination}/transform-input/2024/03/05/14/"}
    assert name.endswith(".csv")


def test_a_record_without_inference_id_is_keyed_by_its_event_id(tmp_path):
    variant = capture_into(str(tmp_path / "capture"), [("1,2", "0.5", None, HOUR)])
    result = export.export_hour(variant, str(tmp_path / "batch"), HOUR)
    (line,) = [json.loads(x) for p in Path(variant).rglob("*.jsonl")
               for x in p.read_text().splitlines()]
    assert export.read_rows(result.output_manifest)[0][3] == line["eventMetadata"]["eventId"]


def test_re_export_replaces_the_hour_and_removes_the_previous_rows(tmp_path):
    root, destination = str(tmp_path / "capture"), str(tmp_path / "batch")
    variant = capture_into(root, [("1,2", "0.5", "a", HOUR)])
    first = export.export_hour(variant, destination, HOUR)
    old_files = export.manifest_files(first.output_manifest) + export.manifest_files(
        first.input_manifest)
    capture_into(root, [("3,4", "0.6", "b", HOUR + timedelta(minutes=5))])

    second = export.export_hour(variant, destination, HOUR)

    assert second.rows == 2
    assert [row[3] for row in export.read_rows(second.output_manifest)] == ["a", "b"]
    assert not any(Path(f).exists() for f in old_files)
    assert len(list((tmp_path / "batch").rglob("*.csv*"))) == 2  # one input, one output file


def test_a_malformed_record_names_its_file_and_line_and_writes_nothing(tmp_path):
    root, destination = str(tmp_path / "capture"), str(tmp_path / "batch")
    variant = capture_into(root, [("1,2", "0.5", "a", HOUR)])
    first = export.export_hour(variant, destination, HOUR)
    before = sorted(str(p) for p in (tmp_path / "batch").rglob("*"))
    (capture_file,) = Path(variant).rglob("*.jsonl")
    capture_file.write_text(capture_file.read_text() + '{"captureData": {}}\n')

    with pytest.raises(DatasetError, match=rf"^{capture_file}: line 2 is not a capture record"):
        export.export_hour(variant, destination, HOUR)

    assert sorted(str(p) for p in (tmp_path / "batch").rglob("*")) == before
    assert export.read_rows(first.output_manifest)[0][:3] == ["1", "2", "0.5"]


@pytest.mark.parametrize("bad, message", [
    ('{"captureData": {"endpointInput": {"data": "1,2", "encoding": "CSV"}, "endpointOutput": '
     '{"data": "0.5", "encoding": "CSV"}}, "eventMetadata": {"eventId": "x", '
     '"inferenceTime": "yesterday"}}', "line 2: inferenceTime 'yesterday' is not an ISO-8601"),
    ('{"captureData": {"endpointInput": {"data": "1,2,3", "encoding": "CSV"}, "endpointOutput": '
     '{"data": "0.5", "encoding": "CSV"}}, "eventMetadata": {"eventId": "x", '
     '"inferenceTime": "2024-03-05T14:00:00Z"}}', "line 2 has 6 values with id and time, the "
                                                   "first record had 5"),
    ('{"captureData": {"endpointInput": {"data": "1,2\\n3,4", "encoding": "CSV"}, '
     '"endpointOutput": {"data": "0.5", "encoding": "CSV"}}, "eventMetadata": {"eventId": "x", '
     '"inferenceTime": "2024-03-05T14:00:00Z"}}', "line 2 has 2 input row"),
    ("not json", "line 2 is not a capture record"),
    ('{"captureData": {"endpointInput": "1,2", "endpointOutput": "0.5"}, "eventMetadata": "x"}',
     "line 2 is not a capture record"),
    ('{"captureData": {"endpointInput": "1,2", "endpointOutput": "0.5"}, '
     '"eventMetadata": {"eventId": "x"}}', "line 2 is not a capture record")])
def test_bad_records_are_one_clear_error(tmp_path, bad, message):
    variant = capture_into(str(tmp_path / "capture"), [("1,2", "0.5", "a", HOUR)])
    (capture_file,) = Path(variant).rglob("*.jsonl")
    capture_file.write_text(capture_file.read_text() + bad + "\n")
    with pytest.raises(DatasetError, match=f"^{capture_file}: {message}"):
        export.export_hour(variant, str(tmp_path / "batch"), HOUR)
    assert not (tmp_path / "batch").exists()


def test_a_failed_manifest_write_puts_the_previous_export_back(tmp_path, monkeypatch):
    root, destination = str(tmp_path / "capture"), str(tmp_path / "batch")
    variant = capture_into(root, [("1,2", "0.5", "a", HOUR)])
    first = export.export_hour(variant, destination, HOUR)
    manifests = {m: Path(m).read_text() for m in (first.input_manifest, first.output_manifest)}
    files = sorted(str(p) for p in (tmp_path / "batch").rglob("*"))
    capture_into(root, [("3,4", "0.6", "b", HOUR)])
    real_write = storage.write_text

    def failing_write(location, text, *args):
        if str(location) == first.output_manifest:
            raise OSError("disk full")
        real_write(location, text, *args)

    monkeypatch.setattr(storage, "write_text", failing_write)
    with pytest.raises(OSError, match="disk full"):
        export.export_hour(variant, destination, HOUR)

    assert {m: Path(m).read_text() for m in manifests} == manifests
    assert sorted(str(p) for p in (tmp_path / "batch").rglob("*")) == files


def test_a_failed_first_export_leaves_no_hour(tmp_path, monkeypatch):
    variant = capture_into(str(tmp_path / "capture"), [("1,2", "0.5", "a", HOUR)])
    real_write = storage.write_text

    def failing_write(location, text, *args):
        if str(location).endswith("output/2024/03/05/14/manifest.json"):
            raise OSError("disk full")
        real_write(location, text, *args)

    monkeypatch.setattr(storage, "write_text", failing_write)
    with pytest.raises(OSError):
        export.export_hour(variant, str(tmp_path / "batch"), HOUR)
    assert [p for p in (tmp_path / "batch").rglob("*") if p.is_file()] == []


def test_an_hour_without_capture_writes_nothing(tmp_path):
    variant = capture_into(str(tmp_path / "capture"), [("1,2", "0.5", "a", HOUR)])
    result = export.export_hour(variant, str(tmp_path / "batch"), HOUR + timedelta(hours=3))
    assert (result.rows, result.output_manifest) == (0, None)
    assert not (tmp_path / "batch").exists()


def test_a_range_exports_each_hour_on_its_own(tmp_path):
    variant = capture_into(str(tmp_path / "capture"), [
        ("1,2", "0.5", "a", HOUR - timedelta(minutes=1)), ("3,4", "0.6", "b", HOUR),
        ("5,6", "0.7", "c", HOUR + timedelta(hours=1, minutes=30))])
    results = export.export_range(variant, str(tmp_path / "batch"),
                                  HOUR - timedelta(minutes=30), HOUR + timedelta(hours=2))
    assert [(r.hour.hour, r.rows) for r in results] == [(13, 1), (14, 1), (15, 1)]
    assert [export.read_rows(r.output_manifest)[0][3] for r in results] == ["a", "b", "c"]
    with pytest.raises(ValueError, match="timezone-aware"):
        export.export_range(variant, str(tmp_path / "batch"), datetime(2024, 3, 5), HOUR)


def test_export_from_and_to_s3(s3_bucket):
    variant = capture_into(f"{s3_bucket}/capture", [("1,2", "0.5", "a", HOUR)])
    result = export.export_hour(variant, f"{s3_bucket}/batch", HOUR)
    assert result.output_manifest == f"{s3_bucket}/batch/output/2024/03/05/14/manifest.json"
    (data_file,) = export.manifest_files(result.output_manifest)
    assert data_file.startswith(f"{s3_bucket}/batch/transform-output/2024/03/05/14/")
    assert export.read_rows(result.output_manifest) == [["1", "2", "0.5", "a",
                                                         "2024-03-05T14:00:00Z"]]


def test_a_manifest_that_is_not_one_is_named(tmp_path):
    (tmp_path / "m.json").write_text('{"prefix": "x"}')
    with pytest.raises(DatasetError, match=r"m\.json: not a manifest"):
        export.read_rows(str(tmp_path / "m.json"))


#: What moto 5 cannot take, answered here with the ARN (nothing is created):
#: CreateMonitoringSchedule is not implemented, and CreateModelQualityJobDefinition requires
#: an EndpointInput. operation -> (ARN key of the answer, resource type, name key).
ANSWERED_HERE = {
    "CreateMonitoringSchedule": ("MonitoringScheduleArn", "monitoring-schedule",
                                 "MonitoringScheduleName"),
    "CreateModelQualityJobDefinition": ("JobDefinitionArn", "model-quality-job-definition",
                                        "JobDefinitionName")}


@pytest.fixture
def sagemaker_requests(s3_bucket, monkeypatch):
    """A SageMaker SDK session on moto (us-east-1) and the requests it sends (see
    ANSWERED_HERE for the two moto does not take)."""
    import boto3
    import sagemaker
    from botocore.awsrequest import AWSResponse

    monkeypatch.setenv("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
    boto_session = boto3.Session(region_name="us-east-1")
    requests: dict[str, list[dict]] = {}
    for operation in ("CreateDataQualityJobDefinition", *ANSWERED_HERE):
        requests[operation] = []
        boto_session.events.register(
            f"provide-client-params.sagemaker.{operation}",
            lambda params, seen=requests[operation], **_: seen.append(params))

    def answer(model, **_):
        arn_key, resource, name_key = ANSWERED_HERE[model.name]
        name = requests[model.name][-1][name_key]
        return AWSResponse("https://sagemaker", 200, {}, None), {
            arn_key: f"arn:aws:sagemaker:us-east-1:123456789012:{resource}/{name}"}

    for operation in ANSWERED_HERE:
        boto_session.events.register(f"before-call.sagemaker.{operation}", answer)
    session = sagemaker.Session(boto_session=boto_session, default_bucket="monitor-bucket")
    return session, requests


def test_sdk_schedules_over_the_export_send_the_documented_requests(sagemaker_requests,
                                                                    s3_bucket):
    """The README's calls: DefaultModelMonitor and ModelQualityMonitor schedules with a
    BatchTransformInput on the exported capture, ground truth keyed by our inference ids."""
    from sagemaker import image_uris
    from sagemaker.model_monitor import (
        BatchTransformInput,
        CronExpressionGenerator,
        DefaultModelMonitor,
        ModelQualityMonitor,
    )
    from sagemaker.model_monitor.dataset_format import MonitoringDatasetFormat

    from byom_monitor.live.replay import write_ground_truth

    session, requests = sagemaker_requests
    variant = capture_into(f"{s3_bucket}/capture", [
        (f"{i},{i + 1},{i + 2}", f"0.{i + 1}", f"run-{i}", HOUR + timedelta(minutes=i))
        for i in range(3)])
    exported = export.export_hour(variant, f"{s3_bucket}/batch", HOUR)
    truth = write_ground_truth([1, 0, 1], f"{s3_bucket}/ground-truth", start=HOUR,
                               interval=timedelta(minutes=1), prefix="run")
    event_ids = {json.loads(line)["eventMetadata"]["eventId"]
                 for location in truth for line in storage.read_text(location).splitlines()}
    assert {row[exported.inference_id_column]
            for row in export.read_rows(exported.output_manifest)} == event_ids
    baselines = {  # the SDK reads them; their content does not matter here
        "data-quality/statistics.json": {"version": 0.0, "features": []},
        "data-quality/constraints.json": {"version": 0.0, "features": []},
        "model-quality/constraints.json": {"version": 0.0, "binary_classification_constraints": {
            "f1": {"threshold": 0.7, "comparison_operator": "LessThanThreshold"}}}}
    for key, document in baselines.items():
        storage.write_text(f"{s3_bucket}/baselines/{key}", json.dumps(document))
    role = "arn:aws:iam::123456789012:role/SageMakerRole"
    settings = {"role": role, "instance_count": 1, "instance_type": "ml.m5.xlarge",
                "max_runtime_in_seconds": 1800, "sagemaker_session": session}

    def batch_input(**attributes):
        return BatchTransformInput(data_captured_destination_s3_uri=f"{s3_bucket}/batch",
                                   destination="/opt/ml/processing/input",
                                   dataset_format=MonitoringDatasetFormat.csv(header=False),
                                   **attributes)

    DefaultModelMonitor(**settings).create_monitoring_schedule(
        batch_transform_input=batch_input(), monitor_schedule_name="credit-data-quality",
        output_s3_uri=f"{s3_bucket}/reports/data-quality",
        statistics=f"{s3_bucket}/baselines/data-quality/statistics.json",
        constraints=f"{s3_bucket}/baselines/data-quality/constraints.json",
        schedule_cron_expression=CronExpressionGenerator.hourly())
    ModelQualityMonitor(**settings).create_monitoring_schedule(
        batch_transform_input=batch_input(
            probability_attribute=str(exported.feature_columns),
            probability_threshold_attribute=0.5, start_time_offset="-PT6H",
            end_time_offset="-PT0H"),
        ground_truth_input=f"{s3_bucket}/ground-truth", problem_type="BinaryClassification",
        monitor_schedule_name="credit-model-quality",
        output_s3_uri=f"{s3_bucket}/reports/model-quality",
        constraints=f"{s3_bucket}/baselines/model-quality/constraints.json",
        schedule_cron_expression=CronExpressionGenerator.hourly())

    image = image_uris.retrieve("model-monitor", "us-east-1")
    batch = {"DataCapturedDestinationS3Uri": f"{s3_bucket}/batch",
             "LocalPath": "/opt/ml/processing/input", "S3InputMode": "File",
             "S3DataDistributionType": "FullyReplicated", "DatasetFormat": {"Csv": {"Header": False}}}
    (data_quality,) = requests["CreateDataQualityJobDefinition"]
    assert data_quality["DataQualityAppSpecification"] == {
        "ImageUri": image, "Environment": {"publish_cloudwatch_metrics": "Enabled"}}
    assert data_quality["DataQualityJobInput"] == {"BatchTransformInput": batch}
    assert data_quality["DataQualityBaselineConfig"] == {
        "ConstraintsResource": {"S3Uri": f"{s3_bucket}/baselines/data-quality/constraints.json"},
        "StatisticsResource": {"S3Uri": f"{s3_bucket}/baselines/data-quality/statistics.json"}}
    (model_quality,) = requests["CreateModelQualityJobDefinition"]
    assert model_quality["ModelQualityAppSpecification"] == {
        "ImageUri": image, "ProblemType": "BinaryClassification",
        "Environment": {"publish_cloudwatch_metrics": "Enabled"}}
    assert model_quality["ModelQualityJobInput"] == {
        "BatchTransformInput": {**batch, "ProbabilityAttribute": "3",
                                "ProbabilityThresholdAttribute": 0.5,
                                "StartTimeOffset": "-PT6H", "EndTimeOffset": "-PT0H"},
        "GroundTruthS3Input": {"S3Uri": f"{s3_bucket}/ground-truth"}}
    for definition, check in ((data_quality, "DataQuality"), (model_quality, "ModelQuality")):
        (output,) = definition[f"{check}JobOutputConfig"]["MonitoringOutputs"]
        folder = "data-quality" if check == "DataQuality" else "model-quality"
        assert output["S3Output"]["S3Uri"] == f"{s3_bucket}/reports/{folder}"
        assert definition["StoppingCondition"] == {"MaxRuntimeInSeconds": 1800}
        assert definition["RoleArn"] == role
    schedules = {r["MonitoringScheduleName"]: r["MonitoringScheduleConfig"]
                 for r in requests["CreateMonitoringSchedule"]}
    assert schedules == {
        "credit-data-quality": {
            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
            "MonitoringJobDefinitionName": data_quality["JobDefinitionName"],
            "MonitoringType": "DataQuality"},
        "credit-model-quality": {
            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
            "MonitoringJobDefinitionName": model_quality["JobDefinitionName"],
            "MonitoringType": "ModelQuality"}}
