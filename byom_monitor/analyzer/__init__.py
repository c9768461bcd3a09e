"""The Model Monitor analyzer: data-quality and model-quality baselines and checks,
container-compatible."""

from byom_monitor.analyzer.api import (
    Baseline,
    CheckResult,
    Constraints,
    ModelQualityStatistics,
    Result,
    Statistics,
    Violations,
    baseline_data_quality,
    baseline_model_quality,
    check_data_quality,
    check_model_quality,
)
from byom_monitor.analyzer.contract import run_job
from byom_monitor.analyzer.outcome import Outcome

__all__ = ["Baseline", "CheckResult", "Constraints", "ModelQualityStatistics", "Outcome", "Result",
           "Statistics", "Violations", "baseline_data_quality", "baseline_model_quality",
           "check_data_quality", "check_model_quality", "run_job"]
