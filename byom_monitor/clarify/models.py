"""A user's model as a Clarify predictor: one probability of the positive label per row.

:func:`as_predictor` accepts

- a scikit-learn estimator or pipeline with ``predict_proba`` (the positive class's column);
- an XGBoost ``Booster`` with a logistic objective, with an optional feature transform
  (DataFrame -> the booster's input matrix);
- a plain callable DataFrame -> scores;
- an ``http(s)://`` URL of a served model (:class:`HttpPredictor`);
- a model folder (:func:`load_model_folder`);
- anything that already is a predictor (``predict`` and ``default_threshold``).

A SageMaker Model is reached by its name through the session (``predictor.model_name`` in the
analysis config, see :func:`~byom_monitor.clarify.predictor.resolve_predictor`).

Tree SHAP works for :class:`BoosterPredictor` only (an XGBoost booster given with its transform
and, when the transform widens columns, which feature each encoded column comes from). Every
other model is explained with Kernel SHAP.
"""
from __future__ import annotations

import csv
import http.client
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from byom_monitor.clarify.config import ClarifyError
from byom_monitor.io.formats import plain_value

#: The files of a model folder made of a fitted scikit-learn ColumnTransformer and a booster.
PREPROCESSOR_FILE, BOOSTER_FILE, METADATA_FILE = ("preprocessor.joblib", "xgboost-model.json",
                                                  "metadata.json")
#: A model folder holding any supported model, pickled with joblib.
MODEL_FILE = "model.joblib"

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


class CallablePredictor:
    """A function DataFrame -> scores (one probability per row)."""

    def __init__(self, function: Callable[[pd.DataFrame], Any], threshold: float = 0.5,
                 name: str | None = None) -> None:
        self.function, self.default_threshold = function, threshold
        self.name = name or getattr(function, "__name__", "model")

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.function(features), dtype=float)


class EstimatorPredictor:
    """A scikit-learn classifier or pipeline: the ``predict_proba`` column of ``positive_class``
    (default: the last class, 1 for 0/1 labels)."""

    def __init__(self, estimator: Any, positive_class: Any = None, threshold: float = 0.5,
                 name: str | None = None) -> None:
        classes = list(getattr(estimator, "classes_", []))
        if positive_class is None:
            self.column = len(classes) - 1 if classes else 1
        elif positive_class in classes:
            self.column = classes.index(positive_class)
        else:
            raise ClarifyError(f"positive_class {positive_class!r} is not one of the model's "
                               f"classes {classes}")
        self.estimator, self.default_threshold = estimator, threshold
        self.name = name or type(estimator).__name__

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        try:
            return np.asarray(self.estimator.predict_proba(features), dtype=float)[:, self.column]
        except (ValueError, KeyError) as exc:
            raise ClarifyError(f"model {self.name}: {exc}") from exc


class BoosterPredictor:
    """An XGBoost booster with a logistic objective.

    ``features``: the raw columns the model reads, in order (default: every column given).
    ``transform``: raw feature frame -> the booster's input matrix (default: the values as floats).
    ``source_columns[c]``: the index in ``features`` of the raw feature that encoded column ``c``
    comes from (default: one encoded column per feature); tree SHAP adds a one-hot column's
    contribution to its feature's.
    """

    def __init__(self, booster: Any, *, features: Sequence[str] | None = None,
                 transform: Callable[[pd.DataFrame], Any] | None = None,
                 source_columns: Sequence[int] | None = None, threshold: float = 0.5,
                 name: str | None = None) -> None:
        self.booster, self.transform = booster, transform
        self.features = list(features) if features is not None else None
        self.source_columns = (np.asarray(source_columns, dtype=np.int64)
                               if source_columns is not None else None)
        self.default_threshold, self.name = threshold, name or "xgboost booster"

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        """The booster's input matrix for ``frame`` (ClarifyError naming a missing column)."""
        raw = self._raw(frame)
        try:
            matrix = self.transform(raw) if self.transform else raw.to_numpy(dtype=float)
        except (ValueError, KeyError, TypeError) as exc:
            raise ClarifyError(f"model {self.name}: {exc}") from exc
        return np.asarray(matrix, dtype=np.float32)

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.booster.inplace_predict(self.encode(features)), dtype=float)

    def tree_inputs(self, frame: pd.DataFrame) -> tuple[Any, np.ndarray, np.ndarray]:
        """The booster, the encoded matrix of ``frame`` and, for each encoded column, the
        position in ``frame`` of the feature it comes from (what tree SHAP needs)."""
        encoded = self.encode(frame)
        names = self.features if self.features is not None else list(frame.columns)
        sources = (self.source_columns if self.source_columns is not None
                   else np.arange(len(names)))
        if len(sources) != encoded.shape[1]:
            raise ClarifyError(f"model {self.name}: the transform gives {encoded.shape[1]} "
                               f"columns but source_columns names {len(sources)}")
        position = np.array([frame.columns.get_loc(name) for name in names])
        return self.booster, encoded, position[sources]

    def _raw(self, frame: pd.DataFrame) -> pd.DataFrame:
        if self.features is None:
            return frame
        missing = [name for name in self.features if name not in frame.columns]
        if missing:
            raise ClarifyError(f"model {self.name}: the data has no column(s) {missing}")
        return frame[self.features]


