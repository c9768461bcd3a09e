"""Clarify-compatible bias and explainability analyses and their monitoring checks."""

from .config import AnalysisConfig, ClarifyError
from .job import ClarifyJob, run_clarify
from .predictor import HttpPredictor, ModelFolderPredictor

__all__ = ["AnalysisConfig", "ClarifyError", "ClarifyJob", "HttpPredictor",
           "ModelFolderPredictor", "run_clarify"]
