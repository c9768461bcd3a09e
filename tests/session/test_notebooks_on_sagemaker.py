"""The notebooks' own code with ``backend = sagemaker``, against moto (issue 10).

The code cells of notebooks 01-06 run in one namespace, in order, in a project folder whose
config.ini says ``backend = sagemaker`` (no AWS profile: moto's credentials from the
environment, region and role ARN in config.ini). Every request the SDK sends is captured with
botocore's ``provide-client-params`` events, and the CreateProcessingJob and CreateModel
requests are compared with what the original example's SDK calls build: the region's managed
images, the container environment, the input channels and where the outputs go. Notebook 05's
scenario runs are then read back from moto's SageMaker Experiments, and notebook 06 reports on
them.

moto accepts CreateProcessingJob and answers ``Completed``, but runs nothing, and the notebooks
read the jobs' results (statistics, constraints, analyses, violations). So **we put the
expected output files in moto's S3 ourselves**: after moto accepted a job, our own analyzer
for its image (the Model Monitor analyzer or Clarify, :mod:`...staging`) runs the request
against moto's S3, its inputs staged from the request's channels and its outputs uploaded to
the request's output URI, and DescribeProcessingJob then answers that run's exit message
(moto has none). A channel that points at nothing, or an analyzer that fails, makes the job
``Failed``, and the notebook's ``wait`` raises.
"""
from __future__ import annotations

import contextlib
import io
import json
import re
import tarfile
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from byom_monitor.io import storage
from byom_monitor.session import aws_session
from byom_monitor.session.local_sagemaker.processing import analyzer_of
from byom_monitor.session.local_sagemaker.staging import run_staged, stage_files, staged_path
from byom_monitor.session.sagemaker_model import XGBOOST_VERSION

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ("01_create_baselines.ipynb", "02_data_quality.ipynb", "03_model_quality.ipynb",
             "04_bias_explainability.ipynb", "05_orchestrate_drift.ipynb",
             "06_evaluate_results.ipynb")
REGION = "eu-west-1"
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
#: s3://[aws-settings] bucket/prefix of the project's config.ini.
S3_ROOT = "s3://my-bucket/model-monitor-bring-your-own-model"
INPUT = "/opt/ml/processing/input"
BASELINE = "/opt/ml/processing/baseline"
#: The original example's container environments.
SUGGEST = {"dataset_format": {"csv": {"header": True, "output_columns_position": "START"}},
           "dataset_source": f"{INPUT}/baseline_dataset_input",
           "output_path": "/opt/ml/processing/output", "publish_cloudwatch_metrics": "Disabled"}
CHECK = {**SUGGEST, "baseline_constraints": f"{BASELINE}/constraints/constraints.json",
         "baseline_statistics": f"{BASELINE}/stats/statistics.json"}
MODEL_QUALITY = {"analysis_type": "MODEL_QUALITY", "problem_type": "BinaryClassification",
                 "inference_attribute": "prediction",
                 "probability_attribute": "prediction_probability",
                 "ground_truth_attribute": "credit_risk"}