def as_predictor(model: Any, *, threshold: float | None = None,
                 name: str | None = None) -> Predictor:
    """The predictor for a user's model (see the module docstring for what is accepted)."""
    cut = 0.5 if threshold is None else float(threshold)
    if hasattr(model, "predict") and hasattr(model, "default_threshold"):
        return model
    if isinstance(model, (str, Path)):
        text = str(model)
        if text.startswith(("http://", "https://")):
            return HttpPredictor(text)
        return load_model_folder(text)
    if type(model).__name__ == "Booster" and type(model).__module__.startswith("xgboost"):
        return BoosterPredictor(model, threshold=cut, name=name)
    if hasattr(model, "predict_proba"):
        return EstimatorPredictor(model, threshold=cut, name=name)
    if callable(model):
        return CallablePredictor(model, threshold=cut, name=name)
    raise ClarifyError(f"cannot use a {type(model).__name__} as a model: give an estimator with "
                       f"predict_proba, an XGBoost Booster, a callable DataFrame -> scores, an "
                       f"http(s) URL or a model folder")


def load_model_folder(folder: str | Path) -> Predictor:
    """A model folder: ``model.joblib`` (any model :func:`as_predictor` accepts), or
    ``preprocessor.joblib`` (a fitted scikit-learn ColumnTransformer) with
    ``xgboost-model.json``; ``metadata.json`` gives ``features`` and ``threshold``."""
    import joblib

    root = Path(folder)
    if not root.is_dir():
        raise ClarifyError(f"model folder {root}: no such folder")
    metadata = _metadata(root)
    threshold = float(metadata.get("threshold", 0.5))
    if (root / MODEL_FILE).exists():
        return as_predictor(joblib.load(root / MODEL_FILE), threshold=threshold, name=str(root))
    missing = [f for f in (PREPROCESSOR_FILE, BOOSTER_FILE, METADATA_FILE)
               if not (root / f).exists()]
    if missing:
        raise ClarifyError(f"model folder {root}: no {MODEL_FILE}, and no {', '.join(missing)}")
    import xgboost as xgb

    booster = xgb.Booster()
    booster.load_model(str(root / BOOSTER_FILE))
    preprocessor = joblib.load(root / PREPROCESSOR_FILE)
    features = list(metadata.get("features") or [])
    if not features:
        raise ClarifyError(f"model folder {root}: {METADATA_FILE} has no 'features'")
    try:  # one-hot and passthrough parts: numpy instead of scikit-learn's per-call overhead
        matrix = OneHotMatrix.from_preprocessor(preprocessor, features)
        transform, sources = (lambda frame: matrix.encode(frame.to_numpy(dtype=float)),
                              matrix.source_columns)
    except ClarifyError:
        transform = lambda frame: preprocessor.transform(frame.astype(float))  # noqa: E731
        sources = column_transformer_sources(preprocessor, features)
    return BoosterPredictor(booster, features=features, threshold=threshold, name=str(root),
                            transform=transform, source_columns=sources)


