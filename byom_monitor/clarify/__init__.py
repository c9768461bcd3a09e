"""Clarify-compatible bias and explainability analyses and their monitoring checks."""

from byom_monitor.clarify.api import ClarifyResult, analyze
from byom_monitor.clarify.config import AnalysisConfig, ClarifyError
from byom_monitor.clarify.job import ClarifyJob, run_clarify
from byom_monitor.clarify.models import (
    BoosterPredictor,
    CallablePredictor,
    EstimatorPredictor,
    HttpPredictor,
    as_predictor,
    load_model_folder,
)

__all__ = ["AnalysisConfig", "BoosterPredictor", "CallablePredictor", "ClarifyError",
           "ClarifyJob", "ClarifyResult", "EstimatorPredictor", "HttpPredictor", "analyze",
           "as_predictor", "load_model_folder", "run_clarify"]