CLARIFY_CHECK = {"baseline_constraints": f"{BASELINE}/constraints/analysis.json"}
DATASET = ("baseline_dataset_input", f"{INPUT}/baseline_dataset_input")
#: Per job of notebooks 01-04, in their order: image, environment, input channels (name,
#: container path, key below S3_ROOT), output (name, key below S3_ROOT; a results key ends in
#: its UTC time).
EXPECTED_JOBS = [
    ("model-monitor", SUGGEST,
     [(*DATASET, "data-quality/baseline_input_data/train_data_no_target.csv")],
     ("monitoring_output", "data-quality/baseline_results")),
    ("model-monitor", {**SUGGEST, **MODEL_QUALITY},
     [(*DATASET, "model-quality/baseline_input_data/validation_data_with_prediction.csv")],
     ("monitoring_output", "model-quality/baseline_results")),
    ("clarify", {},
     [("dataset", f"{INPUT}/data", "model-bias/baseline_input_data/train.csv"),
      ("analysis_config", f"{INPUT}/config", "model-bias/baseline_results/analysis_config.json")],
     ("analysis_result", "model-bias/baseline_results")),
    ("clarify", {},
     [("dataset", f"{INPUT}/data", "model-explainability/baseline_input_data/train.csv"),
      ("analysis_config", f"{INPUT}/config",
       "model-explainability/baseline_results/analysis_config.json")],
     ("analysis_result", "model-explainability/baseline_results")),
    ("model-monitor", CHECK,
     [(*DATASET, "data-quality/input_data/default.csv"),
      ("constraints", f"{BASELINE}/constraints", "data-quality/baseline_results/constraints.json"),
      ("baseline", f"{BASELINE}/stats", "data-quality/baseline_results/statistics.json")],
     ("monitoring_output", "results-data-quality-")),
    ("model-monitor", {**CHECK, **MODEL_QUALITY},
     [(*DATASET, "model-quality/input_data/default.csv"),
      ("constraints", f"{BASELINE}/constraints", "model-quality/reviewed/constraints.json"),
      ("baseline", f"{BASELINE}/stats", "model-quality/baseline_results/statistics.json")],
     ("monitoring_output", "results-model-quality-")),
    ("clarify", CLARIFY_CHECK,
     [("analysis_file", f"{BASELINE}/constraints", "model-bias/reviewed/analysis.json"),
      ("analysis_config", f"{INPUT}/config", "model-bias/baseline_results/analysis_config.json"),
      ("dataset", f"{INPUT}/data", "model-bias/input_data/default.csv")],
     ("analysis_result", "results-model-bias-")),
    ("clarify", CLARIFY_CHECK,
     [("analysis_file", f"{BASELINE}/constraints",
       "model-explainability/baseline_results/analysis.json"),
      ("analysis_config", f"{INPUT}/config",
       "model-explainability/baseline_results/analysis_config.json"),
      ("dataset", f"{INPUT}/data", "model-explainability/input_data/default-sample.csv")],
     ("analysis_result", "results-model-explain-")),
]


#: A results key's UTC time: notebooks 02-04 name jobs the SDK's way, notebook 05 adds microseconds.
TIME = r"(\d{4}(-\d\d){5}|\d{8}-\d{6}-\d{6})"


def scenario_jobs(scenario: str) -> list[tuple]:
    """Notebook 05's jobs for one scenario: the four checks of notebooks 02-04, on the
    scenario's datasets (``<check>/input_data/<scenario>.csv``, the explainability sample next
    to it)."""
    def channel(name: str, path: str, key: str) -> tuple[str, str, str]:
        return name, path, key.replace("input_data/default", f"input_data/{scenario}")

    return [(image, environment, [channel(*c) for c in inputs], output)
            for image, environment, inputs, output in EXPECTED_JOBS[4:]]


def code_cells(notebook: str) -> list[tuple[int, str]]:
    """The code cells, without IPython's line magics (``%matplotlib inline``: display only)."""
    cells = json.loads((ROOT / notebook).read_text())["cells"]
    return [(i, "".join(line for line in c["source"] if not line.startswith("%")))
            for i, c in enumerate(cells) if c["cell_type"] == "code"]


