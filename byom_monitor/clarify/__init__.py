"""Clarify-compatible bias and explainability analyses and their monitoring checks."""

from .api import ClarifyFailed, ClarifyResult, analyze
from .config import AnalysisConfig, ClarifyError
from .job import ClarifyJob, run_clarify
from .predictor import HttpPredictor, ModelFolderPredictor

__all__ = ["AnalysisConfig", "ClarifyError", "ClarifyFailed", "ClarifyJob", "ClarifyResult",
           "HttpPredictor", "ModelFolderPredictor", "analyze", "run_clarify"]
