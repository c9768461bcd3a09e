"""The ``sagemaker-clarify-processing`` container contract (spec E.1, E.5, F.3).

Inputs: the analysis config (``/opt/ml/processing/input/config/analysis_config.json``), the
dataset (``/opt/ml/processing/input/data``, or ``dataset_uri`` in the config), and, for a
monitoring check, the baseline ``analysis.json`` named by the ``baseline_constraints``
environment variable. Output: ``analysis.json`` (plus ``explanations_shap/out.csv`` when asked,
a copy of the analysis config, and ``constraint_violations.json`` only when a check finds
violations). Which checks run follows the baseline file: bias drift for its bias metrics,
feature-attribution drift for its explanations.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from byom_monitor.analyzer.outcome import MESSAGE_FILE, Outcome, run_guarded
from byom_monitor.clarify.analysis import (
    analysis_document,
    bias_report,
    load_analysis_config,
    read_dataset,
    shap_report,
)
from byom_monitor.clarify.checks import (
    attribution_drift_violations,
    bias_drift_violations,
    check_baseline,
)
from byom_monitor.clarify.config import ClarifyError
from byom_monitor.clarify.predictor import CheckedPredictor, Predictor, resolve_predictor
from byom_monitor.io import storage
from byom_monitor.io.datasets import DatasetError
from byom_monitor.io.formats import FormatError, dumps_clarify, load_json
from byom_monitor.io.staged_output import PublishError, StagedOutput

CONFIG_PATH = "/opt/ml/processing/input/config/analysis_config.json"
DATA_PATH = "/opt/ml/processing/input/data"
OUTPUT_PATH = "/opt/ml/processing/output"


@dataclass
class ClarifyJob:
    analysis_config: str = CONFIG_PATH
    dataset: str = DATA_PATH
    output_path: str = OUTPUT_PATH
    baseline_constraints: str | None = None
    predictors: dict[str, str] = field(default_factory=dict)
    predictor: Predictor | None = None  # given directly by the Python API


def run_clarify(job: ClarifyJob, message_file: str | None = MESSAGE_FILE) -> Outcome:
    """Run one Clarify job; bad input ends as ``Failed: <reason>``, never as a traceback."""
    return run_guarded(lambda: _run(job),
                       (ClarifyError, DatasetError, FormatError, PublishError), message_file)


def _run(job: ClarifyJob) -> Outcome:
    config = load_analysis_config(job.analysis_config)
    baseline = None
    if job.baseline_constraints:
        baseline = load_json(job.baseline_constraints)
        check_baseline(baseline, config, job.baseline_constraints)
    frame = read_dataset(config.dataset_uri or job.dataset, config)
    needs_model = config.shap is not None or (config.post_training_methods
                                              and config.predicted_label is None)
    predictor = job.predictor
    if needs_model and predictor is None:
        predictor = resolve_predictor(config.predictor or {}, job.predictors)
    if predictor is not None:
        settings = config.predictor or {}
        predictor = CheckedPredictor(predictor, "predictor " + str(
            settings.get("model_name") or settings.get("endpoint_name") or "given to the job"))
    threshold = config.probability_threshold
    if threshold is None:
        threshold = predictor.default_threshold if predictor is not None else 0.5
    bias = bias_report(frame, config, predictor, threshold) if config.wants_bias else None
    staged = StagedOutput()
    explanations = (shap_report(frame, config, predictor, job.output_path, staged)
                    if config.shap else None)
    document = analysis_document(bias, explanations)
    violations: list[dict[str, Any]] = []
    if baseline is not None:
        violations += bias_drift_violations(document, baseline)
        violations += attribution_drift_violations(document, baseline)[0]
    files = {"analysis.json": dumps_clarify(document),
             "analysis_config.json": storage.read_text(job.analysis_config)}
    if violations:  # Clarify writes no violations file when there are none
        files["constraint_violations.json"] = dumps_clarify({"version": "1.0",
                                                             "violations": violations})
    for name, content in files.items():
        staged.add(storage.join(job.output_path, name), content, name)
    staged.publish()
    return Outcome.completed(dict(staged.names), len(violations))


