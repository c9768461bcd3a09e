"""A processing job under a folder that mirrors ``/opt/ml``: the analyzers' container contract.

Inputs are copied to their container paths below the folder, environment values that name
container paths are rewritten to the staged ones, and the image's analyzer runs in this
process: the Model Monitor analyzer or Clarify.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from byom_monitor.analyzer.contract import run_job
from byom_monitor.analyzer.outcome import Outcome
from byom_monitor.clarify.job import ClarifyJob, run_clarify
from byom_monitor.clarify.predictor import Predictor
from byom_monitor.io import storage

MODEL_MONITOR, CLARIFY = "model-monitor", "clarify"
PROCESSING = "/opt/ml/processing"
CLARIFY_CONFIG = f"{PROCESSING}/input/config"
CLARIFY_DATA = f"{PROCESSING}/input/data"


def staged_path(root: Path, container_path: str) -> Path:
    """Where a container path (``/opt/ml/...``) lives under the staging folder ``root``."""
    return root / container_path.removeprefix("/opt/ml/").lstrip("/")


def stage_files(files: list[str], base: str, target: Path) -> None:
    """Copy ``files`` (locations below ``base``) to ``target``, keeping their relative paths;
    a single file given as ``base`` keeps its name."""
    base = str(base).rstrip("/\\")
    target.mkdir(parents=True, exist_ok=True)
    for source in files:
        relative = source[len(base):].lstrip("/\\") or Path(source).name
        storage.copy(source, target / relative)


def staged_environment(root: Path, environment: Mapping[str, str]) -> dict[str, str]:
    return {key: str(staged_path(root, value)) if value.startswith(PROCESSING) else value
            for key, value in environment.items()}


def run_staged(image: str, root: Path, environment: Mapping[str, str], output: str,
               predictors: Mapping[str, str], predictor: Predictor | None = None) -> Outcome:
    """Run the analyzer of ``image`` (MODEL_MONITOR or CLARIFY) on the staged inputs; the
    status line goes to ``<root>/output/message`` as in the container."""
    environment = staged_environment(root, environment)
    message = str(root / "output" / "message")
    if image == CLARIFY:
        job = ClarifyJob(str(staged_path(root, CLARIFY_CONFIG) / "analysis_config.json"),
                         str(staged_path(root, CLARIFY_DATA)), str(staged_path(root, output)),
                         environment.get("baseline_constraints"), dict(predictors), predictor)
        return run_clarify(job, message_file=message)
    return run_job(environment, message_file=message,
                   metrics_dir=str(root / "output" / "metrics" / "cloudwatch"))
