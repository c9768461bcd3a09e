"""The model Clarify calls, as the analysis config names it (``predictor.model_name``, or
``endpoint_name``); the ``[predictors]`` section of config.ini says what the name stands for:

    [predictors]
    e2e-model = models                                  ; a model folder
    remote-model = http://127.0.0.1:8080/invocations    ; a served model

Every answer is checked (:class:`CheckedPredictor`). The adapters for a user's own model are in
:mod:`byom_monitor.clarify.models`.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from byom_monitor.clarify.config import ClarifyError
from byom_monitor.clarify.models import (
    HttpPredictor,
    Predictor,
    load_model_folder,
    validated_scores,
)


class CheckedPredictor:
    """Any predictor with its answers checked: one finite probability in [0, 1] per row, so a
    broken model fails the job instead of passing it."""

    def __init__(self, inner: Predictor, name: str) -> None:
        self.inner, self.name = inner, name
        self.default_threshold = inner.default_threshold

    @property
    def tree_inputs(self) -> Any:
        """The inner predictor's tree SHAP inputs; AttributeError when it has none."""
        return self.inner.tree_inputs

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        return validated_scores(self.inner.predict(features), len(features), self.name)


def resolve_predictor(settings: dict[str, Any], predictors: dict[str, str],
                      source: str = "config.ini") -> Predictor:
    """The predictor named in the analysis config, through the ``[predictors]`` mapping."""
    name = settings.get("model_name") or settings.get("endpoint_name")
    if not name:
        raise ClarifyError("analysis_config.json: predictor has no model_name or endpoint_name")
    target = predictors.get(name)
    if target is None:
        raise ClarifyError(f"{source}: no entry for predictor '{name}' in [predictors] "
                           f"(a model folder or an http:// URL)")
    if target.startswith(("http://", "https://")):
        return HttpPredictor(target)
    return load_model_folder(target)