def column_transformer_sources(preprocessor: Any, features: Sequence[str]) -> np.ndarray:
    """For each output column of a fitted ColumnTransformer, the index in ``features`` of the
    input column it comes from: a one-hot encoder gives one column per category, every other
    transformer (or passthrough) one column per input column."""
    position = {name: i for i, name in enumerate(features)}
    sources: list[int] = []
    for _, transformer, columns in preprocessor.transformers_:
        if isinstance(transformer, str) and transformer == "drop":
            continue
        names = [features[c] if isinstance(c, (int, np.integer)) else c for c in columns]
        categories = getattr(transformer, "categories_", None)
        for i, name in enumerate(names):
            sources.extend([position[name]] * (len(categories[i]) if categories is not None
                                               else 1))
    return np.asarray(sources, dtype=np.int64)


def one_hot_layout(preprocessor: Any, features: Sequence[str]) -> dict[str, Any]:
    """A fitted ColumnTransformer of one-hot encoders and passthrough (or identity
    FunctionTransformer) columns as plain data:
    ``categorical_index`` / ``categories`` (the one-hot columns' positions in ``features`` and
    their categories) and ``numeric_index`` (the passthrough columns'), in output order.
    ClarifyError for any other transformer (it has no such form)."""
    position = {name: i for i, name in enumerate(features)}
    layout: dict[str, Any] = {"features": list(features), "categorical_index": [],
                              "categories": [], "numeric_index": []}
    # the encoded matrix is one-hot blocks first, then the numeric columns
    for name, transformer, columns in preprocessor.transformers_:
        names = [features[c] if isinstance(c, (int, np.integer)) else c for c in columns]
        if isinstance(transformer, str) and transformer == "drop":
            continue
        identity = (type(transformer).__name__ == "FunctionTransformer"
                    and getattr(transformer, "func", None) is None)
        if identity or (isinstance(transformer, str) and transformer == "passthrough"):
            layout["numeric_index"].extend(position[c] for c in names)
        elif type(transformer).__name__ == "OneHotEncoder":
            if layout["numeric_index"]:
                raise ClarifyError(f"preprocessor part {name!r}: one-hot parts must come before "
                                   f"passthrough parts to have a layout")
            layout["categorical_index"].extend(position[c] for c in names)
            layout["categories"].extend(np.asarray(c).tolist() for c in transformer.categories_)
        else:
            raise ClarifyError(f"preprocessor part {name!r} is a {type(transformer).__name__}; "
                               f"only one-hot encoders and passthrough columns have a layout")
    return layout


@dataclass
class OneHotMatrix:
    """The fitted ColumnTransformer as numpy operations on a float matrix (one-hot columns
    first, unknown codes all zeros, then the numeric columns): the same output as
    ``preprocessor.transform`` (a test checks it) without its per-call overhead, which dominates
    when a server scores one row per request."""

    categorical_index: list[int]
    categories: list[np.ndarray]
    numeric_index: list[int]

    @classmethod
    def from_preprocessor(cls, preprocessor: Any,
                          features: list[str]) -> OneHotMatrix:
        layout = one_hot_layout(preprocessor, features)
        return cls(layout["categorical_index"],
                   [np.asarray(c, dtype=float) for c in layout["categories"]],
                   layout["numeric_index"])

    @property
    def source_columns(self) -> np.ndarray:
        """For every encoded column, the index of the feature it encodes."""
        return np.array([j for j, categories in zip(self.categorical_index, self.categories)
                         for _ in categories] + list(self.numeric_index), dtype=np.int64)

    def encode(self, values: np.ndarray) -> np.ndarray:
        values = np.atleast_2d(np.asarray(values, dtype=float))
        blocks = [(values[:, [j]] == categories[None, :]) for j, categories in
                  zip(self.categorical_index, self.categories)]
        blocks.append(values[:, self.numeric_index])
        return np.hstack(blocks).astype(np.float32)


def _metadata(root: Path) -> dict[str, Any]:
    path = root / METADATA_FILE
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ClarifyError(f"{path}: not valid JSON ({exc.msg})") from None
