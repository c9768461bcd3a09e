"""The Model Monitor analyzer: data-quality baselines and checks, container-compatible."""

from .api import (
    AnalyzerFailed, Baseline, CheckResult, Constraints, Statistics, Violations,
    check_data_quality, suggest_baseline,
)
from .contract import Outcome, run_job

__all__ = ["AnalyzerFailed", "Baseline", "CheckResult", "Constraints", "Outcome", "Statistics",
           "Violations", "check_data_quality", "run_job", "suggest_baseline"]
