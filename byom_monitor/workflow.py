"""The example's steps as functions the notebooks call: build a baseline, run a check, and
record where the results went in config.ini.

Results go below the result store of config.ini: ``baselines/<check>/`` and
``checks/<check>/<UTC time>/``, like the S3 prefixes of the original.
"""
from __future__ import annotations

from datetime import datetime, timezone

import json

import pandas as pd

from . import storage
from .analyzer import (
    Baseline, CheckResult, check_data_quality, check_model_quality, suggest_baseline,
    suggest_model_quality_baseline,
)
from .clarify import ClarifyResult, analyze
from .config import Config


class BackendNotAvailable(RuntimeError):
    """The configured backend cannot run this step yet."""


def _require_local(config: Config) -> None:
    if config.backend != "local":
        raise BackendNotAvailable(
            f"{config.path}: backend = {config.backend}, but the SageMaker runner is not built "
            f"yet; set [monitoring] backend = local")


def data_quality_baseline(config: Config) -> Baseline:
    """Statistics and suggested constraints of the training features (no label, no prediction)."""
    _require_local(config)
    dataset = storage.join(config.data_dir, "train_data_no_target.csv")
    output = storage.join(config.store, "baselines", "data-quality")
    baseline = suggest_baseline(dataset, output)
    config.save_baseline("data-quality-statistics", baseline.statistics.location)
    config.save_baseline("data-quality-constraints", baseline.constraints.location)
    config.save_baseline("data-quality-baseline-data", dataset)
    return baseline


#: How the example's model-quality datasets name label, prediction and probability.
MODEL_QUALITY_ATTRIBUTES = {"problem_type": "BinaryClassification",
                            "ground_truth_attribute": "credit_risk",
                            "inference_attribute": "prediction",
                            "probability_attribute": "prediction_probability"}


def _check_output(config: Config, check: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d-%H-%M-%S-%f")
    return storage.join(config.store, "checks", check, stamp)


def data_quality_check(config: Config) -> CheckResult:
    """Check the current data-quality dataset (from generate_altered.py) against the baseline."""
    _require_local(config)
    baseline = Baseline.from_folder(storage.join(config.store, "baselines", "data-quality"))
    result = check_data_quality(config.get_dataset("data-quality-modified-data"), baseline,
                                _check_output(config, "data-quality"))
    config.save_baseline("data-quality-violations", result.violations.location)
    return result


def model_quality_baseline(config: Config) -> Baseline:
    """Metrics of the model on its labelled training data, and constraints at those values."""
    _require_local(config)
    dataset = storage.join(config.data_dir, "train_data_with_prediction.csv")
    output = storage.join(config.store, "baselines", "model-quality")
    baseline = suggest_model_quality_baseline(dataset, output, **MODEL_QUALITY_ATTRIBUTES)
    config.save_baseline("model-quality-statistics", baseline.statistics.location)
    config.save_baseline("model-quality-constraints", baseline.constraints.location)
    config.save_baseline("model-quality-baseline-data", dataset)
    return baseline


def model_quality_check(config: Config) -> CheckResult:
    """Metrics of the current labelled scenario against the model-quality constraints."""
    _require_local(config)
    result = check_model_quality(
        config.get_dataset("model-quality-modified-data"),
        storage.join(config.store, "baselines", "model-quality"),
        _check_output(config, "model-quality"), **MODEL_QUALITY_ATTRIBUTES)
    config.save_baseline("model-quality-violations", result.violations.location)
    return result


# -- Clarify: bias and explainability --------------------------------------------------------------
#: The original's settings: label credit_risk (1 = good), facet foreign_worker = 1, the two
#: SageMaker model names of the original, SHAP with the training data's mode as baseline.
LABEL, FACET = "credit_risk", "foreign_worker"
CLARIFY_CHECKS = {"model-bias": "e2e-model-bias", "model-explainability": "e2e-model"}


def clarify_config(config: Config, check: str) -> dict:
    """The analysis config of the bias or the explainability baseline (as the SDK's DataConfig,
    BiasConfig / SHAPConfig and ModelConfig would write it)."""
    train = pd.read_csv(storage.join(config.data_dir, "train.csv"))
    document = {"dataset_type": "text/csv", "headers": list(train.columns), "label": LABEL,
                "predictor": {"model_name": CLARIFY_CHECKS[check], "content_type": "text/csv",
                              "accept_type": "text/csv"}}
    if check == "model-bias":
        document.update(label_values_or_threshold=[1],
                        facet=[{"name_or_index": FACET, "value_or_threshold": [1]}],
                        methods={"pre_training_bias": {"methods": "all"},
                                 "post_training_bias": {"methods": "all"}})
    else:
        mode = train.drop(columns=LABEL).mode().iloc[0].astype(int).tolist()
        document["methods"] = {"shap": {"baseline": [mode], "num_samples": 100,
                                        "agg_method": "mean_abs",
                                        "save_local_shap_values": True}}
    return document


def clarify_baseline(config: Config, check: str) -> ClarifyResult:
    """The bias (``model-bias``) or explainability (``model-explainability``) baseline of the
    model on its training data."""
    _require_local(config)
    dataset = storage.join(config.data_dir, "train.csv")
    output = storage.join(config.store, "baselines", check)
    result = analyze(clarify_config(config, check), dataset, output,
                     predictors=config.predictors)
    config.save_baseline(f"{check}-analysis", result.location("analysis.json"))
    config.save_baseline(f"{check}-analysis_config", result.location("analysis_config.json"))
    config.save_baseline(f"{check}-baseline-data", dataset)
    return result


def clarify_check(config: Config, check: str) -> ClarifyResult:
    """The current scenario's bias or explainability against its baseline analysis.json."""
    _require_local(config)
    baseline = config.get_baseline(f"{check}-analysis")
    analysis_config = json.loads(storage.read_text(config.get_baseline(f"{check}-analysis_config")))
    result = analyze(analysis_config, config.get_dataset(f"{check}-modified-data"),
                     _check_output(config, check), predictors=config.predictors,
                     baseline=baseline)
    # Clarify writes no violations file when there are none; record that too
    config.save_baseline(f"{check}-violations", result.location("constraint_violations.json") or "")
    return result
