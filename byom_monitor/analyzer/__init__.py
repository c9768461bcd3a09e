"""The Model Monitor analyzer: data-quality and model-quality baselines and checks,
container-compatible."""

from byom_monitor.analyzer.api import (
    Baseline,
    CheckResult,
    Constraints,
    ModelQualityStatistics,
    Statistics,
    Violations,
    check_data_quality,
    check_model_quality,
    suggest_baseline,
    suggest_model_quality_baseline,
)
from byom_monitor.analyzer.outcome import Outcome
from byom_monitor.analyzer.contract import run_job

__all__ = ["Baseline", "CheckResult", "Constraints", "ModelQualityStatistics", "Outcome", "Statistics", "Violations",
           "check_data_quality", "check_model_quality", "run_job", "suggest_baseline",
           "suggest_model_quality_baseline"]
