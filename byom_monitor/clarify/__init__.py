"""Clarify-compatible bias and explainability analyses and their monitoring checks."""

from byom_monitor.clarify.api import ClarifyFailed, ClarifyResult, analyze
from byom_monitor.clarify.config import AnalysisConfig, ClarifyError
from byom_monitor.clarify.job import ClarifyJob, run_clarify
from byom_monitor.clarify.predictor import HttpPredictor, ModelFolderPredictor

__all__ = ["AnalysisConfig", "ClarifyError", "ClarifyFailed", "ClarifyJob", "ClarifyResult",
           "HttpPredictor", "ModelFolderPredictor", "analyze", "run_clarify"]