class StandInContainers:
    """Records the SageMaker requests of every session the notebooks open, and runs each
    processing job moto accepted with our analyzer for its image (see the module docstring)."""

    def __init__(self, predictors: dict[str, str]) -> None:
        self.predictors = predictors
        self.requests: dict[str, list[dict]] = {"CreateProcessingJob": [], "CreateModel": []}
        self.exit_messages: dict[str, str] = {}

    def attach(self, boto_session) -> None:
        for operation, seen in self.requests.items():
            boto_session.events.register(
                f"provide-client-params.sagemaker.{operation}",
                lambda params, seen=seen, **_: seen.append(params))
        boto_session.events.register("after-call.sagemaker.CreateProcessingJob", self._run)
        boto_session.events.register("after-call.sagemaker.DescribeProcessingJob",
                                     self._describe)

    def _run(self, parsed, **_) -> None:
        request = self.requests["CreateProcessingJob"][-1]
        analyzer = analyzer_of(request["AppSpecification"]["ImageUri"])
        assert analyzer, request["AppSpecification"]["ImageUri"]
        self.exit_messages[request["ProcessingJobName"]] = self._message(request, analyzer)

    def _message(self, request: dict, analyzer: str) -> str:
        outputs = [o["S3Output"] for o in request["ProcessingOutputConfig"]["Outputs"]]
        with tempfile.TemporaryDirectory(prefix="stand-in-job-") as folder:
            root = Path(folder)
            for channel in request["ProcessingInputs"]:
                uri = channel["S3Input"]["S3Uri"]
                files = storage.list_files(uri)
                if not files:
                    return f"Failed: ClientError: input {channel['InputName']}: nothing at {uri}"
                stage_files(files, uri, staged_path(root, channel["S3Input"]["LocalPath"]))
            for output in outputs:
                staged_path(root, output["LocalPath"]).mkdir(parents=True, exist_ok=True)
            outcome = run_staged(analyzer, root, request.get("Environment", {}),
                                 outputs[0]["LocalPath"], self.predictors)
            if outcome.ok:  # Completed, or CompletedWithViolations
                for output in outputs:
                    storage.copy_tree(staged_path(root, output["LocalPath"]), output["S3Uri"])
        return outcome.message

    def _describe(self, parsed, **_) -> None:
        message = self.exit_messages.get(parsed.get("ProcessingJobName"))
        if message is not None:
            parsed["ExitMessage"] = message
            if not message.startswith("Completed"):
                parsed["ProcessingJobStatus"], parsed["FailureReason"] = "Failed", message


class NotebooksRun(NamedTuple):
    containers: StandInContainers  # the captured requests
    namespace: dict[str, Any]  # the notebooks' variables at the end
    printed: str


@pytest.fixture
def notebooks_run(notebook_project, monkeypatch) -> NotebooksRun:
    """The six notebooks' code cells, run in one namespace (about 35 s)."""
    import sagemaker.session

    monkeypatch.setattr(sagemaker.session.time, "sleep", lambda *_: None)  # moto is instant
    stand_in = StandInContainers(notebook_project.predictors)
    opened = aws_session.boto_session_from_config

    def boto_session_from_config(config):
        session = opened(config)
        stand_in.attach(session)
        return session

    monkeypatch.setattr(aws_session, "boto_session_from_config", boto_session_from_config)
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        for notebook in NOTEBOOKS:
            for index, source in code_cells(notebook):
                exec(compile(source, f"{notebook} cell {index}", "exec"), namespace)  # noqa: S102
    return NotebooksRun(stand_in, namespace, printed.getvalue())


def _environment(request: dict) -> dict:
    environment = dict(request.get("Environment", {}))
    if "dataset_format" in environment:
        environment["dataset_format"] = json.loads(environment["dataset_format"])
    return environment


def test_the_notebooks_send_the_requests_the_originals_sdk_calls_build(notebooks_run):
    """One run of the notebooks: the requests, the scenario runs and the report checked."""
    import generate_altered

    scenarios = list(generate_altered.SCENARIOS)
    expected = EXPECTED_JOBS + [job for name in scenarios for job in scenario_jobs(name)]
    _check_processing_jobs(notebooks_run.containers, expected)
    _check_models(notebooks_run.containers)
    _check_scenario_runs(notebooks_run, scenarios)


