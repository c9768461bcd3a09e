"""CreateProcessingJob, executed: the image's analyzer in a child process, under a staged
``/opt/ml`` mirror, with the request's environment, inputs and outputs.

The child is a separate process so ``StoppingCondition.MaxRuntimeInSeconds`` can be enforced
(a job over it is killed and ends ``Stopped``, as the service does). It is forked from a clean
fork server, not from the caller: a process that has used XGBoost's OpenMP threads cannot be
forked safely. Outputs are published to their S3 destinations only when the job succeeds, so
a failed or stopped job leaves no partial results.
The child's log lines (logging, prints, the status line) are kept for ``logs=True``.
"""
from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
import shutil
import sys
import tempfile
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from byom_monitor.analyzer.outcome import Outcome
from byom_monitor.io import storage
from byom_monitor.session.local_sagemaker.s3 import LocalS3
from byom_monitor.session.local_sagemaker.serving import served_predictor
from byom_monitor.session.local_sagemaker.staging import (
    CLARIFY,
    CLARIFY_CONFIG,
    MODEL_MONITOR,
    run_staged,
    stage_files,
    staged_path,
)
from byom_monitor.session.local_sagemaker.store import ResourceStore

#: ECR repository name -> the analyzer that stands in for the image.
IMAGES = {"sagemaker-model-monitor-analyzer": MODEL_MONITOR,
          "sagemaker-clarify-processing": CLARIFY}
_KILL_GRACE_SECONDS = 5


def analyzer_of(image_uri: str) -> str | None:
    """MODEL_MONITOR or CLARIFY for the managed images (any region or tag), else None."""
    repository = image_uri.split("/", 1)[-1].split("@")[0].split(":")[0]
    return IMAGES.get(repository)


@dataclass
class JobResult:
    """How a job ended: a ProcessingJobStatus, the exit message and the failure reason."""

    status: str
    exit_message: str = ""
    failure_reason: str | None = None
    logs: tuple[str, ...] = ()


def cannot_run(image_uri: str) -> JobResult:
    known = " and ".join(IMAGES)
    return JobResult("Failed", failure_reason=(
        f"ClientError: image {image_uri} cannot run locally: the local SageMaker session runs "
        f"only the {known} images"))


@dataclass(frozen=True)
class LocalServices:
    """Where a job finds the session's S3 and models (plain paths: it crosses processes)."""

    s3_root: Path
    database: Path
    predictors: Mapping[str, str]


def run_processing_job(request: Mapping[str, Any], services: LocalServices) -> JobResult:
    """Run a CreateProcessingJob request to its end."""
    local_s3 = LocalS3(services.s3_root)
    image_uri = request["AppSpecification"]["ImageUri"]
    analyzer = analyzer_of(image_uri)
    if analyzer is None:
        return cannot_run(image_uri)
    limit = request.get("StoppingCondition", {}).get("MaxRuntimeInSeconds", 86400)
    root = Path(tempfile.mkdtemp(prefix="byom-sm-job-"))
    try:
        problem = _stage_inputs(request.get("ProcessingInputs", []), root, local_s3)
        if problem:
            return JobResult("Failed", f"Failed: {problem}", f"ClientError: {problem}")
        outputs = request.get("ProcessingOutputConfig", {}).get("Outputs", [])
        for output in outputs:
            staged_path(root, output["S3Output"]["LocalPath"]).mkdir(parents=True, exist_ok=True)
        result = _run_child(analyzer, root, request.get("Environment", {}), outputs, services,
                            limit)
        if result.status == "Completed":
            for output in outputs:
                storage.copy_tree(staged_path(root, output["S3Output"]["LocalPath"]),
                                  local_s3.path_of(output["S3Output"]["S3Uri"]))
        return result
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _stage_inputs(inputs: list[dict], root: Path, local_s3: LocalS3) -> str | None:
    """Copy each S3Prefix input to its container path, keeping the keys' paths below the
    prefix (``s3://b/data/`` holding ``data/x/a.csv`` gives ``<LocalPath>/x/a.csv``; the
    object ``s3://b/data/train.csv`` gives ``<LocalPath>/train.csv``)."""
    for channel in inputs:
        name, s3 = channel.get("InputName", "?"), channel.get("S3Input")
        if s3 is None:
            return f"input {name}: only S3Input channels run locally"
        if s3.get("S3DataType", "S3Prefix") != "S3Prefix":
            return f"input {name}: S3DataType {s3['S3DataType']} is not supported locally"
        files = local_s3.matching(s3["S3Uri"])
        if not files:
            return f"input {name}: nothing at {s3['S3Uri']}"
        stage_files(files, str(local_s3.path_of(s3["S3Uri"])),
                    staged_path(root, s3["LocalPath"]))
    return None


