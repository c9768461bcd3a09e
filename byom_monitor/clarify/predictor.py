"""The model Clarify calls: a model folder written by prep.py (loaded in-process), or an HTTP
endpoint that takes ``text/csv`` rows and returns one probability per row.

The analysis config names the model (``predictor.model_name``, or ``endpoint_name``); the
``[predictors]`` section of config.ini says what the name stands for:

    [predictors]
    e2e-model = models                                  ; a model folder
    remote-model = http://127.0.0.1:8080/invocations    ; a served model
"""
from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from byom_monitor.example.model import CreditRiskModel
from byom_monitor.clarify.config import ClarifyError

HTTP_BATCH_ROWS = 1000
HTTP_TIMEOUT_SECONDS = 30


class Predictor(Protocol):
    #: The decision threshold to use when the analysis config gives none.
    default_threshold: float

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Probability of the positive label for every row."""


class ModelFolderPredictor:
    def __init__(self, folder: str | Path) -> None:
        try:
            self.model = CreditRiskModel.load(folder)
        except FileNotFoundError as exc:
            raise ClarifyError(str(exc)) from exc
        self.default_threshold = self.model.threshold
        self.name = str(folder)

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        try:
            return np.asarray(self.model.predict_proba(features), dtype=float)
        except ValueError as exc:
            raise ClarifyError(f"model {self.name}: {exc}") from exc


class HttpPredictor:
    """POSTs CSV rows (no header) in batches; the answer is one number per line, or JSON."""

    default_threshold = 0.5

    def __init__(self, url: str, timeout: float = HTTP_TIMEOUT_SECONDS) -> None:
        self.url, self.timeout = url, timeout

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        scores = []
        for start in range(0, len(features), HTTP_BATCH_ROWS):
            batch = features.iloc[start:start + HTTP_BATCH_ROWS]
            body = batch.to_csv(header=False, index=False).encode()
            request = urllib.request.Request(self.url, data=body, method="POST",
                                             headers={"Content-Type": "text/csv",
                                                      "Accept": "text/csv"})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    text = response.read().decode("utf-8")
            except urllib.error.HTTPError as exc:
                raise ClarifyError(f"predictor {self.url} answered HTTP {exc.code}: "
                                   f"{exc.read()[:200].decode(errors='replace')}") from None
            except TimeoutError:
                raise ClarifyError(f"predictor {self.url} did not answer within "
                                   f"{self.timeout} s") from None
            except (urllib.error.URLError, OSError) as exc:
                raise ClarifyError(f"predictor {self.url} failed: {exc}") from None
            values = _parse_scores(text)
            if len(values) != len(batch):
                raise ClarifyError(f"predictor {self.url} returned {len(values)} scores for "
                                   f"{len(batch)} rows")
            scores.append(values)
        return np.concatenate(scores) if scores else np.empty(0)


def _parse_scores(text: str) -> np.ndarray:
    stripped = text.strip()
    if stripped.startswith(("[", "{")):
        document = json.loads(stripped)
        if isinstance(document, dict):
            document = document.get("predictions", document.get("scores"))
        return np.array([d.get("score") if isinstance(d, dict) else d for d in document], float)
    return pd.read_csv(io.StringIO(stripped), header=None).iloc[:, 0].to_numpy(dtype=float)


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
    return ModelFolderPredictor(target)