def _check_processing_jobs(containers: StandInContainers, expected: list[tuple]) -> None:
    from sagemaker import image_uris

    images = {kind: image_uris.retrieve(kind, REGION) for kind in ("model-monitor", "clarify")}
    jobs = containers.requests["CreateProcessingJob"]
    assert len(jobs) == len(expected)
    for job, (image, environment, inputs, output) in zip(jobs, expected):
        name = job["ProcessingJobName"]
        assert job["AppSpecification"]["ImageUri"] == images[image], name
        assert _environment(job) == environment, name
        assert [(i["InputName"], i["S3Input"]["LocalPath"], i["S3Input"]["S3Uri"])
                for i in job["ProcessingInputs"]] == [
            (channel, path, f"{S3_ROOT}/{key}") for channel, path, key in inputs], name
        (written,) = job["ProcessingOutputConfig"]["Outputs"]
        assert (written["OutputName"], written["S3Output"]["LocalPath"]) == (
            output[0], "/opt/ml/processing/output"), name
        destination = written["S3Output"]["S3Uri"]
        key = destination.removeprefix(f"{S3_ROOT}/")
        assert destination.startswith(f"{S3_ROOT}/") and (
            key == output[1] if not output[1].endswith("-")
            else re.fullmatch(re.escape(output[1]) + TIME, key)), (name, key)
        assert job["RoleArn"] == ROLE, name
    assert all(m.startswith("Completed") for m in containers.exit_messages.values())


def _check_scenario_runs(run: NotebooksRun, scenarios: list[str]) -> None:
    """Notebook 05 ran every scenario as expected and recorded it as an Experiments run whose
    parameters name the results; notebook 06 read those runs back and wrote its report."""
    import boto3

    assert "every scenario as expected: True" in run.printed
    assert bool(run.namespace["comparison"]["as expected"].all())
    sagemaker_client = boto3.client("sagemaker", region_name=REGION)
    config = run.namespace["config"]
    for scenario in scenarios:
        component = config.get_trial(scenario.replace("_", "-"))
        parameters = {k: v.get("StringValue") for k, v in sagemaker_client.describe_trial_component(
            TrialComponentName=component)["Parameters"].items()}
        assert parameters["scenario"] == scenario, component
        for check in ("data-quality", "model-quality", "model-bias", "model-explainability"):
            assert storage.list_files(parameters[f"{check}-analysis"]), (scenario, check)
    assert [r.scenario for r in run.namespace["results"].runs] == scenarios
    report = Path(run.namespace["location"]).read_text()
    assert all(f"<h2 id='{scenario}'>" in report for scenario in scenarios)


def _check_models(containers: StandInContainers) -> None:
    """The two models Clarify calls by name: the XGBoost image, the repacked archive, and the
    analysis configs naming them."""
    from sagemaker import image_uris

    image = image_uris.retrieve("xgboost", REGION, XGBOOST_VERSION)
    created = {r["ModelName"]: r for r in containers.requests["CreateModel"]}
    assert sorted(created) == ["e2e-model", "e2e-model-bias"]
    for name, suffix in (("e2e-model", "explainability"), ("e2e-model-bias", "bias")):
        (container,) = created[name]["Containers"]
        assert created[name]["ExecutionRoleArn"] == ROLE
        assert container["Image"] == image
        assert container["Environment"] == {
            "SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
            "SAGEMAKER_CONTAINER_LOG_LEVEL": "20", "SAGEMAKER_REGION": REGION}
        assert container["ModelDataUrl"] == f"{S3_ROOT}/sm-model-for-{suffix}/model.tar.gz"
        with tarfile.open(fileobj=io.BytesIO(storage.read_bytes(container["ModelDataUrl"]))
                          ) as archive:  # the SDK repacked the model with its entry point
            assert "code/inference.py" in archive.getnames()
    for check, model in (("model-bias", "e2e-model-bias"),
                         ("model-explainability", "e2e-model")):
        analysis_config = json.loads(storage.read_text(
            f"{S3_ROOT}/{check}/baseline_results/analysis_config.json"))
        assert analysis_config["predictor"]["model_name"] == model
