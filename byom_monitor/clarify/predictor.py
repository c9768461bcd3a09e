"""The model Clarify calls: a model folder written by prep.py (loaded in-process), or an HTTP
endpoint that takes ``text/csv`` rows and returns one probability per row.

The analysis config names the model (``predictor.model_name``, or ``endpoint_name``); the
``[predictors]`` section of config.ini says what the name stands for:

    [predictors]
    e2e-model = models                                  ; a model folder
    remote-model = http://127.0.0.1:8080/invocations    ; a served model
"""
from __future__ import annotations

import csv
import http.client
import json
import socket
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from byom_monitor.example.model import CreditRiskModel
from byom_monitor.io.formats import plain_value
from byom_monitor.clarify.config import ClarifyError

HTTP_BATCH_ROWS = 1000
HTTP_TIMEOUT_SECONDS = 30
#: All the predictor calls of one job together (a Clarify processing job's own runtime limit
#: bounds them on SageMaker).
HTTP_JOB_TIMEOUT_SECONDS = 3600


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
    """POSTs CSV rows (no header) in batches; the answer is one number per line, or JSON.

    Every request must be answered within ``timeout`` seconds in all (a server that sends one
    byte at a time is cut off too), and all the requests of one job within ``job_timeout``
    seconds from the predictor's creation.
    """

    default_threshold = 0.5

    def __init__(self, url: str, timeout: float = HTTP_TIMEOUT_SECONDS,
                 job_timeout: float = HTTP_JOB_TIMEOUT_SECONDS) -> None:
        self.url, self.timeout, self.job_timeout = url, timeout, job_timeout
        self.job_deadline = time.monotonic() + job_timeout

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        scores = []
        for start in range(0, len(features), HTTP_BATCH_ROWS):
            batch = features.iloc[start:start + HTTP_BATCH_ROWS]
            answer = self._post(batch.to_csv(header=False, index=False).encode())
            scores.append(validated_scores(_parse_scores(answer, self.url), len(batch),
                                           f"predictor {self.url}"))
        return np.concatenate(scores) if scores else np.empty(0)

    def _post(self, body: bytes) -> bytes:
        left = self.job_deadline - time.monotonic()
        if left <= 0:
            raise ClarifyError(f"predictor {self.url}: the job's calls to it took longer than "
                               f"{plain_value(self.job_timeout)} s in all")
        timeout = min(self.timeout, left)
        parts = urllib.parse.urlsplit(self.url)
        connection_class = (http.client.HTTPSConnection if parts.scheme == "https"
                            else http.client.HTTPConnection)
        connection = connection_class(parts.hostname, parts.port, timeout=timeout)
        expired = threading.Event()
        sockets: list[socket.socket] = []  # the response keeps the socket after getresponse()

        def cut_off() -> None:  # wakes a blocked read, however slowly the bytes arrive
            expired.set()
            for sock in sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        timer = threading.Timer(timeout, cut_off)
        timer.daemon = True
        timer.start()
        try:
            connection.connect()
            sockets.append(connection.sock)
            if expired.is_set():
                raise TimeoutError
            connection.request("POST", urllib.parse.urlunsplit(("", "", parts.path or "/",
                                                                parts.query, "")),
                               body=body, headers={"Content-Type": "text/csv",
                                                   "Accept": "text/csv"})
            response = connection.getresponse()
            data, status = response.read(), response.status
        except (OSError, http.client.HTTPException) as exc:
            if expired.is_set() or isinstance(exc, TimeoutError):
                raise self._timed_out(timeout) from None
            raise ClarifyError(f"predictor {self.url} failed: {exc}") from None
        finally:
            timer.cancel()
            connection.close()
        if expired.is_set():
            raise self._timed_out(timeout)
        if status >= 400:
            raise ClarifyError(f"predictor {self.url} answered HTTP {status}: "
                               f"{data[:200].decode(errors='replace')}")
        return data

    def _timed_out(self, timeout: float) -> ClarifyError:
        if timeout < self.timeout:
            return ClarifyError(f"predictor {self.url}: the job's calls to it took longer than "
                                f"{plain_value(self.job_timeout)} s in all")
        return ClarifyError(f"predictor {self.url} did not answer within "
                            f"{plain_value(self.timeout)} s")


class CheckedPredictor:
    """Any predictor with its answers checked: one finite probability in [0, 1] per row, so a
    broken model fails the job instead of passing it."""

    def __init__(self, inner: Predictor, name: str) -> None:
        self.inner, self.name = inner, name
        self.default_threshold = inner.default_threshold
        self.model = getattr(inner, "model", None)  # for tree SHAP of a model folder

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        return validated_scores(self.inner.predict(features), len(features), self.name)


def validated_scores(values: Any, rows: int, source: str) -> np.ndarray:
    """``values`` as one probability per row; ClarifyError naming ``source`` otherwise."""
    try:
        scores = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ClarifyError(f"{source} returned values that are not numbers") from None
    if scores.ndim == 2 and scores.shape[1] == 1:
        scores = scores[:, 0]
    if scores.ndim != 1:
        width = scores.shape[1] if scores.ndim == 2 else "several"
        raise ClarifyError(f"{source} returned {width} values per row; expected one score per "
                           f"row (the probability of the positive label)")
    if scores.size != rows:
        raise ClarifyError(f"{source} returned {scores.size} scores for {rows} rows")
    bad = ~np.isfinite(scores)
    if bad.any():
        raise ClarifyError(f"{source} returned {int(bad.sum())} non-finite score(s) "
                           f"(e.g. {plain_value(scores[bad][0])}) for {rows} rows")
    outside = (scores < 0) | (scores > 1)
    if outside.any():
        raise ClarifyError(f"{source} returned {int(outside.sum())} score(s) outside [0, 1] "
                           f"(e.g. {plain_value(scores[outside][0])}); Clarify needs the "
                           f"probability of the positive label")
    return scores


def _parse_scores(answer: bytes, url: str) -> list[Any]:
    """The numbers of an answer: CSV lines (one row each), or JSON (a list, or an object with
    ``predictions`` / ``scores``, items numbers or ``{"score": ...}``)."""
    text = answer.decode("utf-8", errors="replace").strip()
    sample = text[:80] + ("..." if len(text) > 80 else "")
    if text.startswith(("[", "{")):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ClarifyError(f"predictor {url} answered invalid JSON ({exc.msg}): "
                               f"{sample!r}") from None
        if isinstance(document, dict):
            document = document.get("predictions", document.get("scores"))
        if not isinstance(document, list):
            raise ClarifyError(f"predictor {url} answered JSON without a list of scores "
                               f"(a list, or 'predictions' / 'scores'): {sample!r}")
        return [d.get("score") if isinstance(d, dict) else d for d in document]
    rows = [next(csv.reader([line])) for line in text.splitlines() if line.strip()]
    try:
        numbers = [[float(v) for v in row] for row in rows]
    except ValueError:
        raise ClarifyError(f"predictor {url} answered text that is not CSV numbers: "
                           f"{sample!r}") from None
    if len({len(row) for row in numbers}) > 1:
        raise ClarifyError(f"predictor {url} answered rows of different lengths")
    return numbers


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
