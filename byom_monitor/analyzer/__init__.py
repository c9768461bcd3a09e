"""The Model Monitor analyzer: data-quality and model-quality baselines and checks,
container-compatible."""

from byom_monitor.analyzer.api import (
    Baseline,
    CheckResult,
    Result,
    Constraints,
    ModelQualityStatistics,
    Statistics,
    Violations,
    check_data_quality,
    check_model_quality,
    baseline_data_quality,
    baseline_model_quality,
)
from byom_monitor.analyzer.outcome import Outcome
from byom_monitor.analyzer.contract import run_job

__all__ = ["Baseline", "CheckResult", "Result", "Constraints", "ModelQualityStatistics", "Outcome", "Statistics", "Violations",
           "check_data_quality", "check_model_quality", "run_job", "baseline_data_quality",
           "baseline_model_quality"]