def _run_child(analyzer: str, root: Path, environment: Mapping[str, str], outputs: list[dict],
               services: LocalServices, limit: float) -> JobResult:
    log_file, result_file = root / "job.log", root / "outcome.json"
    output = outputs[0]["S3Output"]["LocalPath"] if outputs else "/opt/ml/processing/output"
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    child = context.Process(target=_child_main, daemon=True,
                            args=(analyzer, root, dict(environment), output, services,
                                  log_file, result_file))
    with _main_module_hidden():
        child.start()
    child.join(limit)
    if child.is_alive():
        child.terminate()
        child.join(_KILL_GRACE_SECONDS)
        if child.is_alive():
            child.kill()
            child.join()
        logs = _read_lines(log_file)
        return JobResult("Stopped", f"Stopped: the job ran longer than MaxRuntimeInSeconds "
                                    f"({limit:g} s) and was stopped", None, logs)
    logs = _read_lines(log_file)
    if not result_file.exists():
        reason = f"AlgorithmError: the job process ended with exit code {child.exitcode}"
        return JobResult("Failed", f"Failed: {reason}", reason, logs)
    outcome = json.loads(result_file.read_text())
    if outcome["status"] == "Failed":
        reason = outcome["message"].removeprefix("Failed: ")
        return JobResult("Failed", outcome["message"], f"AlgorithmError: {reason}", logs)
    return JobResult("Completed", outcome["message"], None, logs)


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """multiprocessing re-imports the caller's main script in the child unless it is hidden;
    the job needs nothing from it, and a script without a ``__main__`` guard would run again."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def _read_lines(path: Path) -> tuple[str, ...]:
    return tuple(path.read_text(errors="replace").splitlines()) if path.exists() else ()


def _child_main(analyzer: str, root: Path, environment: dict[str, str], output: str,
                services: LocalServices, log_file: Path, result_file: Path) -> None:
    """In the forked child: everything it logs or prints goes to the job's log."""
    log = open(log_file, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 (the child's
    # standard streams until it exits)
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    sys.stdout = sys.stderr = log
    handler = logging.StreamHandler(log)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s - %(message)s"))
    root_logger = logging.getLogger()
    root_logger.handlers[:] = [handler]
    root_logger.setLevel(logging.INFO)
    try:
        predictor = None
        if analyzer == CLARIFY:
            config_file = staged_path(root, CLARIFY_CONFIG) / "analysis_config.json"
            try:  # a broken config is for Clarify to report, naming the file
                analysis = json.loads(config_file.read_text())
            except (OSError, ValueError):
                analysis = {}
            predictor = served_predictor(analysis, ResourceStore(services.database),
                                         LocalS3(services.s3_root).path_of, root / "models")
        outcome = run_staged(analyzer, root, environment, output, services.predictors,
                             predictor)
    except Exception as exc:  # a bug of ours, reported as the job's failure
        logging.getLogger("byom_monitor").exception("job failed")
        outcome = Outcome("Failed", f"Failed: internal error: {type(exc).__name__}: {exc}")
    print(outcome.message)
    result_file.write_text(json.dumps({"status": outcome.status, "message": outcome.message}))
    log.flush()
    os._exit(0)
